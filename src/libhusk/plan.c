/* The spawn plans of create and exec (plan.h). No syscalls here. */
#include "plan.h"

#include <asm/unistd.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hk_format.h"
#include "hk_seccomp.h"
#include "seccomp_eval.h"

const char *const hk_spawn_step_names[] = {
    "idmap-mounts", "id-maps",	   "time-offsets",     "loopback",	   "uts",
    "oom-score",    "sysctl",	   "rootfs",	       "creation-hooks",   "make-cwd",
    "init-root",    "keyring",	   "wait-start",       "start-hooks",	   "memory-policy",
    "net-devices",  "rdt",	   "namespaces-first", "cgroup-alongside", "one-fork",
    "exec-stub",    "stub-clones",
};
const unsigned hk_spawn_step_count = sizeof(hk_spawn_step_names) / sizeof(hk_spawn_step_names[0]);

static void plan_init(struct hk_spawn_plan *plan, const struct oci_config *c,
		      const struct oci_process *p, int preserve_fds)
{
	size_t i;

	memset(plan, 0, sizeof(*plan));
	plan->config = c;
	plan->process = p;
	plan->preserve_fds = preserve_fds;
	plan->rootfs_fd = plan->exec_fifo = plan->start_result = plan->init_root = -1;
	plan->exec_stub = -1;
	for (i = 0; i < OCI_NS_COUNT; i++)
		plan->ns[i] = (struct hk_ns_step){HK_NS_INHERIT, NULL};
}

static bool any_hooks(const struct oci_hooks *h)
{
	return h != NULL && (h->prestart.len || h->create_runtime.len || h->create_container.len ||
			     h->start_container.len);
}

static unsigned create_steps(const struct hk_spawn_plan *plan, const struct oci_config *c,
			     const struct hk_plan_create_opts *o)
{
	const struct oci_linux *l = c->linux;
	unsigned steps = HK_STEP_IDMAP_MOUNTS | HK_STEP_UTS | HK_STEP_ROOTFS | HK_STEP_MAKE_CWD |
			 HK_STEP_WAIT_START;

	if (plan->ns[OCI_NS_USER].action == HK_NS_NEW)
		steps |= HK_STEP_ID_MAPS;
	if (plan->ns[OCI_NS_TIME].action == HK_NS_NEW && l != NULL && l->time_offsets.len > 0)
		steps |= HK_STEP_TIME_OFFSETS;
	if (plan->ns[OCI_NS_NETWORK].action == HK_NS_NEW)
		steps |= HK_STEP_LOOPBACK;
	if (c->process != NULL && c->process->oom_score_adj.set)
		steps |= HK_STEP_OOM_SCORE;
	if (l != NULL && l->sysctl.len > 0)
		steps |= HK_STEP_SYSCTL;
	if (l != NULL && l->net_devices.len > 0)
		steps |= HK_STEP_NET_DEVICES;
	if (any_hooks(c->hooks))
		steps |= HK_STEP_CREATION_HOOKS;
	if (c->hooks != NULL && c->hooks->start_container.len > 0)
		steps |= HK_STEP_START_HOOKS;
	if (!o->no_new_keyring)
		steps |= HK_STEP_SESSION_KEYRING;
	/* A new user ns needs the cgroup joined first, with the host credentials its files ask
	 * for; in a joined mount ns the cgroup paths would resolve in the container's tree. */
	if (plan->ns[OCI_NS_USER].action != HK_NS_NEW &&
	    plan->ns[OCI_NS_MOUNT].action != HK_NS_JOIN)
		steps |= HK_STEP_NAMESPACES_FIRST;
	/* Nothing of the cgroup is needed before pid 1's clone then: its creation overlaps the
	 * namespaces' (the network namespace's is the longest). */
	if ((steps & HK_STEP_NAMESPACES_FIRST) && o->cgroup_in_spawn)
		steps |= HK_STEP_CGROUP_ALONGSIDE;
	if (o->exec_stub && hk_plan_stub_fits(c))
		steps |= HK_STEP_EXEC_STUB;
	return steps;
}

