/* What one spawn does, decided before any fork: `create` builds a container, `exec` adds a process
 * to one. The builders are pure (no syscall), so tests/unit/test_plan.c checks each decision
 * without root; spawn.c runs the steps and reads nothing of the config a step does not name. */
#ifndef HUSK_PLAN_H
#define HUSK_PLAN_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "namespaces.h"

struct hk_cgroup;
struct hk_seccomp;
struct hk_record;
struct hk_rdt;

/* The steps, in the order spawn.c runs them; a step not in the plan is never taken. */
enum hk_spawn_step {
	HK_STEP_IDMAP_MOUNTS = 1u << 0,	    /* parent: idmapped trees for idmap/ridmap mounts */
	HK_STEP_ID_MAPS = 1u << 1,	    /* parent: uid_map/gid_map of the new user ns */
	HK_STEP_TIME_OFFSETS = 1u << 2,	    /* stage 1: timens_offsets of the new time ns */
	HK_STEP_LOOPBACK = 1u << 3,	    /* stage 2: lo up in the new network ns */
	HK_STEP_UTS = 1u << 4,		    /* hostname, domainname */
	HK_STEP_OOM_SCORE = 1u << 5,	    /* process.oomScoreAdj */
	HK_STEP_SYSCTL = 1u << 6,	    /* linux.sysctl */
	HK_STEP_ROOTFS = 1u << 7,	    /* mounts, devices, masked/readonly paths, pivot_root */
	HK_STEP_CREATION_HOOKS = 1u << 8,   /* prestart, createRuntime, createContainer */
	HK_STEP_MAKE_CWD = 1u << 9,	    /* process.cwd made when missing */
	HK_STEP_INIT_ROOT = 1u << 10,	    /* chroot to pid 1's root (it shares a mount ns) */
	HK_STEP_SESSION_KEYRING = 1u << 11, /* a new session keyring */
	HK_STEP_WAIT_START = 1u << 12,	    /* block on exec.fifo until `start` */
	HK_STEP_START_HOOKS = 1u << 13,	    /* startContainer */
	HK_STEP_MEMORY_POLICY = 1u << 14,   /* linux.memoryPolicy, create and exec */
	HK_STEP_NET_DEVICES = 1u << 15,	    /* parent: linux.netDevices into pid 1's network ns */
	HK_STEP_RDT = 1u << 16,		    /* parent: the process into its resctrl groups */
	/* stage 1 makes the namespaces outside the cgroup, pid 1 is born or moves into it (their
	 * kernel memory is not the container's): no new user ns, no joined mount ns */
	HK_STEP_NAMESPACES_FIRST = 1u << 17,
	/* parent: makes the cgroup (cgroupfs driver) while stage 1 makes the namespaces on the
	 * other CPU; stage 1 clones pid 1 once it exists (with NAMESPACES_FIRST only) */
	HK_STEP_CGROUP_ALONGSIDE = 1u << 18,
	/* exec without a user namespace, by root of the initial one (exec.c): the parent enters the
	 * pid namespace for its children, so stage 1 is born in it and becomes the process itself
	 * (one fork, not two) */
	HK_STEP_ONE_FORK = 1u << 19,
	/* the container's process comes out of the exec stub, from a sealed memfd (exec_stub.c):
	 * husk itself runs from its file, never re-executed. create: pid 1 becomes the stub
	 * (hk_plan_stub_fits says when that is safe); exec: with STUB_CLONES */
	HK_STEP_EXEC_STUB = 1u << 20,
	/* exec with EXEC_STUB: stage 1 stays in husk's pid namespace, where no process of the
	 * container sees it, and takes every step; the stub then clones the process into the
	 * container's (CLONE_VFORK: the stub goes on once the program runs), which joins the
	 * cgroup itself and execs (hk_plan_exec_stub_fits) */
	HK_STEP_STUB_CLONES = 1u << 21,
};

/* One name per step, for tests and debug lines; indexed by bit number. */
extern const char *const hk_spawn_step_names[];
extern const unsigned hk_spawn_step_count;

