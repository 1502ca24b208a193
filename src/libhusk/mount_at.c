/* One mount at a path inside the container's rootfs, resolved from the rootfs's fd and made
 * through that fd (mounts.h says why): what mounts.c and cgroup_mount.c both build on. */
#include "mount_at.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include "fdio.h"

/* The flags a remount must keep: in a user namespace the kernel locks them. */
static unsigned long locked_flags(const char *target)
{
	struct statvfs st;
	unsigned long flags = 0;

	if (statvfs(target, &st) < 0)
		return 0;
	if (st.f_flag & ST_NOSUID)
		flags |= MS_NOSUID;
	if (st.f_flag & ST_NODEV)
		flags |= MS_NODEV;
	if (st.f_flag & ST_NOEXEC)
		flags |= MS_NOEXEC;
	if (st.f_flag & ST_RDONLY)
		flags |= MS_RDONLY;
	return flags;
}

static int bind_remount(const char *target, unsigned long flags, struct hk_err **err)
{
	flags |= MS_BIND | MS_REMOUNT;
	if (mount(NULL, target, NULL, flags, NULL) == 0)
		return 0;
	if (errno == EPERM && mount(NULL, target, NULL, flags | locked_flags(target), NULL) == 0)
		return 0;
	return hk_fail(err, errno, "remount");
}

int hk_mount_in_root(int rootfd, const char *path, unsigned long long resolve, const char *source,
		     const char *fstype, unsigned long flags, const char *data, const char *what,
		     struct hk_err **err)
{
	hk_cleanup_close int fd = -1;
	char target[32];

	if (hk_root_open(rootfd, path, HK_CREATE_DIR, resolve, &fd, err) < 0)
		return -1;
	hk_fd_path(fd, target);
	if (mount(source, target, fstype, flags, data) < 0)
		return hk_fail(err, errno, "%s", what);
	return 0;
}

unsigned long long hk_mount_attrs_of(unsigned long flags)
{
	return (flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) |
	       (flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
	       (flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
	       (flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
}

int hk_remount_in_root(int rootfd, const char *path, unsigned long long resolve,
		       unsigned long flags, struct hk_err **err)
{
	hk_cleanup_close int fd = -1;
	char target[32];

	if (hk_root_open(rootfd, path, HK_NO_CREATE, resolve, &fd, err) < 0)
		return -1;
	hk_fd_path(fd, target);
	return bind_remount(target, flags, err);
}
