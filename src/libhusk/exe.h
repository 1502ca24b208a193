/* CVE-2019-5736: a container process that can reach husk's binary through /proc/PID/exe must not
 * be able to overwrite it. Commands that enter a container first re-execute husk from a sealed
 * memfd copy of itself, so the only exe a container could reach is that copy. */
#ifndef HUSK_EXE_H
#define HUSK_EXE_H

#include <stdbool.h>

#include "hk_error.h"

/* Whether this process already runs from the sealed copy. */
bool hk_exe_sealed(void);
/* Re-executes from a sealed copy (returns only on failure); a no-op when already sealed. */
int hk_exe_reexec_sealed(char *const argv[], struct hk_err **err);

#endif
