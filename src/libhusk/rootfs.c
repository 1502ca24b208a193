#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices.h"
#include "fdio.h"
#include "lsm.h"
#include "mount_plan.h"
#include "mounts.h"

static unsigned long root_propagation(const struct oci_config *c)
{
	if (c->linux != NULL && c->linux->rootfs_propagation.set)
		return (unsigned long)c->linux->rootfs_propagation.value;
	return MS_SLAVE | MS_REC;
}

/* What the whole tree becomes before anything is mounted: never shared with the host's, so that
 * no mount of the container's reaches it, and recursively (a submount left shared would carry
 * the container's mounts out). private and unbindable start as rprivate (an unbindable rootfs
 * could not be bound), shared and slave as rslave; what was asked is applied to the new / after
 * pivot_root. */
static unsigned long initial_propagation(const struct oci_config *c)
{
	unsigned long p = root_propagation(c) & ~(unsigned long)MS_REC;

	return (p == MS_PRIVATE || p == MS_UNBINDABLE ? MS_PRIVATE : MS_SLAVE) | MS_REC;
}

static bool binds_dev(const struct oci_config *c)
{
	size_t i;

	for (i = 0; i < c->mounts.len; i++) {
		const struct oci_mount *m = &c->mounts.items[i];
		size_t j;

		if (strcmp(m->destination, "/dev") != 0)
			continue;
		if (m->type != NULL && strcmp(m->type, "bind") == 0)
			return true;
		for (j = 0; j < m->options.len; j++)
			if (!strcmp(m->options.items[j], "bind") ||
			    !strcmp(m->options.items[j], "rbind"))
				return true;
	}
	return false;
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The rootfs the parent opened, found again in this mount namespace. Stage 1 entered it before
 * unsharing the mount namespace, which carries the working directory over to the new tree: no
 * path is walked, so directories above it that the container's root may not search (a 0700
 * state dir owned by host root, with a user namespace) do not matter. Else (a joined mount
 * namespace) the path, with no symlink in its last component; a rootfs swapped since is refused
 * (issue 11, item 6). */
static int reopen_rootfs(const char *rootfs, int parent_fd, struct hk_err **err)
{
	hk_cleanup_close int fd = -1;

	if (parent_fd >= 0) {
		fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && same_inode(fd, parent_fd))
			return hk_take_fd(&fd);
		hk_closep(&fd);
	}
	fd = open(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hk_fail(err, errno, "open the rootfs %s", rootfs);
	if (parent_fd >= 0 && !same_inode(fd, parent_fd))
		return hk_fail(err, 0, "the rootfs %s was replaced during create: refused", rootfs);
	return hk_take_fd(&fd);
}

/* A bind of the rootfs on itself, made and reached through fds only: the tree's fd is the root
 * every later step works from. Outside a mount namespace of its own it is made private, and its
 * mount id goes to *mount_id for delete. */
