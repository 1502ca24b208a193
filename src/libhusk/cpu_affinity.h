/* process.execCPUAffinity: `initial` for husk's own process while it forks the stages, before
 * the container's cgroup; `final` for the process once it is in the cgroup. Without `final` the
 * process gets every CPU the cgroup allows, not the affinity of husk's caller (as runc). The
 * masks are sized to the CPUs named or present, never to glibc's fixed 1024. */
#ifndef HUSK_CPU_AFFINITY_H
#define HUSK_CPU_AFFINITY_H

#include <sched.h>

#include "config.h"

/* A CPU mask of any size (malloc'ed bits). */
struct hk_cpu_mask {
	unsigned long *bits;
	size_t bytes;
};

/* Checks both lists (before anything is created). */
int hk_cpu_affinity_check(const struct oci_process *p, struct hk_err **err);
/* `initial` on the calling process; *saved receives its mask before, for hk_cpu_affinity_restore.
 * Returns 1 when it changed something, 0 when there is no `initial`, -1 with err. */
int hk_cpu_affinity_initial(const struct oci_process *p, struct hk_cpu_mask *saved,
			    struct hk_err **err);
/* Puts saved back and frees it. */
void hk_cpu_affinity_restore(struct hk_cpu_mask *saved);
/* After the cgroup transition: `final`, else every CPU the cgroup's cpuset allows. */
int hk_cpu_affinity_final(const struct oci_process *p, struct hk_err **err);

#endif
