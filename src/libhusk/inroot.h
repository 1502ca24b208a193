/* Opening a path inside a directory tree that a container controls, without leaving it. */
#ifndef HUSK_INROOT_H
#define HUSK_INROOT_H

/* openat2(rootfd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve), O_CLOEXEC added.
 * Where openat2 is missing or a seccomp filter husk runs under refuses it (ENOSYS, EPERM), the
 * same rules are walked one component at a time: every symlink is read and resolved as text
 * inside the root, ".." stops at the root, RESOLVE_NO_SYMLINKS refuses any link. The walk
 * serves O_PATH opens (with O_DIRECTORY, O_NOFOLLOW); returns an fd, or -1 with errno. */
int hk_inroot_open(int rootfd, const char *path, int flags, unsigned long long resolve);

#endif
