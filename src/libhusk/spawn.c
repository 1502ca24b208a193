/* The creation protocol in the order it runs (sync.h draws it): stage 1 joins and makes the
 * namespaces, stage 2 is the container's process and takes the plan's steps down to execve, and
 * the parent, at the end of the file, forks stage 1 and answers both. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk_format.h"
#include "caps.h"
#include "cpu_affinity.h"
#include "exe.h"
#include "fdio.h"
#include "hooks.h"
#include "identity.h"
#include "idmap.h"
#include "idmap_write.h"
#include "log.h"
#include "lsm.h"
#include "mempolicy.h"
#include "namespaces.h"
#include "netdev.h"
#include "netlink.h"
#include "oom_score.h"
#include "personality.h"
#include "process.h"
#include "rdt.h"
#include "rlimits.h"
#include "rootless.h"
#include "rootfs.h"
#include "scheduler.h"
#include "spawn_stage.h"
#include "sync.h"
#include "timeline.h"
#include "sysctl.h"
#include "terminal.h"
#include "uts.h"

/* A caller that gives a console socket waits on it for the pty master (conmon, the shim): with
 * no terminal none would come, so it is refused, as runc does, rather than ignored. */
int hk_spawn_check_process(const struct oci_process *p, const char *console_socket,
			   struct hk_err **err)
{
	if (console_socket != NULL && !p->terminal.value)
		return hk_fail(err, 0,
			       "--console-socket %s: the process has no terminal to send "
			       "(process.terminal is false; exec: no --tty): set it, or leave "
			       "--console-socket out",
			       console_socket);
	return hk_cpu_affinity_check(p, err);
}

int hk_spawn_check(const struct oci_config *c, const char *console_socket, bool keep_terminal,
		   struct hk_err **err)
{
	if (c->process == NULL)
		return hk_fail(err, 0, "config.json: process: required to create a container");
	if (hk_spawn_check_process(c->process, console_socket, err) < 0 ||
	    hk_mempolicy_check(c->linux, err) < 0)
		return -1;
	if (c->process->terminal.value && console_socket == NULL && !keep_terminal)
		return hk_fail(err, 0, "config.json: process.terminal needs --console-socket");
	if (hk_lsm_check(c, err) < 0 || hk_netdev_check(c, err) < 0)
		return -1;
	/* A new user namespace starts with a full bounding set of its own. */
	if (!oci_config_new_namespace(c, OCI_NS_USER) &&
	    hk_caps_check_available(c->process->capabilities, err) < 0)
		return -1;
	return hk_sysctl_check(c, err);
}

/* A stage reports its failure as text with its errno and exits; the parent prints it. */
static __attribute__((noreturn)) void stage_fail(struct stage *st, struct hk_err *err)
{
	hk_sync_send(st->sock, SYNC_ERROR, err ? err->errnum : 0, err ? err->msg : "failed", -1,
		     NULL);
	_exit(1);
}

static __attribute__((noreturn)) void stage2(struct stage *st);

/* ---- stage 1: namespaces ---- */

static int stage1_userns(struct stage *st, struct hk_err **err)
{
	struct hk_sync_msg msg;

	if (unshare(CLONE_NEWUSER) < 0)
		return hk_fail(err, errno, "create the user namespace");
	if (hk_plan_has(st->plan, HK_STEP_ID_MAPS) &&
	    (hk_sync_send(st->sock, SYNC_MAP_IDS, 0, NULL, -1, err) < 0 ||
	     hk_sync_expect(st->sock, SYNC_IDS_MAPPED, &msg, err) < 0))
		return -1;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return hk_fail(err, errno, "become root in the user namespace (is 0 mapped?)");
	return 0;
}

/* A refused join is no failure where the cgroup is best effort (rootless without delegation). */
static bool join_refusal_allowed(const struct hk_spawn_plan *plan)
{
	return plan->cgroup_best_effort && (errno == EACCES || errno == EPERM);
}

/* Stage 1 (the cgroup joined first) or pid 1 (namespaces first) moves into the container's
 * cgroup, where it was not born; memory_tasks not NULL: a v1 memory hierarchy is left for
 * init_enter_memory. */
static int enter_cgroup(struct stage *st, int *memory_tasks, struct hk_err **err)
{
	const struct hk_spawn_plan *plan = st->plan;
	const char *failed = NULL;

	if (hk_cg_enter_self(plan->cgroup, st->in_cgroup, memory_tasks, &failed) < 0 &&
	    !join_refusal_allowed(plan))
		return hk_fail(err, errno, "join cgroup %s", failed);
	/* after the join: a cpuset cgroup's cpus replace the affinity */
	return hk_cpu_affinity_final(plan->process, err);
}

/* HK_STEP_NAMESPACES_FIRST: stage 1 makes the namespaces outside the container's cgroup, so
 * that their kernel memory (a network namespace's is about 100 KiB) is charged to the caller's
 * cgroup, as when runc or crun clone them, and not counted against a small container limit.
 * Pid 1 then makes the cgroup namespace, once it is in the cgroup the namespace is rooted at. */
