/* The container's cgroup from birth to removal, through the host's driver (driver_v1.c,
 * driver_v2.c): make the directories, enter, list, signal, remove. */
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

#include "log.h"
#include "rootless.h"
#include "systemd_dbus.h"

void hk_cg_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int make_dir(struct hk_cg_dir *d, const char *want, struct hk_err **err)
{
	size_t base = strlen(d->path) - strlen(d->rel), at = base + 1;

	for (;;) {
		size_t end = at + strcspn(d->path + at, "/");
		char saved = d->path[end];

		d->path[end] = '\0';
		if (d->v2) {
			char save = d->path[at - 1];

			d->path[at - 1] = '\0';
			if (hk_cg_v2_enable_controllers(d->path, want, err) < 0) {
				d->path[at - 1] = save;
				d->path[end] = saved;
				return -1;
			}
			d->path[at - 1] = save;
		}
		if (mkdir(d->path, 0755) == 0) {
			if (!d->created_top)
				d->created_top = end;
		} else if (errno != EEXIST) {
			int e = errno;

			hk_fail(err, e, "cgroup %s: create", d->path);
			d->path[end] = saved;
			return -1;
		}
		/* made now, or made beforehand and left empty */
		if (!d->v2 && strstr(d->key, "cpuset") &&
		    hk_cg_v1_cpuset_inherit(d->path, err) < 0) {
			d->path[end] = saved;
			return -1;
		}
		d->path[end] = saved;
		if (saved == '\0')
			return 0;
		at = end + 1;
	}
}

int hk_cg_make_dirs(struct hk_cgroup *cg, const char *want, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (make_dir(&cg->dirs[i], want, err) < 0)
			return -1;
	return 0;
}

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

/* Removes what make_dir created, deepest first. */
static void unmake_dirs(struct hk_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++) {
		struct hk_cg_dir *d = &cg->dirs[i];
		char path[sizeof(d->path)];

		if (!d->created_top)
			continue;
		snprintf(path, sizeof(path), "%s", d->path);
		while (strlen(path) >= d->created_top && rmdir(path) == 0) {
			char *slash = strrchr(path, '/');

			if (slash == NULL)
				break;
			*slash = '\0';
		}
	}
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

	if (cg->n != 1)
		return false;
	snprintf(parent, sizeof(parent), "%s", cg->dirs[0].path);
	while ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (access(parent, F_OK) == 0)
			return access(parent, W_OK) == 0;
	}
	return false;
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
	return hk_cg_resolve(cg, l ? l->cgroups_path : NULL, id, err);
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
		unmake_dirs(cg);
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
	return hk_cg_resolve(cg, l ? l->cgroups_path : NULL, id, err);
}

int hk_cg_remove_empty(const struct hk_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (rmdir(cg->dirs[i].path) < 0 && errno != ENOENT)
			return -1;
	return 0;
}

int hk_cg_find_existing(struct hk_cgroup *cg, const struct oci_linux *l, const char *id,
			struct hk_err **err)
{
	size_t i, n = 0;

	memset(cg, 0, sizeof(*cg));
	if (hk_cg_mode() == HK_CG_NONE)
		return 0;
	if (hk_cg_resolve(cg, l ? l->cgroups_path : NULL, id, err) < 0)
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
	if (cg->driver->apply(cg, r, update, err) < 0 || hk_cg_apply_hugetlb(cg, r, err) < 0)
		return -1;
	return hk_cg_apply_unified(cg, r, err);
}

int hk_cg_load(struct hk_cgroup *cg, const struct oci_strmap *paths, bool systemd,
	       struct hk_err **err)
{
	const char *unit;
	size_t i;

