/* config.json and process.json as runtime-spec 1.2 defines them for Linux (with the 1.3 additions
 * that cost nothing). Field names follow the JSON names; the descriptors in config.c map them. */
#ifndef HUSK_CONFIG_H
#define HUSK_CONFIG_H

#include "names.h"
#include "schema.h"

struct oci_id_mapping {
	struct oci_opt_u32 container_id, host_id, size;
};

struct oci_rlimit {
	struct oci_opt_enum type; /* RLIMIT_* */
	struct oci_opt_u64 hard, soft;
};

struct oci_capabilities {
	struct oci_strv bounding, effective, inheritable, permitted, ambient;
};

struct oci_user {
	struct oci_opt_u32 uid, gid, umask;
	struct oci_u32v additional_gids;
	char *username;
};

struct oci_console_size {
	struct oci_opt_u32 height, width;
};

struct oci_io_priority {
	struct oci_opt_enum class;
	struct oci_opt_i32 priority;
};

struct oci_scheduler {
	struct oci_opt_enum policy;
	struct oci_opt_i32 nice, priority;
	struct oci_strv flags;
	struct oci_opt_u64 runtime, deadline, period;
};

struct oci_cpu_affinity {
	char *initial, *final;
};

struct oci_process {
	struct oci_opt_bool terminal;
	struct oci_console_size *console_size;
	struct oci_user *user;
	struct oci_strv args, env;
	char *cwd;
	struct oci_capabilities *capabilities;
	OCI_VEC(struct oci_rlimit) rlimits;
	struct oci_opt_bool no_new_privileges;
	char *apparmor_profile;
	struct oci_opt_i32 oom_score_adj;
	char *selinux_label;
	struct oci_io_priority *io_priority;
	struct oci_scheduler *scheduler;
	struct oci_cpu_affinity *exec_cpu_affinity;
};

struct oci_root {
	char *path;
	struct oci_opt_bool readonly;
};

struct oci_mount {
	char *destination, *source, *type;
	struct oci_strv options;
	OCI_VEC(struct oci_id_mapping) uid_mappings, gid_mappings;
};

struct oci_hook {
	char *path;
	struct oci_strv args, env;
	struct oci_opt_i32 timeout;
};
typedef OCI_VEC(struct oci_hook) oci_hook_list;

struct oci_hooks {
	oci_hook_list prestart, create_runtime, create_container, start_container, poststart,
	    poststop;
};

struct oci_namespace {
	struct oci_opt_enum type;
	char *path;
};

struct oci_time_offset {
	char *key; /* "monotonic" or "boottime" */
	struct oci_opt_i64 secs;
	struct oci_opt_u32 nanosecs;
};

struct oci_device {
	struct oci_opt_enum type;
	char *path;
	struct oci_opt_i64 major, minor;
	struct oci_opt_u32 file_mode, uid, gid;
};

struct oci_device_rule {
	struct oci_opt_bool allow;
	struct oci_opt_enum type;
	struct oci_opt_i64 major, minor;
	char *access;
};

struct oci_memory {
	struct oci_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
	struct oci_opt_u64 swappiness;
	struct oci_opt_bool disable_oom_killer, use_hierarchy, check_before_update;
};

struct oci_cpu {
	struct oci_opt_u64 shares;
	struct oci_opt_i64 quota;
	struct oci_opt_u64 burst, period;
	struct oci_opt_i64 realtime_runtime;
	struct oci_opt_u64 realtime_period;
	char *cpus, *mems;
	struct oci_opt_i64 idle;
};

struct oci_pids {
	struct oci_opt_i64 limit;
};

struct oci_weight_device {
	struct oci_opt_i64 major, minor;
	struct oci_opt_u32 weight, leaf_weight; /* uint16 */
};

struct oci_throttle_device {
	struct oci_opt_i64 major, minor;
	struct oci_opt_u64 rate;
};

struct oci_blkio {
	struct oci_opt_u32 weight, leaf_weight; /* uint16 */
	OCI_VEC(struct oci_weight_device) weight_device;
	OCI_VEC(struct oci_throttle_device)
	throttle_read_bps, throttle_write_bps, throttle_read_iops, throttle_write_iops;
};

struct oci_hugepage_limit {
	char *page_size;
	struct oci_opt_u64 limit;
};

struct oci_net_priority {
	char *name;
	struct oci_opt_u32 priority;
};

struct oci_network {
	struct oci_opt_u32 class_id;
	OCI_VEC(struct oci_net_priority) priorities;
};

struct oci_rdma {
	char *key; /* the device name */
	struct oci_opt_u32 hca_handles, hca_objects;
};

