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

#include "copyup.h"
#include "fdio.h"
#include "inroot.h"
#include "mount_options.h"

/* ---- options ---- */

struct mount_plan {
	unsigned long flags, clear;
	unsigned long propagation[8];
	size_t npropagation;
	struct mount_attr attr;
	char data[4096];
	bool recursive_attr;
	bool copy_up; /* tmpcopyup: the tmpfs starts with what the image had there */
	bool idmap;
	bool src_nofollow; /* a bind source with a symlink on the way is refused */
};

/* SELinux labels the filesystems that have no labels of their own through a mount option. */
static bool takes_context(const struct oci_mount *m)
{
	static const char *const types[] = {"tmpfs", "mqueue", "devpts"};
	size_t i;

	for (i = 0; m->type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(m->type, types[i]) == 0)
			return true;
	return false;
}

static int plan_options(const struct oci_mount *m, const char *label, struct mount_plan *p,
			struct hk_err **err)
{
	size_t i, used = 0;

	memset(p, 0, sizeof(*p));
	if (label != NULL && takes_context(m)) {
		int n = snprintf(p->data, sizeof(p->data), "context=\"%s\"", label);

		if (n < 0 || (size_t)n >= sizeof(p->data))
			return hk_fail(err, 0, "linux.mountLabel too long");
		used = (size_t)n;
	}
	for (i = 0; i < m->options.len; i++) {
		const char *name = m->options.items[i];
		const struct hk_mount_option *o = hk_mount_option_find(name);

		if (o == NULL) { /* filesystem data: size=, mode=, newinstance... */
			int n = snprintf(p->data + used, sizeof(p->data) - used, "%s%s",
					 used ? "," : "", name);

			if (n < 0 || (size_t)n >= sizeof(p->data) - used)
				return hk_fail(err, 0, "options too long");
			used += (size_t)n;
			continue;
		}
		switch (o->kind) {
		case HK_MOPT_FLAG:
			p->flags |= o->value;
			p->clear &= ~o->value;
			break;
		case HK_MOPT_CLEAR:
			p->flags &= ~o->value;
			p->clear |= o->value;
			break;
		case HK_MOPT_PROPAGATION:
			if (p->npropagation < 8)
				p->propagation[p->npropagation++] = o->value;
			break;
		case HK_MOPT_ATTR_SET:
			p->attr.attr_set |= o->value;
			p->recursive_attr = true;
			break;
		case HK_MOPT_ATTR_CLEAR:
			p->attr.attr_clr |= o->value;
			p->recursive_attr = true;
			break;
		case HK_MOPT_EXTENSION:
			if (strcmp(name, "tmpcopyup") == 0 &&
			    (m->type == NULL || strcmp(m->type, "tmpfs") != 0))
				return hk_fail(err, EINVAL, "tmpcopyup is for tmpfs mounts");
			if (strcmp(name, "tmpcopyup") == 0)
				p->copy_up = true;
			else if (strcmp(name, "src-nofollow") == 0)
				p->src_nofollow = true;
			else /* idmap, ridmap: hk_idmap_prepare made the tree */
				p->idmap = true;
			break;
		}
	}
	return 0;
}

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

static int apply_after(int mntfd, const struct mount_plan *p, struct hk_err **err)
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

static bool is_bind(const struct oci_mount *m, const struct mount_plan *p)
{
	return (p->flags & MS_BIND) || (m->type != NULL && strcmp(m->type, "bind") == 0);
}

static int source_path(const char *bundle, const char *source, char *buf, size_t size)
{
	if (source[0] == '/')
		return snprintf(buf, size, "%s", source) < (int)size ? 0 : -1;
	return snprintf(buf, size, "%s/%s", bundle, source) < (int)size ? 0 : -1;
}

/* mount(2) onto path in the root, resolved now and mounted through that fd; `what` names it in
 * the message. */
static int mount_in_root(int rootfd, const char *path, unsigned long long resolve,
			 const char *source, const char *fstype, unsigned long flags,
			 const char *data, const char *what, struct hk_err **err)
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

