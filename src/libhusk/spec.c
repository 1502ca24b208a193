#include "spec.h"

#include <string.h>

#include "cgroup/cgroup.h"

/* Parsed by the same parser as any bundle's config.json, so it cannot drift from the model. */
static const char default_spec[] =
    "{\"ociVersion\": \"" HK_OCI_VERSION "\","
    " \"process\": {\"terminal\": true, \"user\": {\"uid\": 0, \"gid\": 0},"
    "  \"args\": [\"sh\"],"
    "  \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
    "           \"TERM=xterm\"],"
    "  \"cwd\": \"/\","
    "  \"capabilities\": {"
    "   \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
    "   \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
    "   \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
    "   \"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]},"
    "  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
    "  \"noNewPrivileges\": true},"
    " \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
    " \"hostname\": \"husk\","
    " \"mounts\": ["
    "  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
    "   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
    "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
    "   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\","
    "                \"gid=5\"]},"
    "  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
    "  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
    "  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
    "  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}],"
    " \"linux\": {"
    "  \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
    "  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
    "                 {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],"
    "  \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
    "   \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
    "   \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\", "
    "\"/sys/devices/virtual/powercap\"],"
    "  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","
    "   \"/proc/sysrq-trigger\"]}}";

static void make_rootless(struct oci_config *c, struct oci_arena *arena, uid_t uid, gid_t gid)
{
	struct oci_linux *l = c->linux;
	struct oci_namespace *ns;
	size_t i, j;

	ns = oci_arena_array(arena, l->namespaces.len + 1, sizeof(*ns));
	memcpy(ns, l->namespaces.items, l->namespaces.len * sizeof(*ns));
	ns[l->namespaces.len] = (struct oci_namespace){.type = {OCI_NS_USER, true}};
	l->namespaces.items = ns;
	l->namespaces.len++;
	l->uid_mappings.items = oci_arena_alloc(arena, sizeof(struct oci_id_mapping));
	l->gid_mappings.items = oci_arena_alloc(arena, sizeof(struct oci_id_mapping));
	l->uid_mappings.items[0] = (struct oci_id_mapping){{0, true}, {uid, true}, {1, true}};
	l->gid_mappings.items[0] = (struct oci_id_mapping){{0, true}, {gid, true}, {1, true}};
	l->uid_mappings.len = l->gid_mappings.len = 1;
	l->uid_mappings.set = l->gid_mappings.set = true;
	l->resources = NULL; /* an unprivileged caller can own no cgroup limits */
	for (i = 0; i < c->mounts.len; i++) {
		struct oci_mount *m = &c->mounts.items[i];
		size_t kept = 0;

		if (strcmp(m->destination, "/sys") == 0) {
			static char *bind_opts[] = {"rbind", "nosuid", "noexec", "nodev", "ro"};

			m->type = "none";
			m->source = "/sys";
			m->options.items = bind_opts;
			m->options.len = sizeof(bind_opts) / sizeof(bind_opts[0]);
			continue;
		}
		for (j = 0; j < m->options.len; j++)
			if (strncmp(m->options.items[j], "gid=", 4) != 0)
				m->options.items[kept++] = m->options.items[j];
		m->options.len = kept;
	}
}

/* runc adds a cgroup namespace only on cgroup v2: on v1 and hybrid hosts its users expect exec
 * to see the container's own paths, and their configs add one of their own. */
static void drop_cgroup_namespace(struct oci_linux *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->namespaces.len; i++)
		if (l->namespaces.items[i].type.value != OCI_NS_CGROUP)
			l->namespaces.items[n++] = l->namespaces.items[i];
	l->namespaces.len = n;
}

int hk_spec_default(bool rootless, uid_t uid, gid_t gid, struct oci_config_doc *doc,
		    struct hk_err **err)
{
	if (oci_config_parse(default_spec, sizeof(default_spec) - 1, "default spec", doc, err) < 0)
		return -1;
	if (hk_cg_mode() != HK_CG_V2)
		drop_cgroup_namespace(doc->config->linux);
	if (rootless)
		make_rootless(doc->config, doc->arena, uid, gid);
	return 0;
}
