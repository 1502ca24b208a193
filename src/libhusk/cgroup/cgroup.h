/* The container's cgroup on whatever the host has: cgroup v1, v2, or the "hybrid" of v1
 * controllers plus a cgroup2 tree for the controllers bound to it.
 *
 * A cgroup is a set of directories, one per mounted hierarchy (v1: one per controller mount; v2:
 * one). The resolved directories are kept in the state record, so later commands find the same
 * cgroup whichever cgroup they themselves run in. */
#ifndef HUSK_CGROUP_H
#define HUSK_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "hk_error.h"
#include "schema.h"

enum hk_cg_mode { HK_CG_NONE, HK_CG_V1, HK_CG_HYBRID, HK_CG_V2 };

#define HK_CG_MAX_DIRS 16

/* The container's directory in one hierarchy. */
struct hk_cg_dir {
	char key[64];	 /* the hierarchy's controllers ("cpu,cpuacct"), "unified" for cgroup2 */
	char path[4096]; /* e.g. /sys/fs/cgroup/memory/a/b */
	char *rel;	 /* points into path: the cgroup within the hierarchy, "/a/b" */
	bool v2;
	size_t created_top; /* length of the topmost directory husk made (0: none): what a
			       failed create removes again */
};

struct hk_cgroup_driver; /* cgroup_internal.h: v1 or v2 cgroupfs, chosen once per host */

struct hk_cgroup {
	enum hk_cg_mode mode;
	const struct hk_cgroup_driver *driver;
	size_t n;
	struct hk_cg_dir dirs[HK_CG_MAX_DIRS];
	char unit[256]; /* the systemd driver's scope ("" for cgroupfs) */
	pid_t holder;	/* systemd: the scope's first process, until hk_cg_settled */
	bool shared;	/* an existing cgroup that held processes was joined (hk_cg_make) */
};

/* The host's mode, read once per process from mountinfo. */
enum hk_cg_mode hk_cg_mode(void);
const char *hk_cg_mode_name(enum hk_cg_mode mode);

/* Makes the container's cgroup for linux.cgroupsPath (none: the id, relative like runc's default)
 * and applies linux.resources and the device policy. A relative path lies under the caller's own
 * cgroup in each hierarchy. A cgroup that already holds processes is refused. With systemd, a
 * transient scope (driver_systemd.c; cgroup v2 only). On failure nothing is left. */
int hk_cg_create(struct hk_cgroup *cg, const struct oci_linux *l, const char *id, bool systemd,
		 struct hk_err **err);
/* hk_cg_create in two halves: the directories resolved and the host's refusals checked (no
 * file touched), then everything made; a caller may fork between them, the paths fixed. */
int hk_cg_prepare(struct hk_cgroup *cg, const struct oci_linux *l, const char *id, bool systemd,
		  struct hk_err **err);
int hk_cg_make(struct hk_cgroup *cg, const struct oci_linux *l, bool systemd, struct hk_err **err);
/* The cgroupfs directories hk_cg_create would make for this config and id, made or not (none
 * rootless or without cgroups): what create records before it makes them. */
int hk_cg_plan(struct hk_cgroup *cg, const struct oci_linux *l, const char *id,
	       struct hk_err **err);
/* rmdir of each directory, nothing killed: one that holds processes or children stays
 * (-1, errno EBUSY or ENOTEMPTY); a missing one is fine. */
int hk_cg_remove_empty(const struct hk_cgroup *cg);
/* The cgroupfs directories hk_cg_create would make for this config and id, those of them that
 * exist (none: cg->n == 0): for `delete --force` of a container whose record is lost. */
int hk_cg_find_existing(struct hk_cgroup *cg, const struct oci_linux *l, const char *id,
			struct hk_err **err);
/* After the spawn of the container's first process, whether it worked or not. */
void hk_cg_settled(struct hk_cgroup *cg);
/* The cgroup of an existing container, from the paths hk_cg_record stored (and whether systemd
 * made it). */
int hk_cg_load(struct hk_cgroup *cg, const struct oci_strmap *paths, bool systemd,
	       struct hk_err **err);
/* The directories as a map of hierarchy key to cgroup, for the state record (in arena). */
void hk_cg_record(const struct hk_cgroup *cg, struct oci_arena *arena, struct oci_strmap *out);

/* What the container's cgroup mount shows: one entry per hierarchy of the host's (named ones
 * too), each the directory to bind at name under it (name "" on pure v2): the container's own, or
 * for a hierarchy it has none in, the one it runs in. */
