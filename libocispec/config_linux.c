/* The descriptors of config.json's "linux" object and its checks. */
#include <string.h>

#include "config.h"
#include "fields.h"

#define T struct oci_namespace
static const struct oci_field namespace_fields[] = {
    NAMED("type", OCI_ENUM, type, REQ, oci_namespace_types),
    F("path", OCI_STRING, path, ABS),
};
#undef T
static const struct oci_type namespace_type =
    OCI_TYPE("namespace", struct oci_namespace, namespace_fields, NULL);

#define T struct oci_time_offset
static const struct oci_field time_offset_fields[] = {
    F("secs", OCI_I64, secs, 0),
    F("nanosecs", OCI_U32, nanosecs, 0),
};
#undef T

static int check_time_offset(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_time_offset *t = obj;

	if (strcmp(t->key, "monotonic") != 0 && strcmp(t->key, "boottime") != 0)
		return oci_ctx_fail(ctx, NULL,
				    "unknown clock, expected \"monotonic\" or \"boottime\"");
	if (t->nanosecs.set && t->nanosecs.value >= 1000000000u)
		return oci_ctx_fail(ctx, "nanosecs", "must be below 1000000000");
	return 0;
}
static const struct oci_type time_offset_type =
    OCI_TYPE("timeOffset", struct oci_time_offset, time_offset_fields, check_time_offset);

#define T struct oci_device
static const struct oci_field device_fields[] = {
    NAMED("type", OCI_ENUM, type, REQ, oci_device_types),
    F("path", OCI_STRING, path, REQ | ABS),
    F("major", OCI_I64, major, 0),
    F("minor", OCI_I64, minor, 0),
    F("fileMode", OCI_U32, file_mode, 0),
    F("uid", OCI_U32, uid, 0),
    F("gid", OCI_U32, gid, 0),
};
#undef T

static int check_device(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_device *d = obj;

	if (d->type.value == 'p')
		return 0;
	if (!d->major.set)
		return oci_ctx_fail(ctx, "major", "required for a device of type \"%c\"",
				    d->type.value);
	if (!d->minor.set)
		return oci_ctx_fail(ctx, "minor", "required for a device of type \"%c\"",
				    d->type.value);
	return 0;
}
static const struct oci_type device_type =
    OCI_TYPE("device", struct oci_device, device_fields, check_device);

/* ---- resources ---- */

#define T struct oci_device_rule
static const struct oci_field device_rule_fields[] = {
    F("allow", OCI_BOOL, allow, REQ),	NAMED("type", OCI_ENUM, type, 0, oci_cgroup_device_types),
    F("major", OCI_I64, major, 0),	F("minor", OCI_I64, minor, 0),
    F("access", OCI_STRING, access, 0),
};
#undef T

static int check_device_rule(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_device_rule *r = obj;
	const char *a = r->access;

	if (a == NULL)
		return 0;
	/* each of r, w, m at most once */
	if (strspn(a, "rwm") != strlen(a) || strlen(a) > 3 || (strchr(a, 'r') != strrchr(a, 'r')) ||
	    (strchr(a, 'w') != strrchr(a, 'w')) || (strchr(a, 'm') != strrchr(a, 'm')))
		return oci_ctx_fail(ctx, "access", "expected letters of \"rwm\", got \"%.16s\"", a);
	return 0;
}
static const struct oci_type device_rule_type =
    OCI_TYPE("deviceRule", struct oci_device_rule, device_rule_fields, check_device_rule);

#define T struct oci_memory
static const struct oci_field memory_fields[] = {
    F("limit", OCI_I64, limit, 0),
    F("reservation", OCI_I64, reservation, 0),
    F("swap", OCI_I64, swap, 0),
    F("kernel", OCI_I64, kernel, 0),
    F("kernelTCP", OCI_I64, kernel_tcp, 0),
    F("swappiness", OCI_U64, swappiness, 0),
    F("disableOOMKiller", OCI_BOOL, disable_oom_killer, 0),
    F("useHierarchy", OCI_BOOL, use_hierarchy, 0),
    F("checkBeforeUpdate", OCI_BOOL, check_before_update, 0),
};
#undef T

