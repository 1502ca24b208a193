#include "container.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "config.h"
#include "exe.h"
#include "hk_format.h"
#include "hk_seccomp.h"
#include "fdio.h"
#include "hooks.h"
#include "inroot.h"
#include "log.h"
#include "netdev.h"
#include "notify.h"
#include "rdt.h"
#include "rootfs.h"
#include "container_lost.h"
#include "container_steps.h"
#include "spawn.h"
#include "state.h"
#include "timeline.h"

#define EXEC_FIFO  "exec.fifo"
#define START_FIFO "start.fifo"

int hk_write_pid_file(const char *path, pid_t pid, struct hk_err **err)
{
	char text[16];

	if (hk_format(text, sizeof(text), "%d", (int)pid) < 0)
		return hk_fail(err, errno, "pid file %s", path);
	if (hk_write_file_atomic(path, text, strlen(text), 0644, err) < 0)
		return hk_prefix(err, "pid file");
	return 0;
}

/* The name /etc/passwd gives uid, as runc reads it for its owner, else the number: no NSS on
 * every create (nsswitch.conf, two nscd connects, and the libc pages they touch: about 70 KB
 * of peak RSS). */
char *hk_owner_name(uid_t uid, struct oci_arena *arena)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024], num[16];
	bool at_start = true;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *name_end = strchr(line, ':'), *id = NULL, *end;
		bool whole = at_start;
		unsigned long value;

		at_start = strchr(line, '\n') != NULL; /* the rest of a longer line is skipped */
		if (whole && name_end != NULL && name_end != line)
			id = strchr(name_end + 1, ':');
		if (id == NULL || !isdigit((unsigned char)id[1]))
			continue;
		value = strtoul(id + 1, &end, 10);
		if (*end == ':' && value == uid) {
			*name_end = '\0';
			fclose(f);
			return oci_arena_strdup(arena, line);
		}
	}
	if (f != NULL)
		fclose(f);
	return hk_format(num, sizeof(num), "%u", uid) == 0 ? oci_arena_strdup(arena, num) : NULL;
}

/* One create, in the order it runs; undo_create removes what exists of it. */
struct creating {
	const struct hk_create_opts *o;
	const struct oci_config *cfg;
	struct oci_arena *arena;
	struct hk_container c;
	struct hk_cgroup cgroup;
	struct hk_seccomp filter;
	struct hk_spawn_plan plan;
	struct hk_spawn_result made;
	struct hk_rdt rdt;
	char created[48];		/* the record's strings stay ours until the end */
	bool stored, in_cgroup, in_rdt; /* the state directory, the cgroup, the resctrl group */
	bool born;			/* pid 1 existed (a failure then runs poststop) */
	unsigned long long ooms_before; /* the cgroup's OOM kills before pid 1 (memory limit) */
};

/* The notify listener goes to the agent with the state as it is now: creating, with the pid. */
static int pass_listener_creating(int fd, pid_t pid, void *data, struct hk_err **err)
{
	struct creating *cr = data;
	struct oci_state state;

	hk_container_state_at(cr->c.record, "creating", pid, &state);
	return hk_seccomp_send_listener(cr->cfg->linux->seccomp, fd, pid, &state, err);
}

static int run_hooks(const struct hk_record *r, const oci_hook_list *hooks, const char *kind,
		     const char *status, pid_t pid, struct hk_err **err)
{
	char *state;
	int ret;

	if (hooks->len == 0)
		return 0;
	state = hk_container_state_json(r, status, pid);
	if (state == NULL)
		return hk_fail(err, ENOMEM, "hooks: state");
	ret = hk_hooks_run(hooks, kind, state, err);
	free(state);
	return ret;
}

/* prestart and createRuntime, in husk's namespaces: the mounts exist, pivot_root is still
 * ahead. prestart's state says "created", as crun's does (the table in docs/design.md);
 * createRuntime's "creating". */
static int runtime_hooks(pid_t pid, void *data, struct hk_err **err)
{
	struct creating *cr = data;
	const struct oci_hooks *h = cr->cfg->hooks;

	if (run_hooks(cr->c.record, &h->prestart, "prestart", "created", pid, err) < 0)
		return -1;
	return run_hooks(cr->c.record, &h->create_runtime, "createRuntime", "creating", pid, err);
}

/* The pid reaches the record the moment it is known: a create killed after this leaves a record
 * that `delete --force` can act on. */
static int record_pid(pid_t pid, void *data, struct hk_err **err)
{
	struct hk_container *c = &((struct creating *)data)->c;

	((struct creating *)data)->born = true;
	c->record->pid = (struct oci_opt_i32){pid, true};
	c->record->pid_start_time = (struct oci_opt_u64){hk_pid_start_time(pid), true};
	return hk_store_save(c, err);
}

