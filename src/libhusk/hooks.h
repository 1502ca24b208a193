/* config.hooks: each hook a process with the container's state on stdin (CONTRACT.md has the
 * table of when, where and with which status each kind runs). */
#ifndef HUSK_HOOKS_H
#define HUSK_HOOKS_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "hk_error.h"
#include "state.h"

/* Runs the hooks in order; the first that fails, exits non-zero or outlives its timeout is the
 * error (`hooks.prestart[0]: /bin/x exited with status 3: <its output>`). */
int hk_hooks_run(const oci_hook_list *hooks, const char *kind, const char *state,
		 struct hk_err **err);
/* For poststart and poststop: every hook runs; a failure is a warning. */
void hk_hooks_run_all(const oci_hook_list *hooks, const char *kind, const char *state);

#endif
