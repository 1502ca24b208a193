/* The systemd driver (--systemd-cgroup), on cgroup v2: the container's cgroup is a transient
 * scope systemd makes (StartTransientUnit, Delegate=yes), in the slice linux.cgroupsPath names
 * as "slice:prefix:name". The resources systemd knows go to it as unit properties, so that a
 * daemon-reload keeps them; then everything is written to the cgroup files as with cgroupfs
 * (driver_v2.c does that, and the devices, freezing and signals), as runc does.
 *
 * A scope needs a process when it is made, and stage 1 does not exist yet: a holder (a child
 * that only waits) is the scope's first process, so that stage 1 is born in the scope's cgroup
 * like on cgroupfs (clone3). hk_cg_settled ends the holder once stage 1 is in; if husk dies
 * first the holder dies with it (PDEATHSIG), the scope empties and systemd removes it. */
#include "cgroup_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/param.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "idlist.h"
#include "systemd_dbus.h"

#define MAX_U64 UINT64_MAX /* systemd's "infinity" */

/* "a-b-c.slice" as the directories systemd nests it in: "/a.slice/a-b.slice/a-b-c.slice";
 * "-.slice" is the root. */
static int expand_slice(const char *slice, char *out, size_t size, struct hk_err **err)
{
	size_t len = strlen(slice), at = 0, i;

	out[0] = '\0';
	if (len < 7 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/') != NULL)
		return hk_fail(err, 0, "config.json: linux.cgroupsPath: \"%s\" is not a slice",
			       slice);
	if (strcmp(slice, "-.slice") == 0)
		return 0;
	len -= 6;
	if (slice[0] == '-' || slice[len - 1] == '-' || strstr(slice, "--") != NULL)
		return hk_fail(err, 0, "config.json: linux.cgroupsPath: \"%s\" is not a slice",
			       slice);
	for (i = 0; i <= len; i++) {
		if (i < len && slice[i] != '-')
			continue;
		if (hk_format(out + at, size - at, "/%.*s.slice", (int)i, slice) < 0)
			return hk_fail(err, 0, "config.json: linux.cgroupsPath: too long");
		at += strlen(out + at);
	}
	return 0;
}

/* systemd's unit name characters (no "@": a scope is no template instance), no leading dot; the
 * whole name under its UNIT_NAME_MAX. A newline, "/" or ".." cannot reach a path or a unit. */
static bool unit_part_ok(const char *part)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_.-\\";

	return part[0] != '.' && strspn(part, allowed) == strlen(part);
}

#define UNIT_NAME_MAX 256

static int split_path(const char *p, char slice[UNIT_NAME_MAX], char prefix[UNIT_NAME_MAX],
		      char name[UNIT_NAME_MAX], struct hk_err **err)
{
	const char *a = strchr(p, ':'), *b = a ? strchr(a + 1, ':') : NULL;

	if (a == NULL || b == NULL || strchr(b + 1, ':') != NULL)
		return hk_fail(err, 0,
			       "config.json: linux.cgroupsPath: with --systemd-cgroup it is "
			       "\"slice:prefix:name\", not \"%s\"",
			       p);
	if ((a > p && hk_format(slice, UNIT_NAME_MAX, "%.*s", (int)(a - p), p) < 0) ||
	    hk_format(prefix, UNIT_NAME_MAX, "%.*s", (int)(b - a - 1), a + 1) < 0 ||
	    hk_format(name, UNIT_NAME_MAX, "%s", b + 1) < 0)
		return hk_fail(err, 0, "config.json: linux.cgroupsPath: too long");
	if (!unit_part_ok(slice) || !unit_part_ok(prefix) || !unit_part_ok(name))
		return hk_fail(err, 0,
			       "config.json: linux.cgroupsPath: \"%s\": a unit name takes letters, "
			       "digits and \"_.-\\\" only, and no leading dot",
			       p);
	return 0;
}

int hk_cg_systemd_names(const char *cgroups_path, const char *id, char *unit, size_t unit_size,
			char *dir, size_t dir_size, struct hk_err **err)
{
	char slice[UNIT_NAME_MAX] = "system.slice", prefix[UNIT_NAME_MAX] = "husk",
	     name[UNIT_NAME_MAX];
	const char *p = cgroups_path;
	char nested[4096];

	if (hk_format(name, sizeof(name), "%s", id) < 0)
		return hk_fail(err, 0, "container id: too long for a unit name");
	if (p != NULL && p[0] != '\0' && split_path(p, slice, prefix, name, err) < 0)
		return -1;
	if (name[0] == '\0')
		return hk_fail(err, 0, "config.json: linux.cgroupsPath: \"%s\": no unit name in it",
			       p ? p : "");
	if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".slice") == 0)
		return hk_fail(err, 0,
			       "config.json: linux.cgroupsPath: \"%s\": a slice as the container's "
			       "own unit is not supported; husk makes a scope",
			       p);
	if (expand_slice(slice, nested, sizeof(nested), err) < 0)
		return -1;
	if (hk_format(unit, MIN(unit_size, UNIT_NAME_MAX), "%s%s%s.scope", prefix,
		      prefix[0] ? "-" : "", name) < 0 ||
	    hk_path_join(dir, dir_size, nested, unit) < 0)
		return hk_fail(err, 0, "config.json: linux.cgroupsPath: too long");
	return 0;
}

