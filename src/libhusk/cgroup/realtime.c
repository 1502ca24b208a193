/* Realtime CPU time for a container that asks for SCHED_FIFO or SCHED_RR without setting
 * linux.resources.cpu.realtimeRuntime. With RT group scheduling (cgroup v1's cpu.rt_runtime_us)
 * a new cgroup gets no realtime time, so sched_setattr in it fails with EPERM; runc 1.1 and crun
 * 1.8 only "succeed" by ignoring process.scheduler. The container gets a tenth of each period,
 * or less when its parent has less left (the parent's runtime/period minus every sibling's, the
 * kernel's own admission rule); taking all that is left would starve the next container, and a
 * removed cgroup's share returns to its parent only after an RCU grace period. */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hk_format.h"

static bool read_ratio(const struct hk_cg_dir *d, double *ratio)
{
	long long runtime, period;

	if (!hk_cg_read_i64(d, "cpu.rt_runtime_us", &runtime) ||
	    !hk_cg_read_i64(d, "cpu.rt_period_us", &period) || period <= 0)
		return false;
	*ratio = runtime < 0 ? 1.0 : (double)runtime / (double)period; /* -1: no limit */
	return true;
}

/* What the siblings of `self` under parent hold, as a ratio of their periods. */
static double siblings_ratio(const struct hk_cg_dir *parent, const char *self)
{
	DIR *dir = opendir(parent->path);
	double sum = 0, r;
	struct dirent *e;

	while (dir != NULL && (e = readdir(dir)) != NULL) {
		struct hk_cg_dir sib = {.v2 = false};

		if (e->d_type != DT_DIR || e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
			continue;
		if (hk_path_join(sib.path, sizeof(sib.path), parent->path, e->d_name) == 0 &&
		    read_ratio(&sib, &r))
			sum += r;
	}
	if (dir != NULL)
		closedir(dir);
	return sum;
}

int hk_cg_grant_realtime(const struct hk_cgroup *cg, const char *policy, struct hk_err **err)
{
	const struct hk_cg_dir *d = hk_cg_find(cg, "cpu");
	struct hk_cg_dir parent = {.v2 = false};
	long long period, runtime;
	double free;
	char *slash;

	if (d == NULL || d->v2 || !hk_cg_has(d, "cpu.rt_runtime_us"))
		return 0; /* no RT group scheduling: nothing stands in the way */
	if (hk_format(parent.path, sizeof(parent.path), "%s", d->path) < 0)
		return hk_fail(err, ENAMETOOLONG, "process.scheduler: %s", d->path);
	slash = strrchr(parent.path, '/');
	if (slash == NULL || !hk_cg_read_i64(d, "cpu.rt_period_us", &period) || period <= 0)
		return hk_fail(err, errno, "process.scheduler: read %s/cpu.rt_period_us", d->path);
	*slash = '\0';
	if (!read_ratio(&parent, &free))
		return hk_fail(err, errno, "process.scheduler: read %s/cpu.rt_runtime_us",
			       parent.path);
	free -= siblings_ratio(&parent, slash + 1);
	runtime = (long long)((free < 0.1 ? free : 0.1) * (double)period);
	if (runtime <= 0)
		return hk_fail(err, 0,
			       "process.scheduler: %s needs realtime CPU time in the container's "
			       "cpu cgroup, and its parent %s has none left: set "
			       "linux.resources.cpu.realtimeRuntime",
			       policy, parent.path);
	return hk_cg_writef(d, "cpu.rt_runtime_us", err, "%lld", runtime);
}
