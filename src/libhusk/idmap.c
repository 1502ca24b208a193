#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk_format.h"
#include "devices.h"
#include "fdio.h"
#include "idmap_write.h"
#include "mount_plan.h"
#include "mounts.h"
#include "namespaces.h"

/* The mount's own mappings, else the container's. */
static int mapping_of(const struct oci_config *c, const struct oci_mount *m, struct oci_linux *maps,
		      struct hk_err **err)
{
	if (m->uid_mappings.len || m->gid_mappings.len) {
		maps->uid_mappings.items = m->uid_mappings.items;
		maps->uid_mappings.len = m->uid_mappings.len;
		maps->gid_mappings.items = m->gid_mappings.items;
		maps->gid_mappings.len = m->gid_mappings.len;
		return 0;
	}
	if (c->linux != NULL && c->linux->uid_mappings.len) {
		*maps = *c->linux;
		return 0;
	}
	return hk_fail(err, 0,
		       "idmap needs uidMappings and gidMappings on the mount or a user namespace "
		       "with mappings");
}

/* A child that unshares a user namespace, says so on `ready`, and waits until `done` closes. */
static pid_t spawn_userns_holder(int ready[2], int done[2])
{
	pid_t child = fork();
	char byte = 0;

	if (child != 0)
		return child;
	ready[0] = hk_safe_close(ready[0]);
	done[1] =
	    hk_safe_close(done[1]); /* or the read below never sees the parent close its end */
	if (unshare(CLONE_NEWUSER) < 0)
		_exit(1);
	if (write(ready[1], "1", 1) != 1 || read(done[0], &byte, 1) < 0)
		_exit(1);
	_exit(0);
}

/* A user namespace holding the mappings: a child unshares it and waits while its maps are
 * written and the namespace is opened, then goes. */
static int userns_with_maps(const struct oci_linux *maps, int *nsfd, struct hk_err **err)
{
	hk_cleanup_close_pair int ready[2] = {-1, -1};
	hk_cleanup_close_pair int done[2] = {-1, -1};
	char path[64], byte = 0;
	int ret = -1;
	pid_t child;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		return hk_fail(err, errno, "pipe");
	child = spawn_userns_holder(ready, done);
	ready[1] = hk_safe_close(ready[1]);
	done[0] = hk_safe_close(done[0]);
	if (child < 0 || read(ready[0], &byte, 1) != 1) {
		hk_fail(err, errno ? errno : EPERM, "create a user namespace for the mapping");
	} else if (hk_idmap_write(child, maps, err) == 0) {
		*nsfd = hk_format(path, sizeof(path), "/proc/%d/ns/user", (int)child) < 0
			    ? -1
			    : open(path, O_RDONLY | O_CLOEXEC);
		ret = *nsfd < 0 ? hk_fail(err, errno, "open %s", path) : 0;
	}
	done[1] = hk_safe_close(done[1]); /* lets the child go */
	if (child > 0)
		waitpid(child, NULL, 0);
	return ret;
}

static int idmapped_tree(const struct oci_config *c, const char *bundle, const struct oci_mount *m,
			 bool recursive, int *out, struct hk_err **err)
{
	struct oci_linux maps = {0};
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP};
	unsigned rec = recursive ? AT_RECURSIVE : 0;
	hk_cleanup_close int tree = -1, nsfd = -1, src = -1;
	struct hk_mount_plan p;
	char source[4096];

	if (mapping_of(c, m, &maps, err) < 0 || hk_mount_plan(m, NULL, &p, err) < 0)
		return -1;
	if (m->source == NULL)
		return hk_fail(err, EINVAL, "idmap needs a source");
	/* the source opened as every bind's is (src-nofollow's rule too), the tree cloned from it
	 */
	if ((src = hk_bind_source_open(bundle, m, p.src_nofollow, source, err)) < 0)
		return -1;
	tree = (int)syscall(SYS_open_tree, src, "",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
	if (tree < 0)
		return hk_fail(err, errno, "open_tree %s", source);
	if (userns_with_maps(&maps, &nsfd, err) < 0)
		return -1;
	attr.userns_fd = (uint64_t)nsfd;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0)
		return hk_fail(err, errno, "idmap %s", source);
	*out = hk_take_fd(&tree);
	return 0;
}

/* A bind's tree cloned here, in the host's namespaces: for a bidirectional bind a peer of the
 * source's mount, so what the container mounts under it reaches the host; in a user namespace a
 * source only host root may reach (under a 0700 directory, as containerd's are). Where husk may
 * not clone (rootless), -1: the stage binds it as any other. */
static int host_tree(const char *bundle, const struct oci_mount *m, bool recursive, int *out,
		     struct hk_err **err)
{
	hk_cleanup_close int src = -1;
	struct hk_mount_plan p;
	char source[4096];