static struct hk_unit_prop *add(struct hk_unit_props *props, const char *name,
				enum hk_unit_prop_type type, uint64_t value)
{
	struct hk_unit_prop *p = &props->items[props->n++];

	*p = (struct hk_unit_prop){.name = name, .type = type, .u64 = value};
	return p;
}

/* -1 (or below) is "no limit" */
static uint64_t limit_of(long long v)
{
	return v < 0 ? MAX_U64 : (uint64_t)v;
}

static int add_mask(struct hk_unit_props *props, const char *name, const char *list,
		    const char *field, struct hk_err **err)
{
	unsigned long mask[HK_UNIT_PROP_BYTES / sizeof(unsigned long)] = {0};
	struct hk_unit_prop *p;
	size_t bit;

	if (hk_idlist_parse(list, mask, HK_UNIT_PROP_BYTES * 8, field, err) < 0)
		return -1;
	p = add(props, name, HK_PROP_BYTES, 0);
	for (bit = 0; bit < HK_UNIT_PROP_BYTES * 8; bit++)
		if (mask[bit / (8 * sizeof(unsigned long))] &
		    (1UL << (bit % (8 * sizeof(unsigned long))))) {
			p->bytes[bit / 8] |= (unsigned char)(1u << (bit % 8));
			p->nbytes = bit / 8 + 1;
		}
	return 0;
}

static void memory_props(const struct oci_memory *m, struct hk_unit_props *props)
{
	if (m->limit.set)
		add(props, "MemoryMax", HK_PROP_U64, limit_of(m->limit.value));
	if (m->reservation.set)
		add(props, "MemoryLow", HK_PROP_U64, limit_of(m->reservation.value));
	/* OCI's swap is memory plus swap; systemd's, like memory.swap.max, swap alone */
	if (m->swap.set && m->swap.value < 0)
		add(props, "MemorySwapMax", HK_PROP_U64, MAX_U64);
	else if (m->swap.set && m->limit.set && m->limit.value >= 0 &&
		 m->swap.value >= m->limit.value)
		add(props, "MemorySwapMax", HK_PROP_U64,
		    (uint64_t)(m->swap.value - m->limit.value));
}

static int cpu_props(const struct oci_cpu *c, struct hk_unit_props *props, struct hk_err **err)
{
	/* runc's conversions: shares 2..262144 to weight 1..10000; quota to µs per second */
	if (c->shares.set && c->shares.value >= 2)
		add(props, "CPUWeight", HK_PROP_U64, 1 + ((c->shares.value - 2) * 9999) / 262142);
	if (c->quota.set && c->quota.value < 0)
		add(props, "CPUQuotaPerSecUSec", HK_PROP_U64, MAX_U64);
	else if (c->quota.set && c->quota.value > 0) {
		uint64_t period = c->period.set && c->period.value ? c->period.value : 100000;
		uint64_t per_sec = (uint64_t)c->quota.value * 1000000 / period;

		/* systemd keeps it in 10 ms steps: rounded up, so cpu.max (written after) holds */
		add(props, "CPUQuotaPerSecUSec", HK_PROP_U64, (per_sec + 9999) / 10000 * 10000);
	}
	if (c->period.set && c->period.value)
		add(props, "CPUQuotaPeriodUSec", HK_PROP_U64, c->period.value);
	if (c->cpus != NULL && c->cpus[0] &&
	    add_mask(props, "AllowedCPUs", c->cpus, "linux.resources.cpu.cpus", err) < 0)
		return -1;
	if (c->mems != NULL && c->mems[0] &&
	    add_mask(props, "AllowedMemoryNodes", c->mems, "linux.resources.cpu.mems", err) < 0)
		return -1;
	return 0;
}

int hk_cg_systemd_props(const struct oci_resources *r, bool update, struct hk_unit_props *props,
			struct hk_err **err)
{
	if (r == NULL)
		return 0;
	if (r->memory != NULL)
		memory_props(r->memory, props);
	if (r->cpu != NULL && cpu_props(r->cpu, props, err) < 0)
		return -1;
	if (r->pids != NULL && r->pids->limit.set && !(update && r->pids->limit.value == 0))
		add(props, "TasksMax", HK_PROP_U64,
		    r->pids->limit.value >= 0 ? (uint64_t)r->pids->limit.value : MAX_U64);
	/* blkio weight 10..1000 to io weight 1..10000 */
	if (r->block_io != NULL && r->block_io->weight.set && r->block_io->weight.value >= 10)
		add(props, "IOWeight", HK_PROP_U64,
		    1 + ((uint64_t)r->block_io->weight.value - 10) * 9999 / 990);
	return 0;
}

