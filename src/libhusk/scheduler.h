/* How the kernel schedules the container process: process.ioPriority (ioprio_set) and
 * process.scheduler (sched_setattr). */
#ifndef HUSK_SCHEDULER_H
#define HUSK_SCHEDULER_H

#include "config.h"

int hk_scheduler_set(const struct oci_process *p, struct hk_err **err);

#endif
