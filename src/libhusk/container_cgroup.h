/* What a live container's cgroup lets a caller do: pause and resume it (the freezer), list its
 * processes (ps), change its limits (update), watch it (events). The cgroup itself: cgroup/. */
#ifndef HUSK_CONTAINER_CGROUP_H
#define HUSK_CONTAINER_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "config.h"
#include "hk_error.h"

int hk_container_pause(const char *root, const char *id, struct hk_err **err);
int hk_container_resume(const char *root, const char *id, struct hk_err **err);
/* The pids of the container's processes (malloc'ed). */
int hk_container_pids(const char *root, const char *id, pid_t **pids, size_t *n,
		      struct hk_err **err);
int hk_container_update(const char *root, const char *id, const struct oci_resources *r,
			struct hk_err **err);

/* For `events`: the cgroup of a created, running or paused container, and a pidfd of its pid 1
 * that polls readable when the container ends. */
int hk_container_watch(const char *root, const char *id, struct hk_cgroup *cg, int *pidfd,
		       struct hk_err **err);

#endif
