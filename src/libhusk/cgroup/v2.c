/* linux.resources on cgroup v2, with runc's conversions from the spec's v1 terms so that one
 * config means the same on both: cpu shares to cpu.weight, blkio weight to io.weight, and
 * memory.swap (memory+swap) to memory.swap.max (swap alone). Also the files both versions share
 * the shape of: hugetlb limits and raw `unified` entries. */
#include "cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hk_format.h"
#include "log.h"

static int write_limit(const struct hk_cg_dir *d, const char *file, long long value,
		       struct hk_err **err)
{
	if (value < 0)
		return hk_cg_write(d, file, "max", err);
	return hk_cg_writef(d, file, err, "%lld", value);
}

/* memory.swap.max from the spec's memory+swap; `limit` is the memory limit in force. */
static int swap_value(long long swap, long long limit, long long *out, struct hk_err **err)
{
	if (swap == -1) {
		*out = -1;
		return 0;
	}
	if (limit <= 0)
		return hk_fail(err, 0,
			       "linux.resources.memory.swap: a swap limit needs a memory limit");
	if (swap < limit)
		return hk_fail(err, 0,
			       "linux.resources.memory.swap: %lld is below memory.limit %lld (swap "
			       "counts memory and swap together)",
			       swap, limit);
	*out = swap - limit;
	return 0;
}

static void ignored(const char *field)
{
	hk_debug("linux.resources.memory.%s: cgroup v2 has no such setting, ignored", field);
}

static int v2_memory(const struct hk_cgroup *cg, const struct oci_memory *m, bool update,
		     struct hk_err **err)
{
	const struct hk_cg_dir *d;
	long long limit = 0, swap;

	if (m == NULL)
		return 0;
	if ((d = hk_cg_need(cg, "memory", "memory", err)) == NULL)
		return -1;
	if (m->limit.set && m->limit.value != 0)
		limit = m->limit.value;
	else if (update)
		hk_cg_read_i64(d, "memory.max", &limit);
	if (update && m->check_before_update.value && m->limit.set && m->limit.value > 0 &&
	    hk_cg_read_i64(d, "memory.current", &swap) && m->limit.value < swap)
		return hk_fail(err, 0,
			       "linux.resources.memory.limit: %lld is below the current usage %lld "
			       "(checkBeforeUpdate)",
			       (long long)m->limit.value, swap);
	if (m->swap.set && m->swap.value != 0 &&
	    (swap_value(m->swap.value, limit, &swap, err) < 0 ||
	     write_limit(d, "memory.swap.max", swap, err) < 0))
		return -1;
	if (m->limit.set && m->limit.value != 0 && write_limit(d, "memory.max", limit, err) < 0)
		return -1;
	if (m->reservation.set && m->reservation.value != 0 &&
	    write_limit(d, "memory.low", m->reservation.value, err) < 0)
		return -1;
	if (m->kernel.set && m->kernel.value != 0)
		ignored("kernel");
	if (m->kernel_tcp.set && m->kernel_tcp.value != 0)
		ignored("kernelTCP");
	if (m->swappiness.set)
		ignored("swappiness");
	if (m->disable_oom_killer.value)
		ignored("disableOOMKiller");
	return 0;
}

