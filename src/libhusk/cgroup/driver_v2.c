/* The cgroupfs driver on pure cgroup v2: one directory, controllers enabled down the tree,
 * cgroup.freeze, cgroup.kill, a BPF device program, and clone3 straight into the cgroup. */
#include "cgroup_internal.h"

#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int hk_cg_v2_make_dirs(struct hk_cgroup *cg, struct hk_err **err)
{
	static const struct hk_cg_mkdir_steps steps = {.in_parent = hk_cg_v2_enable_controllers};
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (hk_cg_make_dir(&cg->dirs[i], &steps, err) < 0)
			return -1;
	return 0;
}

static int v2_make_dirs(struct hk_cgroup *cg, const struct oci_resources *r, struct hk_err **err)
{
	(void)r;
	return hk_cg_v2_make_dirs(cg, err);
}

int hk_cg_v2_devices(const struct hk_cgroup *cg, const struct hk_cg_device_rule *rules, size_t n,
		     struct hk_err **err)
{
	return hk_cg_bpf_devices(hk_cg_unified(cg), rules, n, err);
}

int hk_cg_v2_is_frozen(const struct hk_cgroup *cg)
{
	char text[256];

	if (hk_cg_read(hk_cg_unified(cg), "cgroup.events", text, sizeof(text)) < 0)
		return -1;
	return strstr(text, "frozen 1") != NULL;
}

/* cgroup.events says "frozen 1" once every process is stopped. */
int hk_cg_v2_freeze(const struct hk_cgroup *cg, bool frozen, struct hk_err **err)
{
	static const struct hk_cg_freezer freezer = {"cgroup.freeze", "1", "0", false};

	return hk_cg_set_frozen(cg, hk_cg_unified(cg), &freezer, frozen, hk_cg_v2_is_frozen, err);
}

int hk_cg_v2_signal_all(const struct hk_cgroup *cg, int sig, struct hk_err **err)
{
	const struct hk_cg_dir *d = hk_cg_unified(cg);

	if (sig == SIGKILL && hk_cg_has(d, "cgroup.kill"))
		return hk_cg_write(d, "cgroup.kill", "1", err);
	return hk_cg_signal_listed(cg, sig, &hk_cg_driver_v2, err);
}

/* For clone3(CLONE_INTO_CGROUP). */
int hk_cg_v2_clone_fd(const struct hk_cgroup *cg)
{
	return open(cg->dirs[0].path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int v2_destroy(struct hk_cgroup *cg, struct hk_err **err)
{
	return hk_cg_remove_dirs(cg, &hk_cg_driver_v2, err);
}

const struct hk_cgroup_driver hk_cg_driver_v2 = {
    .name = "cgroupfs (v2)",
    .make_dirs = v2_make_dirs,
    .apply = hk_cg_v2_apply,
    .devices = hk_cg_v2_devices,
    .enter = hk_cg_enter_procs,
    .clone_fd = hk_cg_v2_clone_fd,
    .freeze = hk_cg_v2_freeze,
    .is_frozen = hk_cg_v2_is_frozen,
    .signal_all = hk_cg_v2_signal_all,
    .destroy = v2_destroy,
};
