#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk_format.h"
#include "cgroup/cgroup.h"
#include "config.h"
#include "exe.h"
#include "fdio.h"
#include "log.h"
#include "plan.h"
#include "rootless.h"
#include "rdt.h"
#include "spawn.h"
#include "state.h"
#include "timeline.h"

struct exec_ctx {
	const struct hk_exec_opts *o;
	struct hk_container c;
	struct oci_config_doc config;	/* as create saw it: <state>/config.json */
	struct oci_process_doc process; /* --process */
	struct oci_arena *arena;	/* everything exec builds */
	int init;			/* pidfd of pid 1, whose namespaces are joined by path */
	char *process_text;		/* --process as read */
	size_t process_len;
	bool process_streamed; /* from a pipe or stdin: a sealed copy could not read it again */
};

/* A copy of n items with room for `spare` more and the NULL after them. */
static char **strv_dup(struct oci_arena *a, char **from, size_t n, size_t spare)
{
	char **to = oci_arena_array(a, n + spare + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < n; i++)
		to[i] = from[i];
	return to;
}

/* The container as create left it, if it can take a new process. */
static int load_container(struct exec_ctx *x, struct hk_err **err)
{
	enum oci_status status;

	if (hk_store_open(x->o->root, x->o->id, false, &x->c, err) < 0)
		return -1;
	status = hk_container_status(x->c.record);
	if (status == OCI_STATUS_PAUSED && !x->o->ignore_paused)
		return hk_fail(
		    err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
	if (status != OCI_STATUS_CREATED && status != OCI_STATUS_RUNNING &&
	    status != OCI_STATUS_PAUSED)
		return hk_fail(err, 0, "container \"%s\" is %s: container not running", x->o->id,
			       oci_name_of(&oci_statuses, (int)status));
	/* Held across the spawn: while it does not poll readable, pid 1 is alive and
	 * /proc/<pid>/ns names its namespaces, not those of a process that reused the pid. */
	x->init = hk_container_pidfd(x->c.record, err);
	if (x->init < 0)
		return -1;
	return hk_store_load_config(&x->c, &x->config, err);
}

static bool init_alive(const struct exec_ctx *x)
{
	struct pollfd p = {.fd = x->init, .events = POLLIN};

	return poll(&p, 1, 0) == 0;
}

static int read_process_file(struct exec_ctx *x, struct hk_err **err)
{
	const char *file = x->o->process_file;
	struct stat st;

	if (oci_read_input(file, OCI_CONFIG_MAX_BYTES, &x->process_text, &x->process_len, err) < 0)
		return hk_prefix(err, "invalid process");
	x->process_streamed = strcmp(file, "-") == 0
				  ? fstat(STDIN_FILENO, &st) < 0 || !S_ISREG(st.st_mode)
				  : stat(file, &st) < 0 || !S_ISREG(st.st_mode);
	if (oci_process_parse(x->process_text, x->process_len, "process.json", &x->process, err) <
	    0)
		return hk_prefix(err, "invalid process");
	return 0;
}

/* -e K=V replaces K's entry or adds one. */
static void set_env(struct oci_arena *a, struct oci_strv *env, const char *kv)
{
	size_t klen = strcspn(kv, "="), i;
	char **items;

	for (i = 0; i < env->len; i++)
		if (strncmp(env->items[i], kv, klen) == 0 && env->items[i][klen] == '=') {
			env->items[i] = (char *)kv;
			return;
		}
	items = strv_dup(a, env->items, env->len, 1);
	items[env->len++] = (char *)kv;
	env->items = items;
	env->set = true;
}

static int parse_id(const char *text, const char *flag, uint32_t *out, struct hk_err **err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (end == text || (*end && *end != ':') || errno || v > UINT32_MAX || text[0] == '-')
		return hk_fail(err, 0, "exec: %s: expected a number, got \"%s\"", flag, text);
	*out = (uint32_t)v;
	return 0;
}

static int set_user(struct exec_ctx *x, struct oci_process *p, struct hk_err **err)
{
	const struct hk_exec_opts *o = x->o;
	struct oci_user *u = oci_arena_alloc(x->arena, sizeof(*u));
	const char *colon;
	size_t n = 0, i;

	if (p->user != NULL)
		*u = *p->user;
	p->user = u;
	if (o->user != NULL) {
		if (parse_id(o->user, "--user", &u->uid.value, err) < 0)
			return -1;
		u->uid.set = true;
		colon = strchr(o->user, ':');
		if (colon != NULL && parse_id(colon + 1, "--user", &u->gid.value, err) < 0)
			return -1;
		u->gid.set |= colon != NULL;
	}
	while (o->additional_gids != NULL && o->additional_gids[n])
		n++;
	if (n == 0)
		return 0;
	u->additional_gids.items = oci_arena_array(x->arena, n, sizeof(uint32_t));
	for (i = 0; i < n; i++)
		if (parse_id(o->additional_gids[i], "--additional-gids",
			     &u->additional_gids.items[i], err) < 0)
			return -1;
	u->additional_gids.len = n;
	u->additional_gids.set = true;
	return 0;
}

static void add_cap(struct oci_arena *a, struct oci_strv *set, const char *name)
{
	size_t i;
	char **items;

	for (i = 0; i < set->len; i++)
		if (strcmp(set->items[i], name) == 0)
			return;
	items = strv_dup(a, set->items, set->len, 1);
	items[set->len++] = (char *)name;
	set->items = items;
	set->set = true;
}

/* -c CAP: into the bounding, effective and permitted sets, as runc does. */
static int add_caps(struct exec_ctx *x, struct oci_process *p, struct hk_err **err)
{
	struct oci_capabilities *caps;
	size_t i;

	if (x->o->caps == NULL || x->o->caps[0] == NULL)
		return 0;
	caps = oci_arena_alloc(x->arena, sizeof(*caps));
	if (p->capabilities != NULL)
		*caps = *p->capabilities;
	p->capabilities = caps;
	for (i = 0; x->o->caps[i]; i++) {
		const char *name = x->o->caps[i];

		if (oci_name_find(&oci_capabilities, name) == NULL)
			return hk_fail(err, 0, "exec: --cap: unknown capability \"%s\"", name);
		add_cap(x->arena, &caps->bounding, name);
		add_cap(x->arena, &caps->effective, name);
		add_cap(x->arena, &caps->permitted, name);
	}
	return 0;
}

/* The process: process.json as given, or the container's own with the command replaced; then
 * the flags on top. */
static int build_process(struct exec_ctx *x, struct oci_process **out, struct hk_err **err)
{
	const struct hk_exec_opts *o = x->o;
	struct oci_process *p = oci_arena_alloc(x->arena, sizeof(*p));
	size_t n = 0, i;

	if (o->process_file != NULL) {
		if (read_process_file(x, err) < 0)
			return -1;
		*p = *x->process.process;
	} else {
		while (o->args != NULL && o->args[n])
			n++;
		if (n == 0)
			return hk_fail(err, 0, "exec: give a command, or --process");
		*p = *x->config.config->process;
		p->args = (struct oci_strv){strv_dup(x->arena, o->args, n, 0), n, true};
		p->terminal = (struct oci_opt_bool){o->tty, true};
	}
	if (o->tty)
		p->terminal = (struct oci_opt_bool){true, true};
	if (o->cwd != NULL)
		p->cwd = (char *)o->cwd;
	p->env.items = strv_dup(x->arena, p->env.items, p->env.len, 0);
	for (i = 0; o->env != NULL && o->env[i]; i++)
		set_env(x->arena, &p->env, o->env[i]);
	if (o->no_new_privs)
		p->no_new_privileges = (struct oci_opt_bool){true, true};
	if (o->apparmor != NULL)
		p->apparmor_profile = (char *)o->apparmor;
	if (o->process_label != NULL)
		p->selinux_label = (char *)o->process_label;
	if (set_user(x, p, err) < 0 || add_caps(x, p, err) < 0 ||
	    hk_spawn_check_process(p, o->console_socket, err) < 0)
		return -1;
	*out = p;
	return 0;
}

/* Whether the hierarchy of key ("cpu,cpuacct") holds one of the controllers in list ("cpu,io"). */
static bool holds_controller(const char *key, const char *list, size_t list_len)
{
	char want[256], *save = NULL, *c;

	if (hk_format(want, sizeof(want), "%.*s", (int)list_len, list) < 0)
		return false;
	for (c = strtok_r(want, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save)) {
		const char *at = strstr(key, c);
		size_t n = strlen(c);

		for (; at != NULL; at = strstr(at + 1, c))
			if ((at == key || at[-1] == ',') && (at[n] == '\0' || at[n] == ','))
				return true;
	}
	return false;
}

/* --cgroup [CONTROLLER[,CONTROLLER]:]NAME, as runc takes it: NAME below the container's cgroup
 * in every hierarchy, or with controllers (cgroup v1) in theirs alone. */
static int sub_cgroup(struct hk_cgroup *cg, const char *arg, struct hk_err **err)
{
	const char *colon = strchr(arg, ':'), *name = colon ? colon + 1 : arg;
	size_t i, n = colon ? (size_t)(colon - arg) : 0, used = 0;

	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
		return hk_fail(err, 0, "exec: --cgroup: \"%s\" is not a sub cgroup path", arg);
	if (colon != NULL && cg->mode == HK_CG_V2)
		return hk_fail(err, 0, "exec: --cgroup: \"%s\": controllers are for cgroup v1",
			       arg);
	for (i = 0; i < cg->n; i++) {
		struct hk_cg_dir *d = &cg->dirs[i];
		size_t len = strlen(d->path);

		if (colon != NULL && !holds_controller(d->key, arg, n))
			continue;
		if (hk_format(d->path + len, sizeof(d->path) - len, "/%s", name) < 0)
			return hk_fail(err, ENAMETOOLONG, "exec: --cgroup: %s", arg);
		if (access(d->path, F_OK) < 0)
			return hk_fail(err, errno, "exec: --cgroup: %s", d->path);
		used++;
	}
	if (used > 0 && hk_cg_fill_cpusets(cg, err) < 0)
		return -1;
	return used > 0 ? 0
			: hk_fail(err, 0, "exec: --cgroup: \"%s\": no such controller here", arg);
}

/* The container's cgroup, or with --cgroup a sub-cgroup of it. */
static int join_cgroup(struct exec_ctx *x, struct hk_cgroup *cg, struct hk_err **err)
{
	const char *sub = x->o->cgroup;

	cg->n = 0;
	if (!x->c.record->cgroup_paths.len)
		return sub ? hk_fail(err, 0, "exec: --cgroup: the container has no cgroup") : 0;
	if (hk_cg_load(cg, &x->c.record->cgroup_paths, x->c.record->systemd_cgroup.value, err) < 0)
		return -1;
	return sub != NULL ? sub_cgroup(cg, sub, err) : 0;
}

/* The notify listener goes to the agent with the container's state as it is now. */
static int pass_listener_now(int fd, pid_t pid, void *data, struct hk_err **err)
{
	struct exec_ctx *x = data;
	struct oci_state state;

	hk_container_state_at(x->c.record,
			      oci_name_of(&oci_statuses, (int)hk_container_status(x->c.record)),
			      x->c.record->pid.value, &state);
	return hk_seccomp_send_listener(x->config.config->linux->seccomp, fd, pid, &state, err);
}

static const struct hk_spawn_ops exec_ops = {.listener = pass_listener_now};

static int open_init_root(pid_t pid, struct hk_err **err)
{
	char path[64];
	int fd;

	if (hk_format(path, sizeof(path), "/proc/%d/root", (int)pid) < 0)
		return hk_fail(err, errno, "/proc/%d/root", (int)pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? hk_fail(err, errno, "open %s", path) : fd;
}

/* argv with the word that holds --process's value ("-p", "X" or "--process=X") naming fd
 * instead (its text from a pipe or stdin, which the sealed copy could not read again). */
static char **argv_with_process_fd(struct exec_ctx *x, int fd)
{
	char *const *argv = x->o->reexec_argv;
	const char *file = x->o->process_file;
	size_t n = 0, i;
	char **out;

	while (argv[n] != NULL)
		n++;
	out = oci_arena_array(x->arena, n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		size_t len = strlen(argv[i]), at = (size_t)(file - argv[i]);
		char *word;

		out[i] = argv[i];
		if (file < argv[i] || file > argv[i] + len)
			continue;
		word = oci_arena_alloc(x->arena, at + 32);
		if (hk_format(word, at + 32, "%.*s/proc/self/fd/%d", (int)at, argv[i], fd) == 0)
			out[i] = word;
	}
	return out;
}

/* Goes on from a sealed copy of husk (a no-op when this is one), which reads the container and
 * the process again. */
static int reexec_sealed(struct exec_ctx *x, struct hk_err **err)
{
	hk_cleanup_close int fd = -1;

	if (!x->process_streamed || hk_exe_sealed())
		return hk_exe_reexec_sealed(x->o->reexec_argv, err);
	/* inherited by the copy (not close-on-exec): stage 1 closes it with husk's other fds */
	fd = hk_exe_sealed_memfd("husk-process", x->process_text, x->process_len, false);
	if (fd < 0)
		return hk_fail(err, errno, "exec: keep --process for husk's sealed copy");
	return hk_exe_reexec_sealed(argv_with_process_fd(x, fd), err);
}

/* CVE-2019-5736 (exe.h): the process comes out of the exec stub, and husk runs from its own file
 * once; or husk goes on from a sealed copy of itself, re-executed here (the copy reads the
 * container and the process again, and comes back here with the same answer). */
static int stub_or_sealed_copy(struct exec_ctx *x, const struct oci_process *p,
			       const struct hk_seccomp *filter, struct hk_spawn_plan *plan,
			       int *stub, struct hk_err **err)
{
	/* a sealed copy is what a way without the stub, or a failed stub (spawn_in), started */
	if (hk_exe_stub_built() && hk_host_root() &&
	    hk_plan_exec_stub_fits(x->config.config, p, filter) && !hk_exe_sealed()) {
		if ((*stub = hk_exe_stub_open(err)) < 0)
			return -1;
		plan->exec_stub = *stub;
		hk_plan_exec_stub(plan);
		return 0;
	}
	return x->o->reexec_argv != NULL ? reexec_sealed(x, err) : 0;
}

/* The plan joins every namespace of the container through its pid 1, runs p, and takes none of
 * create's steps (plan.c). */
static int spawn_in(struct exec_ctx *x, const struct oci_process *p, pid_t *pid, int *master,
		    struct hk_err **err)
{
	const struct oci_config *cfg = x->config.config;
	const struct hk_exec_opts *o = x->o;
	struct hk_spawn_result made = {.master = -1};
	struct hk_seccomp filter = {0};
	struct hk_cgroup cg = {0};
	struct hk_spawn_plan plan;
	struct hk_rdt rdt;
	hk_cleanup_close int init_root = -1, stub = -1;
	int ret;

	if (p->terminal.value && o->console_socket == NULL && !o->keep_terminal)
		return hk_fail(err, 0, "exec: a terminal needs --console-socket when detached");
	hk_plan_exec(&plan, cfg, p, x->c.record->pid.value, o->preserve_fds);
	plan.cgroup_best_effort = hk_rootless();
	/* ONE_FORK's way back to husk's own pid namespace needs CAP_SYS_ADMIN over it, which a
	 * husk inside a user namespace (rootless podman runs it in its own) does not have */
	if (!hk_host_root())
		plan.steps &= ~(unsigned)HK_STEP_ONE_FORK;
	if (join_cgroup(x, &cg, err) < 0 ||
	    hk_seccomp_prepare(cfg->linux ? cfg->linux->seccomp : NULL, o->root, &filter, err) < 0)
		return -1;
	hk_timeline("exec: cgroup and seccomp filter");
	if (stub_or_sealed_copy(x, p, &filter, &plan, &stub, err) < 0) {
		hk_seccomp_free(&filter);
		return -1;
	}
	if (hk_plan_has(&plan, HK_STEP_INIT_ROOT) &&
	    (init_root = open_init_root(x->c.record->pid.value, err)) < 0) {
		hk_seccomp_free(&filter);
		return -1;
	}
	plan.bundle = x->c.record->bundle;
	plan.rootfs = x->c.record->rootfs;
	plan.console_socket = o->console_socket;
	plan.init_root = init_root;
	plan.cgroup = cg.n ? &cg : NULL;
	plan.seccomp = &filter;
	if (x->c.record->rdt_dir != NULL) { /* exec's process joins the container's groups */
		hk_rdt_load(&rdt, x->c.record->rdt_dir, x->c.record->rdt_mon_dir, false);
		plan.rdt = &rdt;
	} else {
		plan.steps &= ~(unsigned)HK_STEP_RDT;
	}
	ret = hk_spawn(&plan, &exec_ops, x, &made, err);
	hk_seccomp_free(&filter);
	/* The stub could not clone the process: stage 1, born in the cgroup2 directory, took the
	 * last pid its pids.max allows. The sealed copy's way moves the process in instead, as
	 * runc's does (a move is not a fork). */
	if (ret < 0 && hk_plan_has(&plan, HK_STEP_STUB_CLONES) && (*err)->errnum == EAGAIN &&
	    x->o->reexec_argv != NULL) {
		hk_debug("exec: %s; again from the sealed copy", (*err)->msg);
		hk_err_freep(err);
		return reexec_sealed(x, err);
	}
	*pid = made.pid;
	*master = made.master;
	return ret;
}

int hk_container_exec(const struct hk_exec_opts *o, pid_t *pid, int *master, struct hk_err **err)
{
	struct exec_ctx x = {.o = o, .arena = oci_arena_new(), .init = -1};
	struct oci_process *p = NULL;
	int ret = -1;

	*pid = 0;
	*master = -1;
	x.c.dirfd = -1;
	hk_timeline("exec: begin (husk started)");
	if (load_container(&x, err) == 0) {
		hk_timeline("exec: record and saved config read");
		if (build_process(&x, &p, err) == 0) {
			hk_timeline("exec: the process (process.json or the command line)");
			ret = spawn_in(&x, p, pid, master, err);
		}
	}
	if (ret == 0 && !init_alive(&x)) { /* it may have joined a stranger's namespaces */
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		ret = hk_fail(err, 0, "container \"%s\": container not running", o->id);
	}
	x.init = hk_safe_close(x.init);
	if (x.c.dirfd >= 0)
		hk_container_close(&x.c);
	oci_config_doc_free(&x.config);
	oci_process_doc_free(&x.process);
	free(x.process_text);
	oci_arena_free(x.arena);
	return ret;
}
