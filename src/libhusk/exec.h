/* exec: a new process in a running container, through the same stages as create, joining the
 * container's namespaces and cgroup instead of making them. */
#ifndef HUSK_EXEC_H
#define HUSK_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hk_error.h"

struct hk_exec_opts {
	const char *root, *id;
	const char *process_file; /* --process: a process.json ("-": stdin) */
	char **args;		  /* else the command (NULL-terminated) */
	const char *cwd, *user, *apparmor, *process_label, *console_socket, *cgroup;
	const char *const *env, *const *caps, *const *additional_gids; /* NULL-terminated */
	bool tty, no_new_privs;
	bool
	    ignore_paused; /* --ignore-paused: a paused container too (the process starts frozen) */
	int preserve_fds;
	bool keep_terminal; /* foreground without a console socket: *master gets the pty */
	/* husk's argv, re-executed from a sealed copy where the process cannot come out of the
	 * exec stub (exe.h); NULL: never re-executed */
	char *const *reexec_argv;
};

/* Starts the process; *pid is a child of the caller (in the container's pid namespace). */
int hk_container_exec(const struct hk_exec_opts *o, pid_t *pid, int *master, struct hk_err **err);

#endif
