/* Signal names: "KILL", "SIGKILL", "kill" and "9" all mean 9. */
#ifndef HUSK_SIGNALS_H
#define HUSK_SIGNALS_H

#include <stddef.h>

#include "hk_error.h"

int hk_signal_parse(const char *text, int *sig, struct hk_err **err);
/* The ith name of the table ("HUP"), NULL past its end: for shell completion. */
const char *hk_signal_name_at(size_t i);

#endif
