#include "inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "hk_error.h"

#define MAX_LINKS 40 /* the kernel's limit on symlinks in one resolution */

struct walk {
	int root, cur;
	struct stat root_st;
	char rest[8192]; /* what is left to resolve */
	int links;
	bool nofollow; /* O_NOFOLLOW: a link as the last component is the result */
	unsigned long long resolve;
};

static bool at_root(const struct walk *w)
{
	struct stat st;

	return fstat(w->cur, &st) == 0 && st.st_dev == w->root_st.st_dev &&
	       st.st_ino == w->root_st.st_ino;
}

static int move_to(struct walk *w, int fd)
{
	if (fd < 0)
		return -1;
	hk_safe_close(w->cur);
	w->cur = fd;
	return 0;
}

/* A symlink met on the way: its text replaces it in what is left, from the root if absolute. */
static int follow(struct walk *w, int link, const char *after)
{
	char target[4096], next[sizeof(w->rest)];
	ssize_t n;

	if ((w->resolve & RESOLVE_NO_SYMLINKS) || ++w->links > MAX_LINKS) {
		errno = ELOOP;
		return -1;
	}
	n = readlinkat(link, "", target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	if (hk_path_join(next, sizeof(next), target, after) < 0)
		return -1;
	memcpy(w->rest, next, sizeof(next));
	if (target[0] == '/')
		return move_to(w, openat(w->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
	return 0;
}

/* One component; the rest of the path stays in w->rest. */
static int step(struct walk *w, const char *name, const char *after)
{
	struct stat st;
	int fd, ret;

	if (name[0] == '\0' || strcmp(name, ".") == 0)
		return 0;
	if (strcmp(name, "..") == 0)
		return at_root(w) ? 0 : move_to(w, openat(w->cur, "..", O_PATH | O_CLOEXEC));
	fd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -1;
	} else if (S_ISLNK(st.st_mode) && !(w->nofollow && after[0] == '\0')) {
		ret = follow(w, fd, after);
		close(fd);
		return ret;
	} else {
		return move_to(w, fd);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

static int walk(int rootfd, const char *path, int flags, unsigned long long resolve)
{
	struct walk w = {.root = rootfd, .nofollow = (flags & O_NOFOLLOW) != 0, .resolve = resolve};
	bool failed = false;

	if (fstat(rootfd, &w.root_st) < 0)
		return -1;
	if (hk_format(w.rest, sizeof(w.rest), "%s", path) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	w.cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	while (w.cur >= 0 && w.rest[0] != '\0') {
		char name[256], *slash;
		size_t len = strcspn(w.rest, "/");

		if (len >= sizeof(name)) {
			errno = ENAMETOOLONG;
			failed = true;
			break;
		}
		memcpy(name, w.rest, len);
		name[len] = '\0';
		slash = w.rest + len + strspn(w.rest + len, "/");
		memmove(w.rest, slash, strlen(slash) + 1);
		if (step(&w, name, w.rest) < 0) {
			failed = true;
			break;
		}
	}
	if (w.cur >= 0 && !failed) {
		struct stat st;

		if (!(flags & O_DIRECTORY) || (fstat(w.cur, &st) == 0 && S_ISDIR(st.st_mode)))
			return w.cur;
		errno = ENOTDIR;
	}
	w.cur = hk_safe_close(w.cur); /* errno kept */
	return -1;
}

int hk_inroot_open(int rootfd, const char *path, int flags, unsigned long long resolve)
{
	struct open_how how = {
	    .flags = (unsigned long long)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	int fd, tries = 0;

	/* EAGAIN: a ".." met while any mount or rename happened anywhere on the host (the kernel's
	 * seqlock check for scoped lookups); retried, then the walk, which has the same rules */
	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN && ++tries < 32);
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != EAGAIN))
		return fd;
	return walk(rootfd, path, flags, resolve);
}

int hk_path_open(const char *path, int flags, unsigned long long resolve)
{
	hk_cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root < 0)
		return -1;
	return hk_inroot_open(root, path, flags, resolve);
}

/* ---- creating what is missing, each component resolved in the root again ---- */

void hk_fd_path(int fd, char buf[32])
{
	if (hk_format(buf, 32, "/proc/self/fd/%d", fd) < 0) /* 25 bytes at most */
		buf[0] = '\0';
}

static int create_missing(int rootfd, const char *path, enum hk_create create,
			  unsigned long long resolve, int depth, struct hk_err **err);

/* A dangling symlink on the way: create what it points to, read as a path inside the root. */
static int create_link_target(int rootfd, int parent, const char *dir, const char *name,
			      enum hk_create create, unsigned long long resolve, int depth,
			      struct hk_err **err)
{
	char target[4096], next[8192];
	struct stat st;
	ssize_t n;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode) ||
	    (resolve & RESOLVE_NO_SYMLINKS))
		return 0; /* a real entry: openat2 reports what is wrong with it */
	if (depth >= 40)
		return hk_fail(err, ELOOP, "create \"%s/%s\" in the rootfs", dir, name);
	n = readlinkat(parent, name, target, sizeof(target) - 1);
	if (n <= 0)
		return hk_fail(err, errno, "readlink \"%s/%s\" in the rootfs", dir, name);
	target[n] = '\0';
	if ((target[0] == '/' ? hk_format(next, sizeof(next), "%s", target)
			      : hk_path_join(next, sizeof(next), dir, target)) < 0)
		return hk_fail(err, ENAMETOOLONG, "create \"%s/%s\" in the rootfs", dir, name);
	return create_missing(rootfd, next, create, resolve, depth + 1, err);
}

