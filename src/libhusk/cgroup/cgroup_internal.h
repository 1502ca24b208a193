/* Shared by the cgroup drivers: finding a controller's directory and its files. */
#ifndef HUSK_CGROUP_INTERNAL_H
#define HUSK_CGROUP_INTERNAL_H

#include "cgroup.h"

/* The container's directory in every hierarchy of the host, for linux.cgroupsPath. */
int hk_cg_resolve(struct hk_cgroup *cg, const char *cgroups_path, const char *id,
		  struct hk_err **err);
/* Adds the directory `rel` of the hierarchy named key (a key the host lacks is skipped). */
int hk_cg_from_key(struct hk_cgroup *cg, const char *key, const char *rel, struct hk_err **err);

/* The directory holding controller's files: a v1 hierarchy with it, or the cgroup2 one when the
 * controller is bound there (hybrid hugetlb, pure v2). NULL when the host has no such controller.
 */
const struct hk_cg_dir *hk_cg_find(const struct hk_cgroup *cg, const char *controller);
const struct hk_cg_dir *hk_cg_unified(const struct hk_cgroup *cg);

/* Writes one value; the message names the file and the value:
 * `cgroup memory.max: write "1k": device or resource busy`. */
int hk_cg_write(const struct hk_cg_dir *d, const char *file, const char *value,
		struct hk_err **err);
int hk_cg_writef(const struct hk_cg_dir *d, const char *file, struct hk_err **err, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));
/* Reads a file (trailing newline removed); returns the length or -1 with errno set. */
int hk_cg_read(const struct hk_cg_dir *d, const char *file, char *buf, size_t size);
/* A number from a file ("max" reads as -1); false when unreadable. */
bool hk_cg_read_i64(const struct hk_cg_dir *d, const char *file, long long *value);
bool hk_cg_has(const struct hk_cg_dir *d, const char *file);

/* Moves *from into *to (when to wants it) and returns -1: a first error kept while a fallback
 * was tried becomes the one reported. */
int hk_cg_pass(struct hk_err **to, struct hk_err **from);

/* Files named alike in both versions. */
int hk_cg_write_pids(const struct hk_cgroup *cg, const struct oci_pids *p, struct hk_err **err);
int hk_cg_write_rdma(const struct hk_cgroup *cg, const struct oci_resources *r,
		     struct hk_err **err);
/* The controller's directory, or an error naming linux.resources.<field>. */
const struct hk_cg_dir *hk_cg_need(const struct hk_cgroup *cg, const char *controller,
				   const char *field, struct hk_err **err);

int hk_cg_v1_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		   struct hk_err **err);
int hk_cg_v2_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		   struct hk_err **err);
/* Shared by both: hugetlb (v1 file or v2 file by where the controller is) and raw v2 files. */
int hk_cg_apply_hugetlb(const struct hk_cgroup *cg, const struct oci_resources *r,
			struct hk_err **err);
int hk_cg_apply_unified(const struct hk_cgroup *cg, const struct oci_resources *r,
			struct hk_err **err);

/* A device rule as both drivers see it: the config's rules, then the defaults every container
 * gets (runc's list), then one allow per linux.devices entry. */
struct hk_cg_device_rule {
	bool allow;
	char type;		/* 'a', 'c', 'b' */
	long long major, minor; /* -1: any */
	char access[4];
};
/* The full list for a config (malloc'ed), deny-all first. */
int hk_cg_device_rules(const struct oci_resources *r, const struct oci_linux *l,
		       struct hk_cg_device_rule **rules, size_t *n, struct hk_err **err);
/* cgroup2: builds and attaches the BPF_PROG_TYPE_CGROUP_DEVICE program, replacing husk's
 * earlier one on update. */
int hk_cg_bpf_devices(const struct hk_cg_dir *d, const struct hk_cg_device_rule *rules, size_t n,
		      struct hk_err **err);

#endif
