/* File descriptor helpers that every mechanism uses. */
#ifndef HUSK_FDIO_H
#define HUSK_FDIO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <stdlib.h>
#include <unistd.h>

#include "hk_error.h"

/* Cleanup attributes: an fd or a heap pointer released on every way out of its scope, so that
 * early returns cannot leak. hk_take_fd moves an fd out of such a scope. */
/* errno survives: a scope returning -1 with errno set closes its fds after computing that. */
static inline void hk_closep(const int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	errno = saved;
}
static inline void hk_freep(void *p)
{
	free(*(void **)p);
}
static inline int hk_take_fd(int *fd)
{
	int taken = *fd;

	*fd = -1;
	return taken;
}
/* Closes fd when it is one and returns -1, errno kept: `fd = hk_safe_close(fd);` leaves no
 * stale number behind in a struct or an array. */
static inline int hk_safe_close(int fd)
{
	hk_closep(&fd);
	return -1;
}
static inline void hk_close_pairp(int (*pair)[2])
{
	(*pair)[0] = hk_safe_close((*pair)[0]);
	(*pair)[1] = hk_safe_close((*pair)[1]);
}
#define HK_TAKE_FD(fd)	      hk_take_fd(&(fd))
#define hk_cleanup_close      __attribute__((cleanup(hk_closep)))
#define hk_cleanup_close_pair __attribute__((cleanup(hk_close_pairp)))
#define hk_cleanup_free	      __attribute__((cleanup(hk_freep)))

/* name under dirfd opened for reading without blocking and without following a symlink, only if
 * it is a regular file (EINVAL otherwise): a FIFO or a device planted where husk reads a file
 * of its own must neither hang nor feed it. Returns the fd or -1 with errno. */
int hk_open_regular(int dirfd, const char *name);

/* A pidfd of pid sent over the unix socket at path ("pidfd" and the fd by SCM_RIGHTS), as runc's
 * --pidfd-socket sends it. */
int hk_pidfd_send(const char *path, pid_t pid, struct hk_err **err);

/* close_range(first, last, cloexec ? CLOSE_RANGE_CLOEXEC : 0), falling back to one call per open
 * fd where the kernel lacks it or a seccomp filter husk runs under refuses it: no fd may reach
 * a container because a syscall was missing. Returns 0 or -1 with errno. */
int hk_close_range(int first, unsigned last, bool cloexec);

/* The directory that holds path, opened once (O_PATH): its last component must not be a symlink
 * (O_NOFOLLOW), so that a link planted there cannot send the file elsewhere; *name is the file's
 * name in it. Returns the fd or -1 with errno. */
int hk_open_parent(const char *path, const char **name);

/* Writes path atomically: a temporary file made O_EXCL|O_NOFOLLOW in the same directory (never
 * a FIFO or a link planted at its name), then renamed over path. A symlink at path is refused. */
int hk_write_file_atomic(const char *path, const char *text, size_t len, mode_t mode,
			 struct hk_err **err);

/* A stream socket connected to the unix socket at path (a caller's or an agent's), reached
 * through an O_PATH fd of the socket file: no symlink at its name or in its directory's last
 * component, and it must be a socket. `what` names it in the message. */
int hk_connect_unix(const char *path, const char *what, struct hk_err **err);

/* One sendmsg of buf with fd attached by SCM_RIGHTS (fd < 0: none), MSG_NOSIGNAL, again on
 * EINTR; returns the bytes sent or -1 with errno. */
ssize_t hk_send_with_fd(int sock, const void *buf, size_t len, int fd);

/* mkdir -p: the missing parents with parent_mode, path itself with mode; an existing directory
 * is fine. Returns 0, or -1 with errno set (err names the component that failed). */
int hk_mkdir_p(const char *path, mode_t mode, mode_t parent_mode, struct hk_err **err);

#endif