/* The rootfs is opened once, here, its last component no symlink (runc refuses a symlinked
 * root): a link swapped in during create cannot lead the rootfs's dev, proc and sys elsewhere.
 * Its path for the record is the fd's, and stage 2 checks it finds that same directory. */
int hk_resolve_rootfs(const char *bundle_arg, const struct oci_config *cfg, char *bundle,
		      char *rootfs, int *rootfs_fd, struct hk_err **err)
{
	char joined[PATH_MAX * 2], link[64];
	ssize_t n;

	if (realpath(bundle_arg ? bundle_arg : ".", bundle) == NULL)
		return hk_fail(err, errno, "bundle %s", bundle_arg ? bundle_arg : ".");
	if ((cfg->root->path[0] == '/'
		 ? hk_format(joined, sizeof(joined), "%s", cfg->root->path)
		 : hk_path_join(joined, sizeof(joined), bundle, cfg->root->path)) < 0)
		return hk_fail(err, errno, "config.json: root.path: %s", cfg->root->path);
	*rootfs_fd = open(joined, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*rootfs_fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
		struct stat st;
		bool link = lstat(joined, &st) == 0 && S_ISLNK(st.st_mode);

		return hk_fail(err, link ? ELOOP : ENOTDIR, "config.json: root.path: %s%s", joined,
			       link ? " is a symlink: refused" : "");
	}
	if (*rootfs_fd < 0)
		return hk_fail(err, errno, "config.json: root.path: %s", joined);
	hk_fd_path(*rootfs_fd, link);
	n = readlink(link, rootfs, PATH_MAX - 1);
	if (n <= 0) {
		*rootfs_fd = hk_safe_close(*rootfs_fd);
		return hk_fail(err, errno, "config.json: root.path: %s", joined);
	}
	rootfs[n] = '\0';
	return 0;
}

/* With startContainer hooks, pid 1 reports their failure to `start` through start.fifo; its fd
 * closes on execve, which `start` reads as success. */
static int start_fifo(const struct hk_container *c, const struct oci_config *cfg, int *fd,
		      struct hk_err **err)
{
	char path[PATH_MAX + 16];