static int stage1_namespaces(struct stage *st, struct hk_err **err)
{
	const struct hk_spawn_plan *plan = st->plan;
	bool first = hk_plan_has(plan, HK_STEP_NAMESPACES_FIRST);
	int flags = hk_ns_new_flags(plan->ns) & ~CLONE_NEWUSER & (first ? ~CLONE_NEWCGROUP : ~0);

	if (hk_plan_has(plan, HK_STEP_STUB_CLONES)) {
		/* born in the cgroup2 directory or not, the stub's child joins the rest (its
		 * affinity is then the cgroup's, as enter_cgroup leaves it: a cpuset's cpus replace
		 * it where there is one). The attr directory is the host's /proc's, of this
		 * process, whose profile the child inherits. */
		if (hk_cpu_affinity_final(plan->process, err) < 0 ||
		    hk_lsm_exec_attr_open(plan->process, &st->lsm_attr, &st->lsm_value, err) < 0)
			return -1;
		/* the pty's reopen is its one use (open_terminal) */
		if (plan->process->terminal.value &&
		    (st->host_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return hk_fail(err, errno, "open /proc");
	} else if (!first && enter_cgroup(st, NULL, err) < 0) {
		return -1;
	}
	/* unshare(CLONE_NEWNS) moves the working directory to its copy in the new tree: stage 2
	 * finds the rootfs there without walking its path (rootfs.c, reopen_rootfs). A failure
	 * leaves that to the path. */
	if (plan->ns[OCI_NS_MOUNT].action == HK_NS_NEW && plan->rootfs_fd >= 0)
		(void)!fchdir(plan->rootfs_fd);
	if (hk_ns_join(st->ns_fds, err) < 0)
		return -1;
	hk_ns_close_paths(st->ns_fds);
	if (plan->ns[OCI_NS_USER].action == HK_NS_NEW && stage1_userns(st, err) < 0)
		return -1;
	/* Not dumpable until the program's execve (which resets it): no process of the container
	 * may ptrace or open /proc/PID/{mem,exe,fd} of husk's code running among them. Once the
	 * maps are written (the parent writes them through this process's /proc). Pid 1 and exec's
	 * process inherit it from here. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return hk_fail(err, errno, "prctl(PR_SET_DUMPABLE)");
	if (unshare(flags) < 0)
		return hk_fail(err, errno, "create namespaces (flags 0x%x)", flags);
	if (hk_plan_has(plan, HK_STEP_TIME_OFFSETS) &&
	    hk_ns_write_time_offsets(plan->config->linux, err) < 0)
		return -1;
	return 0;
}

/* clone3 into the cgroup2 directory dirfd (closed here). *fall_back: the kernel has no clone3
 * or CLONE_INTO_CGROUP, or a seccomp filter hides it, or it denies the move (a user outside its
 * delegated subtree): the caller clones without it and the child moves itself in, or says why
 * not. With CLONE_PARENT the exit signal must be 0 (the kernel refuses any other with EINVAL:
 * the child takes the caller's own, SIGCHLD for a stage husk forked). */
static pid_t clone3_into_cgroup(int dirfd, unsigned long flags, bool *born_in, bool *fall_back)
{
	struct clone_args args = {.flags = flags | CLONE_INTO_CGROUP,
				  .exit_signal = flags & CLONE_PARENT ? 0 : SIGCHLD,
				  .cgroup = (unsigned)dirfd};
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	int e = errno;

	close(dirfd);
	if (pid == 0)
		*born_in = true; /* the child's copy of the flag */
	/* EAGAIN: a pids.max the cgroup is at (0 lets nothing be born there): moved in after the
	 * birth instead, as runc moves its init (a move is not a fork) */
	*fall_back = pid < 0 && (e == ENOSYS || e == E2BIG || e == EINVAL || e == EPERM ||
				 e == EACCES || e == EAGAIN);
	errno = e;
	return pid;
}

/* A pids.limit of 0 lets nothing be born in the cgroup: pid 1 moves in after its birth, as runc
 * moves its init. (A birth refused there would also end the new pid namespace: its first pid
 * freed, it allocates none again.) */
static bool born_outside(const struct hk_spawn_plan *plan)
{
	const struct oci_resources *r = plan->config->linux ? plan->config->linux->resources : NULL;

	return r != NULL && r->pids != NULL && r->pids->limit.set && r->pids->limit.value == 0;
}

/* CLONE_PARENT: pid 1 is husk's child, so `run` waits for it and create's caller inherits it
 * when husk exits. Namespaces first, it is born in the cgroup2 directory where there is one. */
static pid_t clone_init(struct stage *st)
{
	int dirfd = hk_plan_has(st->plan, HK_STEP_NAMESPACES_FIRST) && !born_outside(st->plan)
			? hk_cg_clone_fd(st->plan->cgroup)
			: -1;
	bool fall_back = true;
	pid_t pid = -1;

	if (dirfd >= 0)
		pid = clone3_into_cgroup(dirfd, CLONE_PARENT, &st->in_cgroup, &fall_back);
	return fall_back ? (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0)
			 : pid;
}

static __attribute__((noreturn)) void stage1(struct stage *st)
{
	struct hk_err *err = NULL;
	pid_t pid;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* ONE_FORK: born in the container's pid namespace, where husk has no pid (0) */
	if (getppid() != st->husk && !(hk_plan_has(st->plan, HK_STEP_ONE_FORK) && getppid() == 0))
		_exit(1);
	hk_stage_close_inherited(st);
	if (HK_CHECKED(stage1_namespaces(st, &err), &err) < 0)
		stage_fail(st, err);
	if (hk_plan_has(st->plan, HK_STEP_CGROUP_ALONGSIDE)) {
		struct hk_sync_msg msg;

		if (hk_sync_expect(st->sock, SYNC_CGROUP_MADE, &msg, &err) < 0)
			stage_fail(st, err); /* the parent failed: it reports its own error */
	}
	/* STUB_CLONES: stage 1 takes every step where the container cannot see it, and the stub
	 * sends the pid of the process it clones */
	if (hk_plan_has(st->plan, HK_STEP_STUB_CLONES))
		stage2(st);
	/* ONE_FORK: stage 1 is the process itself, and the parent has its pid from the fork */
	if (hk_plan_has(st->plan, HK_STEP_ONE_FORK)) {
		if (hk_sync_send(st->sock, SYNC_INIT_PID, 0, NULL, -1, NULL) < 0)
			_exit(1);
		stage2(st);
	}
	pid = clone_init(st);
	if (pid < 0) {
		hk_fail(&err, errno, "clone the container's init");
		stage_fail(st, err);
	}
	if (pid == 0)
		stage2(st);
	hk_sync_send(st->sock, SYNC_INIT_PID, pid, NULL, -1, NULL);
	/* EXEC_STUB: the profile is checked here, once pid 1 exists (it would inherit the label),
	 * in a process that exits without an execve, so that a profile AppArmor lacks is named at
	 * create (the parent, which has the pid, undoes pid 1); the stub applies it (lsm.h) */
	if (hk_plan_has(st->plan, HK_STEP_EXEC_STUB) &&
	    HK_CHECKED(hk_lsm_check_exec_labels(st->plan->process, &err), &err) < 0)
		stage_fail(st, err);
	_exit(0);
}

/* ---- stage 2: the container's process ---- */

/* Mounts made, pivot_root still ahead: the parent runs prestart and createRuntime in husk's
 * namespaces, then this process runs createContainer in the container's mount namespace. Their
 * state says "creating"; startContainer's, made now while the host's /proc gives the host pid,
 * says "created". */
static int container_hooks(struct stage *st, struct hk_err **err)
{
	const struct oci_hooks *h = st->plan->config->hooks;
	struct hk_sync_msg msg;
	char self[32] = "";
	char *creating;
	int ret;

	if (st->plan->record == NULL)
		return 0;
	if (h->prestart.len || h->create_runtime.len) {
		if (hk_sync_send(st->sock, SYNC_HOOKS, 0, NULL, -1, err) < 0 ||
		    hk_sync_expect(st->sock, SYNC_HOOKS_DONE, &msg, err) < 0)
			return -1;
	}
	if (readlink("/proc/self", self, sizeof(self) - 1) < 0)
		return hk_fail(err, errno, "hooks: read the host pid");
	creating = hk_container_state_json(st->plan->record, "creating", atoi(self));
	st->state_created = hk_container_state_json(st->plan->record, "created", atoi(self));
	if (creating == NULL || st->state_created == NULL)
		return hk_fail(err, ENOMEM, "hooks: state");
	ret = hk_hooks_run(&h->create_container, "createContainer", creating, err);
	free(creating);
	return ret;
}

/* process.terminal: a pty from the container's devpts; the master goes to the parent. */
static int open_terminal(struct stage *st, int rootfd, int *slave, struct hk_err **err)
{
	hk_cleanup_close int master = -1;

	if (!st->plan->process->terminal.value)
		return 0;
	/* exec's process has the container's /dev/console as it is, as with runc */
	if (hk_terminal_open(rootfd, st->host_proc, st->plan->process,
			     hk_plan_has(st->plan, HK_STEP_ROOTFS), &master, slave, err) < 0)
		return -1;
	return hk_sync_send(st->sock, SYNC_CONSOLE, 0, NULL, master, err);
}

static int send_rootfs_mount(struct stage *st, unsigned long long id, struct hk_err **err)
{
	char text[32];

	if (hk_format(text, sizeof(text), "%llu", id) < 0)
		return hk_fail(err, errno, "rootfs mount id");
	return hk_sync_send(st->sock, SYNC_ROOTFS_MOUNT, 0, text, -1, err);
}

/* A user namespace of its own, or the one rootless husk already runs in (rootless podman's):
 * no device node can be made, so the host's are bound. */
static bool in_user_namespace(const struct hk_spawn_plan *plan)
{
	return plan->ns[OCI_NS_USER].action == HK_NS_NEW || hk_rootless();
}

/* HK_STEP_ROOTFS up to pivot_root: the rootfs bind, the mounts and devices, under rootfd. */
static int build_rootfs(struct stage *st, int *rootfd, struct hk_err **err)
{
	const struct hk_spawn_plan *plan = st->plan;
	unsigned long long mount_id = 0;
	int ret;

	ret = hk_rootfs_prepare(plan->config, plan->bundle, plan->rootfs, plan->rootfs_fd,
				in_user_namespace(plan), st->idmap_trees, plan->cgroup, rootfd,
				&mount_id, err);
	/* the parent undoes the rootfs bind if anything fails, this included */
	if (mount_id != 0 && send_rootfs_mount(st, mount_id, ret < 0 ? NULL : err) < 0 &&
	    ret == 0) {
		*rootfd = hk_safe_close(*rootfd);
		return -1;
	}
	return ret;
}

/* exec into a container without a mount namespace of its own: the namespace joined is not the
 * container's, its root is where pid 1 is chrooted. */
static int enter_init_root(const struct hk_spawn_plan *plan, struct hk_err **err)
{
	if (fchdir(plan->init_root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return hk_fail(err, errno, "enter the container's root");
	return 0;
}

/* Pid 1's stack pages are stage 1's until its first write to each copies them: written before
 * pid 1 joins a v1 memory cgroup, the copies are charged to husk's cgroup and not to the
 * container's (they were 20 to 24 KiB, all of pid 1's own pages charged there). The depth
 * covers what pid 1 uses below this frame until its execve. */
#define PID1_STACK_PREFAULT (32 << 10)

static __attribute__((noinline)) void prefault_stack(void)
{
	volatile char pages[PID1_STACK_PREFAULT];
	size_t i;

	for (i = 0; i < sizeof(pages); i += 4096)
		pages[i] = 0;
}

/* The cgroup namespace is rooted where pid 1 is when it makes it: after the last join. */
static int init_cgroup_ns(struct stage *st, struct hk_err **err)
{
	if (st->plan->ns[OCI_NS_CGROUP].action == HK_NS_NEW && unshare(CLONE_NEWCGROUP) < 0)
		return hk_fail(err, errno, "create the cgroup namespace");
	return 0;
}

/* Namespaces first: pid 1, before anything of the container is charged, moves into the
 * cgroups it was not born in, then makes the cgroup namespace, rooted there. On v1 the memory
 * hierarchy waits until the root is built (init_enter_memory), so that the kernel memory of
 * pid 1's own mounts (the cgroup mount alone is a tmpfs and a bind per hierarchy) is charged to
 * husk's cgroup, as the namespaces' is, and not to a small container limit. Until then pid 1
 * runs only husk's code: no hook and nothing of the container's runs outside it. */
static int init_enter_cgroup(struct stage *st, struct hk_err **err)
{
	if (!hk_plan_has(st->plan, HK_STEP_NAMESPACES_FIRST))
		return 0;
	if (enter_cgroup(st, &st->memory_tasks, err) < 0)
		return -1;
	if (st->memory_tasks < 0) /* born in its memory cgroup (v2), or none */
		return init_cgroup_ns(st, err);
	prefault_stack();
	return 0;
}

static int init_enter_memory(struct stage *st, struct hk_err **err)
{
	if (st->memory_tasks < 0)
		return 0;
	if (hk_cg_enter_memory(&st->memory_tasks) < 0 && !join_refusal_allowed(st->plan))
		return hk_fail(err, errno, "join the memory cgroup");
	return init_cgroup_ns(st, err);
}

/* The steps that need the host's view (the bundle, /proc of the host): before the root. */
static int stage2_before_root(struct stage *st, struct hk_err **err)
{
	const struct hk_spawn_plan *plan = st->plan;

	if (hk_plan_has(plan, HK_STEP_LOOPBACK) && hk_netlink_loopback_up(err) < 0)
		return -1;
	if (hk_plan_has(plan, HK_STEP_UTS) && hk_uts_set(plan->config, err) < 0)
		return -1;
	if (hk_plan_has(plan, HK_STEP_OOM_SCORE) && hk_oom_score_set(plan->process, err) < 0)
		return -1;
	/* /proc/sys/net and the ipc keys follow the writer's namespaces, so the host's /proc
	 * reaches the container's own values, before readonlyPaths closes /proc/sys. */
	if (hk_plan_has(plan, HK_STEP_SYSCTL) && hk_sysctl_apply(plan->config, err) < 0)
		return -1;
	/* STUB_CLONES opened the attr directory in stage 1, on the host's /proc */
	if (!hk_plan_has(plan, HK_STEP_STUB_CLONES) &&
	    (hk_plan_has(plan, HK_STEP_EXEC_STUB)
		 ? hk_lsm_exec_attr_open(plan->process, &st->lsm_attr, &st->lsm_value, err) < 0
		 : hk_lsm_set_exec_labels(plan->process, err) < 0))
		return -1;
	if (hk_plan_has(plan, HK_STEP_INIT_ROOT) && enter_init_root(plan, err) < 0)
		return -1;
	return 0;
}

/* The root: built (create) or the one setns and INIT_ROOT left (exec); then pivot_root. */
static int stage2_root(struct stage *st, int *slave, struct hk_err **err)
{
	const struct hk_spawn_plan *plan = st->plan;
	bool build = hk_plan_has(plan, HK_STEP_ROOTFS);
	hk_cleanup_close int rootfd = -1;

	if (build && build_rootfs(st, &rootfd, err) < 0)
		return -1;
	if (!build && (rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return hk_fail(err, errno, "open the container's root");
	/* createContainer hooks run in all the container's cgroups and its cgroup namespace, in the
	 * container's root as mounted (relative paths see its mounts, not the directory below) */
	if (hk_plan_has(plan, HK_STEP_CREATION_HOOKS) &&
	    (init_enter_memory(st, err) < 0 ||
	     (fchdir(rootfd) < 0 && hk_fail(err, errno, "hooks: enter the container's root")) ||
	     container_hooks(st, err) < 0))
		return -1;
	if (hk_plan_has(plan, HK_STEP_MAKE_CWD) &&
	    hk_process_make_cwd(rootfd, plan->process, err) < 0)
		return -1;
	if (open_terminal(st, rootfd, slave, err) < 0)
		return -1;
	return build ? hk_rootfs_finish(plan->config, rootfd, plan->no_pivot, err) : 0;
}

static bool has_filter(const struct stage *st)
{
	return st->plan->seccomp != NULL && st->plan->seccomp->insns != NULL;
}

/* The capabilities and the filter go in just before execve, except where a notify listener
 * must reach the parent before `create` returns, or pid 1 ends through the exec stub (which
 * runs under them, plan.h). */
static bool caps_and_filter_at_create(const struct stage *st)
{
	return hk_plan_has(st->plan, HK_STEP_EXEC_STUB) ||
	       (has_filter(st) && st->plan->seccomp->notify);
}

/* The stage's copy of a notify listener is never closed by hand: close() may itself be a call
 * the filter sends to the agent, who has no listener before create ends (it hung run for ever).
 * The kernel made it close-on-exec, and execve closes it without a system call. */
static int load_seccomp(struct stage *st, struct hk_err **err)
{
	int listener = -1;

	if (!has_filter(st))
		return 0;
	if (hk_seccomp_load(st->plan->seccomp, &listener, err) < 0)
		return -1;
	return listener < 0 ? 0 : hk_sync_send(st->sock, SYNC_SECCOMP, 0, NULL, listener, err);
}

/* The capabilities and the filter, the last steps before execve. Nothing of husk's may run
 * under the filter but what the kernel forces (docs/design.md): with no_new_privs, nothing but
 * execve; without it, loading needs CAP_SYS_ADMIN, so the one capset that drops the
 * capabilities comes after it. */
static int set_caps_and_filter(struct stage *st, struct hk_err **err)
{
	const struct oci_capabilities *caps = st->plan->process->capabilities;

	if (!has_filter(st) || st->plan->process->no_new_privileges.value) {
		if (hk_caps_apply(caps, err) < 0)
			return hk_prefix(err, "process.capabilities");
		return load_seccomp(st, err);
	}
	if (hk_caps_prepare_late(caps, err) < 0 || load_seccomp(st, err) < 0)
		return -1;
	if (hk_caps_set(caps, err) < 0)
		return hk_prefix(err, "process.capabilities");
	return 0;
}

/* Inside the new root: the process as config.json describes it, down to the capabilities and
 * the filter, so that `start` has next to nothing left that can fail. */
static int stage2_process(struct stage *st, int slave, char *exe, size_t size, struct hk_err **err)
{
	const struct hk_spawn_plan *plan = st->plan;
	const struct oci_process *p = plan->process;
	bool entered;

	if (setsid() < 0)
		return hk_fail(err, errno, "setsid");
	/* STUB_CLONES: the stub's child, a session leader, makes the pty its controlling terminal;
	 * stage 1 only attaches it (were it the session's, its exit would hang the child up) */
	if (slave >= 0 && hk_terminal_attach(slave, p->user ? p->user->uid.value : 0,
					     !hk_plan_has(plan, HK_STEP_STUB_CLONES), err) < 0)
		return -1;
	if (hk_plan_has(plan, HK_STEP_SESSION_KEYRING) && hk_identity_new_keyring(err) < 0)
		return -1;
	if (hk_rlimits_set(p, err) < 0 || hk_personality_set(plan->config->linux, err) < 0 ||
	    hk_scheduler_set(p, err) < 0)
		return -1;
	if (slave < 0) {
		hk_identity_reopen_null_stdio();
		hk_identity_chown_stdio(p);
	}
	st->env = hk_process_env(p);
	/* the cwd first as root, as runc: a directory only root may enter (/root, 0700) works for
	 * a process of another user; one only that user may enter is tried again as the user */
	entered = hk_process_enter_cwd(p, NULL) == 0;
	if (hk_identity_set(p, plan->ns[OCI_NS_USER].action != HK_NS_INHERIT, err) < 0)
		return -1;
	if ((!entered && hk_process_enter_cwd(p, err) < 0) ||
	    hk_process_find_exec(p, exe, size, err) < 0)
		return -1;
	if (hk_plan_has(plan, HK_STEP_MEMORY_POLICY) &&
	    hk_mempolicy_set(plan->config->linux, err) < 0)
		return -1;
	/* Only stdio and the preserved fds reach the program (CVE-2024-21626). */
	if (hk_close_range(3 + (unsigned)plan->preserve_fds, ~0u, true) < 0)
		return hk_fail(err, errno, "close_range");
	return caps_and_filter_at_create(st) ? set_caps_and_filter(st, err) : 0;
}

/* The signals the caller blocked (run holds some until it waits) are not the program's. */
static void unblock_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* After `start`: the failure goes to start.fifo, which `start` reads until execve closes it
 * (when startContainer hooks made one), else to the process's stderr. */
static __attribute__((noreturn)) void late_fail(struct stage *st, struct hk_err *err)
{
	int fd = st->plan->start_result;

	if (fd < 0 || write(fd, err->msg, strlen(err->msg)) < 0)
		dprintf(STDERR_FILENO, "husk: %s\n", err->msg);
	_exit(1);
}

static void wait_for_start(const struct hk_spawn_plan *plan)
{
	char byte;
	ssize_t n;

	do
		n = read(plan->exec_fifo, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);
	hk_safe_close(plan->exec_fifo); /* the plan is the parent's: execve follows */
}

static __attribute__((noreturn)) void stage2(struct stage *st)
{
	const struct hk_spawn_plan *plan = st->plan;
	struct hk_err *err = NULL;
	char exe[4096];
	int slave = -1;

	/* getppid() is 0 across the pid namespace: a dead husk shows as a failed send instead. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (HK_CHECKED(init_enter_cgroup(st, &err), &err) < 0 ||
	    HK_CHECKED(stage2_before_root(st, &err), &err) < 0 ||
	    HK_CHECKED(stage2_root(st, &slave, &err), &err) < 0 ||
	    HK_CHECKED(init_enter_memory(st, &err), &err) < 0 ||
	    HK_CHECKED(stage2_process(st, slave, exe, sizeof(exe), &err), &err) < 0)
		stage_fail(st, err);
	/* From here on the container outlives husk: `create` returns once it has the pid. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (hk_sync_send(st->sock, SYNC_READY, 0, NULL, -1, &err) < 0)
		_exit(1);
	if (hk_plan_has(plan, HK_STEP_EXEC_STUB))
		hk_stage_exec_stub(st, exe);
	st->sock = hk_safe_close(st->sock);
	if (hk_plan_has(plan, HK_STEP_WAIT_START))
		wait_for_start(plan);
	unblock_signals();
	/* startContainer hooks run with the container's capabilities and under its filter, as
	 * runc's and crun's do (a profile that denies mkdir fails such a hook): loaded before
	 * them, else as the very last step before execve */
	if (!caps_and_filter_at_create(st) && HK_CHECKED(set_caps_and_filter(st, &err), &err) < 0)
		late_fail(st, err);
	if (hk_plan_has(plan, HK_STEP_START_HOOKS) &&
	    hk_hooks_run(&plan->config->hooks->start_container, "startContainer",
			 st->state_created ? st->state_created : "{}", &err) < 0)
		late_fail(st, err);
	execve(exe, plan->process->args.items, st->env);
	dprintf(STDERR_FILENO, "husk: exec \"%s\": %s\n", exe, strerror(errno));
	_exit(127);
}

/* ---- the parent ---- */

/* The cgroup joined first: stage 1 is born in the container's cgroup (clone3 with
 * CLONE_INTO_CGROUP on cgroup v2) or moves itself in before anything else (v1), so that its
 * children, pid 1 among them, start there and the cgroup namespace it makes is rooted at it.
 * Namespaces first: stage 1 stays in husk's cgroup and pid 1 goes in (clone_init). */
static pid_t fork_into_cgroup(const struct hk_spawn_plan *plan, bool *born_in)
{
	int dirfd = hk_plan_has(plan, HK_STEP_NAMESPACES_FIRST) || born_outside(plan)
			? -1
			: hk_cg_clone_fd(plan->cgroup);
	bool fall_back = true;
	pid_t pid = -1;

	*born_in = false;
	if (dirfd >= 0)
		pid = clone3_into_cgroup(dirfd, 0, born_in, &fall_back);
	return fall_back ? fork() : pid;
}

/* ONE_FORK: husk's children are born in the container's pid namespace until pid_ns_back, and
 * not dumpable (no process of the container may ptrace or open /proc/PID/{mem,exe} of husk's
 * code running among them, from its first instruction). *host: husk's own pid namespace. */
static int pid_ns_for_children(struct stage *st, int *host, int *dumpable, struct hk_err **err)
{
	int *ns = &st->ns_fds[OCI_NS_PID];

	*host = -1;
	*dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (*ns >= 0) {
		*host = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (*host < 0 || setns(*ns, CLONE_NEWPID) < 0)
			return hk_fail(err, errno, "join pid namespace");
		*ns = hk_safe_close(*ns);
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return hk_fail(err, errno, "prctl(PR_SET_DUMPABLE)");
	return 0;
}

/* Back to husk's own: a failure here would leave husk forking into the container. */
static int pid_ns_back(int host, int dumpable, struct hk_err **err)
{
	int ret = 0;

	if (host >= 0 && setns(host, CLONE_NEWPID) < 0)
		ret = hk_fail(err, errno, "return to husk's pid namespace");
	hk_safe_close(host);
	if (dumpable > 0)
		prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	return ret;
}

/* execCPUAffinity.initial holds for husk itself while it forks: stage 1 starts on those CPUs,
 * before the cgroup (clone3 places it there at birth). */
static pid_t fork_stage1(struct stage *st, struct hk_err **err)
{
	const struct hk_spawn_plan *plan = st->plan;
	bool one_fork = hk_plan_has(plan, HK_STEP_ONE_FORK);
	int host = -1, dumpable = -1, changed;
	struct hk_cpu_mask saved;
	pid_t pid;

	if (one_fork && pid_ns_for_children(st, &host, &dumpable, err) < 0) {
		pid_ns_back(host, dumpable, NULL);
		return -1;
	}
	changed = hk_cpu_affinity_initial(plan->process, &saved, err);
	if (changed < 0) {
		pid_ns_back(host, dumpable, NULL);
		return -1;
	}
	if (changed)
		hk_debug("process.execCPUAffinity.initial: stage 1 forked on CPUs %s",
			 plan->process->exec_cpu_affinity->initial);
	pid = fork_into_cgroup(plan, &st->in_cgroup);
	if (pid < 0)
		hk_fail(err, errno, "fork");
	if (pid == 0)
		return 0;
	if (changed)
		hk_cpu_affinity_restore(&saved);
	if (one_fork && pid_ns_back(host, dumpable, pid > 0 ? err : NULL) < 0 && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

struct parent {
	const struct hk_spawn_plan *plan;
	const struct hk_spawn_ops *ops;
	void *data;
	struct hk_spawn_result *out;
	int sock;
	pid_t stage1;
	int listener; /* the seccomp listener, handed over once the pid is known */
	bool listener_passed;
	bool ready, hooks_asked;
};

static int on_map_ids(struct parent *pa, struct hk_err **err)
{
	int ret = pa->ops->map_ids != NULL
		      ? pa->ops->map_ids(pa->stage1, pa->plan, pa->data, err)
		      : hk_idmap_write(pa->stage1, pa->plan->config->linux, err);

	return ret < 0 ? -1 : hk_sync_send(pa->sock, SYNC_IDS_MAPPED, 0, NULL, -1, err);
}

static int on_console(struct parent *pa, int fd, struct hk_err **err)
{
	int ret;

	if (pa->plan->console_socket == NULL) {
		pa->out->master = fd;
		return 0;
	}
	ret = hk_console_send(pa->plan->console_socket, fd, err);
	close(fd);
	return ret;
}

/* The parent's own steps once pid 1's namespaces exist. */
static int on_init_pid(struct parent *pa, struct hk_err **err)
{
	const struct hk_spawn_plan *plan = pa->plan;

	if (hk_plan_has(plan, HK_STEP_RDT) && hk_rdt_enter(plan->rdt, pa->out->pid, err) < 0)
		return -1;
	if (!hk_plan_has(plan, HK_STEP_NET_DEVICES))
		return 0;
	/* a partial move is undone too */
	if (hk_netdev_move_in(plan->config->linux, pa->out->pid, &pa->out->net_devices, err) < 0)
		return -1;
	return pa->ops->net_devices != NULL
		   ? pa->ops->net_devices(pa->out->net_devices, pa->data, err)
		   : 0;
}

/* One message; an fd it carries is owned from here on. */
static int on_message(struct parent *pa, const struct hk_sync_msg *msg, int fd, struct hk_err **err)
{
	const struct hk_spawn_ops *ops = pa->ops;

	if (fd >= 0 && msg->type != SYNC_CONSOLE && msg->type != SYNC_SECCOMP)
		close(fd);
	switch (msg->type) {
	case SYNC_MAP_IDS:
		return on_map_ids(pa, err);
	case SYNC_INIT_PID:
		hk_timeline(hk_plan_has(pa->plan, HK_STEP_STUB_CLONES)
				? "exec stub: the process cloned, in the cgroup, exec'd"
				: "stage 1: namespaces, cgroup, pid 1 cloned");
		pa->out->pid = hk_plan_has(pa->plan, HK_STEP_ONE_FORK) ? pa->stage1 : msg->value;
		if (ops->init_pid != NULL && ops->init_pid(pa->out->pid, pa->data, err) < 0)
			return -1;
		return on_init_pid(pa, err);
	case SYNC_ROOTFS_MOUNT:
		pa->out->rootfs_mount = strtoull(msg->text, NULL, 10);
		return ops->rootfs_mount != NULL
			   ? ops->rootfs_mount(pa->out->rootfs_mount, pa->data, err)
			   : 0;
	case SYNC_HOOKS:
		hk_timeline("stage 2: rootfs and mounts");
		pa->hooks_asked = true;
		return 0;
	case SYNC_CONSOLE:
		return on_console(pa, fd, err);
	case SYNC_SECCOMP:
		hk_safe_close(pa->listener);
		pa->listener = fd;
		return 0;
	case SYNC_READY:
		hk_timeline(hk_plan_has(pa->plan, HK_STEP_ROOTFS)
				? "stage 2: pivot_root, masks, process, capabilities, seccomp"
			    : hk_plan_has(pa->plan, HK_STEP_STUB_CLONES)
				? "stage 1: namespaces, process, capabilities, seccomp"
				: "stage 2: process, capabilities, seccomp");
		pa->ready = true;
		return 0;
	case SYNC_ERROR: /* the stage's text already names the reason; keep its errno */
		return hk_fail_as(err, msg->value, "%s", msg->text);
	default:
		return hk_fail(err, 0, "sync: unexpected message %u", msg->type);
	}
}

/* A notify listener goes to the agent the moment it and the pid are both known: stage 2 runs
 * under the filter from then on, and a call it makes that the filter sends to the agent (its
 * read of exec.fifo, a close) must find the agent holding the listener. */
static int pass_listener(struct parent *pa, struct hk_err **err)
{
	if (pa->listener < 0 || pa->listener_passed || pa->out->pid <= 0)
		return 0;
	if (pa->ops->listener == NULL)
		return hk_fail(err, 0, "linux.seccomp: a listener nobody takes");
	pa->listener_passed = true;
	return HK_CHECKED(pa->ops->listener(pa->listener, pa->out->pid, pa->data, err), err);
}

/* Stage 1 sends the pid and stage 2 sends READY, two processes on one socket: READY may come
 * first. Create is done only when both have arrived, or the record would lack the pid. The hooks
 * need the pid too: they run at whichever comes last. */
static int parent_loop(struct parent *pa, struct hk_err **err)
{
	while (!pa->ready || pa->out->pid <= 0) {
		struct hk_sync_msg msg;
		int fd = -1;

		if (hk_sync_recv(pa->sock, &msg, &fd, err) < 0 ||
		    HK_CHECKED(on_message(pa, &msg, fd, err), err) < 0)
			return -1;
		if (pa->hooks_asked && pa->out->pid > 0) {
			pa->hooks_asked = false;
			if (pa->ops->hooks != NULL &&
			    HK_CHECKED(pa->ops->hooks(pa->out->pid, pa->data, err), err) < 0)
				return -1;
			if (hk_sync_send(pa->sock, SYNC_HOOKS_DONE, 0, NULL, -1, err) < 0)
				return -1;
		}
		if (pass_listener(pa, err) < 0)
			return -1;
	}
	return 0;
}

/* CGROUP_ALONGSIDE: the cgroup is made while stage 1 makes the namespaces. On a failure stage 1
 * is killed (it waits for SYNC_CGROUP_MADE and has made nothing but namespaces); a stage 1 that
 * failed first finds no reader for the message, and parent_loop reads its error. */
static int cgroup_alongside(struct parent *pa, struct hk_err **err)
{
	if (!hk_plan_has(pa->plan, HK_STEP_CGROUP_ALONGSIDE))
		return 0;
	if (pa->ops->cgroup(pa->data, err) < 0) {
		kill(pa->stage1, SIGKILL);
		return -1;
	}
	hk_sync_send(pa->sock, SYNC_CGROUP_MADE, 0, NULL, -1, NULL);
	return 0;
}

void hk_spawn_plan_release(struct hk_spawn_plan *plan)
{
	plan->rootfs_fd = hk_safe_close(plan->rootfs_fd);
	plan->exec_fifo = hk_safe_close(plan->exec_fifo);
	plan->start_result = hk_safe_close(plan->start_result);
	plan->init_root = hk_safe_close(plan->init_root);
	plan->exec_stub = hk_safe_close(plan->exec_stub);
}

/* A failed spawn leaves nothing: its process, the rootfs bind, the pty. */
static void undo_spawn(const struct hk_spawn_plan *plan, struct hk_spawn_result *out)
{
	if (out->pid > 0)
		hk_netdev_return(out->net_devices, out->pid);
	free(out->net_devices);
	if (out->pid > 0) {
		kill(out->pid, SIGKILL);
		waitpid(out->pid, NULL, 0);
	}
	if (out->rootfs_mount != 0) {
		const struct oci_namespace *mnt = oci_config_namespace(plan->config, OCI_NS_MOUNT);

		hk_rootfs_release(out->rootfs_mount, plan->rootfs, mnt ? mnt->path : NULL, NULL);
	}
	hk_safe_close(out->master);
	*out = (struct hk_spawn_result){.pid = 0, .master = -1};
}

int hk_spawn(const struct hk_spawn_plan *plan, const struct hk_spawn_ops *ops, void *data,
	     struct hk_spawn_result *out, struct hk_err **err)
{
	struct stage st = {.plan = plan,
			   .husk = getpid(),
			   .memory_tasks = -1,
			   .lsm_attr = -1,
			   .host_proc = -1,
			   .cg_v2_procs = -1};
	struct parent pa = {.plan = plan, .ops = ops, .data = data, .out = out, .listener = -1};
	hk_cleanup_close_pair int socks[2] = {-1, -1};
	int ret;

	*out = (struct hk_spawn_result){.pid = 0, .master = -1};
	if (hk_stage_open_fds(&st, socks, err) < 0)
		return -1;
	pa.stage1 = fork_stage1(&st, err);
	if (pa.stage1 == 0) {
		socks[0] = hk_safe_close(socks[0]);
		stage1(&st);
	}
	/* the stages hold the other end: its end of file is theirs */
	socks[1] = hk_safe_close(socks[1]);
	hk_stage_close_fds(&st);
	if (pa.stage1 < 0)
		return -1;
	pa.sock = socks[0];
	ret = cgroup_alongside(&pa, err);
	if (ret == 0)
		ret = parent_loop(&pa, err);
	if (ret == 0 && hk_plan_has(plan, HK_STEP_EXEC_STUB))
		ret = HK_CHECKED(hk_sync_await_end(pa.sock, err), err);
	/* before the wait: a stage 1 still sending meets a closed socket, not a full one */
	socks[0] = hk_safe_close(socks[0]);
	pa.listener = hk_safe_close(pa.listener);
	if (!hk_plan_has(plan, HK_STEP_ONE_FORK))
		waitpid(pa.stage1, NULL, 0);
	else if (ret < 0)
		out->pid = pa.stage1; /* it is the process: undo_spawn kills and reaps it once */
	if (ret < 0)
		undo_spawn(plan, out);
	return ret;
}
