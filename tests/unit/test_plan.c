/* The pure decisions of a spawn, without root: the plans create and exec run (plan.c) and the
 * mount planner (mount_plan.c). argv[1] is tests/unit/good. */
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <linux/sched.h>

#include "hk_seccomp.h"
#include "idlist.h"
#include "mount_plan.h"
#include "plan.h"
#include "seccomp_eval.h"
#include "tap.h"

/* Every step create builds the container with: none may be in an exec plan. */
static const unsigned create_only =
    HK_STEP_IDMAP_MOUNTS | HK_STEP_ID_MAPS | HK_STEP_TIME_OFFSETS | HK_STEP_LOOPBACK | HK_STEP_UTS |
    HK_STEP_OOM_SCORE | HK_STEP_SYSCTL | HK_STEP_ROOTFS | HK_STEP_CREATION_HOOKS |
    HK_STEP_MAKE_CWD | HK_STEP_SESSION_KEYRING | HK_STEP_WAIT_START | HK_STEP_START_HOOKS |
    HK_STEP_NET_DEVICES | HK_STEP_NAMESPACES_FIRST | HK_STEP_CGROUP_ALONGSIDE;

static int load(const char *dir, const char *name, struct oci_config_doc *doc)
{
	hk_cleanup_err struct hk_err *err = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (oci_config_load(path, name, doc, &err) < 0) {
		tap_diag("%s: %s", name, err->msg);
		return -1;
	}
	return 0;
}

static void test_step_names(void)
{
	unsigned i, all = 0;

	for (i = 0; i < hk_spawn_step_count; i++)
		all |= 1u << i;
	tap_ok(hk_spawn_step_count == 22 &&
		   all == (create_only | HK_STEP_INIT_ROOT | HK_STEP_MEMORY_POLICY | HK_STEP_RDT |
			   HK_STEP_ONE_FORK | HK_STEP_EXEC_STUB | HK_STEP_STUB_CLONES),
	       "every step has a name, and every name a step");
}

/* every-field.json asks for every step: mounts, devices, sysctls, hooks, hostname, time
 * offsets, oomScoreAdj, a new namespace of each type. */
static void test_create_every_field(const struct oci_config *c)
{
	struct hk_plan_create_opts o = {.preserve_fds = 2};
	struct hk_spawn_plan plan;
	size_t i;
	int new = 0;

	hk_plan_create(&plan, c, &o);
	tap_ok(plan.steps ==
		   ((create_only & ~HK_STEP_NAMESPACES_FIRST & ~HK_STEP_CGROUP_ALONGSIDE) |
		    HK_STEP_MEMORY_POLICY | HK_STEP_RDT),
	       "create takes every step every-field.json asks for");
	tap_ok(!hk_plan_has(&plan, HK_STEP_NAMESPACES_FIRST),
	       "a new user namespace: the cgroup is joined before the namespaces are made");
	for (i = 0; i < OCI_NS_COUNT; i++)
		new += plan.ns[i].action == HK_NS_NEW;
	tap_ok(new == 8, "create makes every namespace of every-field.json");
	tap_ok(plan.process == c->process && plan.preserve_fds == 2, "create runs pid 1's process");
	tap_ok(plan.exec_fifo == -1 && plan.rootfs_fd == -1 && plan.init_root == -1,
	       "a plan holds no fd until the caller gives one");
	o.no_new_keyring = true;
	hk_plan_create(&plan, c, &o);
	tap_ok(!hk_plan_has(&plan, HK_STEP_SESSION_KEYRING), "--no-new-keyring drops the keyring");
}