/* runc's mapping of shares [2, 262144] onto weight [1, 10000]. */
static unsigned long long shares_to_weight(unsigned long long shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static int v2_cpu_max(const struct hk_cg_dir *d, const struct oci_cpu *c, struct hk_err **err)
{
	char current[64], quota[32] = "max";
	unsigned long long period = c->period.value;

	if (!c->quota.value && !period)
		return 0;
	if (hk_cg_read(d, "cpu.max", current, sizeof(current)) > 0) {
		/* an update may give one half: the other stays */
		if (!c->quota.value)
			sscanf(current, "%31s", quota);
		if (!period)
			sscanf(current, "%*s %llu", &period);
	}
	if ((c->quota.value > 0 &&
	     hk_format(quota, sizeof(quota), "%lld", (long long)c->quota.value) < 0) ||
	    (c->quota.value < 0 && hk_format(quota, sizeof(quota), "max") < 0))
		return hk_fail(err, errno, "linux.resources.cpu.quota");
	if (!period)
		period = 100000;
	return hk_cg_writef(d, "cpu.max", err, "%s %llu", quota, period);
}

static int v2_cpu(const struct hk_cgroup *cg, const struct oci_cpu *c, struct hk_err **err)
{
	const struct hk_cg_dir *d;

	if (c == NULL)
		return 0;
	if (c->realtime_runtime.value || c->realtime_period.value)
		return hk_fail(err, 0,
			       "linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime "
			       "cpu budget");
	if ((c->cpus != NULL && c->cpus[0]) || (c->mems != NULL && c->mems[0])) {
		if ((d = hk_cg_need(cg, "cpuset", "cpu", err)) == NULL)
			return -1;
		if (c->cpus != NULL && c->cpus[0] && hk_cg_write(d, "cpuset.cpus", c->cpus, err))
			return -1;
		if (c->mems != NULL && c->mems[0] && hk_cg_write(d, "cpuset.mems", c->mems, err))
			return -1;
	}
	if (!c->shares.value && !c->period.value && !c->quota.value && !c->burst.set &&
	    !c->idle.set)
		return 0;
	if ((d = hk_cg_need(cg, "cpu", "cpu", err)) == NULL)
		return -1;
	if (c->shares.value &&
	    hk_cg_writef(d, "cpu.weight", err, "%llu", shares_to_weight(c->shares.value)) < 0)
		return -1;
	if (v2_cpu_max(d, c, err) < 0)
		return -1;
	if (c->burst.set &&
	    hk_cg_writef(d, "cpu.max.burst", err, "%llu", (unsigned long long)c->burst.value) < 0)
		return -1;
	if (c->idle.set && hk_cg_writef(d, "cpu.idle", err, "%lld", (long long)c->idle.value) < 0)
		return -1;
	return 0;
}

/* blkio weight [10, 1000] onto io.weight [1, 10000]; BFQ takes the v1 scale as it is. */
static unsigned blkio_to_io_weight(unsigned weight)
{
	if (weight < 10)
		weight = 10;
	return 1 + (weight - 10) * 9999 / 990;
}

static int v2_io_weight(const struct hk_cg_dir *d, const char *device, unsigned weight,
			struct hk_err **err)
{
	const char *sep = device[0] ? " " : "";

	if (hk_cg_has(d, "io.bfq.weight"))
		return hk_cg_writef(d, "io.bfq.weight", err, "%s%s%u", device, sep, weight);
	return hk_cg_writef(d, "io.weight", err, "%s%s%u", device, sep, blkio_to_io_weight(weight));
}

static int io_max(const struct hk_cg_dir *d, const char *key,
		  const struct oci_throttle_device *items, size_t len, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (hk_cg_writef(d, "io.max", err, "%lld:%lld %s=%llu",
				 (long long)items[i].major.value, (long long)items[i].minor.value,
				 key, (unsigned long long)items[i].rate.value) < 0)
			return -1;
	return 0;
}

static int v2_io(const struct hk_cgroup *cg, const struct oci_blkio *b, struct hk_err **err)
{
	const struct hk_cg_dir *d;
	size_t i;

	if (b == NULL)
		return 0;
	if ((d = hk_cg_need(cg, "io", "blockIO", err)) == NULL)
		return -1;
	if (b->weight.set && b->weight.value && v2_io_weight(d, "", b->weight.value, err) < 0)
		return -1;
	if (b->leaf_weight.set)
		hk_debug("linux.resources.blockIO.leafWeight: cgroup v2 has none, ignored");
	for (i = 0; i < b->weight_device.len; i++) {
		const struct oci_weight_device *w = &b->weight_device.items[i];
		char device[48];

		if (hk_format(device, sizeof(device), "%lld:%lld", (long long)w->major.value,
			      (long long)w->minor.value) < 0)
			return hk_fail(err, errno, "linux.resources.blockIO.weightDevice[%zu]", i);
		if (w->weight.set && v2_io_weight(d, device, w->weight.value, err) < 0)
			return -1;
	}
	if (io_max(d, "rbps", b->throttle_read_bps.items, b->throttle_read_bps.len, err) < 0 ||
	    io_max(d, "wbps", b->throttle_write_bps.items, b->throttle_write_bps.len, err) < 0 ||
	    io_max(d, "riops", b->throttle_read_iops.items, b->throttle_read_iops.len, err) < 0 ||
	    io_max(d, "wiops", b->throttle_write_iops.items, b->throttle_write_iops.len, err) < 0)
		return -1;
	return 0;
}

int hk_cg_v2_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		   struct hk_err **err)
{
	if (r->network != NULL && (r->network->class_id.set || r->network->priorities.len))
		return hk_fail(err, 0,
			       "linux.resources.network: cgroup v2 has no net_cls or net_prio");
	if (v2_memory(cg, r->memory, update, err) < 0 || v2_cpu(cg, r->cpu, err) < 0 ||
	    hk_cg_write_pids(cg, r->pids, update, err) < 0 || v2_io(cg, r->block_io, err) < 0 ||
	    hk_cg_write_rdma(cg, r, err) < 0)
		return -1;
	return 0;
}
