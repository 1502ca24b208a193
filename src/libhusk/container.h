/* The lifecycle: create, start, kill, delete over the state store. */
#ifndef HUSK_CONTAINER_H
#define HUSK_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "hk_error.h"

struct hk_create_opts {
	const char *root, *id, *bundle, *pid_file, *console_socket;
	const char *pidfd_socket; /* --pidfd-socket: receives a pidfd of pid 1 (runc 1.2's) */
	int preserve_fds;
	int listen_fds; /* socket activation: fds 3.. passed first, LISTEN_FDS/LISTEN_PID=1 set */
	bool no_pivot, no_new_keyring;
	bool systemd_cgroup; /* the cgroup is a systemd scope (cgroup/driver_systemd.c) */
	bool keep_terminal;  /* `run` in the foreground proxies the pty itself */
	/* husk's argv, re-executed from a sealed copy once the config is read, where pid 1 cannot
	 * end through the exec stub (exe.h); NULL: never re-executed */
	char *const *reexec_argv;
};

/* Builds the container and leaves its pid 1 waiting for start; *pid is a child of the caller.
 * With keep_terminal and no console socket, *master receives the pty (else -1). */
int hk_container_create(const struct hk_create_opts *o, pid_t *pid, int *master,
			struct hk_err **err);
int hk_container_start(const char *root, const char *id, struct hk_err **err);
int hk_container_kill(const char *root, const char *id, int sig, bool all, struct hk_err **err);
int hk_container_delete(const char *root, const char *id, bool force, struct hk_err **err);

/* Writes a pid file atomically (temporary file, rename), with no newline. */
int hk_write_pid_file(const char *path, pid_t pid, struct hk_err **err);

#endif
