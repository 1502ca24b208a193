/* The container's cgroup from birth to removal: make the directories, enter, freeze, signal,
 * list, remove. */
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

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* v1 cpuset: a new cgroup starts with no cpus and mems, and no process may join it until it has
 * some: the parent's are copied down. */
static int cpuset_inherit(const char *dir, struct hk_err **err)
{
	struct hk_cg_dir self = {0}, parent = {0};
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	char value[4096];
	size_t i;

	snprintf(self.path, sizeof(self.path), "%s", dir);
	snprintf(parent.path, sizeof(parent.path), "%s", dir);
	*strrchr(parent.path, '/') = '\0';
	for (i = 0; i < 2; i++) {
		if (hk_cg_read(&self, files[i], value, sizeof(value)) != 0)
			continue; /* already set, or not a cpuset hierarchy */
		if (hk_cg_read(&parent, files[i], value, sizeof(value)) > 0 &&
		    hk_cg_write(&self, files[i], value, err) < 0)
			return -1;
	}
	return 0;
}

/* cgroup2: turns on in parent's subtree_control the controllers a child needs. `want` NULL: all
 * that parent has (pure v2, as runc: update can then set anything); else a space list. */
static int enable_controllers(const char *parent, const char *want, struct hk_err **err)
{
	struct hk_cg_dir p = {0};
	char have[512], on[512], add[600] = "", *save = NULL, *name;

	snprintf(p.path, sizeof(p.path), "%s", parent);
	if (hk_cg_read(&p, "cgroup.controllers", have, sizeof(have)) < 0 ||
	    hk_cg_read(&p, "cgroup.subtree_control", on + 1, sizeof(on) - 2) < 0)
		return 0; /* checked when the resource is written */
	on[0] = ' ';
	strcat(on, " ");
	for (name = strtok_r(have, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		char word[40];

		snprintf(word, sizeof(word), " %s ", name);
		if (strstr(on, word) != NULL || (want != NULL && strstr(want, word) == NULL))
			continue;
		if (strlen(add) + strlen(name) + 3 < sizeof(add))
			snprintf(add + strlen(add), sizeof(add) - strlen(add), "%s+%s",
				 add[0] ? " " : "", name);
	}
	if (add[0] == '\0')
		return 0;
	if (hk_cg_write(&p, "cgroup.subtree_control", add, err) < 0)
		return hk_prefix(err, "%s", parent);
	return 0;
}

/* The controllers a hybrid host's cgroup2 tree must give the container: only what the config
 * uses there, so that husk changes nothing else of the host's. */
static void hybrid_wants(const struct oci_resources *r, char *want, size_t size)
{
	size_t i;

	snprintf(want, size, " ");
	if (r == NULL)
		return;
	if (r->hugepage_limits.len)
		snprintf(want + strlen(want), size - strlen(want), "hugetlb ");
	for (i = 0; i < r->unified.len; i++)
		snprintf(want + strlen(want), size - strlen(want), "%.*s ",
			 (int)strcspn(r->unified.keys[i], "."), r->unified.keys[i]);
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
			if (enable_controllers(d->path, want, err) < 0) {
				d->path[at - 1] = save;
				d->path[end] = saved;
				return -1;
			}
			d->path[at - 1] = save;
		}
		if (mkdir(d->path, 0755) == 0) {
			if (!d->created_top)
				d->created_top = end;
			if (!d->v2 && strstr(d->key, "cpuset") &&
			    cpuset_inherit(d->path, err) < 0) {
				d->path[end] = saved;
				return -1;
			}
		} else if (errno != EEXIST) {
			int e = errno;

			hk_fail(err, e, "cgroup %s: create", d->path);
			d->path[end] = saved;
			return -1;
		}
		d->path[end] = saved;
		if (saved == '\0')
			return 0;
		at = end + 1;
	}
}

/* An existing cgroup may be joined only as a leaf with nothing in it: one holding processes is
 * another container's, one with children is an inner node (the caller's own, a slice) whose
 * limits and removal are not husk's to touch. */
