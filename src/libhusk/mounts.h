/* Mounting inside the container's rootfs. Every destination is resolved with
 * openat2(RESOLVE_IN_ROOT) from an fd of the rootfs, and the mount targets that resolved fd
 * (/proc/self/fd/N): a symlink in the rootfs can neither lead a mount outside it nor be swapped
 * between the check and the mount. */
#ifndef HUSK_MOUNTS_H
#define HUSK_MOUNTS_H

#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "inroot.h"
#include "mount_at.h"
#include "config.h"

/* A bind's source path, a relative one taken from the bundle; -1 when it does not fit in size. */
int hk_bind_source_path(const char *bundle, const char *source, char *buf, size_t size);
/* A bind's source (relative ones from the bundle), opened O_PATH once, the same way for every
 * bind, idmapped or not: with src-nofollow (nofollow) a symlink anywhere on its path is refused.
 * source receives the path, for messages. Returns the fd or -1. */
int hk_bind_source_open(const char *bundle, const struct oci_mount *m, bool nofollow,
			char source[4096], struct hk_err **err);

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
