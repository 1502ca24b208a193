/* Shared by the cgroup drivers: finding a controller's directory and its files. */
#ifndef HUSK_CGROUP_INTERNAL_H
#define HUSK_CGROUP_INTERNAL_H

#include <string.h>

#include "cgroup.h"

/* The layers, each calling only those below it:
 *   cgroup.c          the API of cgroup.h and its dispatch to the container's driver
 *   driver_*.c        what differs between the ways of managing a cgroup, one per file
 *                     (driver_v1.c: v1 and hybrid; driver_v2.c; driver_systemd.c on v2's)
 *   v1.c v2.c         the resource writers of each version, and shared_files.c for the files
 *                     both name alike (pids, rdma, hugetlb, unified)
 *   dirs.c procs.c    helpers that know no driver: directories, entering, freezing, signalling,
 *   hierarchy.c       removal; the host's hierarchies and where a cgroup lies in them;
 *   files.c           a cgroup's files
 * (stats.c, realtime.c, device_policy.c and systemd_dbus.c sit beside the helpers.) The
 * writers take a struct hk_cgroup whose directories may be anywhere: tests/unit/test_cgroup.c
 * runs them against a temporary tree. */
struct hk_cg_device_rule;
struct hk_cgroup_driver {
	const char *name;
	/* the directories cg->dirs names (none holding processes: cgroup.c checks) */
	int (*make_dirs)(struct hk_cgroup *cg, const struct oci_resources *r, struct hk_err **err);
	/* linux.resources, at create (update false) and `update` */
	int (*apply)(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		     struct hk_err **err);
	/* the device policy, deny-all first (hk_cg_device_rules) */
	int (*devices)(const struct hk_cgroup *cg, const struct hk_cg_device_rule *rules, size_t n,
		       struct hk_err **err);
	/* the calling process moves in (born_in: clone3 put it in clone_fd's directory already);
	 * memory_fd not NULL: a v1 memory hierarchy is left out, its tasks file opened there
	 * (-1: none); *failed names the directory that refused */
	int (*enter)(const struct hk_cgroup *cg, bool born_in, int *memory_fd, const char **failed);
	int (*clone_fd)(const struct hk_cgroup *cg);
	int (*freeze)(const struct hk_cgroup *cg, bool frozen, struct hk_err **err);
	int (*is_frozen)(const struct hk_cgroup *cg); /* 1, 0, -1 unknown */
	int (*signal_all)(const struct hk_cgroup *cg, int sig, struct hk_err **err);
	int (*destroy)(struct hk_cgroup *cg, struct hk_err **err);
	/* stage 1 is in (or failed): what the driver kept for the create goes (optional) */
	void (*settled)(struct hk_cgroup *cg);
};
extern const struct hk_cgroup_driver hk_cg_driver_v1, hk_cg_driver_v2, hk_cg_driver_systemd;

/* driver_v2.c's operations on a cgroup2 directory, which the systemd driver's scopes share. */
int hk_cg_v2_make_dirs(struct hk_cgroup *cg, struct hk_err **err);
int hk_cg_v2_devices(const struct hk_cgroup *cg, const struct hk_cg_device_rule *rules, size_t n,
		     struct hk_err **err);
int hk_cg_v2_clone_fd(const struct hk_cgroup *cg);
int hk_cg_v2_freeze(const struct hk_cgroup *cg, bool frozen, struct hk_err **err);
int hk_cg_v2_is_frozen(const struct hk_cgroup *cg);
int hk_cg_v2_signal_all(const struct hk_cgroup *cg, int sig, struct hk_err **err);

/* driver_systemd.c, pure: the unit ("prefix-name.scope") and its cgroup below the cgroup2 root
 * ("/system.slice/prefix-name.scope") for a "slice:prefix:name" cgroupsPath (empty: runc's
 * default, "system.slice:husk:ID"); and the resources systemd has properties for. */
struct hk_unit_props;
int hk_cg_systemd_names(const char *cgroups_path, const char *id, char *unit, size_t unit_size,
			char *dir, size_t dir_size, struct hk_err **err);
/* update: a pids limit of 0 is "unchanged" (docker's), at create it is TasksMax=0 */
int hk_cg_systemd_props(const struct oci_resources *r, bool update, struct hk_unit_props *props,
			struct hk_err **err);
/* The driver for the host's mode (NULL: none). */
const struct hk_cgroup_driver *hk_cg_driver_for(enum hk_cg_mode mode);

/* ---- Helpers that know no driver; what differs between drivers is passed in. ---- */

/* dirs.c: mkdir -p of d down its hierarchy, marking what it made (created_top). Before each level
 * in_parent(parent, want) runs (a cgroup2 parent's controllers enabled), after it made(path,
 * want) (a v1 cpuset filled from its parent); either may be NULL. */