	if (hk_mount_plan(m, NULL, &p, err) < 0 ||
	    (src = hk_bind_source_open(bundle, m, p.src_nofollow, source, err)) < 0)
		return -1;
	*out = (int)syscall(SYS_open_tree, src, "",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
				(recursive ? AT_RECURSIVE : 0));
	if (*out < 0 && errno != EPERM)
		return hk_fail(err, errno, "open_tree %s", source);
	return 0;
}

/* Whether a mount lies below path (a recursive bind of it would carry submounts). */
static bool has_submounts(const char *bundle, const struct oci_mount *m)
{
	char source[4096], real[PATH_MAX], line[8192], point[4096];
	bool found = false;
	size_t n;
	FILE *info;

	if (m->source == NULL ||
	    hk_bind_source_path(bundle, m->source, source, sizeof(source)) < 0 ||
	    realpath(source, real) == NULL || (info = fopen("/proc/self/mountinfo", "re")) == NULL)
		return true; /* unknown: as if it had, the stage binds it */
	n = strlen(real);
	while (!found && fgets(line, sizeof(line), info) != NULL)
		found = sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
			strncmp(point, real, n) == 0 && point[n] == '/';
	fclose(info);
	return found;
}

/* In a user namespace of the container's own, every bind is cloned here, where host root
 * reaches its source; but a recursive one that carries submounts stays the stage's, whose copy
 * the kernel locks (MNT_LOCKED: the container cannot unmount one and see what it covers). */
static bool bound_from_host(const struct oci_config *c, const char *bundle,
			    const struct oci_mount *m, bool *recursive)
{
	bool rec = false;
	size_t i;

	if (!oci_config_new_namespace(c, OCI_NS_USER) || !hk_mount_is_bind(m))
		return false;
	for (i = 0; i < m->options.len; i++)
		rec = rec || strcmp(m->options.items[i], "rbind") == 0;
	*recursive = rec;
	return !rec || !has_submounts(bundle, m);
}

enum tree_kind { NO_TREE, IDMAPPED_TREE, HOST_TREE };

/* Which tree the parent prepares for a mount, decided once (a user namespace's recursive bind
 * reads the mount table for it); *recursive: whether the tree takes the submounts. */
static enum tree_kind tree_of(const struct oci_config *c, const char *bundle,
			      const struct oci_mount *m, bool *recursive)
{
	if (hk_mount_idmapped(m, recursive))
		return IDMAPPED_TREE;
	if (hk_mount_shares_with_host(m, recursive))
		return HOST_TREE;
	return bound_from_host(c, bundle, m, recursive) ? HOST_TREE : NO_TREE;
}

size_t hk_prepared_count(const struct oci_config *c)
{
	return c->mounts.len + (c->linux != NULL ? c->linux->devices.len : 0);
}

static int *prepared_array(const struct oci_config *c, int **fds)
{
	size_t j, n = hk_prepared_count(c);

	if (*fds != NULL)
		return *fds;
	if ((*fds = calloc(n, sizeof(int))) == NULL)
		abort();
	for (j = 0; j < n; j++)
		(*fds)[j] = -1;
	return *fds;
}

int hk_idmap_prepare(const struct oci_config *c, const char *bundle, int **fds, struct hk_err **err)
{
	size_t i;

	*fds = NULL;
	for (i = 0; i < c->mounts.len; i++) {
		const struct oci_mount *m = &c->mounts.items[i];
		bool rec = false;
		enum tree_kind kind = tree_of(c, bundle, m, &rec);
		int *tree;

		if (kind == NO_TREE)
			continue;
		tree = &prepared_array(c, fds)[i];
		if ((kind == IDMAPPED_TREE ? idmapped_tree(c, bundle, m, rec, tree, err)
					   : host_tree(bundle, m, rec, tree, err)) < 0) {
			hk_idmap_close(c, *fds);
			*fds = NULL;
			return hk_prefix(err, "mounts[%zu]: mount \"%s\" on \"%s\"", i,
					 m->source ? m->source : "none", m->destination);
		}
	}
	if (c->linux != NULL && c->linux->devices.len > 0 &&
	    oci_config_new_namespace(c, OCI_NS_USER) &&
	    hk_devices_prepare(c, prepared_array(c, fds) + c->mounts.len, err) < 0) {
		hk_idmap_close(c, *fds);
		*fds = NULL;
		return -1;
	}
	return 0;
}

void hk_idmap_close(const struct oci_config *c, int *fds)
{
	size_t i, n = hk_prepared_count(c);

	for (i = 0; fds != NULL && i < n; i++)
		fds[i] = hk_safe_close(fds[i]);
	free(fds);
}
