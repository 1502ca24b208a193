#include "mempolicy.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "idlist.h"

#define MAX_NODES 1024 /* the kernel's MAX_NUMNODES is at most 1 << 10 */
enum { MODE_DEFAULT = 0, MODE_LOCAL = 4 };

struct policy {
	int mode; /* with the flags or'ed in, as set_mempolicy takes it */
	unsigned long nodes[MAX_NODES / (sizeof(unsigned long) * CHAR_BIT)];
	bool have_nodes;
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
		if (hk_idlist_parse(m->nodes, out->nodes, MAX_NODES, "linux.memoryPolicy.nodes",
				    err) < 0)
			return -1;
		out->have_nodes = true;
	}
	return 0;
}

int hk_mempolicy_check(const struct oci_linux *l, struct hk_err **err)
{
	struct policy p;

	return l == NULL || l->memory_policy == NULL ? 0 : plan(l->memory_policy, &p, err);
}

int hk_mempolicy_set(const struct oci_linux *l, struct hk_err **err)
{
	struct policy p;

	if (l == NULL || l->memory_policy == NULL)
		return 0;
	if (plan(l->memory_policy, &p, err) < 0)
		return -1;
	if (syscall(SYS_set_mempolicy, p.mode, p.have_nodes ? p.nodes : NULL,
		    p.have_nodes ? MAX_NODES + 1 : 0) < 0)
		return hk_fail(err, errno, "linux.memoryPolicy: set_mempolicy %s \"%s\"",
			       oci_name_of(&oci_mempolicy_modes, l->memory_policy->mode.value),
			       l->memory_policy->nodes ? l->memory_policy->nodes : "");
	return 0;
}
