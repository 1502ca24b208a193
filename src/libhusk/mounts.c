#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hk_format.h"
#include "copyup.h"
#include "fdio.h"
#include "inroot.h"
#include "cgroup_mount.h"
#include "mount_plan.h"

static int apply_after(int mntfd, const struct hk_mount_plan *p, struct hk_err **err)
{
	char target[32];
	size_t i;

	hk_fd_path(mntfd, target);
	for (i = 0; i < p->npropagation; i++)
		if (mount(NULL, target, NULL, p->propagation[i], NULL) < 0)
			return hk_fail(err, errno, "set propagation");
	if (p->recursive_attr && syscall(SYS_mount_setattr, mntfd, "", AT_EMPTY_PATH | AT_RECURSIVE,
					 &p->attr, sizeof(p->attr)) < 0)
		return hk_fail(err, errno, "set recursive attributes");
	return 0;
}

int hk_bind_source_path(const char *bundle, const char *source, char *buf, size_t size)
{
	if (source[0] == '/')
		return hk_format(buf, size, "%s", source);
	return hk_path_join(buf, size, bundle, source);
}

/* The filesystem's data; a tmpfs without mode= takes the mode of the directory it covers, as
 * with runc, instead of tmpfs's 1777. */
static const char *fs_data(const struct oci_mount *m, const struct hk_mount_plan *p, int dest,
			   char *buf, size_t size)
{
	struct stat st;

	if (m->type == NULL || strcmp(m->type, "tmpfs") != 0 || strstr(p->data, "mode=") != NULL ||
	    fstat(dest, &st) < 0 || !S_ISDIR(st.st_mode))
		return p->data[0] ? p->data : NULL;
	/* buf has room for the data and the mode (the caller's: sizeof(p->data) + 16) */
	if (hk_format(buf, size, "%s%smode=%o", p->data, p->data[0] ? "," : "",
		      st.st_mode & 07777) < 0)
		return p->data;
	return buf;
}

/* A bind mount's source, opened once: what is bound is that very file (its fd's path), or a
 * tree cloned from that fd (idmapped), so the source cannot change between the check and the
 * mount. With src-nofollow no symlink may lie anywhere on its path, so a link planted in a
 * shared volume after the config was written cannot lead the mount outside the directory the
 * config names. */
int hk_bind_source_open(const char *bundle, const struct oci_mount *m, bool nofollow,
			char source[4096], struct hk_err **err)
{
	int fd;

	if (m->source == NULL || hk_bind_source_path(bundle, m->source, source, 4096) < 0)
		return hk_fail(err, EINVAL, "bind source");
	if (nofollow) {
		fd = hk_path_open(source, O_PATH, RESOLVE_NO_SYMLINKS);
		if (fd < 0 && errno == ELOOP)
			return hk_fail(err, ELOOP,
				       "bind source %s: a symlink on its path (src-nofollow)",
				       source);
	} else {
		fd = open(source, O_PATH | O_CLOEXEC);
	}
	return fd < 0 ? hk_fail(err, errno, "bind source %s", source) : fd;
}

static int bind_source(const char *bundle, const struct oci_mount *m, const struct hk_mount_plan *p,
		       int tree, char source[4096], enum hk_create *create, int *src,
		       struct hk_err **err)
{
	struct stat st;

	if (tree >= 0) { /* idmapped: hk_idmap_prepare opened it, in husk's own user namespace */
		if (m->source == NULL || hk_bind_source_path(bundle, m->source, source, 4096) < 0)
			return hk_fail(err, EINVAL, "bind source");
		if (fstat(tree, &st) < 0)
			return hk_fail(err, errno, "bind source %s", source);
	} else {
		*src = hk_bind_source_open(bundle, m, p->src_nofollow, source, err);
		if (*src < 0 || fstat(*src, &st) < 0)
			return *src < 0 ? -1 : hk_fail(err, errno, "bind source %s", source);
		hk_fd_path(*src, source);
	}
	if (!S_ISDIR(st.st_mode))
		*create = HK_CREATE_FILE;
	return 0;
}

/* A user namespace that does not own the network namespace may not mount sysfs: the host's is
 * bound instead, recursively, as runc and crun do rootless; a detached copy gets the mount's
 * restrictions (ro, nosuid, nodev, noexec) on every submount before it is attached. */
