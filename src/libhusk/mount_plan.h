/* What one entry of config.json's mounts asks of the kernel, decided from its options alone. */
#ifndef HUSK_MOUNT_PLAN_H
#define HUSK_MOUNT_PLAN_H

#include <linux/mount.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct hk_mount_plan {
	unsigned long flags, clear;
	unsigned long propagation[8];
	size_t npropagation;
	struct mount_attr attr;
	char data[4096];
	bool recursive_attr;
	bool copy_up; /* tmpcopyup: the tmpfs starts with what the image had there */
	bool idmap;
	bool src_nofollow; /* a bind source with a symlink on the way is refused */
};

/* Sorts m's options: mount(2) flags to set and clear, propagation changes, recursive
 * attributes, husk's own extensions, and the rest as filesystem data, after a SELinux context=
 * for tmpfs, mqueue and devpts when label is given. */
int hk_mount_plan(const struct oci_mount *m, const char *label, struct hk_mount_plan *p,
		  struct hk_err **err);
/* An idmapped mount: idmap or ridmap among its options (*recursive: ridmap), or mappings of its
 * own with neither, as runc reads them (the spec only asks clients to name the option, SHOULD,
 * so that no runtime ignores the maps). */
/* A bind with "shared" or "rshared" (Kubernetes' Bidirectional volume): its mounts must reach the
 * host's peer group, so its tree is cloned by the parent from the host's namespace, where the
 * source is still a peer (the container's copy of the tree is made a slave first). *recursive:
 * rbind. */
bool hk_mount_shares_with_host(const struct oci_mount *m, bool *recursive);
bool hk_mount_idmapped(const struct oci_mount *m, bool *recursive);
/* A bind mount: the "bind" option or type "bind". */
bool hk_mount_plan_is_bind(const struct oci_mount *m, const struct hk_mount_plan *p);
/* The same from the entry alone, before any plan: for checkpoint and restore. */
bool hk_mount_is_bind(const struct oci_mount *m);

#endif
