/* Opening a path inside a directory tree that a container controls, without leaving it. */
#ifndef HUSK_INROOT_H
#define HUSK_INROOT_H

#include "hk_error.h"

/* openat2(rootfd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve), O_CLOEXEC added.
 * Where openat2 is missing or a seccomp filter husk runs under refuses it (ENOSYS, EPERM), the
 * same rules are walked one component at a time: every symlink is read and resolved as text
 * inside the root, ".." stops at the root, RESOLVE_NO_SYMLINKS refuses any link. The walk
 * serves O_PATH opens (with O_DIRECTORY, O_NOFOLLOW); returns an fd, or -1 with errno. */
int hk_inroot_open(int rootfd, const char *path, int flags, unsigned long long resolve);
/* The same rules for an absolute path under the current root ("/"). */
int hk_path_open(const char *path, int flags, unsigned long long resolve);

enum hk_create { HK_NO_CREATE, HK_CREATE_DIR, HK_CREATE_FILE };

/* Opens `path` inside the root (O_PATH), creating what is missing; extra_resolve adds RESOLVE_*
 * flags (RESOLVE_NO_SYMLINKS for proc and sysfs). */
int hk_root_open(int rootfd, const char *path, enum hk_create create,
		 unsigned long long extra_resolve, int *out, struct hk_err **err);

/* "/proc/self/fd/N" for an fd: the mount target that is exactly that file. */
void hk_fd_path(int fd, char buf[32]);

#endif
