/* The creation protocol, stage by stage, in the order it runs. */
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

#include "caps.h"
#include "fdio.h"
#include "hooks.h"
#include "idmap.h"
#include "log.h"
#include "lsm.h"
#include "mounts.h"
#include "namespaces.h"
#include "netlink.h"
#include "process.h"
#include "procfs.h"
#include "rootfs.h"
#include "sync.h"
#include "sysctl.h"
#include "terminal.h"

struct stage {
	struct hk_spawn *s;
	int sock; /* the child's end of the sync socketpair */
	int ns_fds[OCI_NS_COUNT];
	pid_t husk;	     /* the parent, to notice it dying */
	char *state_created; /* what startContainer hooks get */
	char **env;	     /* process.env, with HOME added when missing */
	bool in_cgroup; /* born in the container's cgroup (clone3); else stage 1 moves itself */
};

/* Fields libocispec knows that husk does not apply yet: refused, never silently dropped. */
int hk_spawn_check_unapplied(const struct oci_config *c, const struct oci_process *p,
			     struct hk_err **err)
{
	const struct oci_linux *l = c != NULL ? c->linux : NULL;
	const char *field = NULL;

	if (p != NULL && p->exec_cpu_affinity != NULL)
		field = "process.execCPUAffinity";
	else if (l != NULL && l->memory_policy != NULL)
		field = "linux.memoryPolicy";
	else if (l != NULL && l->net_devices.len > 0)
		field = "linux.netDevices";
	else if (l != NULL && l->intel_rdt != NULL)
		field = "linux.intelRdt";
	else if (l != NULL && l->personality != NULL && l->personality->flags.len > 0)
		field = "linux.personality.flags";
	if (field == NULL)
		return 0;
	return hk_fail(err, 0, "config.json: %s: not supported by this husk yet", field);
}

int hk_spawn_check(const struct oci_config *c, bool have_console, struct hk_err **err)
{
	if (c->process == NULL)
		return hk_fail(err, 0, "config.json: process: required to create a container");
	if (hk_spawn_check_unapplied(c, c->process, err) < 0)
		return -1;
	if (c->process->terminal.value && !have_console)
		return hk_fail(err, 0, "config.json: process.terminal needs --console-socket");
	if (hk_lsm_check(c, err) < 0)
		return -1;
	/* A new user namespace starts with a full bounding set of its own. */
	if (!oci_config_new_namespace(c, OCI_NS_USER) &&
	    hk_caps_check_available(c->process->capabilities, err) < 0)
		return -1;
	return hk_sysctl_check(c, err);
}

/* A stage reports its failure as text and exits; the parent prints it. */
static __attribute__((noreturn)) void stage_fail(struct stage *st, struct hk_err *err)
{
	hk_sync_send(st->sock, SYNC_ERROR, err ? err->errnum : 0, err ? err->msg : "failed", -1,
		     NULL);
	_exit(1);
}

/* ---- stage 2: the container's pid 1 ---- */

