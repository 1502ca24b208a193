/* The container process: what is set on it between pivot_root and execve. */
#ifndef HUSK_PROCESS_H
#define HUSK_PROCESS_H

#include <stdbool.h>

#include "config.h"

/* Resolves args[0] against PATH from process.env, as execvp would, inside the current root;
 * fails with the words callers match: `executable file not found in $PATH`, `no such file or
 * directory`, `permission denied`. */
int hk_process_find_exec(const struct oci_process *p, char *out, size_t size, struct hk_err **err);

/* process.env, with HOME from the user's entry in the container's /etc/passwd (or "/") when it
 * has none, as runc and crun do. Inside the container's root. */
char **hk_process_env(const struct oci_process *p);

int hk_process_set_rlimits(const struct oci_process *p, struct hk_err **err);
/* personality, ioPriority, scheduler. */
int hk_process_set_scheduling(const struct oci_config *c, struct hk_err **err);
#define HK_CWD_MAGIC_LINK                                                                          \
	"process.cwd: \"%s\" goes through a /proc magic link, which could lead outside the "       \
	"container"

/* cwd, which must exist (create makes it before the rootfs may turn read-only). */
int hk_process_enter_cwd(const struct oci_process *p, struct hk_err **err);
/* Bounding set, groups, gid, uid, no_new_privs, umask, in that order; the permitted set
 * survives the uid switch, for the capabilities that come last (spawn.c). */
int hk_process_set_ids(const struct oci_process *p, bool in_userns, struct hk_err **err);

#endif
