#include "mempolicy.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "idlist.h"

/* set_mempolicy takes a node mask of up to a page of bits; the kernel's MAX_NUMNODES (1 << 10 at
 * most today) refuses ids past it, naming the field */
#define MAX_NODES (4096u * CHAR_BIT)
enum { MODE_DEFAULT = 0, MODE_LOCAL = 4 };

struct policy {
	int mode;	      /* with the flags or'ed in, as set_mempolicy takes it */
	unsigned long *nodes; /* malloc'ed, sized to the largest node named; NULL: none */
	size_t bits;
};

static int plan(const struct oci_memory_policy *m, struct policy *out, struct hk_err **err)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->mode = m->mode.value;
	for (i = 0; i < m->flags.len; i++)
		out->mode |= oci_name_find(&oci_mempolicy_flags, m->flags.items[i])->value;
	if (m->nodes != NULL && m->nodes[0] != '\0') {
		if (m->mode.value == MODE_DEFAULT || m->mode.value == MODE_LOCAL)
			return hk_fail(err, 0,
				       "config.json: linux.memoryPolicy.nodes: %s takes no nodes",
				       oci_name_of(&oci_mempolicy_modes, m->mode.value));
		out->nodes = hk_idlist_alloc(m->nodes, MAX_NODES, &out->bits,
					     "linux.memoryPolicy.nodes", err);
		if (out->nodes == NULL)
			return -1;
	}
	return 0;
}

int hk_mempolicy_check(const struct oci_linux *l, struct hk_err **err)
{
	struct policy p;
	int ret;

	if (l == NULL || l->memory_policy == NULL)
		return 0;
	ret = plan(l->memory_policy, &p, err);
	free(p.nodes);
	return ret;
}

int hk_mempolicy_set(const struct oci_linux *l, struct hk_err **err)
{
	struct policy p;
	long ret;

	if (l == NULL || l->memory_policy == NULL)
		return 0;
	if (plan(l->memory_policy, &p, err) < 0)
		return -1;
	ret = syscall(SYS_set_mempolicy, p.mode, p.nodes, p.nodes ? p.bits + 1 : 0);
	free(p.nodes);
	if (ret < 0)
		return hk_fail(err, errno, "linux.memoryPolicy: set_mempolicy %s \"%s\"",
			       oci_name_of(&oci_mempolicy_modes, l->memory_policy->mode.value),
			       l->memory_policy->nodes ? l->memory_policy->nodes : "");
	return 0;
}
