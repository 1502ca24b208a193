/* Steps of create that restore (checkpoint.h) takes too: a container made from a bundle, whose
 * processes come from somewhere else. */
#ifndef HUSK_CONTAINER_STEPS_H
#define HUSK_CONTAINER_STEPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "arena.h"
#include "cgroup/cgroup.h"
#include "config.h"
#include "hk_error.h"
#include "state.h"

/* The record's owner: the user name of uid, else the number (in arena). */
char *hk_owner_name(uid_t uid, struct oci_arena *arena);
/* The bundle (realpath of bundle_arg, default ".") and root.path opened O_PATH (no symlink as
 * its last component); rootfs receives the fd's path. Buffers are PATH_MAX. */
int hk_resolve_rootfs(const char *bundle_arg, const struct oci_config *cfg, char *bundle,
		      char *rootfs, int *rootfs_fd, struct hk_err **err);
/* The container's cgroup with its limits, recorded (and saved) before any process exists. */
int hk_container_make_cgroup(struct hk_container *c, const struct oci_config *cfg, bool systemd,
			     struct hk_cgroup *cg, struct hk_err **err);

#endif
