/* CVE-2019-5736: a container process that can reach husk's binary through /proc/PID/exe must not
 * be able to overwrite it. Either the container's process comes out of the exec stub
 * (src/exec_stub/), which husk execs from a sealed memfd before any process of the container can
 * see husk's code (pid 1 becomes the stub; exec's stage 1, unseen in husk's pid namespace, does
 * and the stub clones the process), or, where that cannot be made sure (plan.h,
 * hk_plan_stub_fits and hk_plan_exec_stub_fits), husk first re-executes itself from a sealed
 * memfd copy, so the only exe a container could reach is a sealed copy. */
#ifndef HUSK_EXE_H
#define HUSK_EXE_H

#include <stdbool.h>
#include <stddef.h>

#include "hk_error.h"

/* Whether this process already runs from the sealed copy. */
bool hk_exe_sealed(void);
/* Re-executes from a sealed copy (returns only on failure); a no-op when already sealed. */
int hk_exe_reexec_sealed(char *const argv[], struct hk_err **err);

/* Whether this build has the exec stub (it knows x86_64 and aarch64). */
bool hk_exe_stub_built(void);
/* A memfd named name holding data, sealed against writing, growing and shrinking (the seals
 * hk_exe_sealed asks for); -1 with errno. */
int hk_exe_sealed_memfd(const char *name, const void *data, size_t len, bool cloexec);
/* A sealed, close-on-exec memfd holding the exec stub. */
int hk_exe_stub_open(struct hk_err **err);
/* The stub's argv[0]: without it the stub refuses to run. */
#define HK_EXEC_STUB_MAGIC "husk exec stub"
/* ... for exec's way, where it clones the process (plan.h, HK_STEP_STUB_CLONES). */
#define HK_EXEC_STUB_CLONE_MAGIC "husk exec stub, cloning"

#endif