static int check_unused(const struct hk_cg_dir *d, struct hk_err **err)
{
	char procs[64];
	struct dirent *e;
	bool inner = false;
	DIR *dir;

	if (hk_cg_read(d, "cgroup.procs", procs, sizeof(procs)) > 0)
		return hk_fail(err, 0,
			       "config.json: linux.cgroupsPath: cgroup %s already holds processes",
			       d->path);
	if (d->created_top || (dir = opendir(d->path)) == NULL)
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

static int apply_devices_v1(const struct hk_cg_dir *d, const struct hk_cg_device_rule *rules,
			    size_t n, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char majs[24] = "*", mins[24] = "*";

		if (rules[i].major >= 0)
			snprintf(majs, sizeof(majs), "%lld", rules[i].major);
		if (rules[i].minor >= 0)
			snprintf(mins, sizeof(mins), "%lld", rules[i].minor);
		if (hk_cg_writef(d, rules[i].allow ? "devices.allow" : "devices.deny", err,
				 "%c %s:%s %s", rules[i].type, majs, mins, rules[i].access) < 0)
			return -1;
	}
	return 0;
}

static int apply_devices(struct hk_cgroup *cg, const struct oci_linux *l, struct hk_err **err)
{
	struct hk_cg_device_rule *rules = NULL;
	const struct hk_cg_dir *d = hk_cg_find(cg, "devices");
	size_t n = 0;
	int ret;

	if (hk_cg_device_rules(l->resources, l, &rules, &n, err) < 0)
		return -1;
	if (d != NULL)
		ret = apply_devices_v1(d, rules, n, err);
	else if (cg->mode == HK_CG_V2)
		ret = hk_cg_bpf_devices(hk_cg_unified(cg), rules, n, err);
	else
		ret = hk_fail(err, 0, "cgroup: no devices controller on this host");
	free(rules);
	return ret;
}

/* No cgroup for the container: said in a debug line, or an error when the config sets limits. */
static int without_cgroup(const struct oci_resources *r, const char *why, struct hk_err **err)
{
	if (r != NULL)
		return hk_fail(err, 0, "config.json: linux.resources: %s", why);
	hk_debug("cgroup: %s, the container gets none", why);
	return 0;
}

int hk_cg_create(struct hk_cgroup *cg, const struct oci_linux *l, const char *id,
		 struct hk_err **err)
{
	const struct oci_resources *r = l ? l->resources : NULL;
	char hybrid[512];
	size_t i;

	memset(cg, 0, sizeof(*cg));
	if (hk_cg_mode() == HK_CG_NONE)
		return without_cgroup(r, "no cgroup hierarchy is mounted on this host", err);
	if (geteuid() != 0)
		return without_cgroup(r, "husk manages cgroups only when run as root", err);
	if (hk_cg_resolve(cg, l ? l->cgroups_path : NULL, id, err) < 0)
		return -1;
	hybrid_wants(r, hybrid, sizeof(hybrid));
	for (i = 0; i < cg->n; i++)
		if (make_dir(&cg->dirs[i], cg->mode == HK_CG_V2 ? NULL : hybrid, err) < 0 ||
		    check_unused(&cg->dirs[i], err) < 0)
			goto fail;
	if (l != NULL && apply_devices(cg, l, err) < 0)
		goto fail;
	if (r != NULL && hk_cg_apply(cg, r, false, err) < 0)
		goto fail;
	return 0;
fail:
	unmake_dirs(cg);
	cg->n = 0;
	return -1;
}

int hk_cg_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		struct hk_err **err)
{
	int ret = cg->mode == HK_CG_V2 ? hk_cg_v2_apply(cg, r, update, err)
				       : hk_cg_v1_apply(cg, r, update, err);

	if (ret == 0)
		ret = hk_cg_apply_hugetlb(cg, r, err);
	if (ret == 0)
		ret = hk_cg_apply_unified(cg, r, err);
	return ret;
}

