/* The fds of spawn.c's stages: opened by the parent before the fork, its copies closed after
 * it, and everything else closed by stage 1 first thing (nothing of husk's, the flock'ed state
 * directory above all, may live on in the container). */
#include "spawn_stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdio.h"
#include "idmap.h"
#include "namespaces.h"

/* Closes every fd from `from` up but those in keep: nothing of husk's (the flock'ed state
 * directory above all) may live on in the container. */
static void close_fds_except(int from, const int *keep, size_t n)
{
	int lowest = from;

	for (;;) {
		int next = -1;
		size_t i;

		for (i = 0; i < n; i++)
			if (keep[i] >= lowest && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0) {
			hk_close_range(lowest, ~0u, false);
			return;
		}
		if (next > lowest)
			hk_close_range(lowest, (unsigned)next - 1, false);
		lowest = next + 1;
	}
}

static bool kept(int fd, const int *keep, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* husk's own fds may have taken numbers in the preserved range that the caller left free (the
 * flock'ed state directory would then block `start` from pid 1). The caller's fds survived its
 * execve, so they are the ones without FD_CLOEXEC; every fd of husk's has it. */
static void close_own_preserved(int preserve_fds, const int *keep, size_t n)
{
	int fd;

	for (fd = 3; fd < 3 + preserve_fds; fd++) {
		int flags = fcntl(fd, F_GETFD);

		if (flags >= 0 && (flags & FD_CLOEXEC) && !kept(fd, keep, n))
			close(fd);
	}
}

void hk_stage_close_inherited(const struct stage *st)
{
	const struct hk_spawn_plan *plan = st->plan;
	size_t ntrees = st->idmap_trees != NULL ? hk_prepared_count(plan->config) : 0, nkeep = 0, i;
	int *keep = calloc(OCI_NS_COUNT + 7 + HK_CG_MAX_DIRS + ntrees, sizeof(int));

	if (keep == NULL)
		_exit(1);
	keep[nkeep++] = st->sock;
	keep[nkeep++] = plan->exec_fifo;
	keep[nkeep++] = plan->start_result;
	keep[nkeep++] = plan->init_root;
	keep[nkeep++] = plan->rootfs_fd;
	keep[nkeep++] = plan->exec_stub;
	for (i = 0; i < OCI_NS_COUNT; i++)
		if (st->ns_fds[i] >= 0)
			keep[nkeep++] = st->ns_fds[i];
	for (i = 0; i < ntrees; i++)
		if (st->idmap_trees[i] >= 0)
			keep[nkeep++] = st->idmap_trees[i];
	for (i = 0; i < (size_t)st->n_cg_entries; i++)
		keep[nkeep++] = st->cg_entries[i];
	keep[nkeep++] = st->cg_v2_procs;
	close_fds_except(3 + plan->preserve_fds, keep, nkeep);
	close_own_preserved(plan->preserve_fds, keep, nkeep);
	free(keep);
}

/* The parent's copies of the fds opened for the stages, once they are forked (or failed). */
void hk_stage_close_fds(struct stage *st)
{
	int i;

	hk_ns_close_paths(st->ns_fds);
	hk_idmap_close(st->plan->config, st->idmap_trees);
	st->idmap_trees = NULL;
	for (i = 0; i < st->n_cg_entries; i++)
		st->cg_entries[i] = hk_safe_close(st->cg_entries[i]);
	st->n_cg_entries = 0;
	st->cg_v2_procs = hk_safe_close(st->cg_v2_procs);
}

/* The fds stage 1 needs, opened before the fork so that errors come early; STUB_CLONES: the
 * cgroup's entry files too, on the host's cgroupfs (stage 1 is soon in the container's mounts). */
int hk_stage_open_fds(struct stage *st, int socks[2], struct hk_err **err)
{
	const struct hk_spawn_plan *plan = st->plan;
	const char *failed = NULL;
	int n = 0;

	if (hk_plan_has(plan, HK_STEP_IDMAP_MOUNTS) &&
	    hk_idmap_prepare(plan->config, plan->bundle, &st->idmap_trees, err) < 0)
		return -1;
	if (hk_ns_open_paths(plan->ns, st->ns_fds, err) < 0) {
		hk_stage_close_fds(st);
		return -1;
	}
	if (hk_plan_has(plan, HK_STEP_STUB_CLONES) &&
	    (n = hk_cg_open_entries(plan->cgroup, st->cg_entries, &st->cg_v2_procs, &failed)) < 0) {
		hk_fail(err, errno, "join cgroup %s", failed);
		hk_stage_close_fds(st);
		return -1;
	}
	st->n_cg_entries = hk_plan_has(plan, HK_STEP_STUB_CLONES) ? n : 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
		hk_fail(err, errno, "socketpair");
		hk_stage_close_fds(st);
		return -1;
	}
	st->sock = socks[1];
	return 0;
}
