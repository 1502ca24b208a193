/* The cgroup API (cgroup.h) and its dispatch: the container's cgroup from birth to removal
 * through the driver chosen for it (driver_v1.c, driver_v2.c, driver_systemd.c), which build on
 * helpers that know no driver (hierarchy.c, files.c, dirs.c, procs.c) and on the resource
 * writers (v1.c, v2.c, shared_files.c). */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "fdio.h"
#include "hk_format.h"
#include "log.h"
#include "rootless.h"
#include "systemd_dbus.h"

/* An existing cgroup is joined only as a leaf: one with children is an inner node (the caller's
 * own, a slice) whose limits and removal are not husk's to touch. One that holds processes is
 * joined with a warning, as runc joins it; the container is then marked shared, and its delete
 * kills only its own processes and leaves a cgroup that is not empty. */
static int check_unused(struct hk_cgroup *cg, const struct hk_cg_dir *d, struct hk_err **err)
{
	char procs[64];
	struct dirent *e;
	bool inner = false;
	DIR *dir;

	if (d->created_top) /* made by this create: nothing can be in it yet worth refusing */
		return 0;
	if (hk_cg_read(d, "cgroup.procs", procs, sizeof(procs)) > 0 && !cg->shared) {
		hk_warn("linux.cgroupsPath: cgroup %s already holds processes: the container joins "
			"them",
			d->path);
		cg->shared = true;
	}
	if ((dir = opendir(d->path)) == NULL)
		return 0;
	while (!inner && (e = readdir(dir)) != NULL)
		inner = e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dir);
	if (inner)
		return hk_fail(err, 0,
			       "config.json: linux.cgroupsPath: cgroup %s has child cgroups; a "
			       "container's cgroup must be a leaf",
			       d->path);
	return 0;
}

static int apply_devices(struct hk_cgroup *cg, const struct oci_linux *l, struct hk_err **err)
{
	struct hk_cg_device_rule *rules = NULL;
	size_t n = 0;
	int ret;

	if (hk_cg_device_rules(l->resources, &rules, &n, err) < 0)
		return -1;
	ret = cg->driver->devices(cg, rules, n, err);
	free(rules);
	return ret;
}

/* No cgroup for the container: said in a debug line, or an error when the config sets limits. */
/* Limits a cgroup would hold. An empty linux.resources (rootless podman's) holds none; device
 * rules need no cgroup in a user namespace, where the kernel lets no device node work. */
static bool sets_limits(const struct oci_resources *r, bool devices_too)
{
	return r != NULL && (r->memory != NULL || r->cpu != NULL || r->pids != NULL ||
			     r->block_io != NULL || r->hugepage_limits.len || r->network != NULL ||
			     r->rdma.len || r->unified.len || (devices_too && r->devices.len));
}

static int without_cgroup(const struct oci_resources *r, const char *why, bool rootless,
			  struct hk_err **err)
{
	if (sets_limits(r, !rootless))
		return hk_fail(err, 0, "config.json: linux.resources: %s", why);
	hk_debug("cgroup: %s, the container gets none", why);
	return 0;
}

/* Rootless on cgroup v2: the container's cgroup can be made where its parent is the user's
 * (systemd's Delegate=yes, or an administrator's chown). */
static bool delegated(const struct hk_cgroup *cg)
{
	char parent[sizeof(cg->dirs[0].path)];
	char *slash;

	if (cg->n != 1 || hk_format(parent, sizeof(parent), "%s", cg->dirs[0].path) < 0)
		return false;
	while ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (access(parent, F_OK) == 0)
			return access(parent, W_OK) == 0;
	}
	return false;
}

/* The cgroupfs driver's directories, one per hierarchy of the host. */
static int resolve_cgroupfs(struct hk_cgroup *cg, const struct oci_linux *l, const char *id,
			    struct hk_err **err)
{
	if (hk_cg_resolve(cg, l ? l->cgroups_path : NULL, id, err) < 0)
		return -1;
	cg->driver = hk_cg_driver_for(cg->mode);
	return 0;
}

/* --systemd-cgroup: the scope's names and its one directory on cgroup v2. */
static int resolve_systemd(struct hk_cgroup *cg, const struct oci_linux *l, const char *id,
			   struct hk_err **err)
{
	char dir[4096];

	if (hk_rootless())
		return hk_fail(err, 0,
			       "--systemd-cgroup: a rootless husk does not talk to systemd --user; "
			       "use the cgroupfs manager");
	if (hk_cg_mode() != HK_CG_V2)
		return hk_fail(err, 0,
			       "--systemd-cgroup: husk's systemd driver needs cgroup v2 (this host "
			       "has cgroup %s); use the cgroupfs manager",
			       hk_cg_mode_name(hk_cg_mode()));
	if (hk_cg_systemd_names(l ? l->cgroups_path : NULL, id, cg->unit, sizeof(cg->unit), dir,
				sizeof(dir), err) < 0)
		return -1;
	cg->mode = HK_CG_V2;
	cg->driver = &hk_cg_driver_systemd;
	return hk_cg_from_key(cg, "unified", dir, err);
}