/* What the stub calls under the filter (exec_stub.c), and husk's execveat of it. */
static const char *const stub_calls[] = {"execveat",   "prctl",		 "read",
					 "close",      "openat",	 "write",
					 "exit_group", "rt_sigprocmask", "execve"};

/* The action the profile takes for a call by name alone: a rule naming it with conditions on
 * its arguments, or two rules that disagree, is not plain, and counts as a refusal. */
static bool plainly_allowed(const struct oci_seccomp *s, const char *call)
{
	int action = s->default_action.value;
	bool named = false;
	size_t i, j;

	for (i = 0; i < s->syscalls.len; i++) {
		const struct oci_seccomp_syscall *rule = &s->syscalls.items[i];

		for (j = 0; j < rule->names.len; j++) {
			if (strcmp(rule->names.items[j], call) != 0)
				continue;
			if (rule->args.len > 0 || (named && rule->action.value != action))
				return false;
			named = true;
			action = rule->action.value;
		}
	}
	return action == OCI_SCMP_ALLOW;
}

bool hk_plan_stub_fits(const struct oci_config *c)
{
	const struct oci_linux *l = c->linux;
	const struct oci_process *p = c->process;
	size_t i;

	if (!oci_config_new_namespace(c, OCI_NS_PID))
		return false;
	if (c->hooks != NULL && c->hooks->start_container.len > 0)
		return false;
	/* The stub's exec is charged to the container (about 36 KiB of page tables and stack, held
	 * until the program's exec): under a limit this small husk keeps the floor (124 KiB on v1)
	 * and takes the sealed copy, whose pages are the caller's. */
	if (l != NULL && l->resources != NULL && l->resources->memory != NULL &&
	    l->resources->memory->limit.set && l->resources->memory->limit.value > 0 &&
	    l->resources->memory->limit.value < HK_STUB_MIN_MEMORY)
		return false;
	/* the stub writes an AppArmor profile itself (lsm.h); an SELinux label it does not */
	if (p != NULL && p->selinux_label != NULL && p->selinux_label[0])
		return false;
	for (i = 0; l != NULL && l->seccomp != NULL && i < sizeof(stub_calls) / sizeof(*stub_calls);
	     i++)
		if (!plainly_allowed(l->seccomp, stub_calls[i]))
			return false;
	return true;
}

#if defined(__x86_64__)
#define STUB_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define STUB_ARCH AUDIT_ARCH_AARCH64
#else
#define STUB_ARCH 0 /* no stub is built (exe.h) */
#endif

/* The calls of the stub's STUB_CLONES way (exec_stub.c), with the arguments it passes that are
 * the same every time; the rest (fds, pointers, lengths) count as unknown. */
static const struct hk_seccomp_call stub_clone_calls[] = {
    {__NR_execveat, STUB_ARCH, {0, 0, 0, 0, AT_EMPTY_PATH, 0}, 1u << 4},
    {__NR_prctl, STUB_ARCH, {PR_SET_DUMPABLE, 0, 0, 0, 0, 0}, 0xf},
    {__NR_openat, STUB_ARCH, {0, 0, O_WRONLY | O_CLOEXEC, 0, 0, 0}, 0xc},
    {__NR_write, STUB_ARCH, {0}, 0},
    {__NR_close, STUB_ARCH, {0}, 0},
    {__NR_rt_sigprocmask, STUB_ARCH, {SIG_SETMASK, 0, 0, sizeof(unsigned long), 0, 0}, 0xd},
    {__NR_clone, STUB_ARCH, {CLONE_PARENT | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0, 0}, 0xf},
    {__NR_setsid, STUB_ARCH, {0}, 0x3f},
    {__NR_execve, STUB_ARCH, {0}, 0},
    {__NR_exit_group, STUB_ARCH, {0}, 0},
};
/* with process.terminal: the pty made the controlling terminal */
static const struct hk_seccomp_call stub_clone_tty_call = {
    __NR_ioctl, STUB_ARCH, {0, TIOCSCTTY, 0, 0, 0, 0}, 0x7};

