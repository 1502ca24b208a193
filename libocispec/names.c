#include "names.h"

#include <sys/mount.h>
#include <sys/resource.h>

#define NAMES(var, what, table)                                                                    \
	const struct oci_names var = {what, table, sizeof(table) / sizeof(table[0])}

static const struct oci_name namespace_types[] = {
    {"pid", OCI_NS_PID},       {"network", OCI_NS_NETWORK}, {"mount", OCI_NS_MOUNT},
    {"ipc", OCI_NS_IPC},       {"uts", OCI_NS_UTS},	    {"user", OCI_NS_USER},
    {"cgroup", OCI_NS_CGROUP}, {"time", OCI_NS_TIME},
};
NAMES(oci_namespace_types, "namespace type", namespace_types);

/* Every capability Linux has defined, by number (include/uapi/linux/capability.h). */
static const struct oci_name capabilities[] = {
    {"CAP_CHOWN", 0},
    {"CAP_DAC_OVERRIDE", 1},
    {"CAP_DAC_READ_SEARCH", 2},
    {"CAP_FOWNER", 3},
    {"CAP_FSETID", 4},
    {"CAP_KILL", 5},
    {"CAP_SETGID", 6},
    {"CAP_SETUID", 7},
    {"CAP_SETPCAP", 8},
    {"CAP_LINUX_IMMUTABLE", 9},
    {"CAP_NET_BIND_SERVICE", 10},
    {"CAP_NET_BROADCAST", 11},
    {"CAP_NET_ADMIN", 12},
    {"CAP_NET_RAW", 13},
    {"CAP_IPC_LOCK", 14},
    {"CAP_IPC_OWNER", 15},
    {"CAP_SYS_MODULE", 16},
    {"CAP_SYS_RAWIO", 17},
    {"CAP_SYS_CHROOT", 18},
    {"CAP_SYS_PTRACE", 19},
    {"CAP_SYS_PACCT", 20},
    {"CAP_SYS_ADMIN", 21},
    {"CAP_SYS_BOOT", 22},
    {"CAP_SYS_NICE", 23},
    {"CAP_SYS_RESOURCE", 24},
    {"CAP_SYS_TIME", 25},
    {"CAP_SYS_TTY_CONFIG", 26},
    {"CAP_MKNOD", 27},
    {"CAP_LEASE", 28},
    {"CAP_AUDIT_WRITE", 29},
    {"CAP_AUDIT_CONTROL", 30},
    {"CAP_SETFCAP", 31},
    {"CAP_MAC_OVERRIDE", 32},
    {"CAP_MAC_ADMIN", 33},
    {"CAP_SYSLOG", 34},
    {"CAP_WAKE_ALARM", 35},
    {"CAP_BLOCK_SUSPEND", 36},
    {"CAP_AUDIT_READ", 37},
    {"CAP_PERFMON", 38},
    {"CAP_BPF", 39},
    {"CAP_CHECKPOINT_RESTORE", 40},
};
NAMES(oci_capabilities, "capability", capabilities);

static const struct oci_name rlimit_types[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};
NAMES(oci_rlimit_types, "rlimit type", rlimit_types);

