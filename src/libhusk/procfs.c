#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fdio.h"

static unsigned long long mount_id(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

int hk_proc_open(const char *rel, int flags)
{
	hk_cleanup_close int proc = -1, fd = -1;
	struct statfs fs;
	unsigned long long id;

	proc = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (proc < 0)
		return -1;
	if (fstatfs(proc, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
		errno = EXDEV;
		return -1;
	}
	fd = openat(proc, rel, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the same mount as /proc, and procfs: nothing was mounted over the file or on the way */
	id = mount_id(proc);
	if (id == 0 || mount_id(fd) != id || fstatfs(fd, &fs) < 0 ||
	    fs.f_type != PROC_SUPER_MAGIC) {
		errno = EXDEV;
		return -1;
	}
	return hk_take_fd(&fd);
}

int hk_proc_write(const char *rel, const char *value, struct hk_err **err)
{
	size_t len = strlen(value);
	hk_cleanup_close int fd = hk_proc_open(rel, O_WRONLY);

	if (fd >= 0 && write(fd, value, len) == (ssize_t)len)
		return close(hk_take_fd(&fd)) < 0 ? hk_fail(err, errno, "write /proc/%s", rel) : 0;
	return hk_fail(
	    err, errno, "write \"%.*s\" to /proc/%s%s", (int)strcspn(value, "\n"), value, rel,
	    errno == EXDEV ? " (not procfs's own file: something is mounted over it)" : "");
}