static int bind_host_sysfs(int fd, const struct hk_mount_plan *p, struct hk_err **err)
{
	struct mount_attr attr = {0};
	hk_cleanup_close int tree = -1;

	attr.attr_set = hk_mount_attrs_of(p->flags);
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/sys",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0 ||
	    (attr.attr_set && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE,
				      &attr, sizeof(attr)) < 0) ||
	    syscall(SYS_move_mount, tree, "", fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return hk_fail(err, errno, "mount sysfs, then bind the host's /sys");
	return 0;
}

/* The mount itself, onto the destination's fd: an idmapped tree moved there, a bind of the
 * source's fd, or a filesystem. */
static int mount_onto(int fd, const struct oci_mount *m, const struct hk_mount_plan *p, int tree,
		      bool bind, const char *source, struct hk_err **err)
{
	char target[32], data[sizeof(p->data) + 16];
	int ret;

	hk_fd_path(fd, target);
	if (tree >= 0)
		ret = (int)syscall(SYS_move_mount, tree, "", fd, "",
				   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	else if (bind)
		ret = mount(source, target, NULL, MS_BIND | (p->flags & MS_REC), NULL);
	else
		ret =
		    mount(m->source ? m->source : m->type, target, m->type,
			  p->flags & ~(unsigned long)MS_REC, fs_data(m, p, fd, data, sizeof(data)));
	if (ret < 0 && errno == EPERM && m->type != NULL && strcmp(m->type, "sysfs") == 0)
		return bind_host_sysfs(fd, p, err);
	return ret < 0 ? hk_fail(err, errno, "mount") : 0;
}

static int do_mount(int rootfd, const char *bundle, const struct oci_mount *m,
		    const struct hk_mount_plan *p, int tree, const struct hk_cgroup *cg,
		    struct hk_err **err)
{
	bool bind = hk_mount_plan_is_bind(m, p) || tree >= 0;
	bool special = m->type && (!strcmp(m->type, "proc") || !strcmp(m->type, "sysfs"));
	enum hk_create create = HK_CREATE_DIR;
	hk_cleanup_close int fd = -1, src = -1, below = -1;
	char source[4096], target[32];
	struct stat st;

	if (m->type != NULL && strcmp(m->type, "cgroup") == 0)
		return hk_mount_cgroup(rootfd, m, p->flags, cg, err);
	if (bind && bind_source(bundle, m, p, tree, source, &create, &src, err) < 0)
		return -1;
	/* proc and sysfs never over a symlink (CVE-2019-16884, CVE-2019-19921). */
	if (hk_root_open(rootfd, m->destination, create, special ? RESOLVE_NO_SYMLINKS : 0, &fd,
			 err) < 0)
		return -1;
	if (special && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)))
		return hk_fail(err, ENOTDIR, "mount destination");
	hk_fd_path(fd, target);
	/* tmpcopyup: what the image has there, reached through an fd opened before the mount */
	if (p->copy_up && (below = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return hk_fail(err, errno, "tmpcopyup: open the destination");
	if (mount_onto(fd, m, p, tree, bind, source, err) < 0 ||
	    (below >= 0 && hk_copy_up(below, rootfd, m->destination, err) < 0))
		return -1;
	/* the new mount's root, not the directory beneath it */
	if (bind && (p->flags & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT)) &&
	    hk_remount_in_root(rootfd, m->destination, 0,
			       p->flags & ~(unsigned long)(MS_BIND | MS_REC), err) < 0)
		return -1;
	close(hk_take_fd(&fd));
	if (hk_root_open(rootfd, m->destination, HK_NO_CREATE, 0, &fd, err) < 0)
		return -1;
	return apply_after(fd, p, err);
}

int hk_mount_entry(int rootfd, const char *bundle, const struct oci_mount *m, size_t index,
		   int idmap_tree, const char *label, const struct hk_cgroup *cg,
		   struct hk_err **err)
{
	struct hk_mount_plan p;
	int ret;