static int setup_uts(const struct oci_config *c, struct hk_err **err)
{
	if (c->hostname != NULL && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return hk_fail(err, errno, "hostname: sethostname \"%s\"", c->hostname);
	if (c->domainname != NULL && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		return hk_fail(err, errno, "domainname: setdomainname \"%s\"", c->domainname);
	return 0;
}

static int set_oom_score_adj(const struct oci_process *p, struct hk_err **err)
{
	char text[16];

	if (!p->oom_score_adj.set)
		return 0;
	snprintf(text, sizeof(text), "%d", p->oom_score_adj.value);
	if (hk_proc_write("self/oom_score_adj", text, err) < 0)
		return hk_prefix(err, "process.oomScoreAdj");
	return 0;
}

/* Mounts made, pivot_root still ahead: the parent runs prestart and createRuntime in husk's
 * namespaces, then this process runs createContainer in the container's mount namespace. Their
 * state says "creating"; startContainer's, made now while the host's /proc gives the host pid,
 * says "created". */
static int creation_hooks(struct stage *st, struct hk_err **err)
{
	const struct oci_hooks *h = st->s->config->hooks;
	struct hk_sync_msg msg;
	char self[32] = "";
	char *creating;
	int ret;

	if (h == NULL || st->s->record == NULL)
		return 0;
	if (h->prestart.len || h->create_runtime.len) {
		if (hk_sync_send(st->sock, SYNC_HOOKS, 0, NULL, -1, err) < 0 ||
		    hk_sync_expect(st->sock, SYNC_HOOKS_DONE, &msg, err) < 0)
			return -1;
	}
	if (readlink("/proc/self", self, sizeof(self) - 1) < 0)
		return hk_fail(err, errno, "hooks: read the host pid");
	creating = hk_container_state_json(st->s->record, "creating", atoi(self));
	st->state_created = hk_container_state_json(st->s->record, "created", atoi(self));
	if (creating == NULL || st->state_created == NULL)
		return hk_fail(err, ENOMEM, "hooks: state");
	ret = hk_hooks_run(&h->create_container, "createContainer", creating, err);
	free(creating);
	return ret;
}

/* process.terminal: a pty from the container's devpts; the master goes to the parent. */
static int open_terminal(struct stage *st, int rootfd, int *slave, struct hk_err **err)
{
	int master = -1, ret;

	if (!st->s->config->process->terminal.value)
		return 0;
	ret = hk_terminal_open(rootfd, st->s->config->process, &master, slave, err);
	if (ret == 0)
		ret = hk_sync_send(st->sock, SYNC_CONSOLE, 0, NULL, master, err);
	if (master >= 0)
		close(master);
	return ret;
}

/* process.cwd is made when missing, as root and before the rootfs may turn read-only, as runc
 * and crun do; exec's --cwd must exist. */
static int make_cwd(int rootfd, const struct oci_process *p, struct hk_err **err)
{
	int fd = -1;

	if (hk_root_open(rootfd, p->cwd, HK_CREATE_DIR, 0, &fd, err) < 0 &&
	    (*err)->errnum == ELOOP) {
		hk_err_freep(err);
		return hk_fail(err, 0, HK_CWD_MAGIC_LINK, p->cwd);
	} else if (fd < 0) {
		return hk_prefix(err, "process.cwd");
	}
	close(fd);
	return 0;
}

static int send_rootfs_mount(struct stage *st, unsigned long long id, struct hk_err **err)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu", id);
	return hk_sync_send(st->sock, SYNC_ROOTFS_MOUNT, 0, text, -1, err);
}

/* Everything that needs the host's view (the bundle, /proc of the host) happens before pivot. */
static int stage2_root(struct stage *st, int *slave, struct hk_err **err)
{
	const struct oci_config *c = st->s->config;
	unsigned long long mount_id = 0;
	int rootfd = -1, ret;

	if (oci_config_new_namespace(c, OCI_NS_NETWORK) && hk_netlink_loopback_up(err) < 0)
		return -1;
	if (setup_uts(c, err) < 0 || set_oom_score_adj(c->process, err) < 0)
		return -1;
	/* /proc/sys/net and the ipc keys follow the writer's namespaces, so the host's /proc
	 * reaches the container's own values, before readonlyPaths closes /proc/sys. */
	if (hk_sysctl_apply(c, err) < 0 || hk_lsm_set_exec_labels(c->process, err) < 0)
		return -1;
	ret = hk_rootfs_prepare(c, st->s->bundle, st->s->rootfs, st->s->rootfs_fd,
				oci_config_new_namespace(c, OCI_NS_USER), st->s->idmap_trees,
				st->s->cgroup, &rootfd, &mount_id, err);
	/* the parent undoes the rootfs bind if anything fails, this included */
	if (mount_id != 0 && send_rootfs_mount(st, mount_id, ret < 0 ? NULL : err) < 0 &&
	    ret == 0) {
		close(rootfd);
		return -1;
	}
	if (ret < 0)
		return -1;
	ret = creation_hooks(st, err);
	if (ret == 0)
		ret = make_cwd(rootfd, c->process, err);
	if (ret == 0)
		ret = open_terminal(st, rootfd, slave, err);
	if (ret == 0)
		ret = hk_rootfs_finish(c, rootfd, st->s->no_pivot, err);
	close(rootfd);
	return ret;
}

/* exec: the namespaces joined, setns put the process at the container's root already. */
static int stage2_join(struct stage *st, int *slave, struct hk_err **err)
{
	int rootfd, ret;

	if (hk_lsm_set_exec_labels(st->s->config->process, err) < 0)
		return -1;
	/* the namespace joined is not the container's own: its root is where pid 1 is chrooted */
	if (st->s->init_root >= 0 &&
	    (fchdir(st->s->init_root) < 0 || chroot(".") < 0 || chdir("/") < 0))
		return hk_fail(err, errno, "enter the container's root");
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hk_fail(err, errno, "open the container's root");
	ret = open_terminal(st, rootfd, slave, err);
	close(rootfd);
	return ret;
}

/* stdio belongs to the caller; files and pipes become the process user's where the kernel allows,
 * terminals and devices stay as they are (CONTRACT.md). */
static void chown_stdio(const struct oci_process *p)
{
	uid_t uid = p->user ? p->user->uid.value : 0;
	gid_t gid = p->user ? p->user->gid.value : 0;
	struct stat st;
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) == 0 && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) &&
		    (st.st_uid != uid || st.st_gid != gid))
			(void)fchown(fd, uid, gid); /* EPERM, EROFS: left as it is */
}

