/* The descriptors of config.json and the checks that span more than one field. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fields.h"

/* ---- process ---- */

#define T struct oci_id_mapping
static const struct oci_field id_mapping_fields[] = {
    F("containerID", OCI_U32, container_id, REQ),
    F("hostID", OCI_U32, host_id, REQ),
    F("size", OCI_U32, size, REQ),
};
#undef T
const struct oci_type oci_id_mapping_type =
    OCI_TYPE("idMapping", struct oci_id_mapping, id_mapping_fields, NULL);

#define T struct oci_rlimit
static const struct oci_field rlimit_fields[] = {
    NAMED("type", OCI_ENUM, type, REQ, oci_rlimit_types),
    F("hard", OCI_U64, hard, REQ),
    F("soft", OCI_U64, soft, REQ),
};
#undef T
static const struct oci_type rlimit_type =
    OCI_TYPE("rlimit", struct oci_rlimit, rlimit_fields, NULL);

#define T struct oci_capabilities
static const struct oci_field capabilities_fields[] = {
    NAMED("bounding", OCI_STRINGS, bounding, 0, oci_capabilities),
    NAMED("effective", OCI_STRINGS, effective, 0, oci_capabilities),
    NAMED("inheritable", OCI_STRINGS, inheritable, 0, oci_capabilities),
    NAMED("permitted", OCI_STRINGS, permitted, 0, oci_capabilities),
    NAMED("ambient", OCI_STRINGS, ambient, 0, oci_capabilities),
};
#undef T
static const struct oci_type capabilities_type =
    OCI_TYPE("capabilities", struct oci_capabilities, capabilities_fields, NULL);

#define T struct oci_user
static const struct oci_field user_fields[] = {
    F("uid", OCI_U32, uid, REQ),
    F("gid", OCI_U32, gid, REQ),
    F("umask", OCI_U32, umask, 0),
    F("additionalGids", OCI_U32S, additional_gids, 0),
    F("username", OCI_STRING, username, 0),
};
#undef T
static const struct oci_type user_type = OCI_TYPE("user", struct oci_user, user_fields, NULL);

#define T struct oci_console_size
static const struct oci_field console_size_fields[] = {
    F("height", OCI_U32, height, REQ),
    F("width", OCI_U32, width, REQ),
};
#undef T
static const struct oci_type console_size_type =
    OCI_TYPE("consoleSize", struct oci_console_size, console_size_fields, NULL);

#define T struct oci_io_priority
static const struct oci_field io_priority_fields[] = {
    NAMED("class", OCI_ENUM, class, REQ, oci_ioprio_classes),
    F("priority", OCI_I32, priority, 0),
};
#undef T

static int check_io_priority(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_io_priority *p = obj;

	if (p->priority.set && (p->priority.value < 0 || p->priority.value > 7))
		return oci_ctx_fail(ctx, "priority", "expected 0 to 7, got %d", p->priority.value);
	return 0;
}
static const struct oci_type io_priority_type =
    OCI_TYPE("ioPriority", struct oci_io_priority, io_priority_fields, check_io_priority);

#define T struct oci_scheduler
static const struct oci_field scheduler_fields[] = {
    NAMED("policy", OCI_ENUM, policy, REQ, oci_sched_policies),
    F("nice", OCI_I32, nice, 0),
    F("priority", OCI_I32, priority, 0),
    NAMED("flags", OCI_STRINGS, flags, 0, oci_sched_flags),
    F("runtime", OCI_U64, runtime, 0),
    F("deadline", OCI_U64, deadline, 0),
    F("period", OCI_U64, period, 0),
};
#undef T
static const struct oci_type scheduler_type =
    OCI_TYPE("scheduler", struct oci_scheduler, scheduler_fields, NULL);