struct oci_resources {
	OCI_VEC(struct oci_device_rule) devices;
	struct oci_memory *memory;
	struct oci_cpu *cpu;
	struct oci_pids *pids;
	struct oci_blkio *block_io;
	OCI_VEC(struct oci_hugepage_limit) hugepage_limits;
	struct oci_network *network;
	OCI_VEC(struct oci_rdma) rdma;
	struct oci_strmap unified;
};

struct oci_seccomp_arg {
	struct oci_opt_u32 index;
	struct oci_opt_u64 value, value_two;
	struct oci_opt_enum op;
};

struct oci_seccomp_syscall {
	struct oci_strv names;
	struct oci_opt_enum action;
	struct oci_opt_u32 errno_ret;
	OCI_VEC(struct oci_seccomp_arg) args;
};

struct oci_seccomp {
	struct oci_opt_enum default_action;
	struct oci_opt_u32 default_errno_ret;
	struct oci_strv architectures, flags;
	char *listener_path, *listener_metadata;
	OCI_VEC(struct oci_seccomp_syscall) syscalls;
};

struct oci_personality {
	struct oci_opt_enum domain;
	struct oci_strv flags;
};

struct oci_intel_rdt {
	char *clos_id, *l3_cache_schema, *mem_bw_schema;
	struct oci_strv schemata;
	struct oci_opt_bool enable_cmt, enable_mbm, enable_monitoring;
};

struct oci_net_device {
	char *key; /* the host interface name */
	char *name;
};

struct oci_memory_policy {
	struct oci_opt_enum mode;
	char *nodes;
	struct oci_strv flags;
};

struct oci_linux {
	OCI_VEC(struct oci_namespace) namespaces;
	OCI_VEC(struct oci_id_mapping) uid_mappings, gid_mappings;
	OCI_VEC(struct oci_time_offset) time_offsets;
	OCI_VEC(struct oci_device) devices;
	char *cgroups_path;
	struct oci_resources *resources;
	struct oci_opt_enum rootfs_propagation;
	struct oci_seccomp *seccomp;
	struct oci_strmap sysctl;
	struct oci_strv masked_paths, readonly_paths;
	char *mount_label;
	struct oci_personality *personality;
	struct oci_intel_rdt *intel_rdt;
	OCI_VEC(struct oci_net_device) net_devices;
	struct oci_memory_policy *memory_policy;
};

struct oci_config {
	char *oci_version;
	struct oci_process *process;
	struct oci_root *root;
	char *hostname, *domainname;
	OCI_VEC(struct oci_mount) mounts;
	struct oci_hooks *hooks;
	struct oci_strmap annotations;
	struct oci_linux *linux;
};

extern const struct oci_type oci_config_type;
extern const struct oci_type oci_process_type; /* process.json, for `exec --process` */
extern const struct oci_type oci_hooks_type;
extern const struct oci_type oci_resources_type; /* linux.resources, for `update --resources` */
extern const struct oci_type oci_seccomp_type;	 /* linux.seccomp, hashed for the BPF cache */
extern const struct oci_type oci_linux_type;
extern const struct oci_type oci_id_mapping_type;

/* A parsed document and the arena that holds it. */
struct oci_config_doc {
	struct oci_arena *arena;
	struct oci_config *config;
};
struct oci_process_doc {
	struct oci_arena *arena;
	struct oci_process *process;
};

/* Parses and validates; `file` names the document in messages ("config.json"). */
int oci_config_parse(const char *text, size_t len, const char *file, struct oci_config_doc *doc,
		     struct hk_err **err);
int oci_config_load(const char *path, const char *file, struct oci_config_doc *doc,
		    struct hk_err **err);
int oci_process_parse(const char *text, size_t len, const char *file, struct oci_process_doc *doc,
		      struct hk_err **err);
/* A linux.resources document in a new arena (*arena, freed again on failure). */
int oci_resources_parse(const char *text, size_t len, const char *file, struct oci_arena **arena,
			struct oci_resources **out, struct hk_err **err);
void oci_config_doc_free(struct oci_config_doc *doc);
void oci_process_doc_free(struct oci_process_doc *doc);

/* The namespace entry of that type, or NULL. */
const struct oci_namespace *oci_config_namespace(const struct oci_config *config, int type);
/* Whether the container gets a namespace of that type of its own (listed, with no path). */
bool oci_config_new_namespace(const struct oci_config *config, int type);

/* config.json larger than this is refused before reading: 64 MiB holds any real profile. */
#define OCI_CONFIG_MAX_BYTES (64u << 20)

#endif
