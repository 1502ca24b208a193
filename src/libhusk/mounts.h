/* Mounting inside the container's rootfs. Every destination is resolved with
 * openat2(RESOLVE_IN_ROOT) from an fd of the rootfs, and the mount targets that resolved fd
 * (/proc/self/fd/N): a symlink in the rootfs can neither lead a mount outside it nor be swapped
 * between the check and the mount. */
#ifndef HUSK_MOUNTS_H
#define HUSK_MOUNTS_H

#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "config.h"

enum hk_create { HK_NO_CREATE, HK_CREATE_DIR, HK_CREATE_FILE };

/* Opens `path` inside the root (O_PATH), creating what is missing; extra_resolve adds RESOLVE_*
 * flags (RESOLVE_NO_SYMLINKS for proc and sysfs). */
int hk_root_open(int rootfd, const char *path, enum hk_create create,
		 unsigned long long extra_resolve, int *out, struct hk_err **err);

/* "/proc/self/fd/N" for an fd: the mount target that is exactly that file. */
void hk_fd_path(int fd, char buf[32]);

/* Performs config.json's mounts[index]; relative bind sources are taken from the bundle. */
/* idmap_tree >= 0: the idmapped copy of the source that hk_idmap_prepare made, attached here.
 * label: the SELinux context for tmpfs, mqueue and devpts (NULL: none). */
/* cg: the container's cgroup, whose directories a "cgroup" mount shows. */
int hk_mount_entry(int rootfd, const char *bundle, const struct oci_mount *m, size_t index,
		   int idmap_tree, const char *label, const struct hk_cgroup *cg,
		   struct hk_err **err);
int hk_mask_paths(int rootfd, const struct oci_strv *paths, struct hk_err **err);
int hk_readonly_paths(int rootfd, const struct oci_strv *paths, struct hk_err **err);

#endif