static void test_exec(const struct oci_config *c, const char *what)
{
	struct oci_process p = *c->process;
	struct hk_spawn_plan plan;
	bool joined = true;
	size_t i;

	hk_plan_exec(&plan, c, &p, 4242, 1);
	tap_ok((plan.steps & create_only) == 0,
	       "exec into %s: no rootfs, mount, device, sysctl, "
	       "hostname or hook step",
	       what);
	for (i = 0; c->linux != NULL && i < c->linux->namespaces.len; i++) {
		int type = c->linux->namespaces.items[i].type.value;
		char want[64];

		snprintf(want, sizeof(want), "/proc/4242/ns/%s", hk_ns_kinds[type].proc);
		joined &= plan.ns[type].action == HK_NS_JOIN && !strcmp(plan.ns[type].path, want);
	}
	tap_ok(joined && hk_ns_new_flags(plan.ns) == 0,
	       "exec into %s joins each namespace through pid 1 and makes none", what);
	tap_ok(plan.process == &p && plan.preserve_fds == 1, "exec into %s runs its own process",
	       what);
	tap_ok(hk_plan_has(&plan, HK_STEP_ONE_FORK) == (plan.ns[OCI_NS_USER].action != HK_NS_JOIN),
	       "exec into %s: one fork unless a user namespace is joined first", what);
}

/* What every process of the container gets, exec's too. */
static void test_exec_common(const struct oci_config *c)
{
	struct hk_spawn_plan plan;

	hk_plan_exec(&plan, c, c->process, 1, 0);
	tap_ok(hk_plan_has(&plan, HK_STEP_MEMORY_POLICY) && hk_plan_has(&plan, HK_STEP_RDT),
	       "exec: linux.memoryPolicy and the resctrl group hold for an exec'd process too");
}

static void test_exec_root(const struct oci_config *own, const struct oci_config *joined)
{
	struct hk_spawn_plan plan;

	hk_plan_exec(&plan, own, own->process, 1, 0);
	tap_ok(!hk_plan_has(&plan, HK_STEP_INIT_ROOT), "exec: setns puts it at the root of a "
						       "mount namespace of the container's own");
	hk_plan_exec(&plan, joined, joined->process, 1, 0);
	tap_ok(hk_plan_has(&plan, HK_STEP_INIT_ROOT), "exec: a joined mount namespace needs "
						      "pid 1's root");
}

static void test_create_joined(const struct oci_config *c)
{
	struct hk_plan_create_opts o = {0};
	struct hk_spawn_plan plan;

	hk_plan_create(&plan, c, &o);
	tap_ok(plan.ns[OCI_NS_NETWORK].action == HK_NS_JOIN &&
		   plan.ns[OCI_NS_NETWORK].path == oci_config_namespace(c, OCI_NS_NETWORK)->path,
	       "create joins a namespace given by path");
	tap_ok(!hk_plan_has(&plan, HK_STEP_LOOPBACK) && !hk_plan_has(&plan, HK_STEP_ID_MAPS),
	       "no loopback step in a joined network namespace, no id maps in a joined user one");
	tap_ok(plan.ns[OCI_NS_TIME].action == HK_NS_INHERIT &&
		   !hk_plan_has(&plan, HK_STEP_TIME_OFFSETS),
	       "a namespace the config does not list stays husk's");
	tap_ok(hk_plan_has(&plan, HK_STEP_NAMESPACES_FIRST),
	       "a CRI-O pod container (its own mount ns): namespaces before the cgroup");
}

static void test_create_in_joined_mount_ns(const struct oci_config *c)
{
	struct hk_plan_create_opts o = {0};
	struct hk_spawn_plan plan;

	hk_plan_create(&plan, c, &o);
	tap_ok(!hk_plan_has(&plan, HK_STEP_NAMESPACES_FIRST),
	       "a joined mount namespace: the cgroup is joined first, from husk's tree");
	o.cgroup_in_spawn = true;
	hk_plan_create(&plan, c, &o);
	tap_ok(!hk_plan_has(&plan, HK_STEP_CGROUP_ALONGSIDE),
	       "the cgroup joined first: it is made before stage 1");
}

