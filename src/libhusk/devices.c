#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "mounts.h"

struct device {
	const char *path;
	char type;
	long long major, minor;
	unsigned mode;
	unsigned uid, gid;
};

static const struct device default_devices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static const struct {
	const char *path, *target;
} default_links[] = {
    {"/dev/fd", "/proc/self/fd"},	{"/dev/stdin", "/proc/self/fd/0"},
    {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"},
    {"/dev/ptmx", "pts/ptmx"},
};

/* The directory the last node or link went into, kept open: the default ones all go into
 * /dev, opened once for the eleven. Nothing else runs in the container while they are made. */
struct parent_dir {
	char path[4096];
	int fd;
};

/* The directory that will hold path, inside the root (dir's fd, borrowed); *name points at the
 * last part. */
static int open_parent(int rootfd, const char *path, struct parent_dir *dir, const char **name,
		       struct hk_err **err)
{
	char parent[4096];
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash[1] == '\0' || (size_t)(slash - path) >= sizeof(parent))
		return hk_fail(err, EINVAL, "device path \"%s\"", path);
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	*name = slash + 1;
	if (dir->fd >= 0 && strcmp(dir->path, parent) == 0)
		return 0;
	dir->fd = hk_safe_close(dir->fd);
	/* no symlink on the way: a device node goes exactly where the config says */
	if (hk_root_open(rootfd, parent[0] ? parent : "/", HK_CREATE_DIR, RESOLVE_NO_SYMLINKS,
			 &dir->fd, err) < 0)
		return -1;
	memcpy(dir->path, parent, strlen(parent) + 1);
	return 0;
}

/* In a user namespace a node is the host's (host: its path) or one the parent made (tree >= 0),
 * mounted over an empty file; nosuid,noexec on that mount alone (a remount would have to repeat
 * every flag the kernel locked on the host's /dev), as crun makes them. */
static int attach_node(int dirfd, const char *name, const char *host, int tree, struct hk_err **err)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC};
	hk_cleanup_close int made = -1, fd = -1;
	char target[32];
	int ret;

	made = openat(dirfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (made < 0 || (fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return hk_fail(err, errno, "create %s", name);
	hk_fd_path(fd, target);
	ret = tree >= 0 ? (int)syscall(SYS_move_mount, tree, "", fd, "",
				       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
			: mount(host, target, NULL, MS_BIND, NULL);
	if (ret < 0)
		return tree >= 0 ? hk_fail(err, errno, "attach the node made for %s", name)
				 : hk_fail(err, errno, "bind %s", host);
	close(hk_take_fd(&fd));
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return hk_fail(err, errno, "%s: make it nosuid,noexec", name);
	return 0;
}

/* The node is made with its exact mode (the caller set no umask, so no chmod that a swapped path
 * could lead elsewhere) and, when the owner the kernel gave it is not the one asked for, owned
 * through an fd of it, checked to be the node just made: a container racing on a shared
 * directory cannot turn the chown onto a host file (issue 11, item 3). The owner is nearly always
 * right already (root's node for root's container): then one fstatat is all, and nothing is
 * changed that a swap could redirect. */
static int make_node(int dirfd, const char *name, const struct device *d, mode_t type,
		     struct hk_err **err)
{
	dev_t rdev = makedev((unsigned)d->major, (unsigned)d->minor);
	hk_cleanup_close int fd = -1;
	struct stat st;

	if (mknodat(dirfd, name, type | (d->mode & 07777), rdev) < 0)
		return hk_fail(err, errno, "mknod %s", d->path);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == type &&
	    (type == S_IFIFO || st.st_rdev == rdev) && st.st_uid == (uid_t)d->uid &&
	    st.st_gid == (gid_t)d->gid)
		return 0;
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return hk_fail(err, errno, "open %s", d->path);
	if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != rdev))
		return hk_fail(err, 0, "%s was replaced while it was made: refused", d->path);
	if (fchownat(fd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
		return hk_fail(err, errno, "chown %s", d->path);
	return 0;
}

static int make_device(int rootfd, struct parent_dir *dir, const struct device *d, bool in_userns,
		       int host_node, struct hk_err **err)
{
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	const char *name;
	int dirfd;

	if (open_parent(rootfd, d->path, dir, &name, err) < 0)
		return -1;
	dirfd = dir->fd;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT && errno != EISDIR)
		return hk_fail(err, errno, "replace %s", d->path);
	if (in_userns && type != S_IFIFO)
		return attach_node(dirfd, name, d->path, host_node, err);
	return make_node(dirfd, name, d, type, err);
}

static bool configured(const struct oci_linux *l, const char *path)
{
	size_t i;

	for (i = 0; l != NULL && i < l->devices.len; i++)
		if (strcmp(l->devices.items[i].path, path) == 0)
			return true;
	return false;
}

static int make_links(int rootfd, struct parent_dir *dir, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < sizeof(default_links) / sizeof(default_links[0]); i++) {
		const char *name;

		if (open_parent(rootfd, default_links[i].path, dir, &name, err) < 0)
			return -1;
		if (symlinkat(default_links[i].target, dir->fd, name) < 0 && errno != EEXIST)
			return hk_fail(err, errno, "symlink %s", default_links[i].path);
	}
	return 0;
}

