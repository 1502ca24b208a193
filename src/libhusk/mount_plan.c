/* The mount planner: a mount's options sorted into what each syscall takes (plan.h's pure
 * sibling; tests/unit/test_plan.c checks it). No syscalls here. */
#include "mount_plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "hk_format.h"
#include "mount_options.h"

/* SELinux labels the filesystems that have no labels of their own through a mount option. */
static bool takes_context(const struct oci_mount *m)
{
	static const char *const types[] = {"tmpfs", "mqueue", "devpts"};
	size_t i;

	for (i = 0; m->type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(m->type, types[i]) == 0)
			return true;
	return false;
}

/* The options husk handles itself. */
static int plan_extension(const struct oci_mount *m, const char *name, struct hk_mount_plan *p,
			  struct hk_err **err)
{
	if (strcmp(name, "tmpcopyup") == 0) {
		if (m->type == NULL || strcmp(m->type, "tmpfs") != 0)
			return hk_fail(err, EINVAL, "tmpcopyup is for tmpfs mounts");
		p->copy_up = true;
	} else if (strcmp(name, "src-nofollow") == 0) {
		p->src_nofollow = true;
	} /* idmap, ridmap: hk_mount_idmapped reads them; hk_idmap_prepare made the tree */
	return 0;
}

/* One option of the table. */
static int plan_option(const struct oci_mount *m, const char *name, const struct hk_mount_option *o,
		       struct hk_mount_plan *p, struct hk_err **err)
{
	switch (o->kind) {
	case HK_MOPT_FLAG:
		p->flags |= o->value;
		p->clear &= ~o->value;
		break;
	case HK_MOPT_CLEAR:
		p->flags &= ~o->value;
		p->clear |= o->value;
		break;
	case HK_MOPT_PROPAGATION:
		if (p->npropagation < 8)
			p->propagation[p->npropagation++] = o->value;
		break;
	case HK_MOPT_ATTR_SET:
		p->attr.attr_set |= o->value;
		p->recursive_attr = true;
		break;
	case HK_MOPT_ATTR_CLEAR:
		p->attr.attr_clr |= o->value;
		p->recursive_attr = true;
		break;
	case HK_MOPT_ATTR_ATIME: /* mount_setattr takes the whole atime field at once */
		p->attr.attr_clr |= MOUNT_ATTR__ATIME;
		p->attr.attr_set = (p->attr.attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | o->value;
		p->recursive_attr = true;
		break;
	case HK_MOPT_EXTENSION:
		return plan_extension(m, name, p, err);
	}
	return 0;
}

int hk_mount_plan(const struct oci_mount *m, const char *label, struct hk_mount_plan *p,
		  struct hk_err **err)
{
	size_t i, used = 0;

	memset(p, 0, sizeof(*p));
	if (label != NULL && takes_context(m)) {
		if (hk_format(p->data, sizeof(p->data), "context=\"%s\"", label) < 0)
			return hk_fail(err, 0, "linux.mountLabel too long");
		used = strlen(p->data);
	}
	for (i = 0; i < m->options.len; i++) {
		const char *name = m->options.items[i];
		const struct hk_mount_option *o = hk_mount_option_find(name);

		if (o == NULL) { /* filesystem data: size=, mode=, newinstance... */
			if (hk_format(p->data + used, sizeof(p->data) - used, "%s%s",
				      used ? "," : "", name) < 0)
				return hk_fail(err, 0, "options too long");
			used += strlen(p->data + used);
			continue;
		}
		if (plan_option(m, name, o, p, err) < 0)
			return -1;
	}
	p->idmap = hk_mount_idmapped(m, NULL);
	return 0;
}

bool hk_mount_idmapped(const struct oci_mount *m, bool *recursive)
{
	bool named = false, rec = false;
	size_t i;

	for (i = 0; i < m->options.len; i++) {
		rec = rec || strcmp(m->options.items[i], "ridmap") == 0;
		named = named || rec || strcmp(m->options.items[i], "idmap") == 0;
	}
	if (recursive != NULL)
		*recursive = rec;
	return named || m->uid_mappings.len > 0 || m->gid_mappings.len > 0;
}

bool hk_mount_shares_with_host(const struct oci_mount *m, bool *recursive)
{
	bool shared = false, rec = false;
	size_t i;

	for (i = 0; i < m->options.len; i++) {
		shared = shared || strcmp(m->options.items[i], "shared") == 0 ||
			 strcmp(m->options.items[i], "rshared") == 0;
		rec = rec || strcmp(m->options.items[i], "rbind") == 0;
	}
	if (recursive != NULL)
		*recursive = rec;
	return shared && hk_mount_is_bind(m);
}

bool hk_mount_plan_is_bind(const struct oci_mount *m, const struct hk_mount_plan *p)
{
	return (p->flags & MS_BIND) || (m->type != NULL && strcmp(m->type, "bind") == 0);
}

bool hk_mount_is_bind(const struct oci_mount *m)
{
	size_t i;

	for (i = 0; i < m->options.len; i++)
		if (!strcmp(m->options.items[i], "bind") || !strcmp(m->options.items[i], "rbind"))
			return true;
	return m->type != NULL && strcmp(m->type, "bind") == 0;
}