struct hk_cg_mkdir_steps {
	int (*in_parent)(const char *parent, const char *want, struct hk_err **err);
	int (*made)(const char *path, const char *want, struct hk_err **err);
	const char *want; /* the controllers a cgroup2 child needs (a space list; NULL: all) */
};
int hk_cg_make_dir(struct hk_cg_dir *d, const struct hk_cg_mkdir_steps *steps, struct hk_err **err);
/* What hk_cg_make_dir made, deepest first (a failed create). */
void hk_cg_unmake_dirs(struct hk_cgroup *cg);
/* cgroup2: turns on in parent's subtree_control the controllers a child needs; want NULL: all
 * that parent has (pure v2, as runc: update can then set anything); else a space list. */
int hk_cg_v2_enable_controllers(const char *parent, const char *want, struct hk_err **err);
/* v1 cpuset: cpus and mems copied down from the nearest ancestor that has them, in a directory of
 * a v1 hierarchy that holds the cpuset controller. */
int hk_cg_v1_cpuset_inherit(const char *dir, struct hk_err **err);
static inline bool hk_cg_is_v1_cpuset(const struct hk_cg_dir *d)
{
	return !d->v2 && strstr(d->key, "cpuset") != NULL;
}
/* rmdir of the directories and what the container made below, retrying while the kernel
 * drains dying processes; what is still running is killed with ops->signal_all. */
int hk_cg_remove_dirs(struct hk_cgroup *cg, const struct hk_cgroup_driver *ops,
		      struct hk_err **err);

void hk_cg_sleep_ms(long ms);
/* procs.c: "0" into one file of d: the calling process (cgroup.procs) or thread (tasks) moves
 * in. */
int hk_cg_enter_file(const struct hk_cg_dir *d, const char *file, const char **failed);
/* That file opened for writing, to move in later (hk_cg_enter_memory); -1 with *failed set. */
int hk_cg_open_entry(const struct hk_cg_dir *d, const char *file, const char **failed);
/* "0" into each directory's cgroup.procs (none when born in the one cgroup2 directory): the
 * v2 and systemd drivers' enter, with no v1 memory hierarchy to leave out. */
int hk_cg_enter_procs(const struct hk_cgroup *cg, bool born_in, int *memory_fd,
		      const char **failed);
/* sig to every listed pid, frozen meanwhile (ops->freeze, ops->is_frozen) when SIGKILL. */
int hk_cg_signal_listed(const struct hk_cgroup *cg, int sig, const struct hk_cgroup_driver *ops,
			struct hk_err **err);
/* A freezer file and its words: v1's freezer.state passes through FREEZING, and the kernel's
 * advice is to write FROZEN again (rewrite). */
struct hk_cg_freezer {
	const char *file, *freeze, *thaw;
	bool rewrite;
};
/* Writes the word into d's file and waits (2 ms polls, 10 s) until is_frozen agrees; a freeze
 * that never completes is thawed again. */
int hk_cg_set_frozen(const struct hk_cgroup *cg, const struct hk_cg_dir *d,
		     const struct hk_cg_freezer *f, bool frozen,
		     int (*is_frozen)(const struct hk_cgroup *cg), struct hk_err **err);

/* hierarchy.c: */
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

/* A cgroup file opened for writing (-1 and errno on failure), and a write to it whose error
 * names the file: for several writes to one file without reopening it. */
int hk_cg_open_file(const struct hk_cg_dir *d, const char *file);
int hk_cg_write_fd(int fd, const char *file, const char *value, struct hk_err **err);
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

/* shared_files.c: files named alike in both versions. */
int hk_cg_write_pids(const struct hk_cgroup *cg, const struct oci_pids *p, bool update,
		     struct hk_err **err);
int hk_cg_write_rdma(const struct hk_cgroup *cg, const struct oci_resources *r,
		     struct hk_err **err);
/* The controller's directory, or an error naming linux.resources.<field>. */
const struct hk_cg_dir *hk_cg_need(const struct hk_cgroup *cg, const char *controller,
				   const char *field, struct hk_err **err);

int hk_cg_v1_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		   struct hk_err **err);
int hk_cg_v2_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		   struct hk_err **err);
/* shared_files.c: hugetlb (v1 file or v2 file by where the controller is) and raw v2 files. */
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
/* The full list for a config (malloc'ed), deny-all first: linux.resources.devices and the
 * runtime's defaults, as runc's. A node that linux.devices makes is not allowed by being made
 * (a config that denies all and lists /dev/kmsg gets a /dev/kmsg it cannot open). */
int hk_cg_device_rules(const struct oci_resources *r, struct hk_cg_device_rule **rules, size_t *n,
		       struct hk_err **err);
/* cgroup2: builds and attaches the BPF_PROG_TYPE_CGROUP_DEVICE program, replacing husk's
 * earlier one on update. */
int hk_cg_bpf_devices(const struct hk_cg_dir *d, const struct hk_cg_device_rule *rules, size_t n,
		      struct hk_err **err);

#endif