/* One missing component, copy's last, made in its parent (resolved in the root again): a file
 * or a directory, or where a dangling symlink stands, what it points to. */
static int open_parent(int rootfd, char *copy, unsigned long long resolve)
{
	char *name = strrchr(copy, '/');
	int parent;

	*name = '\0';
	parent = hk_inroot_open(rootfd, copy[0] ? copy : "/", O_PATH | O_DIRECTORY, resolve);
	*name = '/';
	return parent;
}

static int create_in_parent(int rootfd, int parent, char *copy, bool last, enum hk_create create,
			    unsigned long long resolve, int depth, struct hk_err **err)
{
	char *name = strrchr(copy, '/');
	hk_cleanup_close int file = -1;
	int made;

	if (last && create == HK_CREATE_FILE)
		made = file = openat(parent, name + 1,
				     O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	else
		made = mkdirat(parent, name + 1, 0755);
	if (made >= 0)
		return 0;
	if (errno != EEXIST)
		return hk_fail(err, errno, "create \"%s\" in the rootfs", copy);
	*name = '\0';
	made = create_link_target(rootfd, parent, copy, name + 1, last ? create : HK_CREATE_DIR,
				  resolve, depth, err);
	*name = '/';
	return made;
}

static int create_component(int rootfd, char *copy, bool last, enum hk_create create,
			    unsigned long long resolve, int depth, struct hk_err **err)
{
	hk_cleanup_close int parent = open_parent(rootfd, copy, resolve);

	if (parent < 0)
		return hk_fail(err, errno, "open the parent of \"%s\" in the rootfs", copy);
	return create_in_parent(rootfd, parent, copy, last, create, resolve, depth, err);
}

/* Creates the missing components of path, one at a time, each resolved in the root again. */
static int create_missing(int rootfd, const char *path, enum hk_create create,
			  unsigned long long resolve, int depth, struct hk_err **err)
{
	hk_cleanup_free char *copy = strdup(path);
	char *slash = copy;

	if (copy == NULL)
		abort();
	while (slash != NULL) {
		hk_cleanup_close int fd = -1;
		bool last;

		while (*slash == '/')
			slash++;
		slash = strchr(slash, '/');
		last = slash == NULL || slash[strspn(slash, "/")] == '\0';
		if (slash != NULL)
			*slash = '\0';
		fd = hk_inroot_open(rootfd, copy, O_PATH, resolve);
		if (fd < 0 && errno != ENOENT)
			return hk_fail(err, errno, "open \"%s\" in the rootfs", copy);
		if (fd < 0 && create_component(rootfd, copy, last, create, resolve, depth, err) < 0)
			return -1;
		if (slash != NULL)
			*slash = '/';
		if (last)
			break;
	}
	return 0;
}

/* Most often only the last component is missing (a mount point under /dev, /sys/fs/cgroup):
 * it is made in its parent, opened once; else every missing component, from the top. */
static int create_path(int rootfd, const char *path, enum hk_create create,
		       unsigned long long resolve, struct hk_err **err)
{
	hk_cleanup_free char *copy = strdup(path);
	hk_cleanup_close int parent = -1;
	size_t len;

	if (copy == NULL)
		abort();
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	if (copy[0] == '/' && len > 1)
		parent = open_parent(rootfd, copy, resolve);
	if (parent >= 0)
		return create_in_parent(rootfd, parent, copy, true, create, resolve, 0, err);
	return create_missing(rootfd, path, create, resolve, 0, err);
}

int hk_root_open(int rootfd, const char *path, enum hk_create create,
		 unsigned long long extra_resolve, int *out, struct hk_err **err)
{
	int fd = hk_inroot_open(rootfd, path, O_PATH, extra_resolve);

	if (fd < 0 && errno == ENOENT && create != HK_NO_CREATE) {
		if (create_path(rootfd, path, create, extra_resolve, err) < 0)
			return -1;
		fd = hk_inroot_open(rootfd, path, O_PATH, extra_resolve);
	}
	if (fd < 0)
		return hk_fail(err, errno, "open \"%s\" in the rootfs", path);
	*out = fd;
	return 0;
}
