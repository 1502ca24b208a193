#include "hk_features.h"

#include "criu.h"

#include <seccomp.h>
#include <stdio.h>

#include "hk_format.h"
#include "config.h"
#include "hk_seccomp.h"
#include "mount_options.h"
#include "spec.h"

static struct oci_strv field_names(struct oci_arena *arena, const struct oci_type *type)
{
	struct oci_strv v = {.set = true, .len = type->nfields};
	size_t i;

	v.items = oci_arena_array(arena, type->nfields, sizeof(char *));
	for (i = 0; i < type->nfields; i++)
		v.items[i] = (char *)type->fields[i].json;
	return v;
}

static struct oci_strv mount_option_names(struct oci_arena *arena)
{
	struct oci_strv v = {.set = true, .len = hk_mount_options_len};
	size_t i;

	v.items = oci_arena_array(arena, hk_mount_options_len, sizeof(char *));
	for (i = 0; i < hk_mount_options_len; i++)
		v.items[i] = (char *)hk_mount_options[i].name;
	return v;
}

/* The architectures of the OCI table that this libseccomp can build filters for. */
static struct oci_strv seccomp_archs(struct oci_arena *arena)
{
	struct oci_strv all = oci_names_list(arena, &oci_seccomp_archs);
	struct oci_strv v = {.set = true};
	size_t i;

	v.items = oci_arena_array(arena, all.len, sizeof(char *));
	for (i = 0; i < all.len; i++)
		if (hk_seccomp_arch(all.items[i]) != 0)
			v.items[v.len++] = all.items[i];
	return v;
}

/* Flags need both libseccomp and the kernel: libseccomp's API level says what both give. */
static struct oci_strv seccomp_supported_flags(struct oci_arena *arena)
{
	static const unsigned needed_level[] = {2, 3, 4, 7}; /* in oci_seccomp_flags order */
	unsigned level = (unsigned)seccomp_api_get();
	struct oci_strv v = {.set = true};
	size_t i;

	v.items = oci_arena_array(arena, oci_seccomp_flags.len, sizeof(char *));
	for (i = 0; i < oci_seccomp_flags.len && i < 4; i++)
		if (level >= needed_level[i])
			v.items[v.len++] = (char *)oci_seccomp_flags.names[i].name;
	return v;
}

static struct oci_enabled *enabled(struct oci_arena *arena, bool value)
{
	struct oci_enabled *e = oci_arena_alloc(arena, sizeof(*e));

	e->enabled = (struct oci_opt_bool){value, true};
	return e;
}

void hk_features(struct oci_arena *arena, struct oci_features *out)
{
	struct oci_features_linux *l = oci_arena_alloc(arena, sizeof(*l));
	struct oci_features_seccomp *s = oci_arena_alloc(arena, sizeof(*s));
	const struct scmp_version *v = seccomp_version();
	char version[32];

	if (hk_format(version, sizeof(version), "%u.%u.%u", v->major, v->minor, v->micro) < 0)
		version[0] = '\0';
	*s = (struct oci_features_seccomp){
	    .enabled = {true, true},
	    .actions = oci_names_list(arena, &oci_seccomp_actions),
	    .operators = oci_names_list(arena, &oci_seccomp_ops),
	    .archs = seccomp_archs(arena),
	    .known_flags = oci_names_list(arena, &oci_seccomp_flags),
	    .supported_flags = seccomp_supported_flags(arena),
	};
	l->namespaces = oci_names_list(arena, &oci_namespace_types);
	l->capabilities = oci_names_list(arena, &oci_capabilities);
	l->cgroup = oci_arena_alloc(arena, sizeof(*l->cgroup));
	/* cgroup/: v1 (and hybrid) and v2 through cgroupfs, rdma.max on both; the systemd driver
	 * (scopes of systemd as PID 1, cgroup v2) when built with sd-bus; no systemd --user. */
	*l->cgroup = (struct oci_features_cgroup){
	    {true, true}, {true, true}, {HUSK_HAVE_SD_BUS, true}, {false, true}, {true, true}};
	l->seccomp = s;
	l->apparmor = enabled(arena, true); /* lsm.c: applied when the host has them on */
	l->selinux = enabled(arena, true);
	l->intel_rdt = oci_arena_alloc(arena, sizeof(*l->intel_rdt));
	/* rdt.c: groups, schemata and monitoring groups (a host without resctrl: one line) */
	*l->intel_rdt = (struct oci_features_intel_rdt){{true, true}, {true, true}, {true, true}};
	l->mount_extensions = oci_arena_alloc(arena, sizeof(*l->mount_extensions));
	l->mount_extensions->idmap = enabled(arena, true); /* idmap.c */
	l->net_devices = enabled(arena, true);		   /* netdev.c */
	l->memory_policy = oci_arena_alloc(arena, sizeof(*l->memory_policy));
	*l->memory_policy =
	    (struct oci_features_memory_policy){oci_names_list(arena, &oci_mempolicy_modes),
						oci_names_list(arena, &oci_mempolicy_flags)};
	*out = (struct oci_features){
	    .oci_version_min = "1.0.0",
	    .oci_version_max = "1.3.0",
	    .hooks = field_names(arena, &oci_hooks_type),
	    .mount_options = mount_option_names(arena),
	    .linux = l,
	};
	out->annotations.set = true;
	out->annotations.len = 2;
	out->annotations.keys = oci_arena_array(arena, 2, sizeof(char *));
	out->annotations.values = oci_arena_array(arena, 2, sizeof(char *));
	out->annotations.keys[0] = "io.github.seccomp.libseccomp.version";
	out->annotations.values[0] = oci_arena_strdup(arena, version);
	/* what CRI-O and podman read to offer checkpointing: CRIU's own verdict on this host */
	out->annotations.keys[1] = "org.opencontainers.runc.checkpoint.enabled";
	out->annotations.values[1] = hk_criu_usable() ? "true" : "false";
	/* husk reads no annotation that weakens a container: the list is empty, not unknown */
	out->potentially_unsafe_config_annotations = (struct oci_strv){NULL, 0, true};
}
