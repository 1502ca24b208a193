/* What spawn.c's stages carry besides the plan, and the two pieces of the creation protocol kept
 * in files of their own: the fds the stages are given (spawn_fds.c) and the exec stub's argv
 * (spawn_stub.c). Only the spawn files include it. */
#ifndef HUSK_SPAWN_STAGE_H
#define HUSK_SPAWN_STAGE_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "hk_error.h"
#include "plan.h"

/* What the stages carry besides the plan: fds opened for them, and what stage 2 makes. */
struct stage {
	const struct hk_spawn_plan *plan;
	int sock; /* the child's end of the sync socketpair */
	int ns_fds[OCI_NS_COUNT];
	int *idmap_trees;    /* per mount, an idmapped tree or -1 (HK_STEP_IDMAP_MOUNTS) */
	pid_t husk;	     /* the parent, to notice it dying */
	char *state_created; /* what startContainer hooks get */
	char **env;	     /* process.env, with HOME added when missing */
	bool in_cgroup;	     /* born in the cgroup2 directory of the container (clone3): stage 1, or
				pid 1 with HK_STEP_NAMESPACES_FIRST; it joins the rest */
	int memory_tasks;    /* pid 1, HK_STEP_NAMESPACES_FIRST on v1: the memory hierarchy's tasks
				file, written once the root is built (init_enter_memory) */
	int lsm_attr; /* EXEC_STUB: the AppArmor attr directory, whose exec the stub writes */
	char *lsm_value;
	/* STUB_CLONES: the entry files the stub's child writes to join the cgroup: v1's tasks, and
	 * cgroup.procs of the cgroup2 directory where stage 1 was not born in it (clone3) */
	int cg_entries[HK_CG_MAX_DIRS];
	int n_cg_entries;
	int cg_v2_procs;
	int host_proc; /* STUB_CLONES: the host's /proc, where stage 1 has a pid (the container's
			  has none for it) */
};

/* The parent, before it forks stage 1: the namespaces' fds, the idmapped trees, STUB_CLONES's
 * cgroup entry files and the sync socketpair (socks[1] becomes st->sock); errors come early. */
int hk_stage_open_fds(struct stage *st, int socks[2], struct hk_err **err);
/* The parent's copies of them, once stage 1 is forked (or the fork failed). */
void hk_stage_close_fds(struct stage *st);
/* Stage 1, first thing: every fd but stdio, the preserved ones and the stages' own closed. */
void hk_stage_close_inherited(const struct stage *st);

/* Stage 2 (EXEC_STUB) execs the stub with its argv; a failed execveat goes to the parent. */
__attribute__((noreturn)) void hk_stage_exec_stub(struct stage *st, char *exe);

#endif
