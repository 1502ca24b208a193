/* The container's "cgroup" mount. It sees its own cgroup, never the host's tree: each
 * hierarchy's directory of the container is bound (as runc does; a fresh mount would show the
 * whole tree without a cgroup namespace, and fails in a user namespace on v1). v1 and hybrid put
 * them under a tmpfs, with each comounted controller's name as a link, as on the host. */
#include "cgroup_mount.h"

#include <errno.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "mount_at.h"

/* One directory of the host's cgroup tree bound at dest/name; with remount, given the mount's
 * flags too. */
static int bind_hierarchy(int rootfd, const char *dest, const struct hk_cg_view *v,
			  unsigned long flags, bool remount, struct hk_err **err)
{
	char path[4096 + 256];

	if (hk_path_join(path, sizeof(path), dest, v->name) < 0)
		return hk_fail(err, errno, "%s/%s", dest, v->name);
	if (hk_mount_in_root(rootfd, path, RESOLVE_NO_SYMLINKS, v->source, NULL, MS_BIND, NULL,
			     "bind", err) < 0 ||
	    (remount && hk_remount_in_root(rootfd, path, RESOLVE_NO_SYMLINKS, flags, err) < 0))
		return hk_prefix(err, "%s", v->source);
	return 0;
}

/* The tmpfs and every bind under it take the mount's flags in one recursive mount_setattr
 * rather than a remount each (ten on a v1 host). It changes all or nothing; it fails before
 * Linux 5.12, or where a user namespace locks a flag it would clear, and then each mount is
 * remounted as before. */
static bool restrict_at_once(int rootfd, const char *dest, unsigned long flags)
{
	struct mount_attr attr = {0};
	hk_cleanup_close int fd = -1;

	attr.attr_set = hk_mount_attrs_of(flags);
	attr.attr_clr = (flags & MS_RDONLY ? 0 : MOUNT_ATTR_RDONLY) |
			(flags & MS_RELATIME ? MOUNT_ATTR__ATIME : 0); /* relatime is 0 */
	return hk_root_open(rootfd, dest, HK_NO_CREATE, RESOLVE_NO_SYMLINKS, &fd, NULL) == 0 &&
	       syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		       sizeof(attr)) == 0;
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

int hk_mount_cgroup(int rootfd, const struct oci_mount *m, unsigned long mount_flags,
		    const struct hk_cgroup *cg, struct hk_err **err)
{
	unsigned long flags =
	    mount_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY);
	struct hk_cg_view view;
	size_t i;

	if (hk_cg_view(cg, 0, &view) && view.name[0] == '\0') /* pure v2: the one entry */
		return bind_hierarchy(rootfd, m->destination, &view, flags, true, err);
	if (hk_mount_in_root(rootfd, m->destination, RESOLVE_NO_SYMLINKS, "tmpfs", "tmpfs",
			     flags & ~(unsigned long)MS_RDONLY, "mode=755",
			     "mount tmpfs for the cgroup hierarchies", err) < 0)
		return -1;
	for (i = 0; hk_cg_view(cg, i, &view); i++)
		if (bind_hierarchy(rootfd, m->destination, &view, flags, false, err) < 0 ||
		    link_comounted(rootfd, m->destination, view.name, err) < 0)
			return -1;
	if (restrict_at_once(rootfd, m->destination, flags))
		return 0;
	for (i = 0; hk_cg_view(cg, i, &view); i++) {
		char path[4096 + 256];

		if (hk_path_join(path, sizeof(path), m->destination, view.name) < 0)
			return hk_fail(err, errno, "%s/%s", m->destination, view.name);
		if (hk_remount_in_root(rootfd, path, RESOLVE_NO_SYMLINKS, flags, err) < 0)
			return hk_prefix(err, "%s", view.source);
	}
	return flags & MS_RDONLY ? hk_remount_in_root(rootfd, m->destination, 0, flags, err) : 0;
}
