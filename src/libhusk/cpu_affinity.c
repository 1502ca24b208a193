#include "cpu_affinity.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "idlist.h"

int hk_cpu_affinity_check(const struct oci_process *p, struct hk_err **err)
{
	const struct oci_cpu_affinity *a = p->exec_cpu_affinity;
	const char *const lists[] = {a ? a->initial : NULL, a ? a->final : NULL};
	const char *const fields[] = {"process.execCPUAffinity.initial",
				      "process.execCPUAffinity.final"};
	size_t i, bits;

	for (i = 0; i < 2; i++) {
		hk_cleanup_free unsigned long *mask = NULL;

		if (lists[i] != NULL && (mask = hk_idlist_alloc(lists[i], HK_IDLIST_LIMIT, &bits,
								fields[i], err)) == NULL)
			return -1;
	}
	return 0;
}

static int apply(const char *list, const char *field, struct hk_err **err)
{
	size_t bits;
	hk_cleanup_free unsigned long *mask =
	    hk_idlist_alloc(list, HK_IDLIST_LIMIT, &bits, field, err);

	if (mask == NULL)
		return -1;
	if (sched_setaffinity(0, bits / CHAR_BIT, (cpu_set_t *)mask) == 0)
		return 0;
	if (errno == EINVAL)
		return hk_fail_as(err, EINVAL,
				  "%s: no CPU of \"%s\" is online and in the container's cpuset",
				  field, list);
	return hk_fail(err, errno, "%s: sched_setaffinity \"%s\"", field, list);
}

/* A mask as large as the kernel's: sched_getaffinity refuses one smaller than its CPU count. */
static int current_mask(struct hk_cpu_mask *m)
{
	long conf = sysconf(_SC_NPROCESSORS_CONF);

	for (m->bytes = CPU_ALLOC_SIZE(conf > 1024 ? conf : 1024); m->bytes <= (1u << 16);
	     m->bytes *= 2) {
		free(m->bits);
		if ((m->bits = calloc(1, m->bytes)) == NULL)
			return -1;
		if (sched_getaffinity(0, m->bytes, (cpu_set_t *)m->bits) >= 0)
			return 0;
		if (errno != EINVAL)
			break;
	}
	free(m->bits);
	m->bits = NULL;
	return -1;
}

int hk_cpu_affinity_initial(const struct oci_process *p, struct hk_cpu_mask *saved,
			    struct hk_err **err)
{
	const struct oci_cpu_affinity *a = p->exec_cpu_affinity;

	*saved = (struct hk_cpu_mask){0};
	if (a == NULL || a->initial == NULL)
		return 0;
	if (current_mask(saved) < 0)
		return hk_fail(err, errno, "process.execCPUAffinity.initial: sched_getaffinity");
	if (apply(a->initial, "process.execCPUAffinity.initial", err) < 0) {
		free(saved->bits);
		saved->bits = NULL;
		return -1;
	}
	return 1;
}

void hk_cpu_affinity_restore(struct hk_cpu_mask *saved)
{
	if (saved->bits != NULL)
		sched_setaffinity(0, saved->bytes, (cpu_set_t *)saved->bits);
	free(saved->bits);
	saved->bits = NULL;
}

int hk_cpu_affinity_final(const struct oci_process *p, struct hk_err **err)
{
	const struct oci_cpu_affinity *a = p->exec_cpu_affinity;
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	size_t bytes = CPU_ALLOC_SIZE(conf > 1024 ? conf : 1024);
	hk_cleanup_free unsigned long *all = NULL;

	if (a != NULL && a->final != NULL)
		return apply(a->final, "process.execCPUAffinity.final", err);
	/* the kernel keeps what the cpuset allows of "every CPU" */
	if ((all = malloc(bytes)) == NULL)
		return hk_fail(err, ENOMEM, "reset the CPU affinity to the cgroup's");
	memset(all, 0xff, bytes);
	if (sched_setaffinity(0, bytes, (cpu_set_t *)all) < 0 && errno != EINVAL)
		return hk_fail(err, errno, "reset the CPU affinity to the cgroup's");
	return 0;
}