/* A child that only waits, the scope's first process until stage 1 is in. */
static pid_t start_holder(struct hk_err **err)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		return hk_fail(err, errno, "systemd: fork the scope's first process");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(0);
		hk_close_range(0, ~0U, false);
		for (;;)
			pause();
	}
	return pid;
}

static void stop_holder(struct hk_cgroup *cg)
{
	if (cg->holder > 0) {
		kill(cg->holder, SIGKILL);
		waitpid(cg->holder, NULL, 0);
		cg->holder = 0;
	}
}

/* The slice is the directory above the scope's: "/a.slice/a-b.slice/x.scope" is in a-b.slice. */
static int slice_of(const struct hk_cgroup *cg, char *out, size_t size, struct hk_err **err)
{
	const char *rel = cg->dirs[0].rel, *end = strrchr(rel, '/'), *start = end;

	while (start > rel && start[-1] != '/')
		start--;
	if ((start == end ? hk_format(out, size, "-.slice")
			  : hk_format(out, size, "%.*s", (int)(end - start), start)) < 0)
		return hk_fail(err, errno, "config.json: linux.cgroupsPath: the slice's name");
	return 0;
}

static int sd_make_dirs(struct hk_cgroup *cg, const struct oci_resources *r, struct hk_err **err)
{
	static const char *const accounting[] = {"MemoryAccounting", "CPUAccounting",
						 "IOAccounting", "TasksAccounting"};
	struct hk_unit_props props = {0};
	struct hk_unit_prop *pids;
	char slice[256];
	size_t i;

	if (slice_of(cg, slice, sizeof(slice), err) < 0)
		return -1;
	add(&props, "Description", HK_PROP_STRING, 0)->str = "husk container";
	add(&props, "Slice", HK_PROP_STRING, 0)->str = slice;
	add(&props, "Delegate", HK_PROP_BOOL, 1);
	add(&props, "DefaultDependencies", HK_PROP_BOOL, 0);
	for (i = 0; i < sizeof(accounting) / sizeof(accounting[0]); i++)
		add(&props, accounting[i], HK_PROP_BOOL, 1);
	pids = add(&props, "PIDs", HK_PROP_PIDS, 0);
	if (hk_cg_systemd_props(r, false, &props, err) < 0)
		return -1;
	if ((cg->holder = start_holder(err)) < 0) {
		cg->holder = 0;
		return -1;
	}
	pids->u64 = (uint64_t)cg->holder;
	if (hk_systemd_start_unit(cg->unit, &props, err) < 0) {
		stop_holder(cg);
		return hk_prefix(err, "cgroup");
	}
	/* systemd enables the controllers it knows; hugetlb, rdma and misc are turned on down the
	 * slices as on cgroupfs (systemd leaves controllers it does not know alone) */
	return hk_cg_v2_make_dirs(cg, err);
}

/* update: the files first (checkBeforeUpdate refuses there, before systemd is told anything),
 * then the same values as properties, which a daemon-reload would otherwise undo. */
static int sd_apply(struct hk_cgroup *cg, const struct oci_resources *r, bool update,
		    struct hk_err **err)
{
	struct hk_unit_props props = {0};

	if (hk_cg_v2_apply(cg, r, update, err) < 0)
		return -1;
	if (update && (hk_cg_systemd_props(r, true, &props, err) < 0 ||
		       (props.n > 0 && hk_systemd_set_properties(cg->unit, &props, err) < 0)))
		return -1;
	return 0;
}

static int sd_destroy(struct hk_cgroup *cg, struct hk_err **err)
{
	hk_cleanup_err struct hk_err *stop = NULL;

	stop_holder(cg);
	if (!hk_cg_empty(cg))
		hk_cg_v2_signal_all(cg, SIGKILL, NULL);
	/* the scope first (systemd removes its cgroup), then anything left below */
	if (hk_systemd_stop_unit(cg->unit, &stop) < 0 &&
	    hk_cg_remove_dirs(cg, &hk_cg_driver_systemd, NULL) < 0)
		return hk_cg_pass(err, &stop);
	return hk_cg_remove_dirs(cg, &hk_cg_driver_systemd, err);
}

static void sd_settled(struct hk_cgroup *cg)
{
	stop_holder(cg);
}

const struct hk_cgroup_driver hk_cg_driver_systemd = {
    .name = "systemd",
    .make_dirs = sd_make_dirs,
    .apply = sd_apply,
    .devices = hk_cg_v2_devices,
    .enter = hk_cg_enter_procs,
    .clone_fd = hk_cg_v2_clone_fd,
    .freeze = hk_cg_v2_freeze,
    .is_frozen = hk_cg_v2_is_frozen,
    .signal_all = hk_cg_v2_signal_all,
    .destroy = sd_destroy,
    .settled = sd_settled,
};
