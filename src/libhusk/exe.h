/* CVE-2019-5736: a container process that can reach husk's binary through /proc/PID/exe must not
 * be able to overwrite it. Either pid 1 ends through the exec stub (src/exec_stub/), which husk
 * execs from a sealed memfd before any process of the container can see pid 1, or, where that
 * cannot be made sure (plan.h, hk_plan_stub_fits; and `exec`, whose process the container sees
 * from its birth), husk first re-executes itself from a sealed memfd copy, so the only exe a
 * container could reach is a sealed copy. */
#ifndef HUSK_EXE_H
#define HUSK_EXE_H

#include <stdbool.h>

#include "hk_error.h"

/* Whether this process already runs from the sealed copy. */
bool hk_exe_sealed(void);
/* Re-executes from a sealed copy (returns only on failure); a no-op when already sealed. */
int hk_exe_reexec_sealed(char *const argv[], struct hk_err **err);

/* Whether this build has the exec stub (it knows x86_64 and aarch64). */
bool hk_exe_stub_built(void);
/* A sealed, close-on-exec memfd holding the exec stub. */
int hk_exe_stub_open(struct hk_err **err);
/* The stub's argv[0]: without it the stub refuses to run. */
#define HK_EXEC_STUB_MAGIC "husk exec stub"

#endif