static bool has_filter(const struct stage *st)
{
	return st->s->seccomp != NULL && st->s->seccomp->insns != NULL;
}

/* A notify listener must reach the parent before `create` returns; every other filter goes in
 * just before execve. */
static bool filter_at_create(const struct stage *st)
{
	return has_filter(st) && st->s->seccomp->notify;
}

static int load_seccomp(struct stage *st, struct hk_err **err)
{
	int listener = -1, ret;

	if (!has_filter(st))
		return 0;
	if (hk_seccomp_load(st->s->seccomp, &listener, err) < 0)
		return -1;
	if (listener < 0)
		return 0;
	ret = hk_sync_send(st->sock, SYNC_SECCOMP, 0, NULL, listener, err);
	close(listener);
	return ret;
}

/* The capabilities and the filter, the last steps before execve. Nothing of husk's may run
 * under the filter but what the kernel forces (docs/design.md): with no_new_privs, nothing but
 * execve; without it, loading needs CAP_SYS_ADMIN, so the one capset that drops the
 * capabilities comes after it. */
static int set_caps_and_filter(struct stage *st, struct hk_err **err)
{
	const struct oci_capabilities *caps = st->s->config->process->capabilities;

	if (!has_filter(st) || st->s->config->process->no_new_privileges.value) {
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
	const struct oci_config *c = st->s->config;
	const struct oci_process *p = c->process;

	if (setsid() < 0)
		return hk_fail(err, errno, "setsid");
	if (slave >= 0 && hk_terminal_attach(slave, err) < 0)
		return -1;
	if (!st->s->no_new_keyring && !st->s->joining &&
	    syscall(SYS_keyctl, 1 /* JOIN_SESSION_KEYRING */, NULL) < 0 && errno != ENOSYS)
		return hk_fail(err, errno, "create a session keyring");
	if (hk_process_set_rlimits(p, err) < 0 || hk_process_set_scheduling(c, err) < 0)
		return -1;
	if (slave < 0)
		chown_stdio(p);
	st->env = hk_process_env(p);
	if (hk_process_set_ids(p, oci_config_namespace(c, OCI_NS_USER) != NULL, err) < 0)
		return -1;
	if (hk_process_enter_cwd(p, err) < 0 || hk_process_find_exec(p, exe, size, err) < 0)
		return -1;
	/* Only stdio and the preserved fds reach the program (CVE-2024-21626). */
	if (hk_close_range(3 + st->s->preserve_fds, ~0u, true) < 0)
		return hk_fail(err, errno, "close_range");
	return filter_at_create(st) ? set_caps_and_filter(st, err) : 0;
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
	if (st->s->start_result < 0 || write(st->s->start_result, err->msg, strlen(err->msg)) < 0)
		dprintf(STDERR_FILENO, "husk: %s\n", err->msg);
	_exit(1);
}

static __attribute__((noreturn)) void stage2(struct stage *st)
{
	struct hk_err *err = NULL;
	char exe[4096], byte;
	int slave = -1;
	ssize_t n;

	/* getppid() is 0 across the pid namespace: a dead husk shows as a failed send instead. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if ((st->s->joining ? stage2_join(st, &slave, &err) : stage2_root(st, &slave, &err)) < 0 ||
	    stage2_process(st, slave, exe, sizeof(exe), &err) < 0)
		stage_fail(st, err);
	/* From here on the container outlives husk: `create` returns once it has the pid. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (hk_sync_send(st->sock, SYNC_READY, 0, NULL, -1, &err) < 0)
		_exit(1);
	close(st->sock);
	if (st->s->exec_fifo >= 0) { /* create: wait for start */
		do
			n = read(st->s->exec_fifo, &byte, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(1);
		close(st->s->exec_fifo);
	}
	unblock_signals();
	if (st->s->config->hooks != NULL &&
	    hk_hooks_run(&st->s->config->hooks->start_container, "startContainer",
			 st->state_created ? st->state_created : "{}", &err) < 0)
		late_fail(st, err);
	if (!filter_at_create(st) && set_caps_and_filter(st, &err) < 0)
		late_fail(st, err);
	execve(exe, st->s->config->process->args.items, st->env);
	dprintf(STDERR_FILENO, "husk: exec \"%s\": %s\n", exe, strerror(errno));
	_exit(127);
}

/* ---- stage 1: namespaces ---- */

/* Closes every fd from `from` up but those in keep: nothing of husk's (the flock'ed state
 * directory above all) may live on in the container. */
static void close_fds_except(int from, const int *keep, size_t n)
{
	int lowest = from;

	for (;;) {
		int next = -1;
		size_t i;

		for (i = 0; i < n; i++)
			if (keep[i] >= lowest && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0) {
			hk_close_range(lowest, ~0u, false);
			return;
		}
		if (next > lowest)
			hk_close_range(lowest, (unsigned)next - 1, false);
		lowest = next + 1;
	}
}

static bool kept(int fd, const int *keep, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* husk's own fds may have taken numbers in the preserved range that the caller left free (the
 * flock'ed state directory would then block `start` from pid 1). The caller's fds survived its
 * execve, so they are the ones without FD_CLOEXEC; every fd of husk's has it. */
static void close_own_preserved(int preserve_fds, const int *keep, size_t n)
{
	int fd;

	for (fd = 3; fd < 3 + preserve_fds; fd++) {
		int flags = fcntl(fd, F_GETFD);

		if (flags >= 0 && (flags & FD_CLOEXEC) && !kept(fd, keep, n))
			close(fd);
	}
}

static int stage1_userns(struct stage *st, struct hk_err **err)
{
	struct hk_sync_msg msg;

	if (unshare(CLONE_NEWUSER) < 0)
		return hk_fail(err, errno, "create the user namespace");
	if (hk_sync_send(st->sock, SYNC_MAP_IDS, 0, NULL, -1, err) < 0 ||
	    hk_sync_expect(st->sock, SYNC_IDS_MAPPED, &msg, err) < 0)
		return -1;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return hk_fail(err, errno, "become root in the user namespace (is 0 mapped?)");
	return 0;
}

static __attribute__((noreturn)) void stage1(struct stage *st)
{
	const struct oci_config *c = st->s->config;
	int flags = hk_ns_new_flags(c) & ~CLONE_NEWUSER;
	struct hk_err *err = NULL;
	const char *failed = NULL;
	int *keep = calloc(OCI_NS_COUNT + 5 + c->mounts.len, sizeof(int));
	size_t nkeep = 0, i;
	pid_t pid;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != st->husk || keep == NULL)
		_exit(1);
	keep[nkeep++] = st->sock;
	keep[nkeep++] = st->s->exec_fifo;
	keep[nkeep++] = st->s->start_result;
	keep[nkeep++] = st->s->init_root;
	keep[nkeep++] = st->s->rootfs_fd;
	for (i = 0; i < OCI_NS_COUNT; i++)
		if (st->ns_fds[i] >= 0)
			keep[nkeep++] = st->ns_fds[i];
	for (i = 0; st->s->idmap_trees != NULL && i < c->mounts.len; i++)
		if (st->s->idmap_trees[i] >= 0)
			keep[nkeep++] = st->s->idmap_trees[i];
	close_fds_except(3 + st->s->preserve_fds, keep, nkeep);
	close_own_preserved(st->s->preserve_fds, keep, nkeep);
	free(keep);
	if (!st->in_cgroup && hk_cg_enter_self(st->s->cgroup, &failed) < 0) {
		hk_fail(&err, errno, "join cgroup %s", failed);
		stage_fail(st, err);
	}
	if (hk_ns_join(st->ns_fds, &err) < 0)
		stage_fail(st, err);
	hk_ns_close_paths(st->ns_fds);
	if (oci_config_new_namespace(c, OCI_NS_USER) && stage1_userns(st, &err) < 0)
		stage_fail(st, err);
	/* Not dumpable until the program's execve (which resets it): no process of the container
	 * may ptrace or open /proc/PID/{mem,exe,fd} of husk's code running among them. Once the
	 * maps are written (the parent writes them through this process's /proc). Pid 1 and exec's
	 * process inherit it from here. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		hk_fail(&err, errno, "prctl(PR_SET_DUMPABLE)");
		stage_fail(st, err);
	}
	if (unshare(flags) < 0) {
		hk_fail(&err, errno, "create namespaces (flags 0x%x)", flags);
		stage_fail(st, err);
	}
	if (hk_ns_write_time_offsets(c->linux, &err) < 0)
		stage_fail(st, err);
	/* CLONE_PARENT: pid 1 is husk's child, so `run` waits for it and create's caller inherits
	 * it when husk exits. */
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		hk_fail(&err, errno, "clone the container's init");
		stage_fail(st, err);
	}
	if (pid == 0)
		stage2(st);
	hk_sync_send(st->sock, SYNC_INIT_PID, pid, NULL, -1, NULL);
	_exit(0);
}

