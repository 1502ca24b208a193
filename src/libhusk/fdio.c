#include "fdio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static void close_one(int fd, bool cloexec)
{
	if (cloexec)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	else
		close(fd);
}

/* Without /proc (stage 2 after pivot_root may have none), every number up to the limit. */
static int close_by_number(int first, unsigned last_fd, bool cloexec)
{
	struct rlimit lim;
	long fd, last = 1 << 20;

	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
	    (long)lim.rlim_cur < last)
		last = (long)lim.rlim_cur;
	if ((long)last_fd < last)
		last = (long)last_fd + 1;
	for (fd = first; fd < last; fd++)
		close_one((int)fd, cloexec);
	return 0;
}

int hk_close_range(int first, unsigned last, bool cloexec)
{
	struct dirent *e;
	DIR *dir;

	if (syscall(SYS_close_range, first, last, cloexec ? CLOSE_RANGE_CLOEXEC : 0) == 0)
		return 0;
	/* EINVAL: a kernel older than CLOSE_RANGE_CLOEXEC (5.11) */
	if (errno != ENOSYS && errno != EPERM && errno != EINVAL)
		return -1;
	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return close_by_number(first, last, cloexec);
	while ((e = readdir(dir)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end == '\0' && end != e->d_name && fd >= first && (unsigned long)fd <= last &&
		    fd != dirfd(dir))
			close_one((int)fd, cloexec);
	}
	closedir(dir);
	return 0;
}