static const struct oci_name seccomp_actions[] = {
    {"SCMP_ACT_KILL", OCI_SCMP_KILL},
    {"SCMP_ACT_KILL_PROCESS", OCI_SCMP_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", OCI_SCMP_KILL_THREAD},
    {"SCMP_ACT_TRAP", OCI_SCMP_TRAP},
    {"SCMP_ACT_ERRNO", OCI_SCMP_ERRNO},
    {"SCMP_ACT_TRACE", OCI_SCMP_TRACE},
    {"SCMP_ACT_ALLOW", OCI_SCMP_ALLOW},
    {"SCMP_ACT_LOG", OCI_SCMP_LOG},
    {"SCMP_ACT_NOTIFY", OCI_SCMP_NOTIFY},
};
NAMES(oci_seccomp_actions, "seccomp action", seccomp_actions);

static const struct oci_name seccomp_ops[] = {
    {"SCMP_CMP_NE", OCI_SCMP_CMP_NE},
    {"SCMP_CMP_LT", OCI_SCMP_CMP_LT},
    {"SCMP_CMP_LE", OCI_SCMP_CMP_LE},
    {"SCMP_CMP_EQ", OCI_SCMP_CMP_EQ},
    {"SCMP_CMP_GE", OCI_SCMP_CMP_GE},
    {"SCMP_CMP_GT", OCI_SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", OCI_SCMP_CMP_MASKED_EQ},
};
NAMES(oci_seccomp_ops, "seccomp operator", seccomp_ops);

/* The values are only distinct; libhusk maps the names to libseccomp's own constants. */
static const struct oci_name seccomp_archs[] = {
    {"SCMP_ARCH_X86", 1},	{"SCMP_ARCH_X86_64", 2},       {"SCMP_ARCH_X32", 3},
    {"SCMP_ARCH_ARM", 4},	{"SCMP_ARCH_AARCH64", 5},      {"SCMP_ARCH_MIPS", 6},
    {"SCMP_ARCH_MIPS64", 7},	{"SCMP_ARCH_MIPS64N32", 8},    {"SCMP_ARCH_MIPSEL", 9},
    {"SCMP_ARCH_MIPSEL64", 10}, {"SCMP_ARCH_MIPSEL64N32", 11}, {"SCMP_ARCH_PPC", 12},
    {"SCMP_ARCH_PPC64", 13},	{"SCMP_ARCH_PPC64LE", 14},     {"SCMP_ARCH_S390", 15},
    {"SCMP_ARCH_S390X", 16},	{"SCMP_ARCH_PARISC", 17},      {"SCMP_ARCH_PARISC64", 18},
    {"SCMP_ARCH_RISCV64", 19},	{"SCMP_ARCH_LOONGARCH64", 20}, {"SCMP_ARCH_M68K", 21},
    {"SCMP_ARCH_SH", 22},	{"SCMP_ARCH_SHEB", 23},
};
NAMES(oci_seccomp_archs, "seccomp architecture", seccomp_archs);

static const struct oci_name seccomp_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 1},
    {"SECCOMP_FILTER_FLAG_LOG", 2},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 32},
};
NAMES(oci_seccomp_flags, "seccomp flag", seccomp_flags);

static const struct oci_name device_types[] = {{"c", 'c'}, {"b", 'b'}, {"u", 'u'}, {"p", 'p'}};
NAMES(oci_device_types, "device type", device_types);

static const struct oci_name cgroup_device_types[] = {{"a", 'a'}, {"c", 'c'}, {"b", 'b'}};
NAMES(oci_cgroup_device_types, "device type", cgroup_device_types);

static const struct oci_name rootfs_propagations[] = {
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};
NAMES(oci_rootfs_propagations, "propagation", rootfs_propagations);

static const struct oci_name personality_domains[] = {{"LINUX", 0x0000}, {"LINUX32", 0x0008}};
NAMES(oci_personality_domains, "personality domain", personality_domains);

/* The specification defines no personality flag yet, so any flag is refused. */
static const struct oci_name personality_flags[] = {{"", 0}};
const struct oci_names oci_personality_flags = {"personality flag", personality_flags, 0};

static const struct oci_name ioprio_classes[] = {
    {"IOPRIO_CLASS_RT", 1},
    {"IOPRIO_CLASS_BE", 2},
    {"IOPRIO_CLASS_IDLE", 3},
};
NAMES(oci_ioprio_classes, "I/O priority class", ioprio_classes);

static const struct oci_name sched_policies[] = {
    {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},	  {"SCHED_BATCH", 3},
    {"SCHED_ISO", 4},	{"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
};
NAMES(oci_sched_policies, "scheduler policy", sched_policies);

static const struct oci_name sched_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01},	 {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},	 {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},	 {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};
NAMES(oci_sched_flags, "scheduler flag", sched_flags);

static const struct oci_name mempolicy_modes[] = {
    {"MPOL_DEFAULT", 0},
    {"MPOL_PREFERRED", 1},
    {"MPOL_BIND", 2},
    {"MPOL_INTERLEAVE", 3},
    {"MPOL_LOCAL", 4},
    {"MPOL_PREFERRED_MANY", 5},
    {"MPOL_WEIGHTED_INTERLEAVE", 6},
};
NAMES(oci_mempolicy_modes, "memory policy mode", mempolicy_modes);

static const struct oci_name mempolicy_flags[] = {
    {"MPOL_F_NUMA_BALANCING", 1 << 13},
    {"MPOL_F_RELATIVE_NODES", 1 << 14},
    {"MPOL_F_STATIC_NODES", 1 << 15},
};
NAMES(oci_mempolicy_flags, "memory policy flag", mempolicy_flags);