/* ---- the parent ---- */

/* Stage 1 is born in the container's cgroup (clone3 with CLONE_INTO_CGROUP on cgroup v2) or
 * moves itself in before anything else (v1): its children, pid 1 among them, start there, and the
 * cgroup namespace pid 1 makes is rooted at it. */
static pid_t fork_into_cgroup(const struct hk_cgroup *cg, bool *born_in)
{
	int dirfd = hk_cg_v2_dirfd(cg);
	pid_t pid;

	*born_in = false;
	if (dirfd >= 0) {
		struct clone_args args = {
		    .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (unsigned)dirfd};

		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		if (pid == 0) {
			*born_in = true; /* the child's copy of the flag */
			return 0;
		}
		close(dirfd);
		/* a kernel or a seccomp filter without clone3: stage 1 moves itself in */
		if (pid > 0 ||
		    (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EPERM))
			return pid;
	}
	return fork();
}

/* Stage 1 sends the pid and stage 2 sends READY, two processes on one socket: READY may come
 * first. Create is done only when both have arrived, or the record would lack the pid. */
static int parent_loop(struct hk_spawn *s, int sock, pid_t stage1_pid, struct hk_err **err)
{
	bool ready = false, hooks_asked = false;

	while (!ready || s->pid <= 0) {
		struct hk_sync_msg msg;
		int fd = -1, ret = 0;

		if (hk_sync_recv(sock, &msg, &fd, err) < 0)
			return -1;
		switch (msg.type) {
		case SYNC_MAP_IDS:
			if (hk_ns_write_id_maps(stage1_pid, s->config->linux, err) < 0)
				return -1;
			ret = hk_sync_send(sock, SYNC_IDS_MAPPED, 0, NULL, -1, err);
			break;
		case SYNC_INIT_PID:
			s->pid = msg.value;
			ret = s->on_pid != NULL ? s->on_pid(s->pid, s->data, err) : 0;
			break;
		case SYNC_CONSOLE:
			if (s->console_socket != NULL) {
				ret = hk_console_send(s->console_socket, fd, err);
				close(fd);
			} else {
				s->master = fd;
			}
			break;
		case SYNC_ROOTFS_MOUNT:
			s->rootfs_mount = strtoull(msg.text, NULL, 10);
			break;
		case SYNC_HOOKS:
			hooks_asked = true;
			break;
		case SYNC_SECCOMP:
			if (s->listener >= 0)
				close(s->listener);
			s->listener = fd;
			break;
		case SYNC_READY:
			ready = true;
			break;
		case SYNC_ERROR: /* the stage's text already names the reason; keep its errno */
			return hk_fail_as(err, msg.value, "%s", msg.text);
		default:
			return hk_fail(err, 0, "sync: unexpected message %u", msg.type);
		}
		/* the hooks need the pid, which comes from another process: whichever is last */
		if (ret == 0 && hooks_asked && s->pid > 0) {
			hooks_asked = false;
			ret = s->on_hooks != NULL ? s->on_hooks(s->pid, s->data, err) : 0;
			if (ret == 0)
				ret = hk_sync_send(sock, SYNC_HOOKS_DONE, 0, NULL, -1, err);
		}
		if (ret < 0)
			return -1;
	}
	return 0;
}

