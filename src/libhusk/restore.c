/* husk restore: a container made from a bundle whose processes CRIU restores from an image.
 *
 * The record and the cgroup (with the config's limits) come first, as for create. CRIU runs in a
 * child of husk, the restorer, which first joins that cgroup (CRIU puts the restored tree where
 * its own cgroup is, under --cgroup-root) and makes a mount namespace of its own, private, where
 * the rootfs is bound at <state>/criu-root: CRIU wants the root to be a mount point, and nothing
 * of that reaches the host's mount table or needs undoing. The tree is restored as the
 * restorer's sibling (rst_sibling), so husk's child; the restorer reports its pid and exits. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk_format.h"
#include "container.h"
#include "container_steps.h"
#include "criu.h"
#include "criu_mounts.h"
#include "fdio.h"
#include "inroot.h"
#include "mount_plan.h"
#include "descriptors.h"
#include "log.h"
#include "spawn.h"
#include "state.h"
#include "terminal.h"

#define CRIU_ROOT "criu-root"

struct restoring {
	const struct hk_restore_opts *o;
	const struct oci_config *cfg;
	struct oci_arena *arena;
	struct hk_container c;
	struct hk_cgroup cg;
	char bundle[PATH_MAX], rootfs[PATH_MAX], created[48];
	char descriptors[3][OCI_DESCRIPTOR_MAX]; /* descriptors.json: what pid 1's stdio was */
	int image_fd, work_fd;
	const char *work_path;
	bool stored, in_cgroup, made_root;
	pid_t pid;
};

/* What the restorer sends back: the restored pid, or why it failed. */
struct restore_report {
	int pid;
	int errnum;
	char msg[2048];
};

static int read_descriptors(struct restoring *rs, struct hk_err **err)
{
	hk_cleanup_free char *text = NULL;
	size_t len = 0;

	/* the image is the user's to shape: a FIFO, a device or a huge file is refused, unread */
	if (oci_read_fileat(rs->image_fd, "descriptors.json", O_NOFOLLOW, 3 * 8192, &text, &len,
			    err) < 0)
		return hk_prefix(err, "restore: %s",
				 rs->o->criu.image_path ? rs->o->criu.image_path : "checkpoint");
	if (oci_descriptors_parse(text, len, rs->arena, rs->descriptors, err) < 0)
		return hk_prefix(err, "restore");
	return 0;
}

#if HUSK_HAVE_CRIU
/* The pipes among pid 1's old stdio (runc's rule), and the terminal of a shell job, become the
 * restorer's own fds 0 to 2. A terminal goes as a copy: CRIU keeps its own fd 0 to 2 for itself
 * in a shell job, and cannot store one it is also told to hand over. */
static int inherit_stdio(criu_opts *opts, const struct restoring *rs, struct hk_err **err)
{
	int i, fd;

	for (i = 0; i < 3; i++) {
		bool tty = rs->o->criu.shell_job && strncmp(rs->descriptors[i], "tty[", 4) == 0;

		if (!tty && strncmp(rs->descriptors[i], "pipe:", 5) != 0)
			continue;
		fd = tty ? fcntl(i, F_DUPFD, 3) : i; /* the copy: inherited by CRIU, not CLOEXEC */
		if (fd < 0)
			return hk_fail(err, errno, "restore: the terminal on fd %d", i);
		if (hk_criu.criu_local_add_inherit_fd(opts, fd, rs->descriptors[i]) < 0)
			return hk_fail(err, ENOMEM, "restore: inherit fd %d", i);
	}
	return 0;
}

/* The table's entry for an OCI namespace type; NULL: one CRIU cannot join by path. */
static const struct hk_criu_ns *criu_ns(int type)
{
	size_t i;

	for (i = 0; i < sizeof(hk_criu_namespaces) / sizeof(hk_criu_namespaces[0]); i++)
		if (hk_criu_namespaces[i].type == type)
			return &hk_criu_namespaces[i];
	return NULL;
}

/* Namespaces the config names by path: net and pid are the image's external ones, handed to
 * CRIU as fds under the keys checkpoint gave them; ipc, uts and user are joined. */
