/* linux.resources on cgroup v1 (and the v1 half of a hybrid host). As with runc, 0 means "not
 * set" for the memory, cpu and pids numbers: the spec's zero values are never written. */
#include "cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes at every step: raising both, the
 * limit is refused until swap has moved (EINVAL), so swap goes first then. */
static int v1_memory_limits(const struct hk_cg_dir *d, const struct oci_memory *m,
			    struct hk_err **err)
{
	bool limit = m->limit.set && m->limit.value != 0;
	bool swap = m->swap.set && m->swap.value != 0;
	hk_cleanup_err struct hk_err *first = NULL;

	if (swap && !hk_cg_has(d, "memory.memsw.limit_in_bytes")) {
		if (m->swap.value == -1 || (limit && m->swap.value == m->limit.value))
			swap = false; /* asks for what an unaccounted host does anyway */
		else
			return hk_fail(err, 0,
				       "linux.resources.memory.swap: this host does not account "
				       "swap (no memory.memsw.limit_in_bytes)");
	}
	if (limit && hk_cg_writef(d, "memory.limit_in_bytes", &first, "%lld",
				  (long long)m->limit.value) == 0)
		limit = false;
	else if (limit && !(swap && first->errnum == EINVAL))
		return hk_cg_pass(err, &first);
	if (swap && hk_cg_writef(d, "memory.memsw.limit_in_bytes", err, "%lld",
				 (long long)m->swap.value) < 0)
		return -1;
	if (limit &&
	    hk_cg_writef(d, "memory.limit_in_bytes", err, "%lld", (long long)m->limit.value) < 0)
		return -1;
	return 0;
}

static int check_before_update(const struct hk_cg_dir *d, const struct oci_memory *m,
			       const char *usage_file, struct hk_err **err)
{
	long long usage;

	if (!m->check_before_update.value || !m->limit.set || m->limit.value <= 0 ||
	    !hk_cg_read_i64(d, usage_file, &usage) || m->limit.value >= usage)
		return 0;
	return hk_fail(err, 0,
		       "linux.resources.memory.limit: %lld is below the current usage %lld "
		       "(checkBeforeUpdate)",
		       (long long)m->limit.value, usage);
}

static int v1_memory(const struct hk_cgroup *cg, const struct oci_memory *m, bool update,
		     struct hk_err **err)
{
	hk_cleanup_err struct hk_err *kmem = NULL;
	const struct hk_cg_dir *d;

	if (m == NULL)
		return 0;
	if ((d = hk_cg_need(cg, "memory", "memory", err)) == NULL)
		return -1;
	if (update && check_before_update(d, m, "memory.usage_in_bytes", err) < 0)
		return -1;
	if (v1_memory_limits(d, m, err) < 0)
		return -1;
	if (m->reservation.set && m->reservation.value != 0 &&
	    hk_cg_writef(d, "memory.soft_limit_in_bytes", err, "%lld",
			 (long long)m->reservation.value) < 0)
		return -1;
	/* The spec lets a runtime ignore memory.kernel; kernels since 6.1 refuse the file. */
	if (m->kernel.set && m->kernel.value != 0 &&
	    hk_cg_writef(d, "memory.kmem.limit_in_bytes", &kmem, "%lld",
			 (long long)m->kernel.value) < 0)
		hk_debug("linux.resources.memory.kernel ignored: %s", kmem->msg);
	if (m->kernel_tcp.set && m->kernel_tcp.value != 0 &&
	    hk_cg_writef(d, "memory.kmem.tcp.limit_in_bytes", err, "%lld",
			 (long long)m->kernel_tcp.value) < 0)
		return -1;
	if (m->swappiness.set && hk_cg_writef(d, "memory.swappiness", err, "%llu",
					      (unsigned long long)m->swappiness.value) < 0)
		return -1;
	if (m->disable_oom_killer.set &&
	    hk_cg_write(d, "memory.oom_control", m->disable_oom_killer.value ? "1" : "0", err) < 0)
		return -1;
	if (m->use_hierarchy.set &&
	    hk_cg_write(d, "memory.use_hierarchy", m->use_hierarchy.value ? "1" : "0", err) < 0)
		return -1;
	return 0;
}