static int bind_rootfs(const struct oci_config *c, const char *rootfs, int parent_fd, int *out,
		       unsigned long long *mount_id, struct hk_err **err)
{
	hk_cleanup_close int dir = reopen_rootfs(rootfs, parent_fd, err), tree = -1;
	char target[32];
	struct statx stx;

	if (dir < 0)
		return -1;
	tree = (int)syscall(SYS_open_tree, dir, "",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0 || syscall(SYS_move_mount, tree, "", dir, "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return hk_fail(err, errno, "bind the rootfs %s", rootfs);
	hk_fd_path(tree, target);
	if (!oci_config_new_namespace(c, OCI_NS_MOUNT)) {
		if (statx(tree, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 ||
		    !(stx.stx_mask & STATX_MNT_ID)) {
			hk_fail(err, errno, "the mount id of the rootfs bind");
			umount2(target, MNT_DETACH);
			return -1;
		}
		*mount_id = stx.stx_mnt_id; /* the parent undoes it from here on */
		/* the namespace is the host's or a joined one: nothing under it may propagate */
		if (mount(NULL, target, NULL, MS_PRIVATE | MS_REC, NULL) < 0)
			return hk_fail(err, errno, "make the rootfs bind private");
	}
	*out = hk_take_fd(&tree);
	return 0;
}

/* A read-only /dev (a tmpfs with "ro") is mounted writable and made read-only once its nodes,
 * links and mount points exist, as runc orders it: mkdir /dev/pts on it failed with EROFS. */
static bool dev_read_only_later(const struct oci_mount *m)
{
	size_t i;
	bool ro = false;

	if (strcmp(m->destination, "/dev") != 0 || hk_mount_is_bind(m))
		return false;
	for (i = 0; i < m->options.len; i++)
		ro = strcmp(m->options.items[i], "ro") == 0 ||
		     (ro && strcmp(m->options.items[i], "rw") != 0);
	return ro;
}

static int mount_writable_for_now(int rootfd, const char *bundle, const struct oci_mount *m,
				  size_t index, int idmap_tree, const char *label,
				  const struct hk_cgroup *cg, struct hk_err **err)
{
	hk_cleanup_free char **options = calloc(m->options.len + 1, sizeof(char *));
	struct oci_mount copy = *m;
	size_t i, n = 0;

	if (options == NULL)
		return hk_fail(err, ENOMEM, "mounts[%zu]", index);
	for (i = 0; i < m->options.len; i++)
		if (strcmp(m->options.items[i], "ro") != 0)
			options[n++] = m->options.items[i];
	copy.options = (struct oci_strv){.items = options, .len = n, .set = true};
	return hk_mount_entry(rootfd, bundle, &copy, index, idmap_tree, label, cg, err);
}

static int dev_read_only_now(int rootfd, struct hk_err **err)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	hk_cleanup_close int dev = -1;

	if (hk_root_open(rootfd, "/dev", HK_NO_CREATE, RESOLVE_NO_SYMLINKS, &dev, err) < 0)
		return -1;
	if (syscall(SYS_mount_setattr, dev, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return hk_fail(err, errno, "mount \"/dev\" read-only");
	return 0;
}

int hk_rootfs_prepare(const struct oci_config *c, const char *bundle, const char *rootfs,
		      int rootfs_fd, bool in_userns, const int *idmap_trees,
		      const struct hk_cgroup *cg, int *rootfd, unsigned long long *mount_id,
		      struct hk_err **err)
{
	hk_cleanup_close int fd = -1;
	const char *label;
	bool ro_dev = false;
	struct stat st;
	size_t i;

	*mount_id = 0;
	/* Nothing mounted from here on may reach the host's namespace. */
	if (oci_config_new_namespace(c, OCI_NS_MOUNT) &&
	    mount(NULL, "/", NULL, initial_propagation(c), NULL) < 0)
		return hk_fail(err, errno, "make the mount tree %s",
			       initial_propagation(c) & MS_SLAVE ? "rslave" : "private");
	if (bind_rootfs(c, rootfs, rootfs_fd, &fd, mount_id, err) < 0)
		return -1;
	/* runc's CVE-2026-41579 and crun's CVE-2026-47766 class: device nodes made or removed
	 * through an image's /dev symlink (devices.c also refuses any link under /dev) */
	if (fstatat(fd, "dev", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return hk_fail(err, 0,
			       "rootfs %s: /dev is a symlink, which could lead device "
			       "nodes elsewhere: refused",
			       rootfs);
	label = hk_lsm_mount_label(c);
	for (i = 0; i < c->mounts.len; i++) {
		const struct oci_mount *m = &c->mounts.items[i];
		int tree = idmap_trees ? idmap_trees[i] : -1;

		if (dev_read_only_later(m)
			? mount_writable_for_now(fd, bundle, m, i, tree, label, cg, err) < 0
			: hk_mount_entry(fd, bundle, m, i, tree, label, cg, err) < 0)
			return -1;
		ro_dev = ro_dev || dev_read_only_later(m);
	}
	if (hk_devices_create(fd, c, in_userns, !binds_dev(c),
			      idmap_trees ? idmap_trees + c->mounts.len : NULL, err) < 0 ||
	    (ro_dev && dev_read_only_now(fd, err) < 0))
		return -1;
	*rootfd = hk_take_fd(&fd);
	return 0;
}

/* Whether the mountinfo line's mount is a procfs or sysfs outside the root at `root`. */
static bool full_host_view(const char *line, const char *root, char *point, size_t size)
{
	const char *sep = strstr(line, " - ");
	char fstype[32];
	size_t n = strlen(root);

	if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
	    sscanf(sep, " - %31s", fstype) != 1 || strlen(point) >= size)
		return false;
	if (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs") != 0)
		return false;
	return strncmp(point, root, n) != 0 || (point[n] != '\0' && point[n] != '/');
}

/* --no-pivot leaves the host's mounts beneath the chroot, in the container's mount namespace:
 * a fully visible procfs or sysfs there lets a container with CAP_SYS_ADMIN mount a fresh,
 * unmasked one (the kernel only refuses when none is fully visible). Each is covered with an
 * empty tmpfs, or detached, as runc does, before the root moves. */
static int cover_host_proc_and_sys(int rootfd, struct hk_err **err)
{
	char root[PATH_MAX], point[4096], line[8192], self[32];
	FILE *info;
	ssize_t n;

	hk_fd_path(rootfd, self);
	if ((n = readlink(self, root, sizeof(root) - 1)) < 0)
		return hk_fail(err, errno, "--no-pivot: the rootfs's path");
	root[n] = '\0';
	if ((info = fopen("/proc/self/mountinfo", "re")) == NULL)
		return hk_fail(err, errno, "--no-pivot: read the mount table");
	while (fgets(line, sizeof(line), info) != NULL)
		if (full_host_view(line, root, point, sizeof(point)) &&
		    mount("tmpfs", point, "tmpfs", MS_RDONLY, "size=0k") < 0 &&
		    umount2(point, MNT_DETACH) < 0 && errno != ENOENT && errno != EINVAL) {
			fclose(info);
			return hk_fail(err, errno, "--no-pivot: cover the host's %s", point);
		}
	fclose(info);
	return 0;
}

static int pivot(int rootfd, bool no_pivot, bool own, struct hk_err **err)
{
	if (fchdir(rootfd) < 0)
		return hk_fail(err, errno, "enter the rootfs");
	if (no_pivot && own && cover_host_proc_and_sys(rootfd, err) < 0)
		return -1;
	if (no_pivot) {
		if (own && mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return hk_fail(err, errno, "move the rootfs to /");
		if (chroot(".") < 0)
			return hk_fail(err, errno, "chroot");
	} else {
		/* pivot_root(".", ".") stacks the old root under the new one; detach it at once. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return hk_fail(err, errno, "pivot_root");
		if (umount2(".", MNT_DETACH) < 0)
			return hk_fail(err, errno, "detach the old root");
	}
	if (chdir("/") < 0)
		return hk_fail(err, errno, "chdir /");
	return 0;
}

int hk_rootfs_finish(const struct oci_config *c, int rootfd, bool no_pivot, struct hk_err **err)
{
	if (c->linux != NULL && (hk_mask_paths(rootfd, &c->linux->masked_paths, err) < 0 ||
				 hk_readonly_paths(rootfd, &c->linux->readonly_paths, err) < 0))
		return -1;
	/* pivot_root in a namespace that is not the container's own would move everyone's root */
	if (pivot(rootfd, no_pivot || !oci_config_new_namespace(c, OCI_NS_MOUNT),
		  oci_config_new_namespace(c, OCI_NS_MOUNT), err) < 0)
		return -1;
	if (c->root->readonly.value &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL) < 0) {
		/* keep the flags the kernel locked in a user namespace */
		if (errno != EPERM ||
		    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
			  NULL) < 0)
			return hk_fail(err, errno, "root.readonly: remount / read-only");
	}
	if (c->linux != NULL && c->linux->rootfs_propagation.set &&
	    mount(NULL, "/", NULL, root_propagation(c), NULL) < 0)
		return hk_fail(err, errno, "linux.rootfsPropagation");
	return 0;
}

/* 1 when mount `id` is the topmost mount on `point` in this namespace. */
static int is_top_mount(unsigned long long id, const char *point)
{
	char line[8192];
	unsigned long long top = 0, cur;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char where[4096];

		if (sscanf(line, "%llu %*s %*s %*s %4095s", &cur, where) == 2 &&
		    strcmp(where, point) == 0)
			top = cur;
	}
	fclose(f);
	return top == id;
}

static int detach_here(unsigned long long id, const char *rootfs, struct hk_err **err)
{
	if (is_top_mount(id, rootfs) != 1)
		return 0; /* gone already (or something else is on top: not ours to remove) */
	if (umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		return hk_fail(err, errno, "detach the rootfs mount %s", rootfs);
	return 0;
}

int hk_rootfs_release(unsigned long long id, const char *rootfs, const char *ns_path,
		      struct hk_err **err)
{
	hk_cleanup_close int ns = -1;
	int status;
	pid_t pid;

	if (id == 0)
		return 0;
	if (ns_path == NULL)
		return detach_here(id, rootfs, err);
	ns = open(ns_path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return 0; /* the namespace is gone, and its mounts with it */
	pid = fork();
	if (pid == 0)
		_exit(setns(ns, CLONE_NEWNS) < 0 || detach_here(id, rootfs, NULL) < 0);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return hk_fail(err, pid < 0 ? errno : 0, "detach the rootfs mount %s in %s", rootfs,
			       ns_path);
	return 0;
}
