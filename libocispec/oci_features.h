/* The OCI features document (runtime-spec features.md). */
#ifndef HUSK_OCI_FEATURES_H
#define HUSK_OCI_FEATURES_H

#include "schema.h"

struct oci_enabled {
	struct oci_opt_bool enabled;
};

struct oci_features_cgroup {
	struct oci_opt_bool v1, v2, systemd, systemd_user, rdma;
};

struct oci_features_seccomp {
	struct oci_opt_bool enabled;
	struct oci_strv actions, operators, archs, known_flags, supported_flags;
};

struct oci_features_intel_rdt {
	struct oci_opt_bool enabled, schemata, monitoring;
};

struct oci_features_memory_policy {
	struct oci_strv modes, flags;
};

struct oci_features_mount_ext {
	struct oci_enabled *idmap;
};

struct oci_features_linux {
	struct oci_strv namespaces, capabilities;
	struct oci_features_cgroup *cgroup;
	struct oci_features_seccomp *seccomp;
	struct oci_enabled *apparmor, *selinux;
	struct oci_features_intel_rdt *intel_rdt;
	struct oci_features_mount_ext *mount_extensions;
	struct oci_enabled *net_devices;
	struct oci_features_memory_policy *memory_policy;
};

struct oci_features {
	char *oci_version_min, *oci_version_max;
	struct oci_strv hooks, mount_options;
	struct oci_features_linux *linux;
	struct oci_strmap annotations;
	struct oci_strv potentially_unsafe_config_annotations;
};

extern const struct oci_type oci_features_type;

/* All the names of a table, in table order, as a string list allocated in arena. */
struct oci_strv oci_names_list(struct oci_arena *arena, const struct oci_names *table);

#endif