static int check_memory(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_memory *m = obj;

	if (m->swappiness.set && m->swappiness.value > 100)
		return oci_ctx_fail(ctx, "swappiness", "expected 0 to 100, got %llu",
				    (unsigned long long)m->swappiness.value);
	return 0;
}
static const struct oci_type memory_type =
    OCI_TYPE("memory", struct oci_memory, memory_fields, check_memory);

#define T struct oci_cpu
static const struct oci_field cpu_fields[] = {
    F("shares", OCI_U64, shares, 0),
    F("quota", OCI_I64, quota, 0),
    F("burst", OCI_U64, burst, 0),
    F("period", OCI_U64, period, 0),
    F("realtimeRuntime", OCI_I64, realtime_runtime, 0),
    F("realtimePeriod", OCI_U64, realtime_period, 0),
    F("cpus", OCI_STRING, cpus, 0),
    F("mems", OCI_STRING, mems, 0),
    F("idle", OCI_I64, idle, 0),
};
#undef T
static const struct oci_type cpu_type = OCI_TYPE("cpu", struct oci_cpu, cpu_fields, NULL);

#define T struct oci_pids
static const struct oci_field pids_fields[] = {
    F("limit", OCI_I64, limit, 0),
};
#undef T
static const struct oci_type pids_type = OCI_TYPE("pids", struct oci_pids, pids_fields, NULL);

#define T struct oci_weight_device
static const struct oci_field weight_device_fields[] = {
    F("major", OCI_I64, major, REQ),
    F("minor", OCI_I64, minor, REQ),
    F("weight", OCI_U16, weight, 0),
    F("leafWeight", OCI_U16, leaf_weight, 0),
};
#undef T
static const struct oci_type weight_device_type =
    OCI_TYPE("weightDevice", struct oci_weight_device, weight_device_fields, NULL);

#define T struct oci_throttle_device
static const struct oci_field throttle_device_fields[] = {
    F("major", OCI_I64, major, REQ),
    F("minor", OCI_I64, minor, REQ),
    F("rate", OCI_U64, rate, REQ),
};
#undef T
static const struct oci_type throttle_device_type =
    OCI_TYPE("throttleDevice", struct oci_throttle_device, throttle_device_fields, NULL);

#define T struct oci_blkio
static const struct oci_field blkio_fields[] = {
    F("weight", OCI_U16, weight, 0),
    F("leafWeight", OCI_U16, leaf_weight, 0),
    OBJ("weightDevice", OCI_OBJECTS, weight_device, 0, weight_device_type),
    OBJ("throttleReadBpsDevice", OCI_OBJECTS, throttle_read_bps, 0, throttle_device_type),
    OBJ("throttleWriteBpsDevice", OCI_OBJECTS, throttle_write_bps, 0, throttle_device_type),
    OBJ("throttleReadIOPSDevice", OCI_OBJECTS, throttle_read_iops, 0, throttle_device_type),
    OBJ("throttleWriteIOPSDevice", OCI_OBJECTS, throttle_write_iops, 0, throttle_device_type),
};
#undef T
static const struct oci_type blkio_type = OCI_TYPE("blockIO", struct oci_blkio, blkio_fields, NULL);

#define T struct oci_hugepage_limit
static const struct oci_field hugepage_fields[] = {
    F("pageSize", OCI_STRING, page_size, REQ | OCI_NONEMPTY),
    F("limit", OCI_U64, limit, REQ),
};
#undef T
static const struct oci_type hugepage_type =
    OCI_TYPE("hugepageLimit", struct oci_hugepage_limit, hugepage_fields, NULL);

#define T struct oci_net_priority
static const struct oci_field net_priority_fields[] = {
    F("name", OCI_STRING, name, REQ | OCI_NONEMPTY),
    F("priority", OCI_U32, priority, REQ),
};
#undef T
static const struct oci_type net_priority_type =
    OCI_TYPE("priority", struct oci_net_priority, net_priority_fields, NULL);

#define T struct oci_network
static const struct oci_field network_fields[] = {
    F("classID", OCI_U32, class_id, 0),
    OBJ("priorities", OCI_OBJECTS, priorities, 0, net_priority_type),
};
#undef T
static const struct oci_type network_type =
    OCI_TYPE("network", struct oci_network, network_fields, NULL);