/* The pair period/quota (and rt period/runtime) is checked by the kernel against the pair's
 * current other half; the order that fails is tried the other way round. */
static int write_pair(const struct hk_cg_dir *d, const char *f1, long long v1, const char *f2,
		      long long v2, struct hk_err **err)
{
	hk_cleanup_err struct hk_err *first = NULL;

	if (v1 == 0)
		return v2 == 0 ? 0 : hk_cg_writef(d, f2, err, "%lld", v2);
	if (hk_cg_writef(d, f1, &first, "%lld", v1) == 0)
		return v2 == 0 ? 0 : hk_cg_writef(d, f2, err, "%lld", v2);
	if (v2 == 0 || hk_cg_writef(d, f2, NULL, "%lld", v2) < 0)
		return hk_cg_pass(err, &first);
	return hk_cg_writef(d, f1, err, "%lld", v1);
}

static int v1_cpu(const struct hk_cgroup *cg, const struct oci_cpu *c, struct hk_err **err)
{
	const struct hk_cg_dir *d, *set;

	if (c == NULL)
		return 0;
	if ((c->cpus != NULL && c->cpus[0]) || (c->mems != NULL && c->mems[0])) {
		if ((set = hk_cg_need(cg, "cpuset", "cpu", err)) == NULL)
			return -1;
		if (c->cpus != NULL && c->cpus[0] && hk_cg_write(set, "cpuset.cpus", c->cpus, err))
			return -1;
		if (c->mems != NULL && c->mems[0] && hk_cg_write(set, "cpuset.mems", c->mems, err))
			return -1;
	}
	if (!c->shares.value && !c->period.value && !c->quota.value && !c->burst.set &&
	    !c->realtime_period.value && !c->realtime_runtime.value && !c->idle.set)
		return 0;
	if ((d = hk_cg_need(cg, "cpu", "cpu", err)) == NULL)
		return -1;
	if (c->shares.value &&
	    hk_cg_writef(d, "cpu.shares", err, "%llu", (unsigned long long)c->shares.value) < 0)
		return -1;
	if (write_pair(d, "cpu.cfs_period_us", (long long)c->period.value, "cpu.cfs_quota_us",
		       c->quota.value, err) < 0)
		return -1;
	if (c->burst.set && hk_cg_writef(d, "cpu.cfs_burst_us", err, "%llu",
					 (unsigned long long)c->burst.value) < 0)
		return -1;
	if (write_pair(d, "cpu.rt_period_us", (long long)c->realtime_period.value,
		       "cpu.rt_runtime_us", c->realtime_runtime.value, err) < 0)
		return -1;
	if (c->idle.set && hk_cg_writef(d, "cpu.idle", err, "%lld", (long long)c->idle.value) < 0)
		return -1;
	return 0;
}

static int throttle(const struct hk_cg_dir *d, const char *file,
		    const struct oci_throttle_device *items, size_t len, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (hk_cg_writef(d, file, err, "%lld:%lld %llu", (long long)items[i].major.value,
				 (long long)items[i].minor.value,
				 (unsigned long long)items[i].rate.value) < 0)
			return -1;
	return 0;
}

/* Without CFQ (gone since 5.0) only BFQ has weights: blkio.bfq.weight. */
static const char *weight_file(const struct hk_cg_dir *d, const char *plain, const char *bfq,
			       struct hk_err **err)
{
	if (hk_cg_has(d, plain))
		return plain;
	if (hk_cg_has(d, bfq))
		return bfq;
	hk_fail(err, 0,
		"linux.resources.blockIO: this host has neither %s nor %s (no block device uses "
		"the BFQ scheduler)",
		plain, bfq);
	return NULL;
}

