/* The cgroupfs driver on pure cgroup v2: one directory, controllers enabled down the tree,
 * cgroup.freeze, cgroup.kill, a BPF device program, and clone3 straight into the cgroup. */
#include "cgroup_internal.h"

#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* cgroup2: turns on in parent's subtree_control the controllers a child needs. `want` NULL: all
 * that parent has (pure v2, as runc: update can then set anything); else a space list. */
int hk_cg_v2_enable_controllers(const char *parent, const char *want, struct hk_err **err)
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
	/* rootless: an ancestor above the delegated subtree is not ours to change */
	snprintf(p.path, sizeof(p.path), "%s/cgroup.subtree_control", parent);
	if (access(p.path, W_OK) < 0)
		return 0;
	snprintf(p.path, sizeof(p.path), "%s", parent);
	if (hk_cg_write(&p, "cgroup.subtree_control", add, err) < 0)
		return hk_prefix(err, "%s", parent);
	return 0;
}

static int v2_make_dirs(struct hk_cgroup *cg, const struct oci_resources *r, struct hk_err **err)
{
	(void)r;
	return hk_cg_make_dirs(cg, NULL, err);
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

	return hk_cg_set_frozen(cg, hk_cg_unified(cg), &freezer, frozen, err);
}

int hk_cg_v2_signal_all(const struct hk_cgroup *cg, int sig, struct hk_err **err)
{
	const struct hk_cg_dir *d = hk_cg_unified(cg);

	if (sig == SIGKILL && hk_cg_has(d, "cgroup.kill"))
		return hk_cg_write(d, "cgroup.kill", "1", err);
	return hk_cg_signal_listed(cg, sig, err);
}

/* For clone3(CLONE_INTO_CGROUP). */
int hk_cg_v2_clone_fd(const struct hk_cgroup *cg)
{
	return open(cg->dirs[0].path, O_PATH | O_DIRECTORY | O_CLOEXEC);
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
    .destroy = hk_cg_remove_dirs,
};