#define T struct oci_rdma
static const struct oci_field rdma_fields[] = {
    F("hcaHandles", OCI_U32, hca_handles, 0),
    F("hcaObjects", OCI_U32, hca_objects, 0),
};
#undef T
static const struct oci_type rdma_type = OCI_TYPE("rdma", struct oci_rdma, rdma_fields, NULL);

#define T struct oci_resources
static const struct oci_field resources_fields[] = {
    OBJ("devices", OCI_OBJECTS, devices, 0, device_rule_type),
    OBJ("memory", OCI_OBJECT, memory, 0, memory_type),
    OBJ("cpu", OCI_OBJECT, cpu, 0, cpu_type),
    OBJ("pids", OCI_OBJECT, pids, 0, pids_type),
    OBJ("blockIO", OCI_OBJECT, block_io, 0, blkio_type),
    OBJ("hugepageLimits", OCI_OBJECTS, hugepage_limits, 0, hugepage_type),
    OBJ("network", OCI_OBJECT, network, 0, network_type),
    OBJ("rdma", OCI_OBJMAP, rdma, 0, rdma_type),
    F("unified", OCI_STRMAP, unified, 0),
};
#undef T
const struct oci_type oci_resources_type =
    OCI_TYPE("resources", struct oci_resources, resources_fields, NULL);

/* ---- seccomp ---- */

#define T struct oci_seccomp_arg
static const struct oci_field seccomp_arg_fields[] = {
    F("index", OCI_U32, index, REQ),
    F("value", OCI_U64, value, REQ),
    F("valueTwo", OCI_U64, value_two, 0),
    NAMED("op", OCI_ENUM, op, REQ, oci_seccomp_ops),
};
#undef T

static int check_seccomp_arg(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_seccomp_arg *a = obj;

	if (a->index.value > 5)
		return oci_ctx_fail(ctx, "index", "expected 0 to 5, got %u", a->index.value);
	return 0;
}
static const struct oci_type seccomp_arg_type =
    OCI_TYPE("seccompArg", struct oci_seccomp_arg, seccomp_arg_fields, check_seccomp_arg);

#define T struct oci_seccomp_syscall
static const struct oci_field seccomp_syscall_fields[] = {
    F("names", OCI_STRINGS, names, REQ | OCI_NONEMPTY),
    NAMED("action", OCI_ENUM, action, REQ, oci_seccomp_actions),
    F("errnoRet", OCI_U32, errno_ret, 0),
    OBJ("args", OCI_OBJECTS, args, 0, seccomp_arg_type),
};
#undef T
static const struct oci_type seccomp_syscall_type =
    OCI_TYPE("syscall", struct oci_seccomp_syscall, seccomp_syscall_fields, NULL);

#define T struct oci_seccomp
static const struct oci_field seccomp_fields[] = {
    NAMED("defaultAction", OCI_ENUM, default_action, REQ, oci_seccomp_actions),
    F("defaultErrnoRet", OCI_U32, default_errno_ret, 0),
    NAMED("architectures", OCI_STRINGS, architectures, 0, oci_seccomp_archs),
    NAMED("flags", OCI_STRINGS, flags, 0, oci_seccomp_flags),
    F("listenerPath", OCI_STRING, listener_path, OCI_NONEMPTY),
    F("listenerMetadata", OCI_STRING, listener_metadata, 0),
    OBJ("syscalls", OCI_OBJECTS, syscalls, 0, seccomp_syscall_type),
};
#undef T

/* The notify listener has to be reachable, and the default action cannot be a notification
 * (the supervisor would be asked about every syscall, its own replies included). */
