/* Every set of names the OCI specification defines, each spelled once. libhusk maps the values to
 * kernel constants; `features` and validation read these same tables. */
#ifndef HUSK_NAMES_H
#define HUSK_NAMES_H

#include "schema.h"

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT
};

enum oci_seccomp_action {
	OCI_SCMP_KILL,
	OCI_SCMP_KILL_PROCESS,
	OCI_SCMP_KILL_THREAD,
	OCI_SCMP_TRAP,
	OCI_SCMP_ERRNO,
	OCI_SCMP_TRACE,
	OCI_SCMP_ALLOW,
	OCI_SCMP_LOG,
	OCI_SCMP_NOTIFY,
};

enum oci_seccomp_op {
	OCI_SCMP_CMP_NE,
	OCI_SCMP_CMP_LT,
	OCI_SCMP_CMP_LE,
	OCI_SCMP_CMP_EQ,
	OCI_SCMP_CMP_GE,
	OCI_SCMP_CMP_GT,
	OCI_SCMP_CMP_MASKED_EQ,
};

extern const struct oci_names oci_namespace_types;
extern const struct oci_names oci_capabilities; /* value: the capability number */
extern const struct oci_names oci_rlimit_types; /* value: RLIMIT_* */
extern const struct oci_names oci_seccomp_actions;
extern const struct oci_names oci_seccomp_ops;
extern const struct oci_names oci_seccomp_archs;
extern const struct oci_names oci_seccomp_flags;
extern const struct oci_names oci_device_types;	       /* linux.devices[].type */
extern const struct oci_names oci_cgroup_device_types; /* resources.devices[].type */
extern const struct oci_names oci_rootfs_propagations; /* value: MS_* flags */
extern const struct oci_names oci_personality_domains;
extern const struct oci_names oci_personality_flags;
extern const struct oci_names oci_ioprio_classes;
extern const struct oci_names oci_sched_policies;
extern const struct oci_names oci_sched_flags;
extern const struct oci_names oci_mempolicy_modes;
extern const struct oci_names oci_mempolicy_flags;

#endif
