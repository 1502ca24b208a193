/* husk checkpoint: the container described to CRIU (criu_mounts.c) and dumped by it. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hk_format.h"
#include "container.h"
#include "criu.h"
#include "criu_mounts.h"
#include "fdio.h"
#include "state.h"

#define DESCRIPTORS "descriptors.json"

/* The flags, and what this libcriu (3.17) cannot be asked: refused before anything else, as
 * runc checks its flags before it looks at the container. */
static int unsupported(const struct hk_checkpoint_opts *o, struct hk_err **err)
{
	if (o->parent_path != NULL && o->parent_path[0] == '/')
		return hk_fail(err, 0, "checkpoint: --parent-path must be relative");
	if (o->lazy_pages)
		return hk_fail(err, ENOTSUP,
			       "checkpoint: --lazy-pages: this libcriu has no lazy-pages option");
	if (o->status_fd >= 0)
		return hk_fail(err, EINVAL, "checkpoint: --status-fd needs --lazy-pages");
	if (hk_criu_flags_check(&o->criu, "checkpoint", err) < 0)
		return -1;
	if (o->empty_ns)
		return hk_fail(err, ENOTSUP,
			       "checkpoint: --empty-ns: this libcriu has no empty-ns option");
	return 0;
}

#if HUSK_HAVE_CRIU
/* What pid 1's fd i is, as restore will name it to CRIU: "pipe:[123]" (restore hands its own
 * stdio to CRIU in place of such pipes, as runc does), "/dev/null", or with --shell-job a
 * terminal from outside the container, which CRIU is told is external as "tty[rdev:dev]". */
static int stdio_key(criu_opts *opts, pid_t pid, int i, bool shell_job, char *out, size_t size,
		     struct hk_err **err)
{
	char link[64];
	struct stat st;
	ssize_t n;