bool hk_plan_exec_stub_fits(const struct oci_config *c, const struct oci_process *p,
			    const struct hk_seccomp *filter)
{
	size_t n = sizeof(stub_clone_calls) / sizeof(stub_clone_calls[0]);

	if (STUB_ARCH == 0 || oci_config_namespace(c, OCI_NS_PID) == NULL)
		return false;
	if ((p->selinux_label != NULL && p->selinux_label[0]) || p->exec_cpu_affinity != NULL ||
	    (c->linux != NULL && c->linux->intel_rdt != NULL))
		return false;
	if (filter == NULL || filter->insns == NULL)
		return true;
	return hk_seccomp_allows_all(filter->insns, filter->len, stub_clone_calls, n) &&
	       (!p->terminal.value ||
		hk_seccomp_allows_all(filter->insns, filter->len, &stub_clone_tty_call, 1));
}

void hk_plan_exec_stub(struct hk_spawn_plan *plan)
{
	plan->steps |= HK_STEP_EXEC_STUB | HK_STEP_STUB_CLONES;
	plan->steps &= ~(unsigned)HK_STEP_ONE_FORK;
}

/* What create and exec both do for every process of the container. */
static unsigned common_steps(const struct oci_config *c)
{
	const struct oci_linux *l = c->linux;

	return (l != NULL && l->memory_policy != NULL ? HK_STEP_MEMORY_POLICY : 0) |
	       (l != NULL && l->intel_rdt != NULL ? HK_STEP_RDT : 0);
}

void hk_plan_create(struct hk_spawn_plan *plan, const struct oci_config *c,
		    const struct hk_plan_create_opts *o)
{
	size_t i;

	plan_init(plan, c, c->process, o->preserve_fds);
	plan->no_pivot = o->no_pivot;
	for (i = 0; c->linux != NULL && i < c->linux->namespaces.len; i++) {
		const struct oci_namespace *ns = &c->linux->namespaces.items[i];

		plan->ns[ns->type.value] = ns->path != NULL
					       ? (struct hk_ns_step){HK_NS_JOIN, ns->path}
					       : (struct hk_ns_step){HK_NS_NEW, NULL};
	}
	plan->steps = create_steps(plan, c, o) | common_steps(c);
}

void hk_plan_exec(struct hk_spawn_plan *plan, const struct oci_config *c,
		  const struct oci_process *p, pid_t init, int preserve_fds)
{
	size_t i;

	plan_init(plan, c, p, preserve_fds);
	for (i = 0; c->linux != NULL && i < c->linux->namespaces.len; i++) {
		int type = c->linux->namespaces.items[i].type.value;

		/* 48 bytes hold "/proc/" a pid "/ns/" and the longest name ("cgroup"): a path
		 * that did not fit stays empty, and joining it fails by its name */
		if (hk_format(plan->join_paths[type], sizeof(plan->join_paths[type]),
			      "/proc/%d/ns/%s", (int)init, hk_ns_kinds[type].proc) < 0)
			plan->join_paths[type][0] = '\0';
		plan->ns[type] = (struct hk_ns_step){HK_NS_JOIN, plan->join_paths[type]};
	}
	plan->steps = common_steps(c);
	/* Without a user namespace the parent may enter the container's pid namespace for its
	 * children with its host credentials; with one, stage 1 joins it first (user, then pid). */
	if (plan->ns[OCI_NS_USER].action != HK_NS_JOIN)
		plan->steps |= HK_STEP_ONE_FORK;
	/* a mount namespace that is not the container's own does not put exec at its root */
	if (!oci_config_new_namespace(c, OCI_NS_MOUNT))
		plan->steps |= HK_STEP_INIT_ROOT;
}
