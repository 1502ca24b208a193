/* The creation protocol (sync.h draws it): builds the container's pid 1 and leaves it waiting. */
#ifndef HUSK_SPAWN_H
#define HUSK_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "config.h"
#include "hk_seccomp.h"
#include "state.h"

struct hk_spawn {
	const struct oci_config *config;
	const char *bundle, *rootfs; /* absolute */
	int rootfs_fd; /* create: the rootfs opened once by the parent (stage 2 checks it finds the
			  same directory), else -1 */
	const char *console_socket; /* where the pty master goes (process.terminal) */
	int exec_fifo;		    /* O_RDWR fd of exec.fifo: pid 1 reads one byte, then execs */
	int start_result; /* O_RDWR|O_CLOEXEC fd of start.fifo (startContainer hooks), or -1 */
	int preserve_fds; /* fds 3 .. 3+n-1 pass to the process */
	int *idmap_trees; /* set by hk_spawn: per mount, an idmapped tree or -1 */
	bool no_pivot, no_new_keyring;
	bool joining;  /* exec: every namespace is joined, nothing of the rootfs is made */
	int init_root; /* exec into a container without a mount namespace of its own: an O_PATH
			  fd of /proc/<pid 1>/root to chroot into, else -1 */
	const struct hk_cgroup *cgroup;	  /* stage 1 starts in it, so every process after it does */
	const struct hk_seccomp *seccomp; /* compiled by the caller; insns NULL: none */
	/* called in the parent with the notify listener once pid 1's pid is known */
	int (*on_listener)(int fd, pid_t pid, void *data, struct hk_err **err);
	/* called in the parent as soon as pid 1's host pid is known, so that an interrupted create
	 * leaves a record that `delete --force` can clean up */
	int (*on_pid)(pid_t pid, void *data, struct hk_err **err);
	/* called in the parent when the mounts exist: prestart and createRuntime hooks */
	int (*on_hooks)(pid_t pid, void *data, struct hk_err **err);
	const struct hk_record *record; /* for the state the container's own hooks get */
	void *data;
	pid_t pid;    /* out: the host pid of the container's pid 1 (a child of the caller) */
	int master;   /* out: the pty master when terminal and no console socket, else -1 */
	int listener; /* the seccomp listener while in flight */
	unsigned long long rootfs_mount; /* out: the rootfs bind outside a mount ns of its own */
};

/* Checks what the runtime needs beyond a valid document (a process, a mount namespace...). */
int hk_spawn_check(const struct oci_config *c, bool have_console, struct hk_err **err);
/* The fields husk parses but does not apply yet (c or p may be NULL). */
int hk_spawn_check_unapplied(const struct oci_config *c, const struct oci_process *p,
			     struct hk_err **err);
int hk_spawn(struct hk_spawn *s, struct hk_err **err);

#endif