static void test_create_plain(const struct oci_config *c)
{
	struct hk_plan_create_opts o = {0};
	struct hk_spawn_plan plan;

	hk_plan_create(&plan, c, &o);
	tap_ok(!hk_plan_has(&plan, HK_STEP_CREATION_HOOKS) && !hk_plan_has(&plan, HK_STEP_SYSCTL) &&
		   !hk_plan_has(&plan, HK_STEP_OOM_SCORE) &&
		   !hk_plan_has(&plan, HK_STEP_START_HOOKS),
	       "runc's default spec: no hooks, sysctl or oom step");
	tap_ok(hk_plan_has(&plan, HK_STEP_LOOPBACK) && hk_plan_has(&plan, HK_STEP_ROOTFS) &&
		   hk_plan_has(&plan, HK_STEP_WAIT_START) &&
		   hk_plan_has(&plan, HK_STEP_NAMESPACES_FIRST),
	       "runc's default spec: loopback, rootfs, wait for start, namespaces first");
	tap_ok(!hk_plan_has(&plan, HK_STEP_CGROUP_ALONGSIDE),
	       "a caller that makes the cgroup itself (systemd): not alongside stage 1");
	o.cgroup_in_spawn = true;
	hk_plan_create(&plan, c, &o);
	tap_ok(hk_plan_has(&plan, HK_STEP_CGROUP_ALONGSIDE),
	       "namespaces first, the cgroupfs driver: the cgroup is made alongside stage 1");
}

/* The exec stub (plan.h): only where nothing but husk sees pid 1 before it becomes the stub,
 * and the filter lets the stub's calls through by their names alone. */
static void test_stub_fits(struct oci_config *runc, struct oci_config *podman,
			   const struct oci_config *every)
{
	struct oci_seccomp_arg arg = {.index = {0, true}};
	char *names[] = {"execveat"};
	struct oci_seccomp_syscall rule = {.names = {names, 1, true},
					   .action = {OCI_SCMP_ALLOW, true}};
	struct oci_seccomp deny_all = {.default_action = {OCI_SCMP_ERRNO, true}};
	struct oci_seccomp *saved = runc->linux->seccomp;
	struct oci_memory limit = {.limit = {192 << 10, true}};
	struct oci_resources small = {.memory = &limit}, *saved_resources = runc->linux->resources;
	struct hk_plan_create_opts o = {.exec_stub = true};
	struct hk_spawn_plan plan;

	hk_plan_create(&plan, runc, &o);
	tap_ok(hk_plan_stub_fits(runc) && hk_plan_has(&plan, HK_STEP_EXEC_STUB),
	       "runc's default spec (no filter, a pid namespace of its own): the stub");
	o.exec_stub = false;
	hk_plan_create(&plan, runc, &o);
	tap_ok(!hk_plan_has(&plan, HK_STEP_EXEC_STUB), "not asked for: no stub");
	tap_ok(!hk_plan_stub_fits(podman), "podman's SELinux label: no stub");
	podman->process->selinux_label = NULL;
	tap_ok(hk_plan_stub_fits(podman),
	       "podman's AppArmor profile (the stub applies it) and seccomp profile: the stub");
	tap_ok(!hk_plan_stub_fits(every), "startContainer hooks: no stub");
	runc->linux->seccomp = &deny_all;
	tap_ok(!hk_plan_stub_fits(runc), "a filter that refuses everything: no stub");
	deny_all.default_action.value = OCI_SCMP_ALLOW;
	deny_all.syscalls.items = &rule;
	deny_all.syscalls.len = 1;
	rule.action.value = OCI_SCMP_NOTIFY;
	tap_ok(!hk_plan_stub_fits(runc), "execveat sent to an agent: no stub");
	rule.action.value = OCI_SCMP_ALLOW;
	rule.args.items = &arg;
	rule.args.len = 1;
	tap_ok(!hk_plan_stub_fits(runc), "execveat allowed only for some arguments: no stub");
	rule.args.len = 0;
	tap_ok(hk_plan_stub_fits(runc), "execveat allowed by name: the stub");
	runc->linux->seccomp = saved;
	runc->linux->resources = &small;
	tap_ok(!hk_plan_stub_fits(runc), "a memory limit under 1 MiB: the sealed copy");
	limit.limit.value = HK_STUB_MIN_MEMORY;
	tap_ok(hk_plan_stub_fits(runc), "a memory limit of 1 MiB: the stub");
	runc->linux->resources = saved_resources;
}