	if (hk_format(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, i) < 0)
		return hk_fail(err, errno, "checkpoint: fd %d of %d", i, (int)pid);
	n = readlink(link, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	if (!shell_job || stat(link, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    !((major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143) || major(st.st_rdev) == 4 ||
	      major(st.st_rdev) == 5))
		return 0;
	if (hk_format(out, size, "tty[%llx:%llx]", (unsigned long long)st.st_rdev,
		      (unsigned long long)st.st_dev) < 0)
		return hk_fail(err, errno, "checkpoint: external tty");
	if (hk_criu.criu_local_add_external(opts, out) < 0)
		return hk_fail(err, ENOMEM, "checkpoint: external %s", out);
	return 0;
}

/* descriptors.json, runc's file: the three keys as a JSON array. */
static int write_descriptors(criu_opts *opts, int image_fd, pid_t pid, bool shell_job,
			     struct hk_err **err)
{
	char key[4096], text[3 * 8192 + 8];
	hk_cleanup_close int fd = -1;
	size_t len = 0;
	int i;

	for (i = 0; i < 3; i++) {
		hk_cleanup_free char *quoted = NULL;

		if (stdio_key(opts, pid, i, shell_job, key, sizeof(key), err) < 0)
			return -1;
		quoted = oci_json_quote(key);
		if (quoted == NULL || strlen(quoted) > 8190)
			return hk_fail(err, ENOMEM, "checkpoint: " DESCRIPTORS);
		if (hk_format(text + len, sizeof(text) - len, "%c%s", i ? ',' : '[', quoted) < 0)
			return hk_fail(err, errno, "checkpoint: " DESCRIPTORS);
		len += strlen(text + len);
	}
	if (hk_format(text + len, sizeof(text) - len, "]") < 0)
		return hk_fail(err, errno, "checkpoint: " DESCRIPTORS);
	len++;
	/* a new file, whatever stood at the name (a FIFO there would block the open for ever) */
	if (unlinkat(image_fd, DESCRIPTORS, 0) < 0 && errno != ENOENT)
		return hk_fail(err, errno, "checkpoint: write " DESCRIPTORS);
	fd = openat(image_fd, DESCRIPTORS, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0 || oci_write_all(fd, text, len) < 0)
		return hk_fail(err, errno, "checkpoint: write " DESCRIPTORS);
	return 0;
}

/* The freezer CRIU stops the tree with (v1's freezer, or v2's cgroup): every process of the
 * cgroup at once, exec'd ones too, instead of one ptrace seize after another. */
static int freeze_cgroup(criu_opts *opts, const struct hk_cgroup *cg, struct hk_err **err)
{
	const char *path = NULL;
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (strcmp(cg->dirs[i].key, "freezer") == 0 ||
		    (cg->mode == HK_CG_V2 && cg->dirs[i].v2))
			path = cg->dirs[i].path;
	if (path != NULL && hk_criu.criu_local_set_freeze_cgroup(opts, path) < 0)
		return hk_fail(err, ENOMEM, "checkpoint: freeze cgroup");
	return 0;
}

/* A namespace the container joined by path stays outside the image: restore joins it again. */
static int external_namespaces(criu_opts *opts, const struct oci_config *cfg, struct hk_err **err)
{
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(hk_criu_namespaces) / sizeof(hk_criu_namespaces[0]); i++) {
		const struct hk_criu_ns *n = &hk_criu_namespaces[i];
		const struct oci_namespace *ns = oci_config_namespace(cfg, n->type);
		struct stat st;

		if (n->ext_key == NULL || ns == NULL || ns->path == NULL)
			continue;
		if (stat(ns->path, &st) < 0)
			return hk_fail(err, errno, "checkpoint: namespace %s", ns->path);
		if (hk_format(text, sizeof(text), "%s[%llu]:%s", n->name,
			      (unsigned long long)st.st_ino, n->ext_key) < 0 ||
		    hk_criu.criu_local_add_external(opts, text) < 0)
			return hk_fail(err, ENOMEM, "checkpoint: external %s", text);
	}
	return 0;
}

static int page_server(criu_opts *opts, const char *spec, struct hk_err **err)
{
	char addr[256];
	const char *colon = spec ? strrchr(spec, ':') : NULL;
	long port;

	if (spec == NULL)
		return 0;
	port = colon ? strtol(colon + 1, NULL, 10) : 0;
	if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof(addr) || port <= 0 ||
	    port > 65535)
		return hk_fail(err, EINVAL,
			       "checkpoint: --page-server: expected ADDRESS:PORT, got \"%s\"",
			       spec);
	if (hk_format(addr, sizeof(addr), "%.*s", (int)(colon - spec), spec) < 0 ||
	    hk_criu.criu_local_set_page_server_address_port(opts, addr, (int)port) < 0)
		return hk_fail(err, ENOMEM, "checkpoint: --page-server");
	return 0;
}

/* Everything CRIU is told for this dump. */
static int describe(criu_opts *opts, const struct hk_checkpoint_opts *o, const struct hk_record *r,
		    const struct oci_config *cfg, int image_fd, struct hk_err **err)
{
	const struct oci_process *p = cfg->process;
	struct hk_cgroup cg;
	bool have_cg = r->cgroup_paths.len &&
		       hk_cg_load(&cg, &r->cgroup_paths, r->systemd_cgroup.value, NULL) == 0;

	hk_criu.criu_local_set_pid(opts, r->pid.value);
	hk_criu.criu_local_set_images_dir_fd(opts, image_fd);
	hk_criu.criu_local_set_leave_running(opts, o->leave_running);
	hk_criu.criu_local_set_auto_dedup(opts, o->auto_dedup);
	hk_criu.criu_local_set_orphan_pts_master(opts, p != NULL && p->terminal.value);
	hk_criu_apply_flags(opts, &o->criu);
	if (hk_criu.criu_local_set_root(opts, r->rootfs) < 0 ||
	    external_namespaces(opts, cfg, err) < 0 || page_server(opts, o->page_server, err) < 0 ||
	    (have_cg && freeze_cgroup(opts, &cg, err) < 0))
		return err && *err ? -1 : hk_fail(err, ENOMEM, "checkpoint: libcriu options");
	if (o->parent_path != NULL) {
		if (hk_criu.criu_local_set_parent_images(opts, o->parent_path) < 0)
			return hk_fail(err, ENOMEM, "checkpoint: --parent-path");
		hk_criu.criu_local_set_track_mem(opts, true);
	}
	if (o->pre_dump) {
		hk_criu.criu_local_set_track_mem(opts, true);
		return 0; /* the memory only: no mounts, no descriptors */
	}
	if (hk_criu_ext_mounts(opts, cfg, have_cg ? &cg : NULL, r->pid.value, err) < 0)
		return -1;
	return write_descriptors(opts, image_fd, r->pid.value, o->criu.shell_job, err);
}

