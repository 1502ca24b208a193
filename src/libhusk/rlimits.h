/* process.rlimits, set with setrlimit(2) before the uid switch (raising a hard limit needs
 * CAP_SYS_RESOURCE). */
#ifndef HUSK_RLIMITS_H
#define HUSK_RLIMITS_H

#include "config.h"

int hk_rlimits_set(const struct oci_process *p, struct hk_err **err);

#endif
