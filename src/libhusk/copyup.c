/* tmpcopyup: a new tmpfs starts with what the image had in the directory it covers. */
#include "copyup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "inroot.h"

static int copy_tree(int from, int to, int depth, struct hk_err **err);

static int copy_entry(int from, int to, const char *name, const struct stat *st, int depth,
		      struct hk_err **err)
{
	char link[4096];
	ssize_t n;
	int ret = 0;

	if (S_ISDIR(st->st_mode)) {
		hk_cleanup_close int a = -1, b = -1;

		if (mkdirat(to, name, st->st_mode & 07777) < 0)
			return hk_fail(err, errno, "tmpcopyup: mkdir %s", name);
		a = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		b = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ret = a < 0 || b < 0 ? hk_fail(err, errno, "tmpcopyup: open %s", name)
				     : copy_tree(a, b, depth + 1, err);
	} else if (S_ISREG(st->st_mode)) {
		/* still a regular file when opened: one swapped for a FIFO would hang create */
		hk_cleanup_close int a = hk_open_regular(from, name);
		hk_cleanup_close int b =
		    openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 07777);
		char buf[65536];

		while (a >= 0 && b >= 0 && (n = read(a, buf, sizeof(buf))) > 0)
			if (write(b, buf, (size_t)n) != n)
				break;
		if (a < 0 || b < 0 || n != 0)
			ret = hk_fail(err, errno, "tmpcopyup: copy %s", name);
	} else if (S_ISLNK(st->st_mode)) {
		n = readlinkat(from, name, link, sizeof(link) - 1);
		if (n < 0 || (link[n] = '\0', symlinkat(link, to, name) < 0))
			ret = hk_fail(err, errno, "tmpcopyup: symlink %s", name);
	} else if (mknodat(to, name, st->st_mode, st->st_rdev) < 0) {
		ret = hk_fail(err, errno, "tmpcopyup: mknod %s", name);
	}
	if (ret == 0 && fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		ret = hk_fail(err, errno, "tmpcopyup: chown %s", name);
	return ret;
}

/* Copies a directory's entries, never following a symlink, to a bounded depth. */
static int copy_tree(int from, int to, int depth, struct hk_err **err)
{
	int fd = dup(from);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int ret = 0;

	if (dir == NULL)
		return hk_fail(err, errno, "tmpcopyup: read directory");
	if (depth > 64)
		ret = hk_fail(err, ELOOP, "tmpcopyup: nested too deep");
	while (ret == 0 && (e = readdir(dir)) != NULL) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			ret = hk_fail(err, errno, "tmpcopyup: stat %s", e->d_name);
		else
			ret = copy_entry(from, to, e->d_name, &st, depth, err);
	}
	closedir(dir);
	return ret;
}

/* The directory under the new tmpfs is still reachable through an fd opened before the mount. */
int hk_copy_up(int below, int rootfd, const char *dest, struct hk_err **err)
{
	hk_cleanup_close int top = -1, dir = -1;
	char path[32];

	if (hk_root_open(rootfd, dest, HK_NO_CREATE, 0, &top, err) < 0)
		return -1;
	hk_fd_path(top, path);
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return hk_fail(err, errno, "tmpcopyup: open the new tmpfs");
	return copy_tree(below, dir, 0, err);
}