/* CRIU 3.17 dumps a container's pty but fails to restore it ("Don't have tty to inherit
 * session from"): a checkpoint that ends such a container would lose it. */
static int restorable(const struct hk_checkpoint_opts *o, const struct oci_config *cfg,
		      struct hk_err **err)
{
	if (cfg->process == NULL || !cfg->process->terminal.value || o->leave_running ||
	    o->pre_dump)
		return 0;
	return hk_fail(err, ENOTSUP,
		       "checkpoint: a container with process.terminal cannot be restored by this "
		       "husk and CRIU; use --leave-running to dump it and keep it running");
}

static int dump(const struct hk_checkpoint_opts *o, struct hk_container *c,
		const struct oci_config *cfg, struct hk_err **err)
{
	hk_cleanup_close int image_fd = -1, work_fd = -1;
	const char *work_path;
	criu_opts *opts = NULL;
	int ret;

	if (hk_criu_open_dirs(&o->criu, true, &image_fd, &work_fd, &work_path, "checkpoint", err) <
	    0)
		return -1;
	ret = hk_criu_open(&opts, work_fd, o->pre_dump ? "pre-dump.log" : "dump.log", "checkpoint",
			   err);
	if (ret == 0)
		ret = describe(opts, o, c->record, cfg, image_fd, err);
	if (ret == 0) {
		ret =
		    o->pre_dump ? hk_criu.criu_local_pre_dump(opts) : hk_criu.criu_local_dump(opts);
		if (ret < 0)
			hk_criu_failed(ret, "checkpoint", work_fd, work_path,
				       o->pre_dump ? "pre-dump.log" : "dump.log", err);
	}
	if (opts != NULL)
		hk_criu.criu_local_free_opts(opts);
	return ret < 0 ? -1 : 0;
}

/* Every refusal first (flags, a container it could not restore, a host where CRIU cannot
 * work), then the dump. */
static int checked_dump(const struct hk_checkpoint_opts *o, struct hk_container *c,
			struct hk_err **err)
{
	struct oci_config_doc doc = {0};
	int ret = -1;

	if (hk_store_load_config(c, &doc, err) == 0 && restorable(o, doc.config, err) == 0 &&
	    hk_criu_check("checkpoint", err) == 0)
		ret = dump(o, c, doc.config, err);
	oci_config_doc_free(&doc);
	return ret;
}
#endif

int hk_container_checkpoint(const struct hk_checkpoint_opts *o, struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};
	enum oci_status status;

	if (unsupported(o, err) < 0 || hk_store_open(o->root, o->id, true, &c, err) < 0)
		return -1;
	status = hk_container_status(c.record);
	if (status != OCI_STATUS_RUNNING && status != OCI_STATUS_PAUSED)
		return hk_fail(err, 0, "container \"%s\" is %s: checkpoint needs it running", o->id,
			       oci_name_of(&oci_statuses, (int)status));
#if HUSK_HAVE_CRIU
	if (checked_dump(o, &c, err) < 0)
		return -1;
	if (o->leave_running || o->pre_dump)
		return 0;
	/* CRIU killed the tree once the images were complete: the container is gone, as runc
	 * leaves it */
	hk_container_close(&c);
	return hk_container_delete(o->root, o->id, true, err);
#else
	return hk_criu_check("checkpoint", err);
#endif
}