	if (hk_mount_plan(m, label, &p, err) < 0)
		return hk_prefix(err, "mounts[%zu]: mount \"%s\" on \"%s\"", index,
				 m->source ? m->source : (m->type ? m->type : "none"),
				 m->destination);
	if (p.idmap && idmap_tree < 0)
		ret = hk_fail(err, EINVAL, "idmap without a prepared tree");
	else
		ret = do_mount(rootfd, bundle, m, &p, idmap_tree, cg, err);
	if (ret < 0)
		return hk_prefix(err, "mounts[%zu]: mount \"%s\" on \"%s\"", index,
				 m->source ? m->source : (m->type ? m->type : "none"),
				 m->destination);
	return 0;
}

/* 1 with *fd open, 0 when the path does not exist in the rootfs (nothing to protect), -1. */
static int open_existing(int rootfd, const char *field, const struct oci_strv *paths, size_t i,
			 int *fd, struct hk_err **err)
{
	if (hk_root_open(rootfd, paths->items[i], HK_NO_CREATE, 0, fd, err) == 0)
		return 1;
	if ((*err)->errnum != ENOENT)
		return hk_prefix(err, "%s[%zu]", field, i);
	hk_err_freep(err);
	return 0;
}

/* The host's /dev/null, checked to be the null device itself: a file mounted over it in husk's
 * namespace would otherwise be bound, writable, over every masked path (GHSA-9493-h29p-rfm2). */
static int open_dev_null(struct hk_err **err)
{
	int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return hk_fail(err, errno, "open /dev/null");
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		close(fd);
		return hk_fail(err, 0, "/dev/null is not the null device: refused");
	}
	return fd;
}

/* Every masked directory shows one empty, read-only tmpfs, readable by anyone, as runc masks
 * one: the first is mounted, the others are binds of it, so a container has one such
 * superblock, not one per directory. *shared: the tmpfs's root once mounted (-1 before). */
static int mask_dir(int rootfd, const char *path, const char *target, int *shared)
{
	char source[32];

	if (*shared >= 0) {
		hk_fd_path(*shared, source);
		return mount(source, target, NULL, MS_BIND, NULL);
	}
	if (mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL) < 0)
		return -1;
	/* the path walked again from the root crosses the new mount: its root (if that fails,
	 * the next directory mounts a tmpfs of its own) */
	if (hk_root_open(rootfd, path, HK_NO_CREATE, 0, shared, NULL) < 0)
		*shared = -1;
	return 0;
}

/* A masked file shows the host's /dev/null, opened and checked once (*null). */
static int mask_file(const char *target, int *null, struct hk_err **err)
{
	char source[32];

	if (*null < 0 && (*null = open_dev_null(err)) < 0)
		return -2;
	hk_fd_path(*null, source);
	return mount(source, target, NULL, MS_BIND, NULL);
}

int hk_mask_paths(int rootfd, const struct oci_strv *paths, struct hk_err **err)
{
	hk_cleanup_close int null = -1, shared = -1;
	int ret = 0;
	size_t i;

	for (i = 0; ret == 0 && i < paths->len; i++) {
		hk_cleanup_close int fd = -1;
		char target[32];
		struct stat st;

		ret = open_existing(rootfd, "linux.maskedPaths", paths, i, &fd, err);
		if (ret <= 0)
			continue;
		hk_fd_path(fd, target);
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			ret = mask_dir(rootfd, paths->items[i], target, &shared);
		else
			ret = mask_file(target, &null, err);
		if (ret == -2)
			return hk_prefix(err, "linux.maskedPaths[%zu]", i);
		if (ret < 0)
			return hk_fail(err, errno, "linux.maskedPaths[%zu]: mask \"%s\"", i,
				       paths->items[i]);
	}
	return ret < 0 ? -1 : 0;
}

int hk_readonly_paths(int rootfd, const struct oci_strv *paths, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < paths->len; i++) {
		hk_cleanup_close int fd = -1;
		char target[32];
		int ret = open_existing(rootfd, "linux.readonlyPaths", paths, i, &fd, err);

		if (ret < 0)
			return -1;
		if (ret == 0)
			continue;
		hk_fd_path(fd, target);
		if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
			ret = hk_fail(err, errno, "bind");
		else
			ret = hk_remount_in_root(rootfd, paths->items[i], 0,
						 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
		if (ret < 0)
			return hk_prefix(err, "linux.readonlyPaths[%zu]: \"%s\"", i,
					 paths->items[i]);
	}
	return 0;
}
