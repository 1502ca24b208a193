/* One mount at a path inside the container's rootfs (mount_at.c). */
#ifndef HUSK_MOUNT_AT_H
#define HUSK_MOUNT_AT_H

#include "hk_error.h"
#include "inroot.h"

/* mount(2) onto path in the root, resolved now and mounted through that fd; `what` names it in
 * the message. */
int hk_mount_in_root(int rootfd, const char *path, unsigned long long resolve, const char *source,
		     const char *fstype, unsigned long flags, const char *data, const char *what,
		     struct hk_err **err);
/* The mount_setattr attributes of a mount(2) flag set: ro, nosuid, nodev, noexec. */
unsigned long long hk_mount_attrs_of(unsigned long flags);
/* The mount now on path (not the directory beneath it) remounted with flags; in a user
 * namespace the flags the kernel locks are kept. */
int hk_remount_in_root(int rootfd, const char *path, unsigned long long resolve,
		       unsigned long flags, struct hk_err **err);

#endif
