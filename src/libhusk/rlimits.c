#include "rlimits.h"

#include <errno.h>
#include <sys/resource.h>

int hk_rlimits_set(const struct oci_process *p, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < p->rlimits.len; i++) {
		const struct oci_rlimit *r = &p->rlimits.items[i];
		struct rlimit lim = {.rlim_cur = r->soft.value, .rlim_max = r->hard.value};

		if (setrlimit((__rlimit_resource_t)r->type.value, &lim) < 0)
			return hk_fail(
			    err, errno, "process.rlimits[%zu]: setrlimit %s soft %llu hard %llu", i,
			    oci_name_of(&oci_rlimit_types, r->type.value),
			    (unsigned long long)r->soft.value, (unsigned long long)r->hard.value);
	}
	return 0;
}