static int joined_namespaces(criu_opts *opts, const struct oci_config *cfg, struct hk_err **err)
{
	const struct oci_linux *l = cfg->linux;
	size_t i;

	for (i = 0; l != NULL && i < l->namespaces.len; i++) {
		const struct oci_namespace *ns = &l->namespaces.items[i];
		const struct hk_criu_ns *n = criu_ns(ns->type.value);
		const char *name = oci_name_of(&oci_namespace_types, ns->type.value);
		int fd;

		if (ns->path == NULL)
			continue;
		if (n == NULL)
			return hk_fail(err, ENOTSUP,
				       "restore: linux.namespaces[%zu]: CRIU cannot join a %s "
				       "namespace by path",
				       i, name ? name : "?");
		if (n->ext_key == NULL) {
			if (hk_criu.criu_local_join_ns_add(opts, n->name, ns->path, NULL) < 0)
				return hk_fail(err, ENOMEM, "restore: namespace %s", ns->path);
			continue;
		}
		fd = open(ns->path, O_RDONLY); /* CRIU, a child, inherits it */
		if (fd < 0)
			return hk_fail(err, errno, "restore: namespace %s", ns->path);
		if (hk_criu.criu_local_add_inherit_fd(opts, fd, n->ext_key) < 0)
			return hk_fail(err, ENOMEM, "restore: namespace %s", ns->path);
	}
	return 0;
}

/* The restored tree goes where the container's cgroup is, in each hierarchy. */
static int cgroup_roots(criu_opts *opts, const struct hk_cgroup *cg, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < cg->n; i++) {
		const struct hk_cg_dir *d = &cg->dirs[i];

		if (d->v2 && cg->mode != HK_CG_V2)
			continue; /* hybrid: the unified tree holds no controller CRIU restores */
		if (hk_criu.criu_local_add_cg_root(opts, d->v2 ? NULL : d->key,
						   d->rel[0] ? d->rel : "/") < 0)
			return hk_fail(err, ENOMEM, "restore: cgroup root %s", d->path);
	}
	return 0;
}

static int describe(criu_opts *opts, const struct restoring *rs, const char *root,
		    struct hk_err **err)
{
	const struct hk_restore_opts *o = rs->o;
	const struct oci_process *p = rs->cfg->process;

	hk_criu.criu_local_set_images_dir_fd(opts, rs->image_fd);
	hk_criu.criu_local_set_evasive_devices(opts, true);
	hk_criu.criu_local_set_orphan_pts_master(opts, p != NULL && p->terminal.value);
	if (hk_criu.criu_local_set_root(opts, root) < 0 ||
	    (o->lsm_profile && hk_criu.criu_local_set_lsm_profile(opts, o->lsm_profile) < 0) ||
	    (o->lsm_mount_context &&
	     hk_criu.criu_local_set_lsm_mount_context(opts, o->lsm_mount_context) < 0))
		return hk_fail(err, ENOMEM, "restore: libcriu options");
	hk_criu_apply_flags(opts, &o->criu);
	if (hk_criu_ext_mounts(opts, rs->cfg, &rs->cg, 0, err) < 0 ||
	    cgroup_roots(opts, &rs->cg, err) < 0 || inherit_stdio(opts, rs, err) < 0)
		return -1;
	return joined_namespaces(opts, rs->cfg, err);
}

/* In the restorer: the cgroup, the private mount namespace with the rootfs bound at root, CRIU;
 * then the terminal to the console socket. Returns the restored pid. */
static int reopen_dir(int *fd, const char *path, struct hk_err **err)
{
	int again = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (again < 0)
		return hk_fail(err, errno, "restore: open %s", path);
	hk_safe_close(*fd);
	*fd = again;
	return 0;
}

