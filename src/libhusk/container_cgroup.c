#include "container_cgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

/* runc's words, which callers match: resume wants a paused container, the others a live one. */
static const char *refusal(enum oci_status status, unsigned allowed)
{
	if (allowed == 1u << OCI_STATUS_PAUSED)
		return "container not paused";
	if (status != OCI_STATUS_RUNNING && status != OCI_STATUS_PAUSED)
		return "container not running";
	return "container already paused";
}

/* The container's cgroup, when its status is one of `allowed` (a bit per enum oci_status); else
 * the failure ends in the words clients match (CONTRACT.md). With pidfd, also a pidfd of pid 1.
 * With held, the record stays open and locked on success, for the caller to close once it has
 * acted on the cgroup: unlocked, a delete and a create of the same id could come between the
 * status read and the act, and a pause would freeze the new container's pid 1 in its create. */
static int open_cgroup(const char *root, const char *id, unsigned allowed, struct hk_cgroup *cg,
		       int *pidfd, struct hk_container *held, struct hk_err **err)
{
	struct hk_container c;
	enum oci_status status;
	int ret = 0;

	if (hk_store_open(root, id, true, &c, err) < 0)
		return -1;
	status = hk_container_status(c.record);
	if (!(allowed & (1u << status)))
		ret = hk_fail(err, 0, "container \"%s\" is %s: %s", id,
			      oci_name_of(&oci_statuses, (int)status), refusal(status, allowed));
	else if (!c.record->cgroup_paths.len)
		ret = hk_fail(err, 0, "container \"%s\" has no cgroup (it was created without one)",
			      id);
	else
		ret = hk_cg_load(cg, &c.record->cgroup_paths, c.record->systemd_cgroup.value, err);
	if (ret == 0 && pidfd != NULL && (*pidfd = hk_container_pidfd(c.record, err)) < 0)
		ret = -1;
	if (ret == 0 && held != NULL)
		*held = c;
	else
		hk_container_close(&c);
	return ret;
}

#define LIVE ((1u << OCI_STATUS_CREATED) | (1u << OCI_STATUS_RUNNING) | (1u << OCI_STATUS_PAUSED))

int hk_container_pause(const char *root, const char *id, struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};
	struct hk_cgroup cg;

	/* running only, as runc: a created container frozen between create and start (run's two
	 * halves) would hold start's pid 1 and any create racing its delete */
	if (open_cgroup(root, id, 1u << OCI_STATUS_RUNNING, &cg, NULL, &c, err) < 0)
		return -1;
	return hk_cg_freeze(&cg, true, err);
}

int hk_container_resume(const char *root, const char *id, struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};
	struct hk_cgroup cg;

	if (open_cgroup(root, id, 1u << OCI_STATUS_PAUSED, &cg, NULL, &c, err) < 0)
		return -1;
	return hk_cg_freeze(&cg, false, err);
}

int hk_container_pids(const char *root, const char *id, pid_t **pids, size_t *n,
		      struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};
	struct hk_cgroup cg;

	*pids = NULL;
	*n = 0;
	if (open_cgroup(root, id, LIVE | (1u << OCI_STATUS_STOPPED), &cg, NULL, &c, err) < 0)
		return -1;
	/* a stopped container has no processes: an empty list, as runc prints */
	if (hk_container_status(c.record) == OCI_STATUS_STOPPED)
		return 0;
	return hk_cg_pids(&cg, pids, n, err);
}

int hk_container_update(const char *root, const char *id, const struct oci_resources *r,
			struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};
	struct hk_cgroup cg;

	if (open_cgroup(root, id, LIVE, &cg, NULL, &c, err) < 0)
		return -1;
	return hk_cg_apply(&cg, r, true, err);
}

int hk_container_watch(const char *root, const char *id, struct hk_cgroup *cg, int *pidfd,
		       struct hk_err **err)
{
	/* events watches for as long as it runs: no lock held; the pidfd pins pid 1 */
	return open_cgroup(root, id, LIVE, cg, pidfd, NULL, err);
}