#define T struct oci_cpu_affinity
static const struct oci_field cpu_affinity_fields[] = {
    F("initial", OCI_STRING, initial, 0),
    F("final", OCI_STRING, final, 0),
};
#undef T
static const struct oci_type cpu_affinity_type =
    OCI_TYPE("execCPUAffinity", struct oci_cpu_affinity, cpu_affinity_fields, NULL);

#define T struct oci_process
static const struct oci_field process_fields[] = {
    F("terminal", OCI_BOOL, terminal, 0),
    OBJ("consoleSize", OCI_OBJECT, console_size, 0, console_size_type),
    OBJ("user", OCI_OBJECT, user, 0, user_type),
    F("args", OCI_STRINGS, args, REQ | OCI_NONEMPTY),
    F("env", OCI_STRINGS, env, 0),
    F("cwd", OCI_STRING, cwd, REQ | ABS),
    OBJ("capabilities", OCI_OBJECT, capabilities, 0, capabilities_type),
    OBJ("rlimits", OCI_OBJECTS, rlimits, 0, rlimit_type),
    F("noNewPrivileges", OCI_BOOL, no_new_privileges, 0),
    F("apparmorProfile", OCI_STRING, apparmor_profile, 0),
    F("oomScoreAdj", OCI_I32, oom_score_adj, 0),
    F("selinuxLabel", OCI_STRING, selinux_label, 0),
    OBJ("ioPriority", OCI_OBJECT, io_priority, 0, io_priority_type),
    OBJ("scheduler", OCI_OBJECT, scheduler, 0, scheduler_type),
    OBJ("execCPUAffinity", OCI_OBJECT, exec_cpu_affinity, 0, cpu_affinity_type),
};
#undef T

static int check_process(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_process *p = obj;
	size_t i, j;

	for (i = 0; i < p->rlimits.len; i++)
		for (j = 0; j < i; j++)
			if (p->rlimits.items[i].type.value == p->rlimits.items[j].type.value)
				return oci_ctx_fail_at(
				    ctx, "rlimits", i, "duplicate rlimit %s",
				    oci_name_of(&oci_rlimit_types, p->rlimits.items[i].type.value));
	for (i = 0; i < p->rlimits.len; i++)
		if (p->rlimits.items[i].soft.value > p->rlimits.items[i].hard.value)
			return oci_ctx_fail_at(ctx, "rlimits", i,
					       "soft limit is above the hard limit");
	if (p->oom_score_adj.set &&
	    (p->oom_score_adj.value < -1000 || p->oom_score_adj.value > 1000))
		return oci_ctx_fail(ctx, "oomScoreAdj", "expected -1000 to 1000, got %d",
				    p->oom_score_adj.value);
	return 0;
}
const struct oci_type oci_process_type =
    OCI_TYPE("process", struct oci_process, process_fields, check_process);

/* ---- root, mounts, hooks ---- */

#define T struct oci_root
static const struct oci_field root_fields[] = {
    F("path", OCI_STRING, path, REQ | OCI_NONEMPTY),
    F("readonly", OCI_BOOL, readonly, 0),
};
#undef T
static const struct oci_type root_type = OCI_TYPE("root", struct oci_root, root_fields, NULL);

/* A relative destination is deprecated but allowed: it is taken relative to "/". */
#define T struct oci_mount
static const struct oci_field mount_fields[] = {
    F("destination", OCI_STRING, destination, REQ | OCI_NONEMPTY),
    F("source", OCI_STRING, source, 0),
    F("type", OCI_STRING, type, 0),
    F("options", OCI_STRINGS, options, 0),
    OBJ("uidMappings", OCI_OBJECTS, uid_mappings, 0, oci_id_mapping_type),
    OBJ("gidMappings", OCI_OBJECTS, gid_mappings, 0, oci_id_mapping_type),
};
#undef T
static const struct oci_type mount_type = OCI_TYPE("mount", struct oci_mount, mount_fields, NULL);

