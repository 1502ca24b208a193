/* The cgroupfs driver on cgroup v1, and on a hybrid host (v1 controllers, and a cgroup2 tree
 * for the few bound there): one directory per hierarchy, the freezer controller, devices.allow.
 */
#include "cgroup_internal.h"

#include "../fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hk_format.h"

/* The controllers a hybrid host's cgroup2 tree must give the container: only what the config
 * uses there, so that husk changes nothing else of the host's. */
static int hybrid_wants(const struct oci_resources *r, char *want, size_t size)
{
	size_t i;

	want[0] = ' ';
	want[1] = '\0';
	if (r == NULL)
		return 0;
	if (r->hugepage_limits.len && hk_format(want + 1, size - 1, "hugetlb ") < 0)
		return -1;
	for (i = 0; i < r->unified.len; i++)
		if (hk_format(want + strlen(want), size - strlen(want), "%.*s ",
			      (int)strcspn(r->unified.keys[i], "."), r->unified.keys[i]) < 0)
			return -1;
	return 0;
}

static int cpuset_made(const char *path, const char *want, struct hk_err **err)
{
	(void)want;
	return hk_cg_v1_cpuset_inherit(path, err);
}

/* One directory per hierarchy; a new cpuset filled from its parent (no process may join it
 * empty), the hybrid host's cgroup2 directory with the controllers the config uses there. */
static int v1_make_dirs(struct hk_cgroup *cg, const struct oci_resources *r, struct hk_err **err)
{
	char want[512];
	size_t i;

	if (hybrid_wants(r, want, sizeof(want)) < 0)
		return hk_fail(err, EOVERFLOW, "linux.resources.unified: too many controllers");
	for (i = 0; i < cg->n; i++) {
		struct hk_cg_dir *d = &cg->dirs[i];
		struct hk_cg_mkdir_steps steps = {
		    .in_parent = d->v2 ? hk_cg_v2_enable_controllers : NULL,
		    .made = hk_cg_is_v1_cpuset(d) ? cpuset_made : NULL,
		    .want = want};

		if (hk_cg_make_dir(d, &steps, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_devices(const struct hk_cgroup *cg, const struct hk_cg_device_rule *rules, size_t n,
		      struct hk_err **err)
{
	static const char *const files[] = {"devices.deny", "devices.allow"};
	const struct hk_cg_dir *d = hk_cg_find(cg, "devices");
	hk_cleanup_close int deny = -1;
	hk_cleanup_close int allow = -1;
	size_t i;

	if (d == NULL)
		return hk_fail(err, 0, "cgroup: no devices controller on this host");
	/* The kernel takes one rule per write, so each file is opened once for all its rules. */
	for (i = 0; i < n; i++) {
		int *fd = rules[i].allow ? &allow : &deny;
		char majs[24] = "*", mins[24] = "*", rule[96];

		if ((rules[i].major >= 0 &&
		     hk_format(majs, sizeof(majs), "%lld", rules[i].major) < 0) ||
		    (rules[i].minor >= 0 &&
		     hk_format(mins, sizeof(mins), "%lld", rules[i].minor) < 0) ||
		    hk_format(rule, sizeof(rule), "%c %s:%s %s", rules[i].type, majs, mins,
			      rules[i].access) < 0)
			return hk_fail(err, EOVERFLOW, "cgroup devices rule");
		if (*fd < 0)
			*fd = hk_cg_open_file(d, files[rules[i].allow]);
		if (hk_cg_write_fd(*fd, files[rules[i].allow], rule, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_is_frozen(const struct hk_cgroup *cg)
{
	const struct hk_cg_dir *d = hk_cg_find(cg, "freezer");
	char text[256];

	if (d == NULL || hk_cg_read(d, "freezer.state", text, sizeof(text)) < 0)
		return -1;
	return strcmp(text, "FROZEN") == 0;
}

static int v1_freeze(const struct hk_cgroup *cg, bool frozen, struct hk_err **err)
{
	static const struct hk_cg_freezer freezer = {"freezer.state", "FROZEN", "THAWED", true};
	const struct hk_cg_dir *d = hk_cg_find(cg, "freezer");

	if (d == NULL)
		return hk_fail(err, 0, "cgroup: no freezer on this host");
	return hk_cg_set_frozen(cg, d, &freezer, frozen, v1_is_frozen, err);
}

/* A hybrid host's cgroup2 directory: clone3 places stage 1 there at birth (the v1 hierarchies
 * it then joins through their tasks files). */
static int v1_clone_fd(const struct hk_cgroup *cg)
{
	const struct hk_cg_dir *u = hk_cg_unified(cg);

	return u != NULL ? open(u->path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
}

/* v1: "0" into each hierarchy's tasks file moves just the calling thread, which for stage 1 or
 * pid 1 (fresh forks: one thread) is the whole process. cgroup.procs would move the thread group,
 * and for that the kernel takes cgroup_threadgroup_rwsem for writing (cgroup_procs_write_start ->
 * cgroup_attach_lock(true)), a percpu rwsem whose writer waits for an RCU grace period once it
 * has been idle: 6 to 15 ms per create here. Moving current alone skips that lock (the thread
 * cannot exit or exec under the kernel's hands, and cgroup_mutex orders it against other
 * writers). The cgroup2 directory of a hybrid host has no tasks file: clone3 put the process
 * there (born_in), else cgroup.procs. With memory_fd, the memory hierarchy's tasks file is only
 * opened, for pid 1 to write once its mounts are made (spawn.c, init_enter_memory). */
static int v1_enter(const struct hk_cgroup *cg, bool born_in, int *memory_fd, const char **failed)
{
	const struct hk_cg_dir *memory = memory_fd != NULL ? hk_cg_find(cg, "memory") : NULL;
	size_t i;

	for (i = 0; i < cg->n; i++) {
		const struct hk_cg_dir *d = &cg->dirs[i];

		if (d == memory && !d->v2) {
			if ((*memory_fd = hk_cg_open_entry(d, "tasks", failed)) < 0)
				return -1;
		} else if (d->v2 ? !born_in && hk_cg_enter_file(d, "cgroup.procs", failed) < 0
				 : hk_cg_enter_file(d, "tasks", failed) < 0) {
			return -1;
		}
	}
	return 0;
}

/* v1 has no cgroup.kill: every listed process, frozen meanwhile. */
static int v1_signal_all(const struct hk_cgroup *cg, int sig, struct hk_err **err)
{
	return hk_cg_signal_listed(cg, sig, &hk_cg_driver_v1, err);
}

static int v1_destroy(struct hk_cgroup *cg, struct hk_err **err)
{
	return hk_cg_remove_dirs(cg, &hk_cg_driver_v1, err);
}

const struct hk_cgroup_driver hk_cg_driver_v1 = {
    .name = "cgroupfs (v1)",
    .make_dirs = v1_make_dirs,
    .apply = hk_cg_v1_apply,
    .devices = v1_devices,
    .enter = v1_enter,
    .clone_fd = v1_clone_fd,
    .freeze = v1_freeze,
    .is_frozen = v1_is_frozen,
    .signal_all = v1_signal_all,
    .destroy = v1_destroy,
};
