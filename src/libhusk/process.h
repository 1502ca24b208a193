/* The program the container runs: its executable, environment and working directory. */
#ifndef HUSK_PROCESS_H
#define HUSK_PROCESS_H

#include "config.h"

/* Resolves args[0] against PATH from process.env, as execvp would, inside the current root;
 * fails with the words callers match: `executable file not found in $PATH`, `no such file or
 * directory`, `permission denied`. */
int hk_process_find_exec(const struct oci_process *p, char *out, size_t size, struct hk_err **err);

/* process.env, with HOME from the user's entry in the container's /etc/passwd (or "/") when it
 * has none, as runc and crun do. Inside the container's root. */
char **hk_process_env(const struct oci_process *p);

#define HK_CWD_MAGIC_LINK                                                                          \
	"process.cwd: \"%s\" goes through a /proc magic link, which could lead outside the "       \
	"container"

/* cwd, which must exist (create makes it before the rootfs may turn read-only). */
int hk_process_enter_cwd(const struct oci_process *p, struct hk_err **err);
/* Makes process.cwd under rootfd when missing (a directory, as root). */
int hk_process_make_cwd(int rootfd, const struct oci_process *p, struct hk_err **err);

#endif