	if (cfg->hooks == NULL || cfg->hooks->start_container.len == 0)
		return 0;
	if (hk_path_join(path, sizeof(path), c->path, START_FIFO) < 0 || mkfifo(path, 0600) < 0 ||
	    (*fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return hk_fail(err, errno, "create %s", path);
	return 0;
}

/* The second half of hk_container_make_cgroup, on a cgroup hk_cg_prepare resolved. */
static int make_prepared_cgroup(struct hk_container *c, const struct oci_config *cfg, bool systemd,
				struct hk_cgroup *cg, struct hk_err **err)
{
	const struct oci_scheduler *sched = cfg->process ? cfg->process->scheduler : NULL;
	const struct oci_cpu *cpu =
	    cfg->linux && cfg->linux->resources ? cfg->linux->resources->cpu : NULL;

	if (hk_cg_make(cg, cfg->linux, systemd, err) < 0)
		return -1;
	c->record->systemd_cgroup = (struct oci_opt_bool){systemd, systemd};
	if (sched != NULL &&
	    (sched->policy.value == SCHED_FIFO || sched->policy.value == SCHED_RR) &&
	    (cpu == NULL || !cpu->realtime_runtime.value) &&
	    hk_cg_grant_realtime(cg, oci_name_of(&oci_sched_policies, sched->policy.value), err) <
		0) {
		hk_cg_destroy(cg, NULL);
		return -1;
	}
	c->record->cgroup_path = cfg->linux ? cfg->linux->cgroups_path : NULL;
	c->record->cgroup_shared = (struct oci_opt_bool){cg->shared, cg->shared};
	hk_cg_record(cg, c->arena, &c->record->cgroup_paths);
	if (hk_store_save(c, err) == 0)
		return 0;
	hk_cg_destroy(cg, NULL);
	return -1;
}

/* The cgroup exists, with its limits, before any process of the container: its directories go
 * into the record first, so that a create interrupted from here on leaves nothing `delete`
 * cannot find. */
int hk_container_make_cgroup(struct hk_container *c, const struct oci_config *cfg, bool systemd,
			     struct hk_cgroup *cg, struct hk_err **err)
{
	if (hk_cg_prepare(cg, cfg->linux, c->record->id, systemd, err) < 0)
		return -1;
	return make_prepared_cgroup(c, cfg, systemd, cg, err);
}

/* Without a mount namespace of its own the container's mounts live in a namespace that outlives
 * it, under one bind of the rootfs: delete detaches it by the id kept here, recorded as soon as
 * it exists. */
static const char *joined_mount_ns(const struct oci_config *cfg)
{
	const struct oci_namespace *mnt = oci_config_namespace(cfg, OCI_NS_MOUNT);

	return mnt != NULL ? mnt->path : NULL;
}

static int record_rootfs_mount(unsigned long long id, void *data, struct hk_err **err)
{
	struct creating *cr = data;

	cr->c.record->rootfs_mount_id = (struct oci_opt_u64){id, true};
	cr->c.record->rootfs_mount_ns = (char *)joined_mount_ns(cr->cfg);
	return hk_store_save(&cr->c, err); /* on failure, the spawn's undo detaches it */
}

/* What went in, by what it is, reaches the record before anything of the container's runs: the
 * container can rename and replace its devices, delete returns only these. */
static int record_net_devices(const struct hk_netdev_set *moved, void *data, struct hk_err **err)
{
	struct creating *cr = data;

	hk_netdev_record(moved, cr->arena, &cr->c.record->net_devices_moved);
	return hk_store_save(&cr->c, err);
}

static int make_cgroup_step(void *data, struct hk_err **err);

static const struct hk_spawn_ops create_ops = {
    .cgroup = make_cgroup_step,
    .init_pid = record_pid,
    .net_devices = record_net_devices,
    .rootfs_mount = record_rootfs_mount,
    .hooks = runtime_hooks,
    .listener = pass_listener_creating,
};

/* The directories the cgroup will have, in the first record, before any is made: a create
 * killed between their mkdir and the save of cgroupPaths leaves nothing `delete` cannot find. */
static void record_intent(struct creating *cr, struct hk_record *rec)
{
	struct hk_cgroup planned;

	if (!cr->o->systemd_cgroup && hk_cg_plan(&planned, cr->cfg->linux, cr->o->id, NULL) == 0 &&
	    planned.n > 0)
		hk_cg_record(&planned, cr->arena, &rec->cgroup_intent);
}

static int store_container(struct creating *cr, const char *bundle, const char *rootfs,
			   struct hk_err **err)
{
	const struct oci_config *cfg = cr->cfg;
	const struct oci_hooks *h = cfg->hooks;
	struct hk_record rec = {
	    .oci_version = cfg->oci_version,
	    .id = (char *)cr->o->id,
	    .bundle = (char *)bundle,
	    .rootfs = (char *)rootfs,
	    .annotations = cfg->annotations,
	    .owner = hk_owner_name(geteuid(), cr->arena),
	    .created = cr->created,
	    .late_hooks = {h != NULL && (h->poststart.len || h->poststop.len), true}};

	hk_rfc3339_now(cr->created, sizeof(cr->created));
	record_intent(cr, &rec);
	if (hk_store_create(cr->o->root, &rec, &cr->c, err) < 0)
		return -1;
	cr->stored = true;
	return hk_store_save_config(&cr->c, cfg, err);
}

/* pid 1 blocks on exec.fifo until `start` writes it. */
static int exec_fifo(const struct hk_container *c, int *fd, struct hk_err **err)
{
	char path[PATH_MAX + 16];

	if (hk_path_join(path, sizeof(path), c->path, EXEC_FIFO) < 0 || mkfifo(path, 0600) < 0 ||
	    (*fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return hk_fail(err, errno, "create %s", path);
	return 0;
}

/* linux.intelRdt: the resctrl groups exist, in the record, before any process. */
static int make_rdt_group(struct creating *cr, struct hk_err **err)
{
	const struct oci_intel_rdt *r = cr->cfg->linux ? cr->cfg->linux->intel_rdt : NULL;
	struct hk_record *rec = cr->c.record;
	char root[PATH_MAX];

	if (r == NULL)
		return 0;
	if (hk_rdt_root(root, sizeof(root), err) < 0 ||
	    hk_rdt_prepare(root, r, rec->id, &cr->rdt, err) < 0)
		return -1;
	cr->in_rdt = true;
	cr->plan.rdt = &cr->rdt;
	rec->rdt_dir = cr->rdt.dir;
	rec->rdt_mon_dir = cr->rdt.mon[0] ? cr->rdt.mon : NULL;
	rec->rdt_made_dir = (struct oci_opt_bool){cr->rdt.made_dir, cr->rdt.made_dir};
	return hk_store_save(&cr->c, err);
}

/* The config's memory limit, or NULL: what a setup can run out of. */
static const struct oci_memory *memory_limit_of(const struct oci_config *cfg)
{
	const struct oci_memory *m =
	    cfg->linux && cfg->linux->resources ? cfg->linux->resources->memory : NULL;

	return m != NULL && m->limit.set ? m : NULL;
}

/* Under a memory limit too low for the setup itself, the kernel kills pid 1 (or refuses it a
 * charge) before it is ready, and the stages could only say that it went: say why instead. */
static void explain_oom(const struct creating *cr, unsigned long long ooms_before,
			struct hk_err **err)
{
	const struct oci_memory *m = memory_limit_of(cr->cfg);

	if (m == NULL || *err == NULL || !cr->in_cgroup ||
	    (hk_cg_oom_count(&cr->cgroup) <= ooms_before && (*err)->errnum != ENOMEM))
		return;
	hk_err_freep(err);
	hk_fail_as(err, ENOMEM,
		   "linux.resources.memory.limit: %lld bytes is too low to set the container up: "
		   "the kernel's OOM killer killed its init before it was ready",
		   (long long)m->limit.value);
}

/* The container's cgroup and resctrl group, and the OOM count before anything runs there:
 * before the spawn, or from within it while stage 1 makes the namespaces (CGROUP_ALONGSIDE). */
static int make_cgroup_step(void *data, struct hk_err **err)
{
	struct creating *cr = data;

	if (HK_CHECKED(
		make_prepared_cgroup(&cr->c, cr->cfg, cr->o->systemd_cgroup, &cr->cgroup, err),
		err) < 0)
		return -1;
	cr->in_cgroup = true;
	if (HK_CHECKED(make_rdt_group(cr, err), err) < 0)
		return -1;
	cr->ooms_before = memory_limit_of(cr->cfg) ? hk_cg_oom_count(&cr->cgroup) : 0;
	hk_timeline(hk_plan_has(&cr->plan, HK_STEP_CGROUP_ALONGSIDE)
			? "cgroup (while stage 1 makes the namespaces)"
			: "cgroup");
	return 0;
}

/* Each step adds one thing that undo_create removes. */
static int create_steps(struct creating *cr, const char *bundle, const char *rootfs,
			struct hk_err **err)
{
	const struct hk_create_opts *o = cr->o;
	struct hk_spawn_plan *plan = &cr->plan;
	int ret;

	if (HK_CHECKED(store_container(cr, bundle, rootfs, err), err) < 0 ||
	    HK_CHECKED(hk_notify_make(cr->c.path, err), err) < 0 ||
	    HK_CHECKED(exec_fifo(&cr->c, &plan->exec_fifo, err), err) < 0 ||
	    HK_CHECKED(start_fifo(&cr->c, cr->cfg, &plan->start_result, err), err) < 0)
		return -1;
	if (hk_plan_has(plan, HK_STEP_EXEC_STUB) && (plan->exec_stub = hk_exe_stub_open(err)) < 0)
		return -1;
	hk_timeline("state (record, saved config, fifos)");
	if (HK_CHECKED(hk_seccomp_prepare(cr->cfg->linux ? cr->cfg->linux->seccomp : NULL, o->root,
					  &cr->filter, err),
		       err) < 0)
		return -1;
	hk_timeline("seccomp filter (compiled or from the cache)");
	if (HK_CHECKED(hk_cg_prepare(&cr->cgroup, cr->cfg->linux, o->id, o->systemd_cgroup, err),
		       err) < 0 ||
	    (!hk_plan_has(plan, HK_STEP_CGROUP_ALONGSIDE) && make_cgroup_step(cr, err) < 0))
		return -1;
	plan->bundle = bundle;
	plan->rootfs = rootfs;
	plan->console_socket = o->console_socket;
	plan->cgroup = &cr->cgroup;
	plan->seccomp = &cr->filter;
	plan->record = cr->c.record;
	ret = HK_CHECKED(hk_spawn(plan, &create_ops, cr, &cr->made, err), err);
	hk_cg_settled(&cr->cgroup);
	if (ret < 0) {
		explain_oom(cr, cr->ooms_before, err);
		return -1;
	}
	hk_timeline("ready: pid 1 waits for start");
	if (o->pidfd_socket != NULL && hk_pidfd_send(o->pidfd_socket, cr->made.pid, err) < 0)
		return -1;
	return o->pid_file != NULL ? hk_write_pid_file(o->pid_file, cr->made.pid, err) : 0;
}

static void run_poststop(const struct hk_record *r, const struct oci_config *cfg);

/* What a failed create made, last first; once pid 1 existed, the container is destroyed as the
 * spec's lifecycle says after a failure (steps 12 and 13): poststop runs too, as with runc. */
static void undo_create(struct creating *cr)
{
	hk_cleanup_err struct hk_err *ignored = NULL;

	if (cr->made.pid > 0)
		hk_netdev_return(cr->made.net_devices, cr->made.pid);
	free(cr->made.net_devices);
	if (cr->made.pid > 0) { /* the spawn undid itself; this is a step after it */
		kill(cr->made.pid, SIGKILL);
		waitpid(cr->made.pid, NULL, 0);
	}
	if (cr->made.rootfs_mount != 0)
		hk_rootfs_release(cr->made.rootfs_mount, cr->plan.rootfs, joined_mount_ns(cr->cfg),
				  &ignored);
	hk_safe_close(cr->made.master);
	cr->made = (struct hk_spawn_result){.pid = 0, .master = -1};
	if (cr->in_rdt)
		hk_rdt_remove(&cr->rdt, &ignored);
	if (cr->in_cgroup)
		hk_cg_destroy(&cr->cgroup, &ignored);
	if (cr->born)
		run_poststop(cr->c.record, cr->cfg);
	if (cr->stored)
		hk_store_remove(&cr->c, &ignored);
}

static int create_in_store(const struct hk_create_opts *o, const struct oci_config *cfg, bool stub,
			   const char *bundle, const char *rootfs, int rootfs_fd, pid_t *pid,
			   int *master, struct hk_err **err)
{
	struct creating cr = {.o = o, .cfg = cfg, .arena = oci_arena_new(), .c = {.dirfd = -1}};
	struct hk_plan_create_opts po = {.preserve_fds = o->listen_fds + o->preserve_fds,
					 .no_pivot = o->no_pivot,
					 .no_new_keyring = o->no_new_keyring,
					 .cgroup_in_spawn = !o->systemd_cgroup,
					 .exec_stub = stub};
	int ret;

	hk_plan_create(&cr.plan, cfg, &po);
	cr.plan.rootfs_fd = rootfs_fd;
	cr.made.master = -1;
	ret = create_steps(&cr, bundle, rootfs, err);
	if (ret < 0) {
		hk_timeline_failed("create");
		undo_create(&cr);
	}
	cr.plan.rootfs_fd = -1; /* the caller's */
	hk_spawn_plan_release(&cr.plan);
	hk_seccomp_free(&cr.filter);
	*pid = cr.made.pid;
	*master = cr.made.master;
	free(cr.made.net_devices);
	hk_container_close(&cr.c);
	oci_arena_free(cr.arena);
	return ret;
}

/* LISTEN_FDS=N and LISTEN_PID=1 replace whatever the config says: the fds are passed first. */
static void set_listen_env(struct oci_config_doc *doc, int listen_fds)
{
	struct oci_strv *env = &doc->config->process->env;
	char **items = oci_arena_array(doc->arena, env->len + 3, sizeof(char *));
	char text[32];
	size_t i, n = 0;

	for (i = 0; i < env->len; i++)
		if (strncmp(env->items[i], "LISTEN_FDS=", 11) &&
		    strncmp(env->items[i], "LISTEN_PID=", 11))
			items[n++] = env->items[i];
	if (hk_format(text, sizeof(text), "LISTEN_FDS=%d", listen_fds) == 0)
		items[n++] = oci_arena_strdup(doc->arena, text);
	items[n++] = "LISTEN_PID=1";
	items[n] = NULL;
	env->items = items;
	env->len = n;
	env->set = true;
}

/* NOTIFY_SOCKET: the mount of <root>/<id>/notify (an absolute path) and the env. */
static int notify_configure(const struct hk_create_opts *o, struct oci_config_doc *doc,
			    struct hk_err **err)
{
	char cwd[PATH_MAX] = "", dir[PATH_MAX * 2];

	if (o->root[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	if (hk_format(dir, sizeof(dir), "%s%s%s/%s", cwd, cwd[0] ? "/" : "", o->root, o->id) < 0)
		return hk_fail(err, errno, "--root %s: the state directory's path", o->root);
	hk_notify_configure(doc->arena, doc->config, dir);
	return 0;
}

/* The bundle's config.json; a missing bundle or file is named as such, with what fixes it. */
static int load_config(const char *bundle, const char *config, struct oci_config_doc *doc,
		       struct hk_err **err)
{
	struct stat st;

	if (oci_config_load(config, "config.json", doc, err) == 0)
		return 0;
	if ((*err)->errnum != ENOENT)
		return -1;
	hk_err_freep(err);
	if (bundle != NULL && stat(bundle, &st) < 0)
		return hk_fail(err, errno, "bundle %s", bundle);
	return hk_fail_as(err, ENOENT,
			  "%s: no such file or directory (a bundle holds a config.json: `husk spec "
			  "--bundle %s` writes one)",
			  config, bundle ? bundle : ".");
}

/* CVE-2019-5736 (exe.h): pid 1 ends through the exec stub, or husk goes on from a sealed copy of
 * itself, re-executed here, before anything is made (the copy reads the config again). */
static int stub_or_sealed_copy(const struct hk_create_opts *o, const struct oci_config *cfg,
			       bool *stub, struct hk_err **err)
{
	*stub = hk_exe_stub_built() && hk_plan_stub_fits(cfg);
	if (*stub || o->reexec_argv == NULL)
		return 0;
	return hk_exe_reexec_sealed(o->reexec_argv, err); /* a no-op when already sealed */
}

int hk_container_create(const struct hk_create_opts *o, pid_t *pid, int *master,
			struct hk_err **err)
{
	struct oci_config_doc doc = {0};
	bool stub = false;
	char bundle[PATH_MAX], rootfs[PATH_MAX], config[PATH_MAX + 16];
	hk_cleanup_close int rootfs_fd = -1;
	int ret;

	*master = -1;
	if (hk_id_check(o->id, err) < 0)
		return -1;
	if (hk_path_join(config, sizeof(config), o->bundle ? o->bundle : ".", "config.json") < 0)
		return hk_fail(err, errno, "bundle %s", o->bundle);
	hk_timeline("begin (husk started)");
	if (load_config(o->bundle, config, &doc, err) < 0)
		return -1;
	ret = hk_spawn_check(doc.config, o->console_socket, o->keep_terminal, err);
	hk_timeline("parse and check config.json");
	if (ret == 0)
		ret = stub_or_sealed_copy(o, doc.config, &stub, err);
	if (ret == 0 && o->listen_fds > 0)
		set_listen_env(&doc, o->listen_fds);
	if (ret == 0)
		ret = notify_configure(o, &doc, err);
	if (ret == 0)
		ret = hk_resolve_rootfs(o->bundle, doc.config, bundle, rootfs, &rootfs_fd, err);
	if (ret == 0)
		ret = create_in_store(o, doc.config, stub, bundle, rootfs, rootfs_fd, pid, master,
				      err);
	oci_config_doc_free(&doc);
	return ret;
}

/* poststop (status stopped); a failure is a warning, and the other hooks still run. */
static void run_poststop(const struct hk_record *r, const struct oci_config *cfg)
{
	char *state;

	if (cfg->hooks == NULL || cfg->hooks->poststop.len == 0)
		return;
	state = hk_container_state_json(r, "stopped", 0);
	if (state != NULL)
		hk_hooks_run_all(&cfg->hooks->poststop, "poststop", state);
	free(state);
}

/* From the config create saved, when the record says there are late hooks. */
static void poststop(const struct hk_container *c)
{
	hk_cleanup_err struct hk_err *err = NULL;
	struct oci_config_doc doc = {0};

	if (!c->record->late_hooks.value)
		return;
	if (hk_store_load_config(c, &doc, &err) < 0) {
		hk_warn("poststop hooks not run: %s", err->msg);
		return;
	}
	run_poststop(c->record, doc.config);
	oci_config_doc_free(&doc);
}

/* With startContainer hooks: EOF once pid 1 has exec'd the program, else their failure, after
 * which the container is gone (pid 1 exits) and start fails with it. */
static int start_outcome(struct hk_container *c, struct hk_err **err)
{
	char path[PATH_MAX + 16], text[1024];
	hk_cleanup_close int fd = -1;
	ssize_t n, used = 0;

	if (hk_path_join(path, sizeof(path), c->path, START_FIFO) < 0)
		return hk_fail(err, errno, "start: %s", c->path);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;      /* no such hooks */
	fcntl(fd, F_SETFL, 0); /* a writer exists (pid 1): now wait for its verdict */
	while (used < (ssize_t)sizeof(text) - 1 &&
	       ((n = read(fd, text + used, sizeof(text) - 1 - (size_t)used)) > 0 ||
		(n < 0 && errno == EINTR)))
		used += n > 0 ? n : 0;
	unlink(path);
	if (used == 0)
		return 0;
	text[used] = '\0';
	c->record->started = (struct oci_opt_bool){true, true};
	hk_store_save(c, NULL);
	return hk_fail(err, 0, "cannot start container \"%s\": %s", c->record->id, text);
}

static int kill_and_wait(const struct hk_record *r, struct hk_err **err);

/* runtime-spec 1.3: a failing poststart hook is an error that stops the container; `delete`
 * then destroys it and runs poststop (lifecycle step 12). The hooks after it do not run. */
static int poststart(struct hk_container *c, struct hk_err **err)
{
	hk_cleanup_err struct hk_err *ignored = NULL;
	struct oci_config_doc doc = {0};
	char *state;
	int ret = 0;

	if (!c->record->late_hooks.value)
		return 0;
	if (hk_store_load_config(c, &doc, err) < 0)
		return -1;
	state = hk_container_state_json(c->record, "running", c->record->pid.value);
	if (state == NULL)
		ret = hk_fail(err, ENOMEM, "hooks: state");
	else if (doc.config->hooks != NULL &&
		 hk_hooks_run(&doc.config->hooks->poststart, "poststart", state, err) < 0) {
		kill_and_wait(c->record, &ignored);
		ret = hk_prefix(err, "cannot start container \"%s\": stopped it", c->record->id);
	}
	free(state);
	oci_config_doc_free(&doc);
	return ret;
}

/* exec.fifo written: pid 1, blocked on it, goes on to execve. */
static int release_init(const struct hk_container *c, struct hk_err **err)
{
	char fifo[PATH_MAX + 16];
	int fd;

	fd = hk_path_join(fifo, sizeof(fifo), c->path, EXEC_FIFO) < 0
		 ? -1
		 : open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return hk_fail(err, 0, "cannot start container \"%s\": container not running",
			       c->record->id);
	if (write(fd, "0", 1) != 1) {
		hk_fail(err, errno, "start container \"%s\"", c->record->id);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(fifo);
	return 0;
}

/* start, under the container's lock: the record saved, pid 1 released, poststart run. With
 * NOTIFY_SOCKET, *notify_fd is the socket bound afresh before the release, and *pidfd pid 1's. */
static int start_locked(const char *root, const char *id, int *notify_fd, int *pidfd, pid_t *pid,
			struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};
	enum oci_status status;

	hk_timeline("start: begin");
	if (hk_store_open(root, id, true, &c, err) < 0)
		return -1;
	hk_timeline("start: record read and locked");
	status = hk_container_status(c.record);
	if (status != OCI_STATUS_CREATED)
		return hk_fail(err, 0, "cannot start container \"%s\": it is %s, not created", id,
			       oci_name_of(&oci_statuses, (int)status));
	if (hk_notify_listen(c.path, notify_fd, err) < 0 ||
	    (*notify_fd >= 0 && (*pidfd = hk_container_pidfd(c.record, err)) < 0))
		return -1;
	*pid = c.record->pid.value;
	/* the record says started before pid 1 is released: a save that fails (a full state
	 * root) releases nothing, and a release that fails is taken back */
	c.record->started = (struct oci_opt_bool){true, true};
	if (hk_store_save(&c, err) < 0)
		return hk_prefix(err, "cannot start container \"%s\"", id);
	hk_timeline("start: record saved");
	if (release_init(&c, err) < 0) {
		c.record->started = (struct oci_opt_bool){false, true};
		hk_store_save(&c, NULL);
		return -1;
	}
	if (start_outcome(&c, err) < 0)
		return -1;
	hk_timeline("start: pid 1 released (exec.fifo), its outcome read");
	if (poststart(&c, err) < 0)
		return -1;
	hk_timeline("start: poststart hooks");
	return 0;
}

int hk_container_start(const char *root, const char *id, struct hk_err **err)
{
	hk_cleanup_close int notify_fd = -1, pidfd = -1;
	pid_t pid = 0;

	if (start_locked(root, id, &notify_fd, &pidfd, &pid, err) < 0)
		return -1;
	/* relayed with the lock released: other commands may act on the container meanwhile */
	return notify_fd >= 0 ? hk_notify_relay(notify_fd, pidfd, pid, err) : 0;
}

/* Every process in the init's pid namespace, when it has one of its own. */
static void signal_namespace(const struct hk_record *r, int sig)
{
	char path[64], mine[64], other[64];
	struct dirent *e;
	DIR *proc;
	ssize_t n;

	if (hk_format(path, sizeof(path), "/proc/%d/ns/pid", r->pid.value) < 0)
		return;
	n = readlink(path, mine, sizeof(mine) - 1);
	if (n <= 0 || (proc = opendir("/proc")) == NULL)
		return;
	mine[n] = '\0';
	while ((e = readdir(proc)) != NULL) {
		int pid = atoi(e->d_name);

		if (pid <= 0)
			continue;
		if (hk_format(path, sizeof(path), "/proc/%d/ns/pid", pid) < 0)
			continue;
		n = readlink(path, other, sizeof(other) - 1);
		if (n > 0 && (other[n] = '\0', strcmp(mine, other) == 0))
			kill(pid, sig);
	}
	closedir(proc);
}

/* kill --all: every process of the container's cgroup, else of its pid namespace. */
static void signal_all(const struct hk_record *r, int sig)
{
	struct hk_cgroup cg;

	if (!r->cgroup_shared.value && r->cgroup_paths.len &&
	    hk_cg_load(&cg, &r->cgroup_paths, r->systemd_cgroup.value, NULL) == 0 && cg.n > 0)
		hk_cg_signal_all(&cg, sig, NULL);
	else /* no cgroup, or one with processes not the container's */
		signal_namespace(r, sig);
}

int hk_container_kill(const char *root, const char *id, int sig, bool all, struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};
	hk_cleanup_close int fd = -1;

	/* --all signals the cgroup's processes: under the lock, so that no delete and create of
	 * the same id come between the record read and the signal (pid 1 alone goes by pidfd) */
	if (hk_store_open(root, id, all, &c, err) < 0)
		return -1;
	if (hk_container_status(c.record) == OCI_STATUS_STOPPED)
		return all ? 0
			   : hk_fail(err, 0, "container \"%s\" is stopped: container not running",
				     id);
	fd = hk_container_pidfd(c.record, err);
	if (fd < 0)
		return all ? (hk_err_freep(err), 0) : -1;
	if (all)
		signal_all(c.record, sig);
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0 && !(all && errno == ESRCH))
		return hk_fail(err, errno, "kill container \"%s\"", id);
	return 0;
}

/* SIGKILL and wait (a pidfd polls readable when the process is gone). */
static int kill_and_wait(const struct hk_record *r, struct hk_err **err)
{
	hk_cleanup_close int fd = hk_container_pidfd(r, err);
	struct pollfd p;

	if (fd < 0) {
		hk_err_freep(err);
		return 0; /* already gone */
	}
	signal_all(r, SIGKILL);
	syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	while (poll(&p, 1, 10000) < 0 && errno == EINTR)
		;
	if (!(p.revents & POLLIN))
		return hk_fail(err, ETIMEDOUT, "container \"%s\" did not die after SIGKILL", r->id);
	return 0;
}

/* Whatever is left in it (processes of other pid namespaces: exec'd ones, or a shared one) is
 * killed; the record goes only once the cgroup is gone, so a failure here can be retried. */
static int remove_cgroup(const struct hk_record *r, struct hk_err **err)
{
	struct hk_cgroup cg;

	if (!r->cgroup_paths.len && r->cgroup_intent.len &&
	    hk_cg_load(&cg, &r->cgroup_intent, false, NULL) == 0)
		hk_cg_remove_empty(&cg); /* never populated: another's would stay, untouched */
	if (!r->cgroup_paths.len)
		return 0;
	if (hk_cg_load(&cg, &r->cgroup_paths, r->systemd_cgroup.value, err) < 0)
		return -1;
	if (r->cgroup_shared.value) {
		hk_cg_remove_empty(&cg); /* the others' processes stay, and so does their cgroup */
		return 0;
	}
	return hk_cg_destroy(&cg, err);
}

static int remove_rdt_group(const struct hk_record *r, struct hk_err **err)
{
	struct hk_rdt g;

	if (r->rdt_dir == NULL)
		return 0;
	hk_rdt_load(&g, r->rdt_dir, r->rdt_mon_dir, r->rdt_made_dir.value);
	return hk_rdt_remove(&g, err);
}

/* The container's network namespace, held while its processes are killed, when it has devices
 * of the host's (-1 otherwise): they go back once nothing of the container can touch them. */
static int hold_net_devices(const struct hk_record *r, struct hk_netdev_set **moved)
{
	hk_cleanup_err struct hk_err *err = NULL;
	hk_cleanup_close int pidfd = -1, ns = -1;

	if (r->net_devices_moved.len == 0)
		return -1;
	if (hk_netdev_load(&r->net_devices_moved, moved, &err) < 0) {
		hk_warn("%s", err->msg);
		return -1;
	}
	/* pid 1 gone: its namespace went with it, and so did what it held */
	if ((pidfd = hk_container_pidfd(r, &err)) < 0 || (ns = hk_netdev_open_ns(r->pid.value)) < 0)
		return -1;
	/* the pid was still the container's after the open: the namespace is its */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return -1;
	return hk_take_fd(&ns);
}

int hk_container_delete(const char *root, const char *id, bool force, struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};
	hk_cleanup_free struct hk_netdev_set *moved = NULL;
	hk_cleanup_close int netns = -1;
	enum oci_status status;

	if (hk_store_open(root, id, true, &c, err) < 0) {
		if (!force)
			return -1;
		/* a missing or damaged record: what can be found goes, then the directory */
		hk_err_freep(err);
		hk_store_sweep(root);
		return hk_container_delete_lost(root, id, err);
	}
	status = hk_container_status(c.record);
	if ((status == OCI_STATUS_RUNNING || status == OCI_STATUS_PAUSED) && !force)
		return hk_fail(err, 0, "cannot delete container \"%s\" that is %s: use --force", id,
			       oci_name_of(&oci_statuses, (int)status));
	/* each step can be retried: the record goes last */
	if (status != OCI_STATUS_STOPPED)
		netns = hold_net_devices(c.record, &moved);
	hk_timeline("delete: record read and locked");
	if (status != OCI_STATUS_STOPPED && c.record->pid.set && kill_and_wait(c.record, err) < 0)
		return -1;
	hk_timeline("delete: processes killed and gone");
	hk_netdev_move_out(moved, netns);
	if (remove_cgroup(c.record, err) < 0 || remove_rdt_group(c.record, err) < 0)
		return -1;
	hk_timeline("delete: cgroup removed");
	if (c.record->rootfs_mount_id.set &&
	    hk_rootfs_release(c.record->rootfs_mount_id.value, c.record->rootfs,
			      c.record->rootfs_mount_ns, err) < 0)
		return -1;
	poststop(&c);
	if (hk_store_remove(&c, err) < 0)
		return -1;
	hk_timeline("delete: state removed");
	return 0;
}
