/* The creation protocol (sync.h draws it): runs a plan (plan.h) and leaves the process waiting:
 * pid 1 for `start`, or exec's process about to execve. */
#ifndef HUSK_SPAWN_H
#define HUSK_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "config.h"
#include "hk_seccomp.h"
#include "netdev.h"
#include "plan.h"
#include "state.h"

/* The parent's part in the messages that need the caller, one callback per message; NULL takes
 * no action (init_pid, rootfs_mount) or the default: SYNC_MAP_IDS writes linux.uidMappings and
 * gidMappings, SYNC_CONSOLE passes the pty to the console socket (or keeps it in the result),
 * SYNC_SECCOMP without a callback fails. */
struct hk_spawn_ops {
	/* CGROUP_ALONGSIDE: makes the container's cgroup, stage 1 already forked */
	int (*cgroup)(void *data, struct hk_err **err);
	int (*map_ids)(pid_t stage1, const struct hk_spawn_plan *plan, void *data,
		       struct hk_err **err);			     /* MAP_IDS */
	int (*init_pid)(pid_t pid, void *data, struct hk_err **err); /* INIT_PID */
	/* after INIT_PID, the identities of the linux.netDevices moved in (NET_DEVICES) */
	int (*net_devices)(const struct hk_netdev_set *moved, void *data, struct hk_err **err);
	int (*rootfs_mount)(unsigned long long id, void *data, struct hk_err **err); /* ROOTFS */
	int (*hooks)(pid_t pid, void *data, struct hk_err **err);		     /* HOOKS */
	int (*console)(int master, void *data, struct hk_err **err);		     /* CONSOLE */
	/* SECCOMP: called as soon as both the listener and pid 1's pid are known */
	int (*listener)(int fd, pid_t pid, void *data, struct hk_err **err);
};

struct hk_spawn_result {
	pid_t pid;  /* the host pid of the process (a child of the caller) */
	int master; /* the pty master when terminal and no console socket, or -1 */
	unsigned long long rootfs_mount; /* the rootfs bind outside a mount ns of its own, or 0 */
	/* linux.netDevices that went into pid 1's ns (also when a later one failed), malloc'ed */
	struct hk_netdev_set *net_devices;
};

/* Checks what the runtime needs beyond a valid document (a process, a mount namespace...). */
int hk_spawn_check(const struct oci_config *c, const char *console_socket, bool keep_terminal,
		   struct hk_err **err);
/* What the process asks that the document cannot check (exec's process.json too), and a
 * console socket given for a process without a terminal. */
int hk_spawn_check_process(const struct oci_process *p, const char *console_socket,
			   struct hk_err **err);
/* The fds a plan holds (rootfs, exec.fifo, start.fifo, pid 1's root, the exec stub), closed and
 * set to -1: the one place they are closed. */
void hk_spawn_plan_release(struct hk_spawn_plan *plan);
/* On failure nothing of the spawn is left: its processes are killed and reaped, the rootfs bind
 * is detached, the pty closed. */
int hk_spawn(const struct hk_spawn_plan *plan, const struct hk_spawn_ops *ops, void *data,
	     struct hk_spawn_result *out, struct hk_err **err);

#endif
