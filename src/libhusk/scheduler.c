#include "scheduler.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

struct sched_attr_v1 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static int set_scheduler(const struct oci_scheduler *s, struct hk_err **err)
{
	struct sched_attr_v1 attr = {.size = sizeof(attr),
				     .sched_policy = (uint32_t)s->policy.value,
				     .sched_nice = s->nice.value,
				     .sched_priority = (uint32_t)s->priority.value,
				     .sched_runtime = s->runtime.value,
				     .sched_deadline = s->deadline.value,
				     .sched_period = s->period.value};
	size_t i;

	for (i = 0; i < s->flags.len; i++)
		attr.sched_flags |=
		    (uint64_t)oci_name_find(&oci_sched_flags, s->flags.items[i])->value;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return hk_fail(err, errno, "process.scheduler: sched_setattr");
	return 0;
}

int hk_scheduler_set(const struct oci_process *p, struct hk_err **err)
{
	if (p->io_priority != NULL) {
		int prio = (p->io_priority->class.value << 13) | p->io_priority->priority.value;

		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
			return hk_fail(err, errno, "process.ioPriority");
	}
	return p->scheduler != NULL ? set_scheduler(p->scheduler, err) : 0;
}
