#include "cpu_affinity.h"

#include <errno.h>
#include <string.h>

#include "idlist.h"

static int parse(const char *list, const char *field, cpu_set_t *set, struct hk_err **err)
{
	CPU_ZERO(set);
	return hk_idlist_parse(list, (unsigned long *)set, CPU_SETSIZE, field, err);
}

int hk_cpu_affinity_check(const struct oci_process *p, struct hk_err **err)
{
	const struct oci_cpu_affinity *a = p->exec_cpu_affinity;
	cpu_set_t set;

	if (a == NULL)
		return 0;
	if (a->initial != NULL && parse(a->initial, "process.execCPUAffinity.initial", &set, err))
		return -1;
	if (a->final != NULL && parse(a->final, "process.execCPUAffinity.final", &set, err))
		return -1;
	return 0;
}

static int apply(const char *list, const char *field, struct hk_err **err)
{
	cpu_set_t set;

	if (parse(list, field, &set, err) < 0)
		return -1;
	if (sched_setaffinity(0, sizeof(set), &set) == 0)
		return 0;
	if (errno == EINVAL)
		return hk_fail_as(err, EINVAL,
				  "%s: no CPU of \"%s\" is online and in the container's cpuset",
				  field, list);
	return hk_fail(err, errno, "%s: sched_setaffinity \"%s\"", field, list);
}

int hk_cpu_affinity_initial(const struct oci_process *p, cpu_set_t *saved, struct hk_err **err)
{
	const struct oci_cpu_affinity *a = p->exec_cpu_affinity;

	if (a == NULL || a->initial == NULL)
		return 0;
	if (sched_getaffinity(0, sizeof(*saved), saved) < 0)
		return hk_fail(err, errno, "process.execCPUAffinity.initial: sched_getaffinity");
	return apply(a->initial, "process.execCPUAffinity.initial", err) < 0 ? -1 : 1;
}

void hk_cpu_affinity_restore(const cpu_set_t *saved)
{
	sched_setaffinity(0, sizeof(*saved), saved);
}

int hk_cpu_affinity_final(const struct oci_process *p, struct hk_err **err)
{
	const struct oci_cpu_affinity *a = p->exec_cpu_affinity;
	cpu_set_t all;

	if (a != NULL && a->final != NULL)
		return apply(a->final, "process.execCPUAffinity.final", err);
	/* the kernel keeps what the cpuset allows of "every CPU" */
	memset(&all, 0xff, sizeof(all));
	if (sched_setaffinity(0, sizeof(all), &all) < 0 && errno != EINVAL)
		return hk_fail(err, errno, "reset the CPU affinity to the cgroup's");
	return 0;
}
