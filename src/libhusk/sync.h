/* The messages of the creation protocol, shared by both ends (spawn.c runs the stages in order).
 *
 *   husk (parent)                 stage 1 (host pid ns)           stage 2 (the container's pid 1)
 *   fork ───────────────────────▶ join namespaces by path
 *                                 unshare user ns
 *   ◀── SYNC_MAP_IDS ───────────  (waits)
 *   write uid_map/gid_map
 *   ─── SYNC_IDS_MAPPED ────────▶ unshare the other namespaces
 *   (cgroup alongside: make it)
 *   ─── SYNC_CGROUP_MADE ───────▶ (waits for it before the clone)
 *                                 clone(CLONE_PARENT) ─────────▶ (a child of husk, in the new
 *   ◀── SYNC_INIT_PID ──────────  exit                            pid namespace)
 *   record the pid                                                mounts, devices, pivot_root,
 *                                                                 hostname, rlimits, credentials...
 *   ◀── SYNC_ROOTFS_MOUNT ───────────────────────────────────────── (no mount ns of its own:
 *   kept for delete, undone on failure                              the rootfs bind's id)
 *   ◀── SYNC_HOOKS ─────────────────────────────────────────────── mounts made, before pivot
 *   run prestart, createRuntime (once the pid is known)
 *   ─── SYNC_HOOKS_DONE ──────────────────────────────────────────▶ run createContainer
 *   ◀── SYNC_CONSOLE (pty fd) ─────────────────────────────────── (when process.terminal)
 *   pass it to --console-socket
 *   ◀── SYNC_SECCOMP (listener fd) ─────────────────────────────── (a filter with
 *   pass it to listenerPath, once the pid is known                 SCMP_ACT_NOTIFY)
 *   ◀── SYNC_READY ────────────────────────────────────────────── block on exec.fifo
 *   write state and pid file, exit                                `start` writes exec.fifo:
 *                                                                 startContainer hooks,
 *                                                                 (the filter, if not yet), execve
 *
 * HK_STEP_EXEC_STUB: after SYNC_READY stage 2 (its filter loaded) execs the stub from its sealed
 * memfd, and the stub blocks on exec.fifo instead. The socket stays open across that exec and the
 * stub closes it as soon as it is not dumpable again: the parent waits for its end
 * (hk_sync_await_end) before create returns, so that no process of the container can ever find
 * pid 1 running husk's code, or tracing the stub; a failed execveat sends SYNC_ERROR instead.
 *
 * exec through the stub (HK_STEP_STUB_CLONES): stage 1 stays in husk's pid namespace and goes on
 * as stage 2 itself (SYNC_CONSOLE, SYNC_SECCOMP, SYNC_READY), then execs the stub, which clones
 * the process into the container's pid namespace (CLONE_VFORK: it goes on once the program runs)
 * and sends SYNC_INIT_PID, or the child's SYNC_ERROR first (exec_stub.c writes these two).
 *
 * exec from the sealed copy without a user namespace (HK_STEP_ONE_FORK): husk forks stage 1
 * already in the container's pid namespace, and stage 1 goes on as stage 2 itself after
 * SYNC_INIT_PID (whose pid the parent has from the fork).
 *
 * Any stage may send SYNC_ERROR with the text of its failure instead and exit; the parent prints it
 * once and undoes everything. All messages travel over one SOCK_SEQPACKET socketpair. */
#ifndef HUSK_SYNC_H
#define HUSK_SYNC_H

#include <stdint.h>

#include "hk_error.h"

enum hk_sync_type {
	SYNC_MAP_IDS = 1,  /* stage 1 -> parent: my user namespace needs its uid/gid maps */
	SYNC_IDS_MAPPED,   /* parent -> stage 1 */
	SYNC_INIT_PID,	   /* stage 1 -> parent: value = host pid of the container's pid 1 */
	SYNC_ROOTFS_MOUNT, /* stage 2 -> parent: text = the id of the rootfs bind, made in a mount
			      namespace that is not the container's own (undone on failure) */
	SYNC_HOOKS,	   /* stage 2 -> parent: mounts are made, run prestart and createRuntime */
	SYNC_HOOKS_DONE,   /* parent -> stage 2 */
	SYNC_CONSOLE,	   /* stage 2 -> parent: the pty master, attached with SCM_RIGHTS */
	SYNC_SECCOMP,	   /* stage 2 -> parent: the seccomp notify listener, with SCM_RIGHTS */
	SYNC_READY,	   /* stage 2 -> parent: set up, waiting for `start` */
	SYNC_ERROR,	   /* any stage -> parent: text = the failure, errnum in value */
	SYNC_CGROUP_MADE,  /* parent -> stage 1: the cgroup exists (HK_STEP_CGROUP_ALONGSIDE) */
};

struct hk_sync_msg {
	uint32_t type;
	int32_t value;
	char text[4000];
};

/* fd >= 0 is attached with SCM_RIGHTS. */
int hk_sync_send(int sock, enum hk_sync_type type, int32_t value, const char *text, int fd,
		 struct hk_err **err);
/* *fd receives an attached descriptor (or -1). Returns 0, or -1 with err (EOF: "peer exited"). */
int hk_sync_recv(int sock, struct hk_sync_msg *msg, int *fd, struct hk_err **err);
int hk_sync_expect(int sock, enum hk_sync_type type, struct hk_sync_msg *msg, struct hk_err **err);
/* 0 once every stage has closed its end (exec'd or exited); a SYNC_ERROR is returned as err. */
int hk_sync_await_end(int sock, struct hk_err **err);

#endif