#define T struct oci_hook
static const struct oci_field hook_fields[] = {
    F("path", OCI_STRING, path, REQ | ABS),
    F("args", OCI_STRINGS, args, 0),
    F("env", OCI_STRINGS, env, 0),
    F("timeout", OCI_I32, timeout, 0),
};
#undef T

static int check_hook(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_hook *h = obj;

	if (h->timeout.set && h->timeout.value <= 0)
		return oci_ctx_fail(ctx, "timeout", "must be greater than zero, got %d",
				    h->timeout.value);
	return 0;
}
static const struct oci_type hook_type = OCI_TYPE("hook", struct oci_hook, hook_fields, check_hook);

#define T struct oci_hooks
static const struct oci_field hooks_fields[] = {
    OBJ("prestart", OCI_OBJECTS, prestart, 0, hook_type),
    OBJ("createRuntime", OCI_OBJECTS, create_runtime, 0, hook_type),
    OBJ("createContainer", OCI_OBJECTS, create_container, 0, hook_type),
    OBJ("startContainer", OCI_OBJECTS, start_container, 0, hook_type),
    OBJ("poststart", OCI_OBJECTS, poststart, 0, hook_type),
    OBJ("poststop", OCI_OBJECTS, poststop, 0, hook_type),
};
#undef T
const struct oci_type oci_hooks_type = OCI_TYPE("hooks", struct oci_hooks, hooks_fields, NULL);

/* ---- the document ---- */

#define T struct oci_config
static const struct oci_field config_fields[] = {
    F("ociVersion", OCI_STRING, oci_version, REQ),
    OBJ("process", OCI_OBJECT, process, 0, oci_process_type),
    OBJ("root", OCI_OBJECT, root, REQ, root_type),
    F("hostname", OCI_STRING, hostname, 0),
    F("domainname", OCI_STRING, domainname, 0),
    OBJ("mounts", OCI_OBJECTS, mounts, 0, mount_type),
    OBJ("hooks", OCI_OBJECT, hooks, 0, oci_hooks_type),
    F("annotations", OCI_STRMAP, annotations, 0),
    OBJ("linux", OCI_OBJECT, linux, 0, oci_linux_type),
};
#undef T

/* 1.x.y with an optional -suffix or +suffix. Minor versions only add fields, so any 1.x parses;
 * 2.x and anything older than 1.0.0 are refused. */
static int check_version(const char *v, struct oci_ctx *ctx)
{
	const char *p = v;
	size_t major_len, minor_len, patch_len;

	major_len = strspn(p, "0123456789");
	p += major_len;
	minor_len = *p == '.' ? strspn(p + 1, "0123456789") : 0;
	p += minor_len ? minor_len + 1 : 0;
	patch_len = *p == '.' ? strspn(p + 1, "0123456789") : 0;
	p += patch_len ? patch_len + 1 : 0;
	if (major_len == 0 || minor_len == 0 || patch_len == 0 || (*p && *p != '-' && *p != '+'))
		return oci_ctx_fail(ctx, "ociVersion",
				    "invalid version \"%.64s\", expected MAJOR.MINOR.PATCH", v);
	if (major_len != 1 || v[0] != '1')
		return oci_ctx_fail(ctx, "ociVersion",
				    "unsupported version \"%.64s\": husk supports 1.0.0 to 1.3.x",
				    v);
	return 0;
}

const struct oci_namespace *oci_config_namespace(const struct oci_config *config, int type)
{
	size_t i;

	if (config->linux == NULL)
		return NULL;
	for (i = 0; i < config->linux->namespaces.len; i++)
		if (config->linux->namespaces.items[i].type.value == type)
			return &config->linux->namespaces.items[i];
	return NULL;
}

bool oci_config_new_namespace(const struct oci_config *config, int type)
{
	const struct oci_namespace *ns = oci_config_namespace(config, type);

	return ns != NULL && ns->path == NULL;
}

