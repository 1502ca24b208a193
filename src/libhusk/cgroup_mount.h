/* The "cgroup" mount: the container's own cgroup directories, bound (cgroup_mount.c). */
#ifndef HUSK_CGROUP_MOUNT_H
#define HUSK_CGROUP_MOUNT_H

#include "cgroup/cgroup.h"
#include "config.h"

/* mount_flags: the mount's planned flags; nosuid, nodev, noexec, relatime and ro are kept. */
int hk_mount_cgroup(int rootfd, const struct oci_mount *m, unsigned long mount_flags,
		    const struct hk_cgroup *cg, struct hk_err **err);

#endif
