/* The on-disk store: <root>/<id>/state.json, written atomically, one flock per container. */
#ifndef HUSK_STATE_H
#define HUSK_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "hk_error.h"
#include "oci_state.h"
#include "schema.h"

/* Everything later commands need (CONTRACT.md), so that none of them needs the caller to repeat
 * a flag it gave to create. */
struct hk_record {
	char *oci_version, *id, *bundle, *rootfs, *created, *owner;
	struct oci_opt_i32 pid;
	struct oci_opt_u64
	    pid_start_time;	     /* field 22 of /proc/PID/stat: tells a reused pid apart */
	struct oci_opt_bool started; /* `start` was given */
	struct oci_opt_bool rootless, systemd_cgroup;
	struct oci_opt_bool late_hooks; /* poststart or poststop hooks: start/delete read config */
	/* linux.netDevices moved in: host name -> identity (netdev.h); delete returns them */
	struct oci_strmap net_devices_moved;
	char *cgroup_path;		/* linux.cgroupsPath as the config gave it */
	struct oci_strmap cgroup_paths; /* hierarchy -> the cgroup husk made there (cgroup.h) */
	/* joined an existing cgroup that held processes: delete and kill --all act on the pid
	 * namespace, and a cgroup left busy stays */
	struct oci_opt_bool cgroup_shared;
	/* the same, written before the directories are made: what a create killed before
	 * cgroup_paths was saved may have left (empty directories, removed but never emptied) */
	struct oci_strmap cgroup_intent;
	struct oci_strmap annotations;
	/* no mount namespace of the container's own: the bind of the rootfs delete detaches, and
	 * the namespace it is in (NULL: husk's) */
	struct oci_opt_u64 rootfs_mount_id;
	char *rootfs_mount_ns;
	char *rdt_dir, *rdt_mon_dir;	  /* linux.intelRdt: the resctrl groups (rdt.h) */
	struct oci_opt_bool rdt_made_dir; /* husk made rdt_dir: delete removes it */
};
extern const struct oci_type hk_record_type;

struct hk_container {
	int dirfd;  /* <root>/<id>, flock'ed when `locked` */
	char *path; /* <root>/<id> */
	bool locked;
	struct oci_arena *arena; /* holds record */
	struct hk_record *record;
};

/* Letters, digits, "_+-.", not "." or "..", 1 to 1024 bytes; checked before any path is built. */
int hk_id_check(const char *id, struct hk_err **err);

/* The default root: /run/husk for root, $XDG_RUNTIME_DIR/husk otherwise. */
const char *hk_default_root(void);

/* Creates <root>/<id> holding `record` and returns it locked; fails with "already exists".
 * c->record is a copy whose strings point into `record`'s: they must outlive the container. */
int hk_store_create(const char *root, const struct hk_record *record, struct hk_container *c,
		    struct hk_err **err);
/* Opens an existing container; `lock` takes its exclusive lock (waiting for the holder). */
int hk_store_open(const char *root, const char *id, bool lock, struct hk_container *c,
		  struct hk_err **err);
int hk_store_save(struct hk_container *c, struct hk_err **err);
/* Removes <root>/<id> when it is not a directory (a symlink or a file put there: a damaged
 * record, never followed). */
int hk_store_remove_entry(const char *root, const char *id, struct hk_err **err);
/* The state directory of a container whose record is missing or damaged, locked, with a record
 * that holds only its id: for `delete --force` to remove what it can find of it. */
int hk_store_open_lost(const char *root, const char *id, struct hk_container *c,
		       struct hk_err **err);
/* The config as create read it, kept as <root>/<id>/config.json for exec and the late hooks (so
 * that edits of the bundle's file change nothing); the load names the container on failure. */
int hk_store_save_config(struct hk_container *c, const struct oci_config *config,
			 struct hk_err **err);
int hk_store_load_config(const struct hk_container *c, struct oci_config_doc *doc,
			 struct hk_err **err);
/* Removes the `.new-*` directories of creations whose creator died before the rename (their
 * lock is free): what `delete --force` also clears. */
void hk_store_sweep(const char *root);
/* Removes the state directory; the container stays open (and locked) until hk_container_close. */
int hk_store_remove(struct hk_container *c, struct hk_err **err);
void hk_container_close(struct hk_container *c);
/* A container closed when it goes out of scope; declare it {.dirfd = -1}. */
#define hk_cleanup_container __attribute__((cleanup(hk_container_close)))

/* Calls fn for each container id under root, sorted by id (as runc lists them); stops when fn
 * returns < 0. */
int hk_store_each(const char *root, int (*fn)(const char *id, void *data), void *data,
		  struct hk_err **err);

/* The status from the record and the live process: a dead, zombie or reused pid is stopped. */
enum oci_status hk_container_status(const struct hk_record *record);
/* A pidfd of the container's pid 1, taken while its start time still matches the record's: a
 * signal or a /proc lookup through it cannot reach a reused pid. Fails "container not running". */
int hk_container_pidfd(const struct hk_record *record, struct hk_err **err);
/* Start time (in clock ticks after boot) of a live, non-zombie pid; 0 when it is gone. */
unsigned long long hk_pid_start_time(pid_t pid);

/* Fills the OCI state document (pointers into record) for `state` and `list`. */
void hk_container_state(const struct hk_record *record, struct oci_state *out);
/* The state document as hooks and seccomp agents get it: the record with this status and pid.
 * malloc'ed, or NULL. */
char *hk_container_state_json(const struct hk_record *record, const char *status, pid_t pid);
/* The state as hk_container_state_json describes it, unserialised (its strings the record's). */
void hk_container_state_at(const struct hk_record *record, const char *status, pid_t pid,
			   struct oci_state *out);

#endif