/* runc cleans the path: "/dev/fuse/" and "/dev//fuse" are /dev/fuse. */
static void clean_path(const char *path, char *out, size_t size)
{
	size_t n = 0;

	for (; *path && n + 1 < size; path++)
		if (!(*path == '/' && n > 0 && out[n - 1] == '/'))
			out[n++] = *path;
	while (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = '\0';
}

/* A linux.devices entry as a node to make, its path cleaned into path. */
static struct device device_of(const struct oci_device *od, char *path, size_t size)
{
	clean_path(od->path, path, size);
	return (struct device){path,
			       (char)od->type.value,
			       od->major.value,
			       od->minor.value,
			       od->file_mode.set ? od->file_mode.value : 0666,
			       od->uid.value,
			       od->gid.value};
}

static void restore_umask(const mode_t *was)
{
	umask(*was);
}

static void close_parent_dir(struct parent_dir *dir)
{
	dir->fd = hk_safe_close(dir->fd);
}

int hk_devices_create(int rootfd, const struct oci_config *c, bool in_userns, bool defaults,
		      const int *host_nodes, struct hk_err **err)
{
	const struct oci_linux *l = c->linux;
	__attribute__((cleanup(close_parent_dir))) struct parent_dir dir = {.fd = -1};
	__attribute__((cleanup(restore_umask), unused)) mode_t umask_was =
	    umask(0); /* exact modes */
	size_t i;

	for (i = 0; defaults && i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
		if (!configured(l, default_devices[i].path) &&
		    make_device(rootfd, &dir, &default_devices[i], in_userns, -1, err) < 0)
			return hk_prefix(err, "default device");
	for (i = 0; l != NULL && i < l->devices.len; i++) {
		char path[4096];
		struct device d = device_of(&l->devices.items[i], path, sizeof(path));

		if (make_device(rootfd, &dir, &d, in_userns, host_nodes ? host_nodes[i] : -1, err) <
		    0)
			return hk_prefix(err, "linux.devices[%zu]", i);
	}
	return defaults ? make_links(rootfd, &dir, err) : 0;
}

/* The host's id for a container's one, through the mappings (the id itself without one). */
static unsigned host_id(const struct oci_id_mapping *m, size_t n, unsigned id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (id >= m[i].container_id.value && id - m[i].container_id.value < m[i].size.value)
			return m[i].host_id.value + (id - m[i].container_id.value);
	return id;
}

/* In a child with a private mount namespace: the detached tmpfs attached over its /dev, the node
 * cloned from there and sent back; the clone outlives the child and its namespace. */
static int clone_in_private_ns(int mnt)
{
	char byte = 0, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control)};
	struct cmsghdr *c;
	hk_cleanup_close_pair int socks[2] = {-1, -1};
	int fd = -1, tree;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		socks[0] = hk_safe_close(socks[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    syscall(SYS_move_mount, mnt, "", AT_FDCWD, "/dev", MOVE_MOUNT_F_EMPTY_PATH) <
			0 ||
		    (tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/dev/node",
					 OPEN_TREE_CLONE | AT_SYMLINK_NOFOLLOW)) < 0)
			_exit(1);
		_exit(hk_send_with_fd(socks[1], "t", 1, tree) == 1 ? 0 : 1);
	}
	socks[1] = hk_safe_close(socks[1]);
	if (child > 0 && recvmsg(socks[0], &msg, MSG_CMSG_CLOEXEC) == 1 &&
	    (c = CMSG_FIRSTHDR(&msg)) != NULL && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	socks[0] = hk_safe_close(socks[0]);
	if (child > 0)
		waitpid(child, NULL, 0);
	if (fd < 0)
		errno = EINVAL;
	return fd;
}

/* The node made in a tmpfs of its own that no path reaches (fsopen, fsmount: a detached
 * mount), then cloned as a detached mount of that node, which keeps the tmpfs alive. Nothing of
 * the host's is touched. */
static int host_node(const struct oci_linux *l, const struct device *d, int *tree,
		     struct hk_err **err)
{
	hk_cleanup_close int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC), mnt = -1;
	struct device host = *d;
	mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;

	host.uid = host_id(l->uid_mappings.items, l->uid_mappings.len, d->uid);
	host.gid = host_id(l->gid_mappings.items, l->gid_mappings.len, d->gid);
	if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0)) < 0)
		return hk_fail(err, errno, "make %s on the host side: a tmpfs", d->path);
	if (make_node(mnt, "node", &host, type, err) < 0)
		return -1;
	*tree = (int)syscall(SYS_open_tree, mnt, "node",
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	/* kernels before 6.15 clone nothing from a detached mount: a helper attaches it in a
	 * mount namespace of its own and clones the node there */
	if (*tree < 0 && errno == EINVAL)
		*tree = clone_in_private_ns(mnt);
	if (*tree < 0)
		return hk_fail(err, errno, "clone the node made for %s", d->path);
	return 0;
}

int hk_devices_prepare(const struct oci_config *c, int *trees, struct hk_err **err)
{
	const struct oci_linux *l = c->linux;
	size_t i;

	for (i = 0; l != NULL && i < l->devices.len; i++)
		trees[i] = -1;
	if (l == NULL || !oci_config_new_namespace(c, OCI_NS_USER))
		return 0;
	for (i = 0; i < l->devices.len; i++) {
		char path[4096];
		struct stat st;
		struct device d = device_of(&l->devices.items[i], path, sizeof(path));

		if (d.type == 'p' || lstat(path, &st) == 0)
			continue; /* a FIFO is made inside; a node the host has is bound */
		if (host_node(l, &d, &trees[i], err) < 0)
			return hk_prefix(err, "linux.devices[%zu]", i);
	}
	return 0;
}