/* The mount now on path (not the directory beneath it) remounted with flags. */
static int remount_in_root(int rootfd, const char *path, unsigned long long resolve,
			   unsigned long flags, struct hk_err **err)
{
	hk_cleanup_close int fd = -1;
	char target[32];

	if (hk_root_open(rootfd, path, HK_NO_CREATE, resolve, &fd, err) < 0)
		return -1;
	hk_fd_path(fd, target);
	return bind_remount(target, flags, err);
}

/* One directory of the host's cgroup tree bound at dest/name, with the mount's flags. */
static int bind_hierarchy(int rootfd, const char *dest, const struct hk_cg_view *v,
			  unsigned long flags, struct hk_err **err)
{
	char path[4096 + 256];

	snprintf(path, sizeof(path), "%s/%s", dest, v->name);
	if (mount_in_root(rootfd, path, RESOLVE_NO_SYMLINKS, v->source, NULL, MS_BIND, NULL, "bind",
			  err) < 0 ||
	    remount_in_root(rootfd, path, RESOLVE_NO_SYMLINKS, flags, err) < 0)
		return hk_prefix(err, "%s", v->source);
	return 0;
}

/* A comounted hierarchy ("cpu,cpuacct") is also reached by each controller's name, as on the
 * host. */
static int link_comounted(int rootfd, const char *dest, const char *name, struct hk_err **err)
{
	char copy[256], *save = NULL, *part;
	hk_cleanup_close int dir = -1;

	if (strchr(name, ',') == NULL || strlen(name) >= sizeof(copy))
		return 0;
	if (hk_root_open(rootfd, dest, HK_NO_CREATE, RESOLVE_NO_SYMLINKS, &dir, err) < 0)
		return -1;
	memcpy(copy, name, strlen(name) + 1);
	for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save))
		if (symlinkat(name, dir, part) < 0 && errno != EEXIST)
			return hk_fail(err, errno, "symlink %s/%s", dest, part);
	return 0;
}

/* The container sees its own cgroup, never the host's tree: each hierarchy's directory of the
 * container is bound (as runc does; a fresh mount would show the whole tree without a cgroup
 * namespace, and fails in a user namespace on v1). v1 and hybrid put them under a tmpfs. */
