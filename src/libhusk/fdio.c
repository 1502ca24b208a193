#include "fdio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "hk_format.h"
#include "schema.h"

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

int hk_open_parent(const char *path, const char **name)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t len;

	if (slash == NULL) {
		*name = path;
		return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof(dir) || slash[1] == '\0') {
		errno = len >= sizeof(dir) ? ENAMETOOLONG : EISDIR;
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	*name = slash + 1;
	return open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A name no one can have planted in advance: getrandom's bytes, tried until one is free. */
static int create_temp(int dirfd, const char *name, char *tmp, size_t size, mode_t mode)
{
	int tries, fd = -1;

	for (tries = 0; tries < 64 && fd < 0; tries++) {
		unsigned long long r = 0;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (unsigned long long)getpid() * 1000003ull + (unsigned long long)tries;
		if (hk_format(tmp, size, ".%.200s.%016llx", name, r) < 0)
			return -1;
		fd =
		    openat(dirfd, tmp,
			   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			return -1;
	}
	return fd;
}

int hk_write_file_atomic(const char *path, const char *text, size_t len, mode_t mode,
			 struct hk_err **err)
{
	const char *name;
	char tmp[256];
	struct stat st;
	int dirfd = hk_open_parent(path, &name), fd, ret = 0;

	if (dirfd < 0)
		return hk_fail(err, errno == ENOTDIR ? ELOOP : errno, "%s: open its directory",
			       path);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		close(dirfd);
		return hk_fail(err, ELOOP, "%s is a symlink: refused", path);
	}
	fd = create_temp(dirfd, name, tmp, sizeof(tmp), mode);
	if (fd < 0)
		ret = hk_fail(err, errno, "%s: create a temporary file", path);
	else if (oci_write_all(fd, text, len) < 0 || close(fd) < 0)
		ret = hk_fail(err, errno ? errno : EIO, "write %s", path);
	else if (renameat(dirfd, tmp, dirfd, name) < 0)
		ret = hk_fail(err, errno, "rename into %s", path);
	if (ret < 0 && fd >= 0)
		unlinkat(dirfd, tmp, 0);
	close(dirfd);
	return ret;
}

int hk_connect_unix(const char *path, const char *what, struct hk_err **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *name;
	struct stat st;
	int dir = hk_open_parent(path, &name), target, sock;

	if (dir < 0)
		return hk_fail(err, errno == ENOTDIR ? ELOOP : errno, "%s: connect %s", what, path);
	target = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	close(dir);
	if (target < 0)
		return hk_fail(err, errno, "%s: connect %s", what, path);
	if (fstat(target, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		close(target);
		return hk_fail(err, ENOTSOCK, "%s: connect %s (a symlink or not a socket)", what,
			       path);
	}
	/* connect to the very inode checked, through its fd */
	if (hk_format(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d", target) < 0) {
		hk_safe_close(target);
		return hk_fail(err, EOVERFLOW, "%s: connect %s", what, path);
	}
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;

		if (sock >= 0)
			close(sock);
		close(target);
		return hk_fail(err, saved, "%s: connect %s", what, path);
	}
	close(target);
	return sock;
}

ssize_t hk_send_with_fd(int sock, const void *buf, size_t len, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

int hk_mkdir_p(const char *path, mode_t mode, mode_t parent_mode, struct hk_err **err)
{
	char part[4096];
	size_t i;

	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || hk_format(part, sizeof(part), "%s", path) < 0)
		return hk_fail(err, errno, "mkdir %s", path);
	for (i = 1; part[i]; i++) {
		if (part[i] != '/')
			continue;
		part[i] = '\0';
		if (mkdir(part, parent_mode) < 0 && errno != EEXIST)
			return hk_fail(err, errno, "mkdir %s", part);
		part[i] = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "mkdir %s", path);
	return 0;
}

int hk_open_regular(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	close(fd);
	errno = EINVAL;
	return -1;
}

int hk_pidfd_send(const char *path, pid_t pid, struct hk_err **err)
{
	static const char name[] = "pidfd";
	hk_cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), sock = -1;

	if (pidfd < 0)
		return hk_fail(err, errno, "--pidfd-socket: pidfd_open %d", (int)pid);
	if ((sock = hk_connect_unix(path, "--pidfd-socket", err)) < 0)
		return -1;
	if (hk_send_with_fd(sock, name, sizeof(name) - 1, pidfd) < 0)
		return hk_fail(err, errno, "--pidfd-socket: send to %s", path);
	return 0;
}