	memset(cg, 0, sizeof(*cg));
	cg->mode = hk_cg_mode();
	cg->driver = systemd ? &hk_cg_driver_systemd : hk_cg_driver_for(cg->mode);
	for (i = 0; i < paths->len; i++)
		if (hk_cg_from_key(cg, paths->keys[i], paths->values[i], err) < 0)
			return -1;
	/* the scope is the last component of its cgroup */
	if (systemd && cg->n == 1 && (unit = strrchr(cg->dirs[0].rel, '/')) != NULL)
		snprintf(cg->unit, sizeof(cg->unit), "%s", unit + 1);
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

int hk_cg_open_entry(const struct hk_cg_dir *d, const char *file, const char **failed)
{
	char path[sizeof(d->path) + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", d->path, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		*failed = d->path;
	return fd;
}

/* "0" into an entry file hk_cg_open_entry opened, which is closed; errno kept on failure. */
static int enter_by_fd(int fd)
{
	int e = write(fd, "0", 1) == 1 ? 0 : errno ? errno : EIO;

	close(fd);
	errno = e;
	return e ? -1 : 0;
}

int hk_cg_enter_file(const struct hk_cg_dir *d, const char *file, const char **failed)
{
	int fd = hk_cg_open_entry(d, file, failed);

	if (fd < 0)
		return -1;
	if (enter_by_fd(fd) < 0) {
		*failed = d->path;
		return -1;
	}
	return 0;
}

int hk_cg_enter_procs(const struct hk_cgroup *cg, bool born_in, int *memory_fd, const char **failed)
{
	size_t i;

	(void)memory_fd; /* no v1 memory hierarchy: hk_cg_enter_self left it -1 */
	for (i = 0; !born_in && cg != NULL && i < cg->n; i++)
		if (hk_cg_enter_file(&cg->dirs[i], "cgroup.procs", failed) < 0)
			return -1;
	return 0;
}

int hk_cg_pids(const struct hk_cgroup *cg, pid_t **pids, size_t *n, struct hk_err **err)
{
	char path[PATH_MAX + 16];
	size_t cap = 16;
	FILE *f;
	int pid;

	*n = 0;
	*pids = NULL;
	if (cg->n == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[0].path);
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : hk_fail(err, errno, "read %s", path);
	*pids = malloc(cap * sizeof(pid_t));
	while (*pids != NULL && fscanf(f, "%d", &pid) == 1) {
		if (*n == cap) {
			pid_t *more = realloc(*pids, (cap *= 2) * sizeof(pid_t));

			if (more == NULL) {
				free(*pids);
				*pids = NULL;
				break;
			}
			*pids = more;
		}
		(*pids)[(*n)++] = pid;
	}
	fclose(f);
	return *pids == NULL ? hk_fail(err, ENOMEM, "read %s", path) : 0;
}

bool hk_cg_empty(const struct hk_cgroup *cg)
{
	char text[256];
	size_t i;

	for (i = 0; i < cg->n; i++) {
		/* v2 counts the whole subtree ("populated"); v1 has no such file */
		if (cg->dirs[i].v2 &&
			    hk_cg_read(&cg->dirs[i], "cgroup.events", text, sizeof(text)) > 0
			? strstr(text, "populated 1") != NULL
			: hk_cg_read(&cg->dirs[i], "cgroup.procs", text, sizeof(text)) > 0)
			return false;
	}
	return true;
}

int hk_cg_enter_self(const struct hk_cgroup *cg, bool born_in, int *memory_fd, const char **failed)
{
	if (memory_fd != NULL)
		*memory_fd = -1;
	return cg == NULL || cg->n == 0 ? 0 : cg->driver->enter(cg, born_in, memory_fd, failed);
}

int hk_cg_enter_memory(int *memory_fd)
{
	int fd = *memory_fd;

	*memory_fd = -1;
	return fd < 0 ? 0 : enter_by_fd(fd);
}

int hk_cg_clone_fd(const struct hk_cgroup *cg)
{
	return cg == NULL || cg->n == 0 ? -1 : cg->driver->clone_fd(cg);
}

int hk_cg_set_frozen(const struct hk_cgroup *cg, const struct hk_cg_dir *d,
		     const struct hk_cg_freezer *f, bool frozen, struct hk_err **err)
{
	const char *word = frozen ? f->freeze : f->thaw;
	int waited;

	if (hk_cg_write(d, f->file, word, err) < 0)
		return -1;
	for (waited = 0; waited < 10000; waited += 2) {
		if (cg->driver->is_frozen(cg) == (int)frozen)
			return 0;
		if (frozen && f->rewrite)
			hk_cg_write(d, f->file, word, NULL);
		hk_cg_sleep_ms(2);
	}
	if (frozen)
		hk_cg_write(d, f->file, f->thaw, NULL);
	return hk_fail(err, ETIMEDOUT, "cgroup %s: %s", d->path, frozen ? "freeze" : "thaw");
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

/* Frozen, nothing forks between reading the list and the signal arriving; a v1 process dies of
 * SIGKILL only once thawed, so a paused cgroup is thawed after too. */
int hk_cg_signal_listed(const struct hk_cgroup *cg, int sig, struct hk_err **err)
{
	int was_frozen = hk_cg_is_frozen(cg);
	bool frozen = false;
	pid_t *pids;
	size_t n, i;

	if (sig == SIGKILL && was_frozen == 0)
		frozen = hk_cg_freeze(cg, true, NULL) == 0;
	if (hk_cg_pids(cg, &pids, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		kill(pids[i], sig);
	free(pids);
	if (frozen || (sig == SIGKILL && was_frozen == 1))
		hk_cg_freeze(cg, false, NULL);
	return 0;
}

/* The container's subtree is its own (exec --cgroup, or what its processes made with a
 * delegated cgroup namespace): children go first, deepest first. */
static void remove_children(const char *path, int depth)
{
	char child[4096];
	struct dirent *e;
	DIR *dir = opendir(path);

	while (dir != NULL && depth < 32 && (e = readdir(dir)) != NULL) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, e->d_name) >=
		    sizeof(child))
			continue;
		remove_children(child, depth + 1);
		rmdir(child);
	}
	if (dir != NULL)
		closedir(dir);
}

int hk_cg_remove_dirs(struct hk_cgroup *cg, struct hk_err **err)
{
	size_t i;
	int tries;

	/* The common case, an empty leaf in every hierarchy: one rmdir each, nothing read. The
	 * kernel refuses (EBUSY) a cgroup with processes or children, and those take the way
	 * below, which kills and removes what is left. */
	if (hk_cg_remove_empty(cg) == 0)
		return 0;
	if (!hk_cg_empty(cg))
		hk_cg_signal_all(cg, SIGKILL, NULL);
	for (i = 0; i < cg->n; i++) {
		const char *path = cg->dirs[i].path;

		remove_children(path, 0);
		for (tries = 0; rmdir(path) < 0 && errno != ENOENT; tries++) {
			if (errno != EBUSY || tries == 500)
				return hk_fail(err, errno, "cgroup %s: remove", path);
			hk_cg_sleep_ms(tries < 50 ? 1 : 10);
		}
	}
	return 0;
}

int hk_cg_destroy(struct hk_cgroup *cg, struct hk_err **err)
{
	return cg->n == 0 ? 0 : cg->driver->destroy(cg, err);
}