int hk_spawn(struct hk_spawn *s, struct hk_err **err)
{
	struct stage st = {.s = s, .husk = getpid()};
	pid_t stage1_pid;
	int socks[2], ret;

	s->pid = 0;
	s->rootfs_mount = 0;
	s->master = -1;
	s->listener = -1;
	if (hk_idmap_prepare(s->config, s->bundle, &s->idmap_trees, err) < 0)
		return -1;
	if (hk_ns_open_paths(s->config, st.ns_fds, err) < 0) {
		hk_idmap_close(s->config, s->idmap_trees);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
		hk_ns_close_paths(st.ns_fds);
		hk_idmap_close(s->config, s->idmap_trees);
		return hk_fail(err, errno, "socketpair");
	}
	st.sock = socks[1];
	stage1_pid = fork_into_cgroup(s->cgroup, &st.in_cgroup);
	if (stage1_pid == 0) {
		close(socks[0]);
		stage1(&st);
	}
	close(socks[1]);
	hk_ns_close_paths(st.ns_fds);
	hk_idmap_close(s->config, s->idmap_trees);
	s->idmap_trees = NULL;
	if (stage1_pid < 0) {
		close(socks[0]);
		return hk_fail(err, errno, "fork");
	}
	ret = parent_loop(s, socks[0], stage1_pid, err);
	close(socks[0]);
	if (ret == 0 && s->listener >= 0)
		ret = s->on_listener != NULL
			  ? s->on_listener(s->listener, s->pid, s->data, err)
			  : hk_fail(err, 0, "linux.seccomp: a listener nobody takes");
	if (s->listener >= 0)
		close(s->listener);
	waitpid(stage1_pid, NULL, 0);
	if (ret < 0 && s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	if (ret < 0 && s->rootfs_mount != 0) {
		const struct oci_namespace *mnt = oci_config_namespace(s->config, OCI_NS_MOUNT);

		hk_rootfs_release(s->rootfs_mount, s->rootfs, mnt ? mnt->path : NULL, NULL);
		s->rootfs_mount = 0;
	}
	if (ret < 0 && s->master >= 0) {
		close(s->master);
		s->master = -1;
	}
	return ret;
}