static struct oci_mount mount_of(const char *type, const char *const *options, size_t n)
{
	struct oci_mount m = {.destination = "/x", .type = (char *)type, .source = "src"};

	m.options = (struct oci_strv){(char **)options, n, true};
	return m;
}

static void test_mount_plan(void)
{
	static const char *const bind[] = {"rbind", "ro", "nosuid", "rprivate", "rro"};
	static const char *const tmpfs[] = {"nosuid", "size=64k", "mode=755", "rw"};
	static const char *const copyup_on_bind[] = {"bind", "tmpcopyup"};
	static const char *const atime[] = {"rnoatime", "rstrictatime"};
	hk_cleanup_err struct hk_err *err = NULL;
	struct hk_mount_plan p;
	struct oci_mount m = mount_of("none", bind, 5);

	tap_ok(
	    hk_mount_plan(&m, NULL, &p, &err) == 0 && hk_mount_plan_is_bind(&m, &p) &&
		(p.flags & (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID)) ==
		    (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID) &&
		p.npropagation == 1 && p.propagation[0] == (MS_PRIVATE | MS_REC) &&
		p.recursive_attr && (p.attr.attr_set & MOUNT_ATTR_RDONLY) && p.data[0] == '\0',
	    "rbind,ro,nosuid,rprivate,rro: flags, one propagation change, a recursive attribute");
	m = mount_of("tmpfs", tmpfs, 4);
	tap_ok(hk_mount_plan(&m, "system_u:object_r:container_file_t:s0", &p, &err) == 0 &&
		   !hk_mount_plan_is_bind(&m, &p) && !(p.flags & MS_RDONLY) &&
		   (p.clear & MS_RDONLY) &&
		   !strcmp(p.data, "context=\"system_u:object_r:container_file_t:s0\",size=64k,"
				   "mode=755"),
	       "tmpfs: unknown options are data, after the SELinux context");
	m = mount_of("none", atime, 2);
	tap_ok(hk_mount_plan(&m, NULL, &p, &err) == 0 && p.recursive_attr &&
		   (p.attr.attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME &&
		   (p.attr.attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME,
	       "rnoatime then rstrictatime: the whole atime field, the last one winning "
	       "(mount_setattr refuses one atime bit alone)");
	m = mount_of("bind", copyup_on_bind, 2);
	tap_ok(hk_mount_plan(&m, NULL, &p, &err) < 0 && err != NULL &&
		   strstr(err->msg, "tmpcopyup is for tmpfs") != NULL,
	       "tmpcopyup on a bind mount is refused");
}

static void test_idlist(void)
{
	static const char *const bad[] = {"",	"a",	"1-", "-1",   "3-1", "1,",
					  ",1", "1,,2", "64", "0-64", "1 2", "0x1"};
	hk_cleanup_err struct hk_err *err = NULL;
	unsigned long mask[1];
	size_t i;

	tap_ok(hk_idlist_parse("0-3,7", mask, 64, "f", &err) == 0 && mask[0] == 0x8f,
	       "0-3,7 is CPUs 0, 1, 2, 3 and 7");
	tap_ok(hk_idlist_parse("63", mask, 64, "f", &err) == 0 && mask[0] == 1ul << 63,
	       "the last id fits");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hk_err_freep(&err);
		tap_ok(hk_idlist_parse(bad[i], mask, 64, "process.execCPUAffinity.final", &err) <
			       0 &&
			   strstr(err->msg, "process.execCPUAffinity.final") != NULL,
		       "\"%s\" is refused, naming the field", bad[i]);
	}
}

/* One rule on top of "allow everything", compiled as exec compiles the container's. */
static bool exec_fits_with(struct oci_config *c, const char *call, int action,
			   struct oci_seccomp_arg *arg)
{
	char *names[] = {(char *)call};
	struct oci_seccomp_syscall rule = {.names = {names, 1, true}, .action = {action, true}};
	struct oci_seccomp profile = {.default_action = {OCI_SCMP_ALLOW, true},
				      .syscalls = {&rule, 1, true}};
	hk_cleanup_err struct hk_err *err = NULL;
	struct hk_seccomp filter = {0};
	bool fits;

	if (arg != NULL)
		rule.args.items = arg, rule.args.len = 1;
	if (hk_seccomp_prepare(&profile, NULL, &filter, &err) < 0) {
		tap_diag("compile: %s", err->msg);
		return false;
	}
	fits = hk_plan_exec_stub_fits(c, c->process, &filter);
	hk_seccomp_free(&filter);
	return fits;
}

/* exec's stub (plan.h, STUB_CLONES): the compiled filter is run on the stub's own calls. */
static void test_exec_stub_fits(struct oci_config *podman, struct oci_config *runc)
{
	hk_cleanup_err struct hk_err *err = NULL;
	struct oci_seccomp_arg namespaces = {.index = {0, true},
					     .value = {0x7e020000, true},
					     .value_two = {0, true},
					     .op = {OCI_SCMP_CMP_MASKED_EQ, true}};
	struct oci_seccomp_arg parent = {.index = {0, true},
					 .value = {CLONE_PARENT, true},
					 .value_two = {CLONE_PARENT, true},
					 .op = {OCI_SCMP_CMP_MASKED_EQ, true}};
	struct oci_seccomp_arg some_fd = {
	    .index = {0, true}, .value = {2, true}, .op = {OCI_SCMP_CMP_GT, true}};
	struct oci_cpu_affinity affinity = {.final = "0"};
	struct hk_seccomp filter = {0};
	struct hk_spawn_plan plan;
	size_t saved_ns;

	tap_ok(hk_seccomp_prepare(podman->linux->seccomp, NULL, &filter, &err) == 0 &&
		   hk_plan_exec_stub_fits(podman, podman->process, &filter),
	       "podman's profile (clone allowed without namespace flags): exec takes the stub");
	hk_seccomp_free(&filter);
	tap_ok(hk_plan_exec_stub_fits(runc, runc->process, NULL), "no filter: the stub");
	tap_ok(exec_fits_with(runc, "clone", OCI_SCMP_ALLOW, &namespaces),
	       "clone allowed only without namespace flags (docker's rule): the stub");
	tap_ok(!exec_fits_with(runc, "clone", OCI_SCMP_ERRNO, &parent),
	       "clone refused with CLONE_PARENT: no stub");
	tap_ok(!exec_fits_with(runc, "setsid", OCI_SCMP_ERRNO, NULL), "setsid refused: no stub");
	tap_ok(!exec_fits_with(runc, "exit_group", OCI_SCMP_NOTIFY, NULL),
	       "exit_group sent to an agent: no stub");
	tap_ok(!exec_fits_with(runc, "write", OCI_SCMP_ERRNO, &some_fd),
	       "write judged by its fd, which the stub's calls do not fix: no stub");
	tap_ok(exec_fits_with(runc, "mkdir", OCI_SCMP_ERRNO, NULL), "mkdir refused: the stub");
	saved_ns = runc->linux->namespaces.len;
	runc->linux->namespaces.len = 0;
	tap_ok(!hk_plan_exec_stub_fits(runc, runc->process, NULL),
	       "the host's pid namespace, where the process would be seen: no stub");
	runc->linux->namespaces.len = saved_ns;
	runc->process->exec_cpu_affinity = &affinity;
	tap_ok(!hk_plan_exec_stub_fits(runc, runc->process, NULL), "execCPUAffinity: no stub");
	runc->process->exec_cpu_affinity = NULL;
	hk_plan_exec(&plan, runc, runc->process, 42, 0);
	plan.steps |= HK_STEP_ONE_FORK;
	hk_plan_exec_stub(&plan);
	tap_ok(hk_plan_has(&plan, HK_STEP_EXEC_STUB) && hk_plan_has(&plan, HK_STEP_STUB_CLONES) &&
		   !hk_plan_has(&plan, HK_STEP_ONE_FORK),
	       "the stub's way: two forks, stage 1 in husk's pid namespace");
}

/* The evaluator itself on programs written by hand. */
static void test_seccomp_eval(void)
{
	struct sock_filter by_nr[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setsid, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_filter by_ip[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_filter falls_off[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))};
	struct sock_filter high_word[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]) + 4),
	    BPF_STMT(BPF_ST, 3),
	    BPF_STMT(BPF_LDX | BPF_MEM, 3),
	    BPF_STMT(BPF_MISC | BPF_TXA, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)};
	struct hk_seccomp_call setsid = {__NR_setsid, AUDIT_ARCH_X86_64, {0}, 0};
	struct hk_seccomp_call other = {__NR_getpid, AUDIT_ARCH_X86_64, {0}, 0};
	struct hk_seccomp_call args = {__NR_getpid, AUDIT_ARCH_X86_64, {0, 7ull << 32}, 0x2};
	uint32_t action = 0;

	tap_ok(hk_seccomp_eval(by_nr, 4, &setsid, &action) == 0 &&
		   action == (SECCOMP_RET_ERRNO | 1),
	       "eval: the call's number decides");
	tap_ok(hk_seccomp_allows_all(by_nr, 4, &other, 1) &&
		   !hk_seccomp_allows_all(by_nr, 4, &setsid, 1),
	       "eval: allowed and refused");
	tap_ok(hk_seccomp_eval(by_ip, 2, &other, &action) < 0,
	       "eval: the instruction pointer is not known");
	tap_ok(hk_seccomp_eval(falls_off, 1, &other, &action) < 0,
	       "eval: a program with no return");
	tap_ok(hk_seccomp_eval(high_word, 7, &args, &action) == 0 && action == SECCOMP_RET_ALLOW,
	       "eval: an argument's high word, through the scratch memory");
	args.known = 0;
	tap_ok(hk_seccomp_eval(high_word, 7, &args, &action) < 0, "eval: an argument not known");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/unit/good";
	struct oci_config_doc every = {0}, pod = {0}, runc = {0}, joined = {0}, podman = {0};

	test_step_names();
	if (load(dir, "every-field.json", &every) == 0 && load(dir, "crio-pod.json", &pod) == 0 &&
	    load(dir, "runc-default.json", &runc) == 0 &&
	    load(dir, "join-namespaces.json", &joined) == 0 &&
	    load(dir, "podman-seccomp.json", &podman) == 0) {
		test_create_every_field(every.config);
		test_exec(every.config, "every-field.json");
		test_exec_common(every.config);
		test_exec(pod.config, "a CRI-O pod container");
		test_exec_root(runc.config, joined.config);
		test_create_joined(pod.config);
		test_create_plain(runc.config);
		test_create_in_joined_mount_ns(joined.config);
		test_stub_fits(runc.config, podman.config, every.config);
		test_exec_stub_fits(podman.config, runc.config);
	} else {
		tap_ok(0, "the configs load");
	}
	test_seccomp_eval();
	test_mount_plan();
	test_idlist();
	oci_config_doc_free(&every);
	oci_config_doc_free(&pod);
	oci_config_doc_free(&runc);
	oci_config_doc_free(&joined);
	oci_config_doc_free(&podman);
	return tap_done();
}