struct hk_cg_view {
	char name[256];	   /* "memory", "cpu,cpuacct", "unified", "systemd" */
	char source[8192]; /* e.g. /sys/fs/cgroup/memory/a/c */
	bool v2;
};
/* The i-th entry in *out; false past the last. One at a time: an array of them would be 170 KiB
 * of stack, pages charged to the container's small memory limit when stage 2 writes them. */
bool hk_cg_view(const struct hk_cgroup *cg, size_t i, struct hk_cg_view *out);

/* Moves the calling process, single-threaded, in (every hierarchy; born_in: clone3 placed it in
 * hk_cg_clone_fd's directory); on failure *failed names the directory. memory_fd not NULL: a
 * v1 memory hierarchy is left for hk_cg_enter_memory, its tasks file opened into *memory_fd
 * (-1 when there is none), so that what the caller does meanwhile is charged to its own. */
int hk_cg_enter_self(const struct hk_cgroup *cg, bool born_in, int *memory_fd, const char **failed);
/* The entry files a process writes "0" to later to move itself in (the exec stub, exec_stub.c):
 * each v1 directory's tasks into v1 (the count returned), the cgroup2 directory's cgroup.procs
 * into *v2_procs (-1: none). -1 with *failed naming the directory, none left open. */
int hk_cg_open_entries(const struct hk_cgroup *cg, int v1[HK_CG_MAX_DIRS], int *v2_procs,
		       const char **failed);
/* Joins the memory hierarchy hk_cg_enter_self left out and closes *memory_fd (-1 after). */
int hk_cg_enter_memory(int *memory_fd);
/* An O_PATH fd for clone3(CLONE_INTO_CGROUP): the cgroup's cgroup2 directory (pure v2's one, a
 * hybrid host's unified one); -1 when there is none. */
/* v1 cpuset directories with no cpus or mems (a sub-cgroup made beforehand, as exec --cgroup
 * joins) get their nearest ancestor's, as runc fills them. */
int hk_cg_fill_cpusets(const struct hk_cgroup *cg, struct hk_err **err);
int hk_cg_clone_fd(const struct hk_cgroup *cg);
/* Removes the directories, retrying while the kernel still drains dying processes. */
int hk_cg_destroy(struct hk_cgroup *cg, struct hk_err **err);

/* SCHED_FIFO or SCHED_RR without linux.resources.cpu.realtimeRuntime: on v1 with RT group
 * scheduling, gives the cgroup the realtime time its parent has left (cgroup/realtime.c). */
int hk_cg_grant_realtime(const struct hk_cgroup *cg, const char *policy, struct hk_err **err);

/* Applies resources (not devices: those are fixed at create, as with runc). `update` checks
 * memory.checkBeforeUpdate and reads current values where a conversion needs them. */
int hk_cg_apply(struct hk_cgroup *cg, const struct oci_resources *res, bool update,
		struct hk_err **err);

/* freezer (v1) or cgroup.freeze (v2); returns once the kernel reports the new state. */
int hk_cg_freeze(const struct hk_cgroup *cg, bool frozen, struct hk_err **err);
/* 1 frozen, 0 not, -1 unknown (no freezer). */
int hk_cg_is_frozen(const struct hk_cgroup *cg);
/* The pids in the cgroup (malloc'ed array); 0 or -1 with err. */
int hk_cg_pids(const struct hk_cgroup *cg, pid_t **pids, size_t *n, struct hk_err **err);
/* Sends sig to every process in the cgroup (cgroup.kill for SIGKILL on v2; v1 freezes first so
 * that no process forks past the signal). */
int hk_cg_signal_all(const struct hk_cgroup *cg, int sig, struct hk_err **err);
/* true when no process is left in the cgroup */
bool hk_cg_empty(const struct hk_cgroup *cg);

/* The stats of runc's `events` ("cpu", "memory", "pids", "blkio", "hugetlb") as a JSON object,
 * malloc'ed. */
char *hk_cg_stats_json(const struct hk_cgroup *cg);
/* A pollable fd that wakes on OOM kills in the cgroup (eventfd on v1, inotify on v2), -1 when
 * the host has none; hk_cg_oom_count tells how many kills happened so far. */
int hk_cg_oom_watch(const struct hk_cgroup *cg, struct hk_err **err);
unsigned long long hk_cg_oom_count(const struct hk_cgroup *cg);
/* The OOM kills since the last call, once the watch fd polled readable (drained here): v2 by
 * memory.events' oom_kill (seen holds the last count); v1 by the eventfd's count of OOM events,
 * which comes before the kernel counts the kill. */
unsigned long long hk_cg_oom_events(const struct hk_cgroup *cg, int fd, unsigned long long *seen);

#endif