static int v1_blkio_weights(const struct hk_cg_dir *d, const struct oci_blkio *b,
			    struct hk_err **err)
{
	const char *file;
	size_t i;

	if (b->weight.set && b->weight.value) {
		if ((file = weight_file(d, "blkio.weight", "blkio.bfq.weight", err)) == NULL ||
		    hk_cg_writef(d, file, err, "%u", b->weight.value) < 0)
			return -1;
	}
	if (b->leaf_weight.set && b->leaf_weight.value &&
	    hk_cg_writef(d, "blkio.leaf_weight", err, "%u", b->leaf_weight.value) < 0)
		return -1;
	for (i = 0; i < b->weight_device.len; i++) {
		const struct oci_weight_device *w = &b->weight_device.items[i];

		if (w->weight.set &&
		    ((file = weight_file(d, "blkio.weight_device", "blkio.bfq.weight_device",
					 err)) == NULL ||
		     hk_cg_writef(d, file, err, "%lld:%lld %u", (long long)w->major.value,
				  (long long)w->minor.value, w->weight.value) < 0))
			return -1;
		if (w->leaf_weight.set &&
		    hk_cg_writef(d, "blkio.leaf_weight_device", err, "%lld:%lld %u",
				 (long long)w->major.value, (long long)w->minor.value,
				 w->leaf_weight.value) < 0)
			return -1;
	}
	return 0;
}

static int v1_blkio(const struct hk_cgroup *cg, const struct oci_blkio *b, struct hk_err **err)
{
	const struct hk_cg_dir *d;

	if (b == NULL)
		return 0;
	if ((d = hk_cg_need(cg, "blkio", "blockIO", err)) == NULL)
		return -1;
	if (v1_blkio_weights(d, b, err) < 0 ||
	    throttle(d, "blkio.throttle.read_bps_device", b->throttle_read_bps.items,
		     b->throttle_read_bps.len, err) < 0 ||
	    throttle(d, "blkio.throttle.write_bps_device", b->throttle_write_bps.items,
		     b->throttle_write_bps.len, err) < 0 ||
	    throttle(d, "blkio.throttle.read_iops_device", b->throttle_read_iops.items,
		     b->throttle_read_iops.len, err) < 0 ||
	    throttle(d, "blkio.throttle.write_iops_device", b->throttle_write_iops.items,
		     b->throttle_write_iops.len, err) < 0)
		return -1;
	return 0;
}

static int v1_network(const struct hk_cgroup *cg, const struct oci_network *n, struct hk_err **err)
{
	const struct hk_cg_dir *d;
	size_t i;

	if (n == NULL)
		return 0;
	if (n->class_id.set) {
		if ((d = hk_cg_need(cg, "net_cls", "network.classID", err)) == NULL ||
		    hk_cg_writef(d, "net_cls.classid", err, "%u", n->class_id.value) < 0)
			return -1;
	}
	if (n->priorities.len &&
	    (d = hk_cg_need(cg, "net_prio", "network.priorities", err)) == NULL)
		return -1;
	for (i = 0; i < n->priorities.len; i++)
		if (hk_cg_writef(d, "net_prio.ifpriomap", err, "%s %u", n->priorities.items[i].name,
				 n->priorities.items[i].priority.value) < 0)
			return -1;
	return 0;
}

int hk_cg_v1_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		   struct hk_err **err)
{
	if (v1_memory(cg, r->memory, update, err) < 0 || v1_cpu(cg, r->cpu, err) < 0 ||
	    hk_cg_write_pids(cg, r->pids, update, err) < 0 || v1_blkio(cg, r->block_io, err) < 0 ||
	    v1_network(cg, r->network, err) < 0 || hk_cg_write_rdma(cg, r, err) < 0)
		return -1;
	return 0;
}