struct hk_spawn_plan {
	unsigned steps;			   /* enum hk_spawn_step bits */
	const struct oci_config *config;   /* the container's, as create saw it */
	const struct oci_process *process; /* the process to run */
	struct hk_ns_step ns[OCI_NS_COUNT];
	char join_paths[OCI_NS_COUNT][48]; /* exec: /proc/<pid 1>/ns/<name> */
	int preserve_fds;		   /* fds 3 .. 3+n-1 pass to the process */
	bool no_pivot;
	/* The caller's resources, given once the plan is built (-1 / NULL: none). */
	const char *bundle, *rootfs;	/* absolute */
	int rootfs_fd;			/* create: the rootfs the parent opened once */
	int exec_fifo;			/* WAIT_START: pid 1 reads one byte, then goes on */
	int start_result;		/* START_HOOKS: start.fifo, where their failure goes */
	int init_root;			/* INIT_ROOT: an O_PATH fd of /proc/<pid 1>/root */
	int exec_stub;			/* EXEC_STUB: the sealed memfd of the stub */
	const char *console_socket;	/* where the pty master goes (process.terminal) */
	const struct hk_cgroup *cgroup; /* stage 1 starts in it, so every process after it does */
	/* exec as a rootless user from outside the delegated subtree: the kernel refuses the move
	 * and the process stays in the caller's cgroup, as runc lets it */
	bool cgroup_best_effort;
	const struct hk_seccomp *seccomp; /* compiled by the caller; insns NULL: none */
	const struct hk_record *record;	  /* the state the container's own hooks get */
	const struct hk_rdt *rdt;	  /* RDT: the container's resctrl groups */
};

struct hk_plan_create_opts {
	int preserve_fds;
	bool no_pivot, no_new_keyring;
	bool cgroup_in_spawn; /* the caller makes the cgroup through hk_spawn_ops.cgroup */
	bool exec_stub;	      /* hk_plan_stub_fits said yes and the stub is built for this arch */
};

/* CVE-2019-5736 without a second start-up of husk: pid 1 may end through the exec stub, and husk
 * run from its own file, only when no process but husk's can see pid 1 before it becomes the
 * stub (a new pid namespace), nothing of husk runs after `start` (no startContainer hooks), no
 * SELinux label is to be applied at the program's execve (an AppArmor profile the stub applies
 * itself), the memory limit is not so small that
 * the stub's own exec counts (HK_STUB_MIN_MEMORY), and the container's filter, loaded
 * before the stub, plainly allows every call the stub makes. Otherwise husk re-executes from a
 * sealed copy of itself first (exe.h). */
bool hk_plan_stub_fits(const struct oci_config *c);
/* The smallest memory limit the stub is taken under (hk_plan_stub_fits). */
#define HK_STUB_MIN_MEMORY (1LL << 20)

/* exec without a second start-up of husk: the process may come out of the exec stub, cloned by
 * it in the container's pid namespace, when its setup can run unseen in husk's own (the
 * container has a pid namespace), the process has no SELinux label and no execCPUAffinity, the
 * container no resctrl groups (all of which want husk's code after the clone), and the compiled
 * filter (NULL or no insns: none) lets every call the stub makes pass with the arguments it
 * makes them with. Otherwise exec re-executes from the sealed copy first. */
bool hk_plan_exec_stub_fits(const struct oci_config *c, const struct oci_process *p,
			    const struct hk_seccomp *filter);
/* exec: takes that way (EXEC_STUB, STUB_CLONES; not ONE_FORK). */
void hk_plan_exec_stub(struct hk_spawn_plan *plan);

/* create: the config's namespaces made or joined by their paths, and every step it asks for. */
void hk_plan_create(struct hk_spawn_plan *plan, const struct oci_config *c,
		    const struct hk_plan_create_opts *o);
/* exec: every namespace of the container joined through pid 1, the process p, and no step that
 * builds or changes the container (rootfs, mounts, devices, sysctls, hostname, hooks). */
void hk_plan_exec(struct hk_spawn_plan *plan, const struct oci_config *c,
		  const struct oci_process *p, pid_t init, int preserve_fds);

static inline bool hk_plan_has(const struct hk_spawn_plan *plan, enum hk_spawn_step step)
{
	return (plan->steps & step) != 0;
}

#endif
