/* Signal names: "KILL", "SIGKILL", "kill" and "9" all mean 9. */
#ifndef HUSK_SIGNALS_H
#define HUSK_SIGNALS_H

#include "hk_error.h"

int hk_signal_parse(const char *text, int *sig, struct hk_err **err);

#endif