static pid_t restore_in_child(struct restoring *rs, struct hk_err **err)
{
	const struct oci_process *p = rs->cfg->process;
	const char *failed = NULL;
	char root[PATH_MAX + 32];
	criu_opts *opts;
	pid_t pid;

	if (hk_path_join(root, sizeof(root), rs->c.path, CRIU_ROOT) < 0)
		return hk_fail(err, errno, "restore: %s", rs->c.path);
	if (hk_cg_enter_self(&rs->cg, false, NULL, &failed) < 0)
		return hk_fail(err, errno, "restore: join cgroup %s", failed ? failed : "");
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hk_fail(err, errno, "restore: a private mount namespace for criu");
	if (mount(rs->rootfs, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hk_fail(err, errno, "restore: bind %s on %s", rs->rootfs, root);
	/* the directories again, in this namespace: CRIU mounts its cgroup yard in the work
	 * directory, which it could not do on a mount of the namespace husk started in */
	if (reopen_dir(&rs->work_fd, rs->work_path, err) < 0 ||
	    reopen_dir(&rs->image_fd,
		       rs->o->criu.image_path ? rs->o->criu.image_path : "checkpoint", err) < 0 ||
	    hk_criu_open(&opts, rs->work_fd, "restore.log", "restore", err) < 0)
		return -1;
	pid = describe(opts, rs, root, err) < 0 ? -1 : hk_criu.criu_local_restore_child(opts);
	hk_criu.criu_local_free_opts(opts);
	if (pid <= 0)
		return err && *err ? -1
				   : hk_criu_failed(pid, "restore", rs->work_fd, rs->work_path,
						    "restore.log", err);
	if (p != NULL && p->terminal.value && rs->o->console_socket != NULL) {
		int master = hk_criu.criu_get_orphan_pts_master_fd();

		if (master < 0 || hk_console_send(rs->o->console_socket, master, err) < 0) {
			kill(pid, SIGKILL);
			return master < 0 ? hk_fail(err, 0, "restore: criu sent no terminal") : -1;
		}
	}
	return pid;
}

static void restorer(struct restoring *rs, int report_fd)
{
	hk_cleanup_err struct hk_err *err = NULL;
	struct restore_report r = {0};

	r.pid = restore_in_child(rs, &err);
	if (r.pid < 0 && err != NULL) {
		r.errnum = err->errnum;
		/* the report's room, at most: never more than it holds */
		if (hk_format(r.msg, sizeof(r.msg), "%.*s", (int)sizeof(r.msg) - 1, err->msg) < 0)
			r.msg[0] = '\0';
	}
	if (oci_write_all(report_fd, (const char *)&r, sizeof(r)) < 0)
		_exit(2);
	_exit(0);
}

static int run_restorer(struct restoring *rs, struct hk_err **err)
{
	hk_cleanup_close int rd = -1, wr = -1;
	struct restore_report r = {0};
	int fds[2], status;
	pid_t child;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return hk_fail(err, errno, "restore: pipe");
	rd = fds[0];
	wr = fds[1];
	child = fork();
	if (child < 0)
		return hk_fail(err, errno, "restore: fork");
	if (child == 0) {
		rd = hk_safe_close(rd);
		restorer(rs, wr);
	}
	close(hk_take_fd(&wr));
	while ((n = read(rd, &r, sizeof(r))) < 0 && errno == EINTR)
		;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(r))
		return hk_fail(err, 0, "restore: the restorer died (status %d)", status);
	if (r.pid <= 0)
		return hk_fail_as(err, r.errnum, "%s", r.msg[0] ? r.msg : "restore failed");
	rs->pid = r.pid;
	return 0;
}
#endif

static int store_record(struct restoring *rs, struct hk_err **err)
{
	const struct oci_config *cfg = rs->cfg;
	struct hk_record rec = {
	    .oci_version = cfg->oci_version,
	    .id = (char *)rs->o->id,
	    .bundle = rs->bundle,
	    .rootfs = rs->rootfs,
	    .annotations = cfg->annotations,
	    .owner = hk_owner_name(geteuid(), rs->arena),
	    .created = rs->created,
	    .started = {true, true}, /* no exec.fifo: running as soon as it has a pid */
	};
	char root[PATH_MAX + 32];

	hk_rfc3339_now(rs->created, sizeof(rs->created));
	if (hk_store_create(rs->o->root, &rec, &rs->c, err) < 0)
		return -1;
	rs->stored = true;
	if (hk_store_save_config(&rs->c, cfg, err) < 0)
		return -1;
	if (hk_path_join(root, sizeof(root), rs->c.path, CRIU_ROOT) < 0 || mkdir(root, 0700) < 0)
		return hk_fail(err, errno, "restore: mkdir %s", root);
	rs->made_root = true;
	return 0;
}

/* Whether dest lies beneath a tmpfs of the config's, whose content CRIU restores itself. */
static bool under_tmpfs(const struct oci_config *cfg, const char *dest)
{
	size_t i, n;

	for (i = 0; i < cfg->mounts.len; i++) {
		const struct oci_mount *m = &cfg->mounts.items[i];

		n = strlen(m->destination);
		if (m->type != NULL && strcmp(m->type, "tmpfs") == 0 &&
		    strncmp(dest, m->destination, n) == 0 && dest[n] == '/')
			return true;
	}
	return false;
}

/* The mount points of a rootfs that never ran this container (podman's restore --import makes
 * a new one): CRIU mounts on them but does not make them. Made inside the rootfs, as create
 * makes them (a symlink on the way cannot lead out); a bind of a file gets a file. */
static int prepare_mountpoints(const struct restoring *rs, int rootfs_fd, struct hk_err **err)
{
	const struct oci_config *cfg = rs->cfg;
	size_t i;

	for (i = 0; i < cfg->mounts.len; i++) {
		const struct oci_mount *m = &cfg->mounts.items[i];
		hk_cleanup_close int fd = -1;
		struct stat st;
		bool file = m->source != NULL && hk_mount_is_bind(m) && stat(m->source, &st) == 0 &&
			    !S_ISDIR(st.st_mode);

		if (under_tmpfs(cfg, m->destination))
			continue;
		if (hk_root_open(rootfs_fd, m->destination, file ? HK_CREATE_FILE : HK_CREATE_DIR,
				 0, &fd, err) < 0)
			return hk_prefix(err, "restore: mounts[%zu]", i);
	}
	return 0;
}

static int restore_steps(struct restoring *rs, int rootfs_fd, struct hk_err **err)
{
	const struct hk_restore_opts *o = rs->o;

	if (read_descriptors(rs, err) < 0 || prepare_mountpoints(rs, rootfs_fd, err) < 0 ||
	    store_record(rs, err) < 0 ||
	    hk_container_make_cgroup(&rs->c, rs->cfg, o->systemd_cgroup, &rs->cg, err) < 0)
		return -1;
	rs->in_cgroup = true;
#if HUSK_HAVE_CRIU
	{
		int ret;

		if (!o->detach && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			return hk_fail(err, errno, "restore: PR_SET_CHILD_SUBREAPER");
		ret = run_restorer(rs, err);
		hk_cg_settled(&rs->cg);
		if (ret < 0)
			return -1;
	}
#endif
	rs->c.record->pid = (struct oci_opt_i32){rs->pid, true};
	rs->c.record->pid_start_time = (struct oci_opt_u64){hk_pid_start_time(rs->pid), true};
	if (hk_store_save(&rs->c, err) < 0)
		return -1;
	return o->pid_file != NULL ? hk_write_pid_file(o->pid_file, rs->pid, err) : 0;
}

static void remove_criu_root(struct restoring *rs)
{
	char root[PATH_MAX + 32];

	if (!rs->made_root)
		return;
	if (hk_path_join(root, sizeof(root), rs->c.path, CRIU_ROOT) == 0)
		rmdir(root); /* its bind lived in the restorer's namespace only */
	rs->made_root = false;
}

static void undo_restore(struct restoring *rs)
{
	hk_cleanup_err struct hk_err *ignored = NULL;

	if (rs->pid > 0) {
		kill(rs->pid, SIGKILL);
		waitpid(rs->pid, NULL, 0);
	}
	if (rs->in_cgroup) /* kills whatever of the tree is left in it first */
		hk_cg_destroy(&rs->cg, &ignored);
	remove_criu_root(rs);
	if (rs->stored)
		hk_store_remove(&rs->c, &ignored);
}

static int restore_bundle(struct restoring *rs, struct hk_err **err)
{
	const struct hk_restore_opts *o = rs->o;
	hk_cleanup_close int rootfs_fd = -1;
	int ret;

	if (hk_spawn_check(rs->cfg, o->console_socket, false, err) < 0 ||
	    hk_criu_flags_check(&o->criu, "restore", err) < 0 ||
	    hk_criu_check("restore", err) < 0 ||
	    hk_resolve_rootfs(o->bundle, rs->cfg, rs->bundle, rs->rootfs, &rootfs_fd, err) < 0 ||
	    hk_criu_open_dirs(&o->criu, false, &rs->image_fd, &rs->work_fd, &rs->work_path,
			      "restore", err) < 0)
		return -1;
	ret = restore_steps(rs, rootfs_fd, err);
	if (ret < 0)
		undo_restore(rs);
	remove_criu_root(rs);
	return ret;
}

int hk_container_restore(const struct hk_restore_opts *o, pid_t *pid, struct hk_err **err)
{
	struct oci_config_doc doc = {0};
	struct restoring rs = {.o = o, .c = {.dirfd = -1}, .image_fd = -1, .work_fd = -1};
	char config[PATH_MAX + 16];
	int ret;

	*pid = 0;
	if (hk_id_check(o->id, err) < 0)
		return -1;
	if (hk_path_join(config, sizeof(config), o->bundle ? o->bundle : ".", "config.json") < 0)
		return hk_fail(err, errno, "bundle %s", o->bundle);
	if (oci_config_load(config, "config.json", &doc, err) < 0)
		return -1;
	rs.cfg = doc.config;
	rs.arena = oci_arena_new();
	ret = restore_bundle(&rs, err);
	*pid = rs.pid;
	rs.image_fd = hk_safe_close(rs.image_fd);
	rs.work_fd = hk_safe_close(rs.work_fd);
	hk_container_close(&rs.c);
	oci_arena_free(rs.arena);
	oci_config_doc_free(&doc);
	return ret;
}