static int mount_cgroup(int rootfd, const struct oci_mount *m, const struct mount_plan *p,
			const struct hk_cgroup *cg, struct hk_err **err)
{
	unsigned long flags =
	    p->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY);
	struct hk_cg_view views[HK_CG_MAX_DIRS + 4];
	size_t n = hk_cg_view(cg, views, sizeof(views) / sizeof(views[0])), i;

	if (n == 1 && views[0].name[0] == '\0') /* pure v2 */
		return bind_hierarchy(rootfd, m->destination, &views[0], flags, err);
	if (mount_in_root(rootfd, m->destination, RESOLVE_NO_SYMLINKS, "tmpfs", "tmpfs",
			  flags & ~(unsigned long)MS_RDONLY, "mode=755",
			  "mount tmpfs for the cgroup hierarchies", err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (bind_hierarchy(rootfd, m->destination, &views[i], flags, err) < 0 ||
		    link_comounted(rootfd, m->destination, views[i].name, err) < 0)
			return -1;
	return flags & MS_RDONLY ? remount_in_root(rootfd, m->destination, 0, flags, err) : 0;
}

/* The filesystem's data; a tmpfs without mode= takes the mode of the directory it covers, as
 * with runc, instead of tmpfs's 1777. */
static const char *fs_data(const struct oci_mount *m, const struct mount_plan *p, int dest,
			   char *buf, size_t size)
{
	struct stat st;

	if (m->type == NULL || strcmp(m->type, "tmpfs") != 0 || strstr(p->data, "mode=") != NULL ||
	    fstat(dest, &st) < 0 || !S_ISDIR(st.st_mode))
		return p->data[0] ? p->data : NULL;
	snprintf(buf, size, "%s%smode=%o", p->data, p->data[0] ? "," : "", st.st_mode & 07777);
	return buf;
}

/* A bind mount's source, opened once: what is bound is that very file (its fd's path), so the
 * source cannot change between the check and the mount. With src-nofollow no symlink may lie
 * anywhere on its path, so a link planted in a shared volume after the config was written
 * cannot lead the mount outside the directory the config names. */
static int open_source(const char *path, bool nofollow, struct hk_err **err)
{
	int fd;

	if (nofollow) {
		fd = hk_path_open(path, O_PATH, RESOLVE_NO_SYMLINKS);
		if (fd < 0 && errno == ELOOP)
			return hk_fail(err, ELOOP,
				       "bind source %s: a symlink on its path (src-nofollow)",
				       path);
	} else {
		fd = open(path, O_PATH | O_CLOEXEC);
	}
	return fd < 0 ? hk_fail(err, errno, "bind source %s", path) : fd;
}

static int bind_source(const char *bundle, const struct oci_mount *m, const struct mount_plan *p,
		       int tree, char source[4096], enum hk_create *create, int *src,
		       struct hk_err **err)
{
	struct stat st;

	if (m->source == NULL || source_path(bundle, m->source, source, 4096) < 0)
		return hk_fail(err, EINVAL, "bind source");
	if (tree >= 0) { /* idmapped: hk_idmap_prepare opened it */
		if (stat(source, &st) < 0)
			return hk_fail(err, errno, "bind source %s", source);
	} else {
		*src = open_source(source, p->src_nofollow, err);
		if (*src < 0 || fstat(*src, &st) < 0)
			return *src < 0 ? -1 : hk_fail(err, errno, "bind source %s", source);
		hk_fd_path(*src, source);
	}
	if (!S_ISDIR(st.st_mode))
		*create = HK_CREATE_FILE;
	return 0;
}

/* The mount itself, onto the destination's fd: an idmapped tree moved there, a bind of the
 * source's fd, or a filesystem. */
static int mount_onto(int fd, const struct oci_mount *m, const struct mount_plan *p, int tree,
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
	return ret < 0 ? hk_fail(err, errno, "mount") : 0;
}

static int do_mount(int rootfd, const char *bundle, const struct oci_mount *m,
		    const struct mount_plan *p, int tree, const struct hk_cgroup *cg,
		    struct hk_err **err)
{
	bool bind = is_bind(m, p) || tree >= 0;
	bool special = m->type && (!strcmp(m->type, "proc") || !strcmp(m->type, "sysfs"));
	enum hk_create create = HK_CREATE_DIR;
	hk_cleanup_close int fd = -1, src = -1, below = -1;
	char source[4096], target[32];
	struct stat st;

	if (m->type != NULL && strcmp(m->type, "cgroup") == 0)
		return mount_cgroup(rootfd, m, p, cg, err);
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
	    remount_in_root(rootfd, m->destination, 0,
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
	struct mount_plan p;
	int ret;

	if (plan_options(m, label, &p, err) < 0)
		return hk_prefix(err, "mounts[%zu]: mount \"%s\" on \"%s\"", index,
				 m->source ? m->source : (m->type ? m->type : "none"),
				 m->destination);
	if (p.idmap && idmap_tree < 0)
		ret = hk_fail(err, EINVAL, "idmap without a prepared tree");
	else
		ret = do_mount(rootfd, bundle, m, &p, p.idmap ? idmap_tree : -1, cg, err);
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

int hk_mask_paths(int rootfd, const struct oci_strv *paths, struct hk_err **err)
{
	char null_path[32];
	int null = -1, ret = 0;
	size_t i;

	for (i = 0; ret == 0 && i < paths->len; i++) {
		char target[32];
		struct stat st;
		int fd;

		ret = open_existing(rootfd, "linux.maskedPaths", paths, i, &fd, err);
		if (ret <= 0)
			continue;
		ret = 0;
		hk_fd_path(fd, target);
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k,mode=000") < 0)
				ret = -1;
		} else if (null < 0 && (null = open_dev_null(err)) < 0) {
			close(fd);
			return hk_prefix(err, "linux.maskedPaths[%zu]", i);
		} else {
			hk_fd_path(null, null_path);
			if (mount(null_path, target, NULL, MS_BIND, NULL) < 0)
				ret = -1;
		}
		close(fd);
		if (ret < 0)
			hk_fail(err, errno, "linux.maskedPaths[%zu]: mask \"%s\"", i,
				paths->items[i]);
	}
	if (null >= 0)
		close(null);
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
			ret = remount_in_root(rootfd, paths->items[i], 0,
					      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
		if (ret < 0)
			return hk_prefix(err, "linux.readonlyPaths[%zu]: \"%s\"", i,
					 paths->items[i]);
	}
	return 0;
}
