/* The resource files both cgroup versions name alike, written the same way by either driver:
 * pids.max, rdma.max, the hugetlb limits (a v1 file or a v2 one, by where the controller is)
 * and linux.resources.unified's raw cgroup2 files. */
#include "cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hk_format.h"

const struct hk_cg_dir *hk_cg_need(const struct hk_cgroup *cg, const char *controller,
				   const char *field, struct hk_err **err)
{
	const struct hk_cg_dir *d = hk_cg_find(cg, controller);

	if (d == NULL)
		hk_fail(err, 0,
			"linux.resources.%s: this host has no %s cgroup controller; remove "
			"linux.resources.%s or enable the controller",
			field, controller, field);
	return d;
}

/* runtime-spec 1.3: a limit of 0 lets no process fork (runc 1.5's reading). In an update 0 stays
 * "unchanged": docker sends {"pids": {"limit": 0}} with every update of another resource. */
int hk_cg_write_pids(const struct hk_cgroup *cg, const struct oci_pids *p, bool update,
		     struct hk_err **err)
{
	const struct hk_cg_dir *d;

	if (p == NULL || !p->limit.set || (update && p->limit.value == 0))
		return 0;
	if ((d = hk_cg_need(cg, "pids", "pids", err)) == NULL)
		return -1;
	if (p->limit.value < 0)
		return hk_cg_write(d, "pids.max", "max", err);
	return hk_cg_writef(d, "pids.max", err, "%lld", (long long)p->limit.value);
}

int hk_cg_write_rdma(const struct hk_cgroup *cg, const struct oci_resources *r, struct hk_err **err)
{
	const struct hk_cg_dir *d;
	size_t i;

	if (r->rdma.len == 0)
		return 0;
	if ((d = hk_cg_need(cg, "rdma", "rdma", err)) == NULL)
		return -1;
	for (i = 0; i < r->rdma.len; i++) {
		const struct oci_rdma *e = &r->rdma.items[i];
		char handles[32] = "", objects[32] = "";

		if ((e->hca_handles.set && hk_format(handles, sizeof(handles), " hca_handle=%u",
						     e->hca_handles.value) < 0) ||
		    (e->hca_objects.set && hk_format(objects, sizeof(objects), " hca_object=%u",
						     e->hca_objects.value) < 0))
			return hk_fail(err, errno, "linux.resources.rdma");
		if ((handles[0] || objects[0]) &&
		    hk_cg_writef(d, "rdma.max", err, "%s%s%s", e->key, handles, objects) < 0)
			return -1;
	}
	return 0;
}

/* "2MB", "1GB", "64KB": digits then a unit, nothing that could leave the directory. */
static bool page_size_ok(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && digits < 12 && strchr("KMGT", s[digits]) != NULL && s[digits] &&
	       s[digits + 1] == 'B' && s[digits + 2] == '\0';
}

int hk_cg_apply_hugetlb(const struct hk_cgroup *cg, const struct oci_resources *r,
			struct hk_err **err)
{
	const struct hk_cg_dir *d;
	char file[64];
	size_t i;

	if (r->hugepage_limits.len == 0)
		return 0;
	if ((d = hk_cg_need(cg, "hugetlb", "hugepageLimits", err)) == NULL)
		return -1;
	for (i = 0; i < r->hugepage_limits.len; i++) {
		const struct oci_hugepage_limit *h = &r->hugepage_limits.items[i];

		if (!page_size_ok(h->page_size))
			return hk_fail(err, 0,
				       "linux.resources.hugepageLimits[%zu].pageSize: \"%.32s\" is "
				       "not a size like \"2MB\"",
				       i, h->page_size);
		if (hk_format(file, sizeof(file),
			      d->v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes",
			      h->page_size) < 0 ||
		    !hk_cg_has(d, file))
			return hk_fail(err, 0,
				       "linux.resources.hugepageLimits[%zu]: this host has no %s "
				       "huge pages (no %s)",
				       i, h->page_size, file);
		if (hk_cg_writef(d, file, err, "%llu", (unsigned long long)h->limit.value) < 0)
			return -1;
	}
	return 0;
}

int hk_cg_apply_unified(const struct hk_cgroup *cg, const struct oci_resources *r,
			struct hk_err **err)
{
	const struct hk_cg_dir *d = hk_cg_unified(cg);
	size_t i;

	for (i = 0; i < r->unified.len; i++) {
		const char *key = r->unified.keys[i];

		if (d == NULL)
			return hk_fail(err, 0,
				       "linux.resources.unified: \"%s\" needs cgroup v2 (this host "
				       "has %s)",
				       key, hk_cg_mode_name(cg->mode));
		if (strchr(key, '/') != NULL || key[0] == '.' || strchr(key, '.') == NULL)
			return hk_fail(
			    err, 0, "linux.resources.unified: \"%.64s\" is not a cgroup file name",
			    key);
		if (!hk_cg_has(d, key) && cg->mode == HK_CG_HYBRID)
			return hk_fail(err, 0,
				       "linux.resources.unified: \"%s\" needs cgroup v2, and this "
				       "hybrid host has the %.*s controller on v1",
				       key, (int)strcspn(key, "."), key);
		if (!hk_cg_has(d, key))
			return hk_fail(err, 0,
				       "linux.resources.unified: \"%s\": no such file in the "
				       "container's cgroup (is the %.*s controller available?)",
				       key, (int)strcspn(key, "."), key);
		if (hk_cg_write(d, key, r->unified.values[i], err) < 0)
			return -1;
	}
	return 0;
}
