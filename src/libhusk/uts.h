/* hostname and domainname, set in the container's UTS namespace. */
#ifndef HUSK_UTS_H
#define HUSK_UTS_H

#include "config.h"

int hk_uts_set(const struct oci_config *c, struct hk_err **err);

#endif