static int resolve(struct hk_cgroup *cg, const struct oci_linux *l, const char *id, bool systemd,
		   struct hk_err **err)
{
	if (systemd)
		return resolve_systemd(cg, l, id, err);
	return resolve_cgroupfs(cg, l, id, err);
}

/* A cgroup that existed before may be frozen (paused by someone): a first process born into it
 * would stop before it ran. Refused, as runc refuses it: husk never thaws a freeze it did not
 * make. */
static int refuse_frozen(struct hk_cgroup *cg, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (cg->dirs[i].created_top == 0)
			break;
	if (i == cg->n || cg->driver->is_frozen(cg) != 1)
		return 0;
	return hk_fail(err, 0,
		       "config.json: linux.cgroupsPath: cgroup %s is frozen: thaw it, or give "
		       "the container another",
		       cg->dirs[i].path);
}

int hk_cg_prepare(struct hk_cgroup *cg, const struct oci_linux *l, const char *id, bool systemd,
		  struct hk_err **err)
{
	const struct oci_resources *r = l ? l->resources : NULL;

	memset(cg, 0, sizeof(*cg));
	if (systemd && !hk_systemd_booted())
		return hk_fail(err, 0,
			       "--systemd-cgroup: systemd is not running on this host (no "
			       "/run/systemd/system); use the cgroupfs manager");
	if (hk_cg_mode() == HK_CG_NONE)
		return without_cgroup(r, "no cgroup hierarchy is mounted on this host", false, err);
	if (!systemd && hk_rootless() && hk_cg_mode() != HK_CG_V2)
		return without_cgroup(r, "husk manages cgroups only when run as root", true, err);
	if (resolve(cg, l, id, systemd, err) < 0)
		return -1;
	if (hk_rootless() && !delegated(cg)) {
		cg->n = 0;
		return without_cgroup(r, "no cgroup v2 subtree is delegated to this user", true,
				      err);
	}
	return 0;
}

int hk_cg_make(struct hk_cgroup *cg, const struct oci_linux *l, bool systemd, struct hk_err **err)
{
	const struct oci_resources *r = l ? l->resources : NULL;
	size_t i;

	if (cg->driver == NULL || cg->n == 0)
		return 0; /* none, as hk_cg_prepare decided */
	if (cg->driver->make_dirs(cg, r, err) < 0)
		goto fail;
	/* a scope is new by construction: systemd refuses a unit that exists */
	for (i = 0; !systemd && i < cg->n; i++)
		if (check_unused(cg, &cg->dirs[i], err) < 0)
			goto fail;
	if (!systemd && refuse_frozen(cg, err) < 0)
		goto fail;
	/* rootless: no device node works in its user namespace, and no BPF program may be loaded */
	if (l != NULL && !hk_rootless() && apply_devices(cg, l, err) < 0)
		goto fail;
	if (r != NULL && hk_cg_apply(cg, r, false, err) < 0)
		goto fail;
	return 0;
fail:
	if (systemd && cg->holder > 0) /* the scope was made: systemd removes its cgroup */
		hk_cg_destroy(cg, NULL);
	else
		hk_cg_unmake_dirs(cg);
	cg->n = 0;
	return -1;
}

int hk_cg_create(struct hk_cgroup *cg, const struct oci_linux *l, const char *id, bool systemd,
		 struct hk_err **err)
{
	if (hk_cg_prepare(cg, l, id, systemd, err) < 0)
		return -1;
	return hk_cg_make(cg, l, systemd, err);
}

int hk_cg_plan(struct hk_cgroup *cg, const struct oci_linux *l, const char *id, struct hk_err **err)
{
	memset(cg, 0, sizeof(*cg));
	if (hk_cg_mode() == HK_CG_NONE || hk_rootless())
		return 0;
	return resolve_cgroupfs(cg, l, id, err);
}

int hk_cg_find_existing(struct hk_cgroup *cg, const struct oci_linux *l, const char *id,
			struct hk_err **err)
{
	size_t i, n = 0;

	memset(cg, 0, sizeof(*cg));
	if (hk_cg_mode() == HK_CG_NONE)
		return 0;
	if (resolve_cgroupfs(cg, l, id, err) < 0)
		return -1;
	for (i = 0; i < cg->n; i++)
		if (access(cg->dirs[i].path, F_OK) == 0) {
			if (n != i) {
				cg->dirs[n] = cg->dirs[i];
				cg->dirs[n].rel =
				    cg->dirs[n].path + (cg->dirs[i].rel - cg->dirs[i].path);
			}
			n++;
		}
	cg->n = n;
	return 0;
}

