/* The systemd driver's pure half, without systemd: the scope and cgroup a cgroupsPath names, and
 * the unit properties linux.resources becomes (runc's conversions). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/cgroup_internal.h"
#include "cgroup/systemd_dbus.h"
#include "tap.h"

static void names(const char *path, const char *unit, const char *dir)
{
	char u[256], d[4096];
	struct hk_err *err = NULL;
	int r = hk_cg_systemd_names(path, "ID", u, sizeof(u), d, sizeof(d), &err);

	tap_ok(r == 0 && !strcmp(u, unit) && !strcmp(d, dir), "\"%s\": %s in %s (got %s %s)", path,
	       unit, dir, r == 0 ? u : err->msg, r == 0 ? d : "");
	hk_err_free(err);
}

/* text on one TAP line whatever it holds */
static const char *one_line(const char *text, char *buf, size_t size)
{
	size_t i;

	for (i = 0; text[i] && i < size - 1; i++)
		buf[i] = text[i] == '\n' ? '~' : text[i];
	buf[i] = '\0';
	return buf;
}

static void refused(const char *path, const char *words)
{
	char u[256], d[4096], shown[512], why[512];
	struct hk_err *err = NULL;
	int r = hk_cg_systemd_names(path, "ID", u, sizeof(u), d, sizeof(d), &err);

	tap_ok(r < 0 && strstr(err->msg, words) != NULL, "\"%.80s\" refused: %s",
	       one_line(path, shown, sizeof(shown)),
	       r < 0 ? one_line(err->msg, why, sizeof(why)) : "accepted");
	hk_err_free(err);
}

static const struct hk_unit_prop *prop(const struct hk_unit_props *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->items[i].name, name))
			return &p->items[i];
	return NULL;
}

static void u64(const struct hk_unit_props *p, const char *name, uint64_t want)
{
	const struct hk_unit_prop *q = prop(p, name);

	tap_ok(q != NULL && q->u64 == want, "%s = %llu (got %llu)", name, (unsigned long long)want,
	       q ? (unsigned long long)q->u64 : 0ULL);
}

static void conversions(void)
{
	struct oci_memory mem = {
	    .limit = {64 << 20, true}, .swap = {96 << 20, true}, .reservation = {8 << 20, true}};
	struct oci_cpu cpu = {.shares = {1024, true},
			      .quota = {25000, true},
			      .period = {50000, true},
			      .cpus = "0-2,9"};
	struct oci_pids pids = {.limit = {-1, true}};
	struct oci_blkio io = {.weight = {1000, true}};
	struct oci_resources r = {.memory = &mem, .cpu = &cpu, .pids = &pids, .block_io = &io};
	struct hk_unit_props p = {0};
	const struct hk_unit_prop *cpus;
	struct hk_err *err = NULL;

	tap_ok(hk_cg_systemd_props(&r, false, &p, &err) == 0, "resources convert");
	u64(&p, "MemoryMax", 64 << 20);
	u64(&p, "MemoryLow", 8 << 20);
	u64(&p, "MemorySwapMax", 32 << 20); /* swap alone, as systemd counts it */
	u64(&p, "CPUWeight", 39);	    /* 1 + (1024 - 2) * 9999 / 262142 */
	u64(&p, "CPUQuotaPerSecUSec", 500000);
	u64(&p, "CPUQuotaPeriodUSec", 50000);
	u64(&p, "TasksMax", UINT64_MAX); /* -1: infinity */
	u64(&p, "IOWeight", 10000);
	cpus = prop(&p, "AllowedCPUs");
	tap_ok(cpus != NULL && cpus->nbytes == 2 && cpus->bytes[0] == 0x07 &&
		   cpus->bytes[1] == 0x02,
	       "AllowedCPUs 0-2,9 is the bytes 07 02");
	cpu.cpus = "3-1";
	p.n = 0;
	tap_ok(hk_cg_systemd_props(&r, false, &p, &err) < 0 &&
		   strstr(err->msg, "linux.resources.cpu.cpus"),
	       "a bad CPU list names its field");
	hk_err_free(err);
	mem.swap.value = -1;
	cpu.cpus = NULL;
	cpu.quota.value = 33333; /* 666660 us/s, kept in systemd's 10 ms steps, rounded up */
	p.n = 0;
	hk_cg_systemd_props(&r, false, &p, NULL);
	u64(&p, "MemorySwapMax", UINT64_MAX);
	u64(&p, "CPUQuotaPerSecUSec", 670000);
	/* runtime-spec 1.3: 0 lets nothing fork; in an update, 0 is docker's "unchanged" */
	pids.limit.value = 0;
	p.n = 0;
	hk_cg_systemd_props(&r, false, &p, NULL);
	u64(&p, "TasksMax", 0);
	p.n = 0;
	hk_cg_systemd_props(&r, true, &p, NULL);
	tap_ok(prop(&p, "TasksMax") == NULL, "an update's pids limit 0 changes nothing");
}

int main(void)
{
	names("", "husk-ID.scope", "/system.slice/husk-ID.scope");
	names("system.slice:cri-containerd:abc", "cri-containerd-abc.scope",
	      "/system.slice/cri-containerd-abc.scope");
	names("machine.slice:libpod:abc", "libpod-abc.scope", "/machine.slice/libpod-abc.scope");
	names("kubepods-besteffort-pod1.slice:cri-o:x", "cri-o-x.scope",
	      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
	      "cri-o-x.scope");
	names("-.slice::x", "x.scope", "/x.scope");
	names(":husk:x", "husk-x.scope", "/system.slice/husk-x.scope");
	refused("/a/b", "slice:prefix:name");
	refused("a:b:c:d", "slice:prefix:name");
	refused("system:husk:x", "is not a slice");
	refused("a--b.slice:husk:x", "is not a slice");
	refused("system.slice:husk:", "no unit name");
	refused("system.slice:husk:a/b", "a unit name takes");
	/* issue 27 item 6: hostile cgroupsPath values */
	refused("system.slice:husk:a\nb", "a unit name takes");
	refused("system.slice:husk:..", "no leading dot");
	refused("..slice:husk:x", "no leading dot");
	refused("system.slice:../..:x", "a unit name takes");
	refused("system.slice:husk:x@y", "a unit name takes");
	refused("system.slice:husk:a b", "a unit name takes");
	refused("system.slice:husk:"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"too long");
	refused("system.slice:husk:"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxx",
		"too long"); /* 246 + "husk-" + ".scope": past systemd's 255 */
	refused("system.slice:husk:x.slice", "a slice as the container's own unit");
	names("kubepods-burstable-pod1234_5678.slice:cri-containerd:abc",
	      "cri-containerd-abc.scope",
	      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678.slice/"
	      "cri-containerd-abc.scope");
	refused("system.slice:husk:p.slice", "a slice as the container's own unit");
	conversions();
	return tap_done();
}
