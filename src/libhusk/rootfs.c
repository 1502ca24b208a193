#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices.h"
#include "lsm.h"
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

int hk_rootfs_prepare(const struct oci_config *c, const char *bundle, const char *rootfs,
		      bool in_userns, const int *idmap_trees, const struct hk_cgroup *cg,
		      int *rootfd, struct hk_err **err)
{
	const char *label;
	struct stat st;
	size_t i;
	int fd;

	/* Nothing mounted from here on may reach the host's namespace. */
	if (mount(NULL, "/", NULL, initial_propagation(c), NULL) < 0)
		return hk_fail(err, errno, "make the mount tree %s",
			       initial_propagation(c) & MS_SLAVE ? "rslave" : "private");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hk_fail(err, errno, "bind the rootfs %s", rootfs);
	fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hk_fail(err, errno, "open the rootfs %s", rootfs);
	/* runc's CVE-2026-41579 and crun's CVE-2026-47766 class: device nodes made or removed
	 * through an image's /dev symlink (devices.c also refuses any link under /dev) */
	if (fstatat(fd, "dev", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		return hk_fail(err, 0,
			       "rootfs %s: /dev is a symlink, which could lead device "
			       "nodes elsewhere: refused",
			       rootfs);
	}
	label = hk_lsm_mount_label(c);
	for (i = 0; i < c->mounts.len; i++) {
		if (hk_mount_entry(fd, bundle, &c->mounts.items[i], i,
				   idmap_trees ? idmap_trees[i] : -1, label, cg, err) < 0) {
			close(fd);
			return -1;
		}
	}
	if (hk_devices_create(fd, c, in_userns, !binds_dev(c), err) < 0) {
		close(fd);
		return -1;
	}
	*rootfd = fd;
	return 0;
}

static int pivot(const char *rootfs, bool no_pivot, struct hk_err **err)
{
	if (chdir(rootfs) < 0)
		return hk_fail(err, errno, "chdir to the rootfs");
	if (no_pivot) {
		if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
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

int hk_rootfs_finish(const struct oci_config *c, const char *rootfs, int rootfd, bool no_pivot,
		     struct hk_err **err)
{
	if (c->linux != NULL && (hk_mask_paths(rootfd, &c->linux->masked_paths, err) < 0 ||
				 hk_readonly_paths(rootfd, &c->linux->readonly_paths, err) < 0))
		return -1;
	if (pivot(rootfs, no_pivot, err) < 0)
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