void hk_cg_settled(struct hk_cgroup *cg)
{
	if (cg->n > 0 && cg->driver->settled != NULL)
		cg->driver->settled(cg);
}

int hk_cg_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		struct hk_err **err)
{
	/* what the driver writes, then the files both versions share (shared_files.c) */
	if (cg->driver->apply(cg, r, update, err) < 0 || hk_cg_apply_hugetlb(cg, r, err) < 0)
		return -1;
	return hk_cg_apply_unified(cg, r, err);
}

int hk_cg_load(struct hk_cgroup *cg, const struct oci_strmap *paths, bool systemd,
	       struct hk_err **err)
{
	const char *unit;
	size_t i;

	/* the header only: a directory is set whole when it is added (set_dir), and zeroing all
	 * sixteen would touch 64 KiB of stack for the ten or one in use */
	cg->n = 0;
	cg->unit[0] = '\0';
	cg->holder = 0;
	cg->shared = false;
	cg->mode = hk_cg_mode();
	cg->driver = systemd ? &hk_cg_driver_systemd : hk_cg_driver_for(cg->mode);
	for (i = 0; i < paths->len; i++)
		if (hk_cg_from_key(cg, paths->keys[i], paths->values[i], err) < 0)
			return -1;
	/* the scope is the last component of its cgroup */
	if (systemd && cg->n == 1 && (unit = strrchr(cg->dirs[0].rel, '/')) != NULL &&
	    hk_format(cg->unit, sizeof(cg->unit), "%s", unit + 1) < 0)
		return hk_fail(err, ENAMETOOLONG, "the record's systemd unit %s", unit + 1);
	return 0;
}

void hk_cg_record(const struct hk_cgroup *cg, struct oci_arena *arena, struct oci_strmap *out)
{
	size_t i;

	out->keys = oci_arena_array(arena, cg->n + 1, sizeof(char *));
	out->values = oci_arena_array(arena, cg->n + 1, sizeof(char *));
	out->len = cg->n;
	out->set = cg->n > 0;
	for (i = 0; i < cg->n; i++) {
		out->keys[i] = oci_arena_strdup(arena, cg->dirs[i].key);
		out->values[i] = oci_arena_strdup(arena, cg->dirs[i].rel);
	}
}

int hk_cg_enter_self(const struct hk_cgroup *cg, bool born_in, int *memory_fd, const char **failed)
{
	if (memory_fd != NULL)
		*memory_fd = -1;
	return cg == NULL || cg->n == 0 ? 0 : cg->driver->enter(cg, born_in, memory_fd, failed);
}

int hk_cg_open_entries(const struct hk_cgroup *cg, int v1[HK_CG_MAX_DIRS], int *v2_procs,
		       const char **failed)
{
	size_t i;
	int n = 0;

	*v2_procs = -1;
	for (i = 0; cg != NULL && i < cg->n; i++) {
		const struct hk_cg_dir *d = &cg->dirs[i];
		/* tasks moves the thread alone, without the lock cgroup.procs takes (driver_v1.c)
		 */
		int fd = hk_cg_open_entry(d, d->v2 ? "cgroup.procs" : "tasks", failed);

		if (fd < 0) {
			for (; n > 0; n--)
				v1[n - 1] = hk_safe_close(v1[n - 1]);
			*v2_procs = hk_safe_close(*v2_procs);
			return -1;
		}
		if (d->v2) {
			hk_safe_close(*v2_procs);
			*v2_procs = fd;
		} else {
			v1[n++] = fd;
		}
	}
	return n;
}

const struct hk_cgroup_driver *hk_cg_driver_for(enum hk_cg_mode mode)
{
	static const struct hk_cgroup_driver *const drivers[] = {
	    [HK_CG_NONE] = NULL,
	    [HK_CG_V1] = &hk_cg_driver_v1,
	    [HK_CG_HYBRID] = &hk_cg_driver_v1,
	    [HK_CG_V2] = &hk_cg_driver_v2,
	};

	return drivers[mode];
}

int hk_cg_clone_fd(const struct hk_cgroup *cg)
{
	return cg == NULL || cg->n == 0 ? -1 : cg->driver->clone_fd(cg);
}

int hk_cg_freeze(const struct hk_cgroup *cg, bool frozen, struct hk_err **err)
{
	if (cg->n == 0)
		return hk_fail(err, 0, "cgroup: the container has none");
	return cg->driver->freeze(cg, frozen, err);
}

int hk_cg_is_frozen(const struct hk_cgroup *cg)
{
	return cg->n == 0 ? -1 : cg->driver->is_frozen(cg);
}

int hk_cg_signal_all(const struct hk_cgroup *cg, int sig, struct hk_err **err)
{
	return cg->n == 0 ? 0 : cg->driver->signal_all(cg, sig, err);
}

int hk_cg_destroy(struct hk_cgroup *cg, struct hk_err **err)
{
	return cg->n == 0 ? 0 : cg->driver->destroy(cg, err);
}