/* Settings that only make sense with a namespace of their own, as runc checks them. */
static int check_namespace_needs(const struct oci_config *c, struct oci_ctx *ctx)
{
	const struct oci_namespace *userns = oci_config_namespace(c, OCI_NS_USER);
	const struct oci_linux *l = c->linux;

	if (c->hostname != NULL && c->hostname[0] && oci_config_namespace(c, OCI_NS_UTS) == NULL)
		return oci_ctx_fail(ctx, "hostname",
				    "needs a UTS namespace of the container's own");
	if (c->domainname != NULL && c->domainname[0] &&
	    oci_config_namespace(c, OCI_NS_UTS) == NULL)
		return oci_ctx_fail(ctx, "domainname",
				    "needs a UTS namespace of the container's own");
	if (l == NULL)
		return 0;
	if ((l->uid_mappings.len || l->gid_mappings.len) && userns == NULL)
		return oci_ctx_fail(ctx,
				    l->uid_mappings.len ? "linux.uidMappings" : "linux.gidMappings",
				    "mappings need a user namespace in linux.namespaces");
	if (userns != NULL && userns->path == NULL &&
	    (!l->uid_mappings.len || !l->gid_mappings.len))
		return oci_ctx_fail(
		    ctx, !l->uid_mappings.len ? "linux.uidMappings" : "linux.gidMappings",
		    "a new user namespace needs uid and gid mappings");
	if (l->time_offsets.len && oci_config_namespace(c, OCI_NS_TIME) == NULL)
		return oci_ctx_fail(ctx, "linux.timeOffsets", "offsets need a time namespace");
	return 0;
}

static int check_config(const void *obj, struct oci_ctx *ctx)
{
	const struct oci_config *c = obj;

	if (check_version(c->oci_version, ctx) < 0)
		return -1;
	return check_namespace_needs(c, ctx);
}

const struct oci_type oci_config_type =
    OCI_TYPE("config", struct oci_config, config_fields, check_config);

/* A document of `type` in a new arena; the arena is freed again on failure. */
static int parse_in_arena(const struct oci_type *type, const char *text, size_t len,
			  const char *file, struct oci_arena **arena, void **out,
			  struct hk_err **err)
{
	*arena = oci_arena_new();
	*out = NULL;
	if (oci_parse(type, text, len, file, *arena, out, err) == 0)
		return 0;
	oci_arena_free(*arena);
	*arena = NULL;
	return -1;
}

int oci_config_parse(const char *text, size_t len, const char *file, struct oci_config_doc *doc,
		     struct hk_err **err)
{
	void *out = NULL;
	int ret = parse_in_arena(&oci_config_type, text, len, file, &doc->arena, &out, err);

	doc->config = out;
	return ret;
}

int oci_config_load(const char *path, const char *file, struct oci_config_doc *doc,
		    struct hk_err **err)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (oci_read_file(path, OCI_CONFIG_MAX_BYTES, &text, &len, err) < 0)
		return -1;
	ret = oci_config_parse(text, len, file, doc, err);
	free(text);
	return ret;
}

int oci_process_parse(const char *text, size_t len, const char *file, struct oci_process_doc *doc,
		      struct hk_err **err)
{
	void *out = NULL;
	int ret = parse_in_arena(&oci_process_type, text, len, file, &doc->arena, &out, err);

	doc->process = out;
	return ret;
}

int oci_resources_parse(const char *text, size_t len, const char *file, struct oci_arena **arena,
			struct oci_resources **out, struct hk_err **err)
{
	void *parsed = NULL;
	int ret = parse_in_arena(&oci_resources_type, text, len, file, arena, &parsed, err);

	*out = parsed;
	return ret;
}

void oci_config_doc_free(struct oci_config_doc *doc)
{
	oci_arena_free(doc->arena);
	doc->arena = NULL;
	doc->config = NULL;
}

void oci_process_doc_free(struct oci_process_doc *doc)
{
	oci_arena_free(doc->arena);
	doc->arena = NULL;
	doc->process = NULL;
}