static int check_seccomp(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_seccomp *s = obj;
	size_t i;

	if (s->default_action.value == OCI_SCMP_NOTIFY)
		return oci_ctx_fail(ctx, "defaultAction", "SCMP_ACT_NOTIFY cannot be the default");
	for (i = 0; i < s->syscalls.len; i++)
		if (s->syscalls.items[i].action.value == OCI_SCMP_NOTIFY &&
		    s->listener_path == NULL)
			return oci_ctx_fail_at(ctx, "syscalls", i,
					       "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
	return 0;
}
const struct oci_type oci_seccomp_type =
    OCI_TYPE("seccomp", struct oci_seccomp, seccomp_fields, check_seccomp);

/* ---- the rest of linux ---- */

#define T struct oci_personality
static const struct oci_field personality_fields[] = {
    NAMED("domain", OCI_ENUM, domain, REQ, oci_personality_domains),
    NAMED("flags", OCI_STRINGS, flags, 0, oci_personality_flags),
};
#undef T
static const struct oci_type personality_type =
    OCI_TYPE("personality", struct oci_personality, personality_fields, NULL);

#define T struct oci_intel_rdt
static const struct oci_field intel_rdt_fields[] = {
    F("closID", OCI_STRING, clos_id, 0),
    F("l3CacheSchema", OCI_STRING, l3_cache_schema, 0),
    F("memBwSchema", OCI_STRING, mem_bw_schema, 0),
    F("schemata", OCI_STRINGS, schemata, 0),
    F("enableCMT", OCI_BOOL, enable_cmt, 0),
    F("enableMBM", OCI_BOOL, enable_mbm, 0),
    F("enableMonitoring", OCI_BOOL, enable_monitoring, 0),
};
#undef T
static const struct oci_type intel_rdt_type =
    OCI_TYPE("intelRdt", struct oci_intel_rdt, intel_rdt_fields, NULL);

#define T struct oci_net_device
static const struct oci_field net_device_fields[] = {
    F("name", OCI_STRING, name, 0),
};
#undef T
static const struct oci_type net_device_type =
    OCI_TYPE("netDevice", struct oci_net_device, net_device_fields, NULL);

#define T struct oci_memory_policy
static const struct oci_field memory_policy_fields[] = {
    NAMED("mode", OCI_ENUM, mode, REQ, oci_mempolicy_modes),
    F("nodes", OCI_STRING, nodes, 0),
    NAMED("flags", OCI_STRINGS, flags, 0, oci_mempolicy_flags),
};
#undef T
static const struct oci_type memory_policy_type =
    OCI_TYPE("memoryPolicy", struct oci_memory_policy, memory_policy_fields, NULL);

#define T struct oci_linux
static const struct oci_field linux_fields[] = {
    OBJ("namespaces", OCI_OBJECTS, namespaces, 0, namespace_type),
    OBJ("uidMappings", OCI_OBJECTS, uid_mappings, 0, oci_id_mapping_type),
    OBJ("gidMappings", OCI_OBJECTS, gid_mappings, 0, oci_id_mapping_type),
    OBJ("timeOffsets", OCI_OBJMAP, time_offsets, 0, time_offset_type),
    OBJ("devices", OCI_OBJECTS, devices, 0, device_type),
    F("cgroupsPath", OCI_STRING, cgroups_path, 0),
    OBJ("resources", OCI_OBJECT, resources, 0, oci_resources_type),
    NAMED("rootfsPropagation", OCI_ENUM, rootfs_propagation, 0, oci_rootfs_propagations),
    OBJ("seccomp", OCI_OBJECT, seccomp, 0, oci_seccomp_type),
    F("sysctl", OCI_STRMAP, sysctl, 0),
    F("maskedPaths", OCI_STRINGS, masked_paths, ABS),
    F("readonlyPaths", OCI_STRINGS, readonly_paths, ABS),
    F("mountLabel", OCI_STRING, mount_label, 0),
    OBJ("personality", OCI_OBJECT, personality, 0, personality_type),
    OBJ("intelRdt", OCI_OBJECT, intel_rdt, 0, intel_rdt_type),
    OBJ("netDevices", OCI_OBJMAP, net_devices, 0, net_device_type),
    OBJ("memoryPolicy", OCI_OBJECT, memory_policy, 0, memory_policy_type),
};
#undef T

static int check_linux(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_linux *l = obj;
	size_t i, j;

	for (i = 0; i < l->namespaces.len; i++)
		for (j = 0; j < i; j++)
			if (l->namespaces.items[i].type.value == l->namespaces.items[j].type.value)
				return oci_ctx_fail_at(
				    ctx, "namespaces", i, "duplicate namespace type \"%s\"",
				    oci_name_of(&oci_namespace_types,
						l->namespaces.items[i].type.value));
	return 0;
}
const struct oci_type oci_linux_type =
    OCI_TYPE("linux", struct oci_linux, linux_fields, check_linux);
