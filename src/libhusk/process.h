/* The container process: what is set on it between pivot_root and execve. */
#ifndef HUSK_PROCESS_H
#define HUSK_PROCESS_H

#include <stdbool.h>

#include "config.h"

/* Resolves args[0] against PATH from process.env, as execvp would, inside the current root;
 * fails with the words callers match: `executable file not found in $PATH`, `no such file or
 * directory`, `permission denied`. */
int hk_process_find_exec(const struct oci_process *p, char *out, size_t size, struct hk_err **err);

int hk_process_set_rlimits(const struct oci_process *p, struct hk_err **err);
/* personality, ioPriority, scheduler. */
int hk_process_set_scheduling(const struct oci_config *c, struct hk_err **err);
/* cwd (created if missing). */
int hk_process_enter_cwd(const struct oci_process *p, struct hk_err **err);
/* Bounding set, groups, gid, uid, capabilities, ambient, no_new_privs, umask, in that order. */
int hk_process_set_identity(const struct oci_process *p, bool in_userns, struct hk_err **err);

#endif
