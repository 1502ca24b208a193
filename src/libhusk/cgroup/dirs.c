/* A container's cgroup directories, made and removed: mkdir -p down a hierarchy (with what each
 * level needs on the way: controllers enabled in a cgroup2 parent, a v1 cpuset filled from its
 * parent), and removal, children first, retrying while the kernel drains dying tasks. Knows no
 * driver: what differs is passed in. */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hk_format.h"

/* cgroup2: turns on in parent's subtree_control the controllers a child needs. `want` NULL: all
 * that parent has (pure v2, as runc: update can then set anything); else a space list. */
int hk_cg_v2_enable_controllers(const char *parent, const char *want, struct hk_err **err)
{
	struct hk_cg_dir p = {0};
	char have[512], on[512], add[600] = "", file[sizeof(p.path) + 32], *save = NULL, *name;

	if (hk_format(p.path, sizeof(p.path), "%s", parent) < 0 ||
	    hk_cg_read(&p, "cgroup.controllers", have, sizeof(have)) < 0 ||
	    hk_cg_read(&p, "cgroup.subtree_control", on + 1, sizeof(on) - 2) < 0)
		return 0; /* checked when the resource is written */
	on[0] = ' ';
	if (hk_format(on + strlen(on), sizeof(on) - strlen(on), " ") < 0)
		return 0;
	for (name = strtok_r(have, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		char word[40];

		if (hk_format(word, sizeof(word), " %s ", name) < 0 || strstr(on, word) != NULL ||
		    (want != NULL && strstr(want, word) == NULL))
			continue;
		if (hk_format(add + strlen(add), sizeof(add) - strlen(add), "%s+%s",
			      add[0] ? " " : "", name) < 0)
			return hk_fail(err, errno, "%s: cgroup.subtree_control", parent);
	}
	if (add[0] == '\0')
		return 0;
	/* rootless: an ancestor above the delegated subtree is not ours to change */
	if (hk_path_join(file, sizeof(file), parent, "cgroup.subtree_control") < 0 ||
	    access(file, W_OK) < 0)
		return 0;
	if (hk_cg_write(&p, "cgroup.subtree_control", add, err) < 0)
		return hk_prefix(err, "%s", parent);
	return 0;
}

/* v1 cpuset: a new cgroup starts with no cpus and mems, and no process may join it until it has
 * some: they are copied down from the nearest ancestor that has them, through every empty
 * directory between (a parent made beforehand and left empty, as runc fills it). */
static int cpuset_inherit_at(char *path, int depth, struct hk_err **err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	struct hk_cg_dir self = {0}, parent = {0};
	char value[4096], *slash = strrchr(path, '/');
	size_t i;

	if (slash == NULL || slash == path || depth > 64)
		return 0;
	if (hk_format(self.path, sizeof(self.path), "%s", path) < 0 ||
	    hk_format(parent.path, sizeof(parent.path), "%.*s", (int)(slash - path), path) < 0)
		return hk_fail(err, errno, "cgroup %s", path);
	for (i = 0; i < 2; i++) {
		if (hk_cg_read(&self, files[i], value, sizeof(value)) != 0)
			continue; /* already set, or not a cpuset hierarchy */
		if (hk_cg_read(&parent, files[i], value, sizeof(value)) == 0) {
			*slash = '\0';
			if (cpuset_inherit_at(path, depth + 1, err) < 0) {
				*slash = '/';
				return -1;
			}
			*slash = '/';
		}
		if (hk_cg_read(&parent, files[i], value, sizeof(value)) > 0 &&
		    hk_cg_write(&self, files[i], value, err) < 0)
			return -1;
	}
	return 0;
}

int hk_cg_v1_cpuset_inherit(const char *dir, struct hk_err **err)
{
	char path[sizeof(((struct hk_cg_dir *)0)->path)];

	if (hk_format(path, sizeof(path), "%s", dir) < 0)
		return hk_fail(err, ENAMETOOLONG, "cgroup %s", dir);
	return cpuset_inherit_at(path, 0, err);
}

int hk_cg_fill_cpusets(const struct hk_cgroup *cg, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (hk_cg_is_v1_cpuset(&cg->dirs[i]) &&
		    hk_cg_v1_cpuset_inherit(cg->dirs[i].path, err) < 0)
			return -1;
	return 0;
}

/* Runs a step with path cut at `at` (a parent) or `end` (the level just made). */
static int step_at(char *path, size_t cut,
		   int (*step)(const char *, const char *, struct hk_err **), const char *want,
		   struct hk_err **err)
{
	char saved = path[cut];
	int ret;

	path[cut] = '\0';
	ret = step(path, want, err);
	path[cut] = saved;
	return ret;
}

int hk_cg_make_dir(struct hk_cg_dir *d, const struct hk_cg_mkdir_steps *steps, struct hk_err **err)
{
	size_t at = strlen(d->path) - strlen(d->rel) + 1;

	for (;;) {
		size_t end = at + strcspn(d->path + at, "/");
		char saved = d->path[end];
		int ret = 0;

		if (steps->in_parent != NULL)
			ret = step_at(d->path, at - 1, steps->in_parent, steps->want, err);
		d->path[end] = '\0';
		if (ret == 0 && mkdir(d->path, 0755) == 0) {
			if (!d->created_top)
				d->created_top = end;
		} else if (ret == 0 && errno != EEXIST) {
			ret = hk_fail(err, errno, "cgroup %s: create", d->path);
		}
		/* made now, or made beforehand and left empty */
		if (ret == 0 && steps->made != NULL)
			ret = steps->made(d->path, steps->want, err);
		d->path[end] = saved;
		if (ret < 0 || saved == '\0')
			return ret;
		at = end + 1;
	}
}

void hk_cg_unmake_dirs(struct hk_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++) {
		struct hk_cg_dir *d = &cg->dirs[i];
		char path[sizeof(d->path)];

		if (!d->created_top)
			continue;
		if (hk_format(path, sizeof(path), "%s", d->path) < 0)
			continue;
		while (strlen(path) >= d->created_top && rmdir(path) == 0) {
			char *slash = strrchr(path, '/');

			if (slash == NULL)
				break;
			*slash = '\0';
		}
	}
}

int hk_cg_remove_empty(const struct hk_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (rmdir(cg->dirs[i].path) < 0 && errno != ENOENT)
			return -1;
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
		if (hk_path_join(child, sizeof(child), path, e->d_name) < 0)
			continue;
		remove_children(child, depth + 1);
		rmdir(child);
	}
	if (dir != NULL)
		closedir(dir);
}

int hk_cg_remove_dirs(struct hk_cgroup *cg, const struct hk_cgroup_driver *ops, struct hk_err **err)
{
	size_t i;
	int tries;

	/* The common case, an empty leaf in every hierarchy: one rmdir each, nothing read. The
	 * kernel refuses (EBUSY) a cgroup with processes or children, and those take the way
	 * below, which kills and removes what is left. */
	if (hk_cg_remove_empty(cg) == 0)
		return 0;
	if (!hk_cg_empty(cg))
		ops->signal_all(cg, SIGKILL, NULL);
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
