/* The container's root: propagation, the bundle's rootfs bound and filled, then pivot_root. */
#ifndef HUSK_ROOTFS_H
#define HUSK_ROOTFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "config.h"

/* In the new mount namespace: "/" made slave (or rootfsPropagation), rootfs bound onto itself,
 * then every mount of config.json and /dev. *rootfd is an O_PATH fd of the rootfs. */
int hk_rootfs_prepare(const struct oci_config *c, const char *bundle, const char *rootfs,
		      int rootfs_fd, bool in_userns, const int *idmap_trees,
		      const struct hk_cgroup *cg, int *rootfd, unsigned long long *mount_id,
		      struct hk_err **err);
/* Masked and read-only paths, then pivot_root (MS_MOVE + chroot with no_pivot), then the root
 * made read-only when root.readonly. */
int hk_rootfs_finish(const struct oci_config *c, int rootfd, bool no_pivot, struct hk_err **err);

/* Without a mount namespace of the container's own (none, or one joined by path), the container's
 * mounts live in that namespace under one bind of the rootfs, whose id hk_rootfs_prepare gives
 * (*mount_id, 0 otherwise): hk_rootfs_release detaches it, in the namespace at ns_path (NULL:
 * husk's own), if it is still the topmost mount on rootfs. */
int hk_rootfs_release(unsigned long long id, const char *rootfs, const char *ns_path,
		      struct hk_err **err);

#endif
