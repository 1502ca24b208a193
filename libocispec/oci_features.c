#include "oci_features.h"

#include "fields.h"

#define T struct oci_enabled
static const struct oci_field enabled_fields[] = {
    F("enabled", OCI_BOOL, enabled, 0),
};
#undef T
static const struct oci_type enabled_type =
    OCI_TYPE("enabled", struct oci_enabled, enabled_fields, NULL);

#define T struct oci_features_cgroup
static const struct oci_field cgroup_fields[] = {
    F("v1", OCI_BOOL, v1, 0),		F("v2", OCI_BOOL, v2, 0),
    F("systemd", OCI_BOOL, systemd, 0), F("systemdUser", OCI_BOOL, systemd_user, 0),
    F("rdma", OCI_BOOL, rdma, 0),
};
#undef T
static const struct oci_type cgroup_type =
    OCI_TYPE("cgroup", struct oci_features_cgroup, cgroup_fields, NULL);

#define T struct oci_features_seccomp
static const struct oci_field seccomp_fields[] = {
    F("enabled", OCI_BOOL, enabled, 0),
    F("actions", OCI_STRINGS, actions, 0),
    F("operators", OCI_STRINGS, operators, 0),
    F("archs", OCI_STRINGS, archs, 0),
    F("knownFlags", OCI_STRINGS, known_flags, 0),
    F("supportedFlags", OCI_STRINGS, supported_flags, 0),
};
#undef T
static const struct oci_type seccomp_type =
    OCI_TYPE("seccomp", struct oci_features_seccomp, seccomp_fields, NULL);

#define T struct oci_features_intel_rdt
static const struct oci_field intel_rdt_fields[] = {
    F("enabled", OCI_BOOL, enabled, 0),
    F("schemata", OCI_BOOL, schemata, 0),
    F("monitoring", OCI_BOOL, monitoring, 0),
};
#undef T
static const struct oci_type intel_rdt_type =
    OCI_TYPE("intelRdt", struct oci_features_intel_rdt, intel_rdt_fields, NULL);

#define T struct oci_features_memory_policy
static const struct oci_field memory_policy_fields[] = {
    F("modes", OCI_STRINGS, modes, 0),
    F("flags", OCI_STRINGS, flags, 0),
};
#undef T
static const struct oci_type memory_policy_type =
    OCI_TYPE("memoryPolicy", struct oci_features_memory_policy, memory_policy_fields, NULL);

#define T struct oci_features_mount_ext
static const struct oci_field mount_ext_fields[] = {
    OBJ("idmap", OCI_OBJECT, idmap, 0, enabled_type),
};
#undef T
static const struct oci_type mount_ext_type =
    OCI_TYPE("mountExtensions", struct oci_features_mount_ext, mount_ext_fields, NULL);

#define T struct oci_features_linux
static const struct oci_field linux_fields[] = {
    F("namespaces", OCI_STRINGS, namespaces, 0),
    F("capabilities", OCI_STRINGS, capabilities, 0),
    OBJ("cgroup", OCI_OBJECT, cgroup, 0, cgroup_type),
    OBJ("seccomp", OCI_OBJECT, seccomp, 0, seccomp_type),
    OBJ("apparmor", OCI_OBJECT, apparmor, 0, enabled_type),
    OBJ("selinux", OCI_OBJECT, selinux, 0, enabled_type),
    OBJ("intelRdt", OCI_OBJECT, intel_rdt, 0, intel_rdt_type),
    OBJ("mountExtensions", OCI_OBJECT, mount_extensions, 0, mount_ext_type),
    OBJ("netDevices", OCI_OBJECT, net_devices, 0, enabled_type),
    OBJ("memoryPolicy", OCI_OBJECT, memory_policy, 0, memory_policy_type),
};
#undef T
static const struct oci_type linux_type =
    OCI_TYPE("linux", struct oci_features_linux, linux_fields, NULL);

#define T struct oci_features
static const struct oci_field features_fields[] = {
    F("ociVersionMin", OCI_STRING, oci_version_min, REQ),
    F("ociVersionMax", OCI_STRING, oci_version_max, REQ),
    F("hooks", OCI_STRINGS, hooks, 0),
    F("mountOptions", OCI_STRINGS, mount_options, 0),
    OBJ("linux", OCI_OBJECT, linux, 0, linux_type),
    F("annotations", OCI_STRMAP, annotations, 0),
    F("potentiallyUnsafeConfigAnnotations", OCI_STRINGS, potentially_unsafe_config_annotations, 0),
};
#undef T
const struct oci_type oci_features_type =
    OCI_TYPE("features", struct oci_features, features_fields, NULL);

struct oci_strv oci_names_list(struct oci_arena *arena, const struct oci_names *table)
{
	struct oci_strv v = {.set = true, .len = table->len};
	size_t i;

	v.items = oci_arena_array(arena, table->len + 1, sizeof(char *));
	for (i = 0; i < table->len; i++)
		v.items[i] = (char *)table->names[i].name;
	return v;
}