int hk_cg_load(struct hk_cgroup *cg, const struct oci_strmap *paths, struct hk_err **err)
{
	size_t i;

	memset(cg, 0, sizeof(*cg));
	cg->mode = hk_cg_mode();
	for (i = 0; i < paths->len; i++)
		if (hk_cg_from_key(cg, paths->keys[i], paths->values[i], err) < 0)
			return -1;
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

int hk_cg_enter_self(const struct hk_cgroup *cg, const char **failed)
{
	size_t i;

	for (i = 0; cg != NULL && i < cg->n; i++) {
		char path[sizeof(cg->dirs[i].path) + 16];
		int fd;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[i].path);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			*failed = cg->dirs[i].path;
			errno = e;
			return -1;
		}
		close(fd);
	}
	return 0;
}

int hk_cg_v2_dirfd(const struct hk_cgroup *cg)
{
	if (cg == NULL || cg->mode != HK_CG_V2 || cg->n != 1)
		return -1;
	return open(cg->dirs[0].path, O_PATH | O_DIRECTORY | O_CLOEXEC);
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

static const char *freezer_state(const struct hk_cgroup *cg, const struct hk_cg_dir **d)
{
	*d = hk_cg_find(cg, "freezer");
	if (*d != NULL)
		return "freezer.state";
	*d = cg->mode == HK_CG_V2 ? hk_cg_unified(cg) : NULL;
	return "cgroup.freeze";
}

int hk_cg_is_frozen(const struct hk_cgroup *cg)
{
	const struct hk_cg_dir *d;
	const char *file = freezer_state(cg, &d);
	char text[256];

	if (d == NULL)
		return -1;
	if (d->v2)
		return hk_cg_read(d, "cgroup.events", text, sizeof(text)) < 0
			   ? -1
			   : strstr(text, "frozen 1") != NULL;
	return hk_cg_read(d, file, text, sizeof(text)) < 0 ? -1 : strcmp(text, "FROZEN") == 0;
}

int hk_cg_freeze(const struct hk_cgroup *cg, bool frozen, struct hk_err **err)
{
	const struct hk_cg_dir *d;
	const char *file = freezer_state(cg, &d);
	int waited;

	if (d == NULL)
		return hk_fail(err, 0, "cgroup: no freezer on this host");
	if (hk_cg_write(d, file, d->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED"),
			err) < 0)
		return -1;
	/* v1 passes through FREEZING; v2 reports "frozen 1" in cgroup.events once done. */
	for (waited = 0; waited < 10000; waited += 2) {
		if (hk_cg_is_frozen(cg) == (int)frozen)
			return 0;
		if (!d->v2 && frozen)
			hk_cg_write(d, file, "FROZEN", NULL); /* the kernel's advice: try again */
		sleep_ms(2);
	}
	if (frozen)
		hk_cg_write(d, file, d->v2 ? "0" : "THAWED", NULL);
	return hk_fail(err, ETIMEDOUT, "cgroup %s: %s", d->path, frozen ? "freeze" : "thaw");
}

int hk_cg_signal_all(const struct hk_cgroup *cg, int sig, struct hk_err **err)
{
	const struct hk_cg_dir *u = hk_cg_unified(cg);
	int was_frozen;
	bool frozen = false;
	pid_t *pids;
	size_t n, i;

	if (cg->n == 0)
		return 0;
	if (sig == SIGKILL && cg->mode == HK_CG_V2 && u != NULL && hk_cg_has(u, "cgroup.kill"))
		return hk_cg_write(u, "cgroup.kill", "1", err);
	/* Frozen, nothing forks between reading the list and the signal arriving; a v1 process
	 * dies of SIGKILL only once thawed, so a paused cgroup is thawed after too. */
	was_frozen = hk_cg_is_frozen(cg);
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

int hk_cg_destroy(struct hk_cgroup *cg, struct hk_err **err)
{
	size_t i;
	int tries;

	if (!hk_cg_empty(cg))
		hk_cg_signal_all(cg, SIGKILL, NULL);
	for (i = 0; i < cg->n; i++) {
		const char *path = cg->dirs[i].path;

		remove_children(path, 0);
		for (tries = 0; rmdir(path) < 0 && errno != ENOENT; tries++) {
			if (errno != EBUSY || tries == 500)
				return hk_fail(err, errno, "cgroup %s: remove", path);
			sleep_ms(tries < 50 ? 1 : 10);
		}
	}
	return 0;
}
