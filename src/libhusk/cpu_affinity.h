/* process.execCPUAffinity: `initial` for husk's own process while it forks the stages, before
 * the container's cgroup; `final` for the process once it is in the cgroup. Without `final` the
 * process gets every CPU the cgroup allows, not the affinity of husk's caller (as runc). */
#ifndef HUSK_CPU_AFFINITY_H
#define HUSK_CPU_AFFINITY_H

#include <sched.h>

#include "config.h"

/* Checks both lists (before anything is created). */
int hk_cpu_affinity_check(const struct oci_process *p, struct hk_err **err);
/* `initial` on the calling process; *saved receives its mask before, for hk_cpu_affinity_restore.
 * Returns 1 when it changed something, 0 when there is no `initial`, -1 with err. */
int hk_cpu_affinity_initial(const struct oci_process *p, cpu_set_t *saved, struct hk_err **err);
void hk_cpu_affinity_restore(const cpu_set_t *saved);
/* After the cgroup transition: `final`, else every CPU the cgroup's cpuset allows. */
int hk_cpu_affinity_final(const struct oci_process *p, struct hk_err **err);

#endif
