/* The cgroup resource writers (cgroup/v1.c, v2.c, shared_files.c), through the driver's apply,
 * against a temporary tree shaped like the kernel's: a new linux.resources field is tested here
 * in milliseconds, without root or a VM. A file the writer needs is made empty first (as the
 * kernel has it); one it must not find is left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "tap.h"

static char root[] = "/tmp/husk-cgroup-XXXXXX";

static const char *const v1_keys[] = {"memory",	 "cpu,cpuacct", "cpuset",
				      "pids",	 "blkio",	"net_cls,net_prio",
				      "hugetlb", "devices",	"freezer"};

/* A cgroup whose directories lie under root/<version>/<key>/c. */
static void make_cgroup(struct hk_cgroup *cg, bool v2)
{
	size_t i, n = v2 ? 1 : sizeof(v1_keys) / sizeof(*v1_keys);
	char cmd[4300];

	memset(cg, 0, sizeof(*cg));
	cg->mode = v2 ? HK_CG_V2 : HK_CG_V1;
	cg->driver = v2 ? &hk_cg_driver_v2 : &hk_cg_driver_v1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s/v1 %s/v2", root, root);
	if (system(cmd) != 0)
		tap_diag("%s failed", cmd);
	for (i = 0; i < n; i++) {
		struct hk_cg_dir *d = &cg->dirs[cg->n++];

		const char *key = v2 ? "unified" : v1_keys[i];

		snprintf(d->key, sizeof(d->key), "%s", key);
		snprintf(d->path, sizeof(d->path), "%s/%s/%s/c", root, v2 ? "v2" : "v1", key);
		d->rel = d->path + strlen(d->path) - 2;
		d->v2 = v2;
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", d->path);
		if (system(cmd) != 0)
			tap_diag("%s failed", cmd);
	}
}

static void put(const struct hk_cgroup *cg, const char *controller, const char *file,
		const char *text)
{
	const struct hk_cg_dir *d = controller ? hk_cg_find(cg, controller) : &cg->dirs[0];
	char path[4400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d ? d->path : "/nonexistent", file);
	f = fopen(path, "w");
	if (f == NULL) {
		tap_diag("cannot make %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* Empty files the writers fill, in the directory of each controller. */
static void files(const struct hk_cgroup *cg, const char *controller, const char *const *names)
{
	for (; *names != NULL; names++)
		put(cg, controller, *names, "");
}

static bool holds(const struct hk_cgroup *cg, const char *controller, const char *file,
		  const char *want)
{
	const struct hk_cg_dir *d = hk_cg_find(cg, controller);
	char text[512];

	if (d == NULL || hk_cg_read(d, file, text, sizeof(text)) < 0)
		return false;
	if (strcmp(text, want) != 0)
		tap_diag("%s: \"%s\", expected \"%s\"", file, text, want);
	return strcmp(text, want) == 0;
}

/* linux.resources parsed as config.json's would be, then applied; err gets the failure. */
static int apply(struct hk_cgroup *cg, const char *json, bool update, struct hk_err **err)
{
	struct oci_arena *arena = NULL;
	struct oci_resources *r = NULL;
	int ret;

	if (oci_resources_parse(json, strlen(json), "resources", &arena, &r, err) < 0)
		return -2;
	ret = hk_cg_apply(cg, r, update, err);
	oci_arena_free(arena);
	return ret;
}

static bool fails_with(struct hk_cgroup *cg, const char *json, const char *words)
{
	hk_cleanup_err struct hk_err *err = NULL;

	if (apply(cg, json, false, &err) != -1)
		return false;
	if (strstr(err->msg, words) == NULL)
		tap_diag("%s", err->msg);
	return strstr(err->msg, words) != NULL;
}

static bool applies(struct hk_cgroup *cg, const char *json, bool update)
{
	hk_cleanup_err struct hk_err *err = NULL;
	int ret = apply(cg, json, update, &err);

	if (ret != 0)
		tap_diag("%s", err ? err->msg : "failed");
	return ret == 0;
}

static void test_v1_memory(void)
{
	static const char *const names[] = {
	    "memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes",
	    "memory.swappiness",     "memory.oom_control",	   NULL};
	struct hk_cgroup cg;

	make_cgroup(&cg, false);
	files(&cg, "memory", names);
	tap_ok(applies(&cg,
		       "{\"memory\": {\"limit\": 1048576, \"reservation\": 524288, \"swap\": "
		       "2097152, \"swappiness\": 10, \"disableOOMKiller\": true}}",
		       false) &&
		   holds(&cg, "memory", "memory.limit_in_bytes", "1048576") &&
		   holds(&cg, "memory", "memory.soft_limit_in_bytes", "524288") &&
		   holds(&cg, "memory", "memory.memsw.limit_in_bytes", "2097152") &&
		   holds(&cg, "memory", "memory.swappiness", "10") &&
		   holds(&cg, "memory", "memory.oom_control", "1"),
	       "v1 memory: limit, reservation, memory+swap, swappiness, OOM killer off");
	make_cgroup(&cg, false); /* no memory.memsw.limit_in_bytes: swap is not accounted */
	put(&cg, "memory", "memory.limit_in_bytes", "");
	tap_ok(fails_with(&cg, "{\"memory\": {\"limit\": 1048576, \"swap\": 4194304}}",
			  "does not account swap"),
	       "v1: a swap limit on a host without swap accounting is refused");
	tap_ok(applies(&cg, "{\"memory\": {\"limit\": 1048576, \"swap\": 1048576}}", false),
	       "v1: swap equal to the limit asks for nothing such a host lacks");
}

static void test_v1_cpu_pids_blkio_network(void)
{
	static const char *const cpu[] = {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us",
					  NULL};
	static const char *const cpuset[] = {"cpuset.cpus", "cpuset.mems", NULL};
	static const char *const net[] = {"net_cls.classid", "net_prio.ifpriomap", NULL};
	struct hk_cgroup cg;

	make_cgroup(&cg, false);
	files(&cg, "cpu", cpu);
	files(&cg, "cpuset", cpuset);
	files(&cg, "net_cls", net);
	put(&cg, "pids", "pids.max", "");
	put(&cg, "blkio", "blkio.throttle.read_bps_device", "");
	tap_ok(applies(&cg,
		       "{\"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, "
		       "\"cpus\": \"0-1\", \"mems\": \"0\"}}",
		       false) &&
		   holds(&cg, "cpu", "cpu.shares", "512") &&
		   holds(&cg, "cpu", "cpu.cfs_period_us", "100000") &&
		   holds(&cg, "cpu", "cpu.cfs_quota_us", "50000") &&
		   holds(&cg, "cpuset", "cpuset.cpus", "0-1") &&
		   holds(&cg, "cpuset", "cpuset.mems", "0"),
	       "v1 cpu: shares, the period and quota pair, cpuset");
	tap_ok(applies(&cg, "{\"pids\": {\"limit\": 100}}", false) &&
		   holds(&cg, "pids", "pids.max", "100"),
	       "v1 pids.max");
	tap_ok(applies(&cg, "{\"pids\": {\"limit\": 0}}", true) &&
		   holds(&cg, "pids", "pids.max", "100"),
	       "an update's pids limit 0 leaves pids.max alone (docker sends it)");
	tap_ok(applies(&cg, "{\"pids\": {\"limit\": -1}}", false) &&
		   holds(&cg, "pids", "pids.max", "max"),
	       "pids limit -1 is max");
	tap_ok(applies(&cg,
		       "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, "
		       "\"rate\": 1048576}]}}",
		       false) &&
		   holds(&cg, "blkio", "blkio.throttle.read_bps_device", "8:0 1048576"),
	       "v1 blkio throttle, major:minor rate");
	tap_ok(applies(&cg,
		       "{\"network\": {\"classID\": 42, \"priorities\": [{\"name\": \"eth0\", "
		       "\"priority\": 5}]}}",
		       false) &&
		   holds(&cg, "net_cls", "net_cls.classid", "42") &&
		   holds(&cg, "net_prio", "net_prio.ifpriomap", "eth0 5"),
	       "v1 net_cls and net_prio");
	tap_ok(fails_with(&cg, "{\"rdma\": {\"mlx5_0\": {\"hcaHandles\": 3}}}",
			  "linux.resources.rdma: this host has no rdma cgroup controller"),
	       "a controller the host lacks is named with the field");
}

static void test_shared_files_on_v1(void)
{
	struct hk_cgroup cg;

	make_cgroup(&cg, false);
	put(&cg, "hugetlb", "hugetlb.2MB.limit_in_bytes", "");
	tap_ok(applies(&cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}",
		       false) &&
		   holds(&cg, "hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"),
	       "hugetlb on v1: hugetlb.<size>.limit_in_bytes");
	tap_ok(fails_with(&cg, "{\"hugepageLimits\": [{\"pageSize\": \"../x\", \"limit\": 1}]}",
			  "not a size like \"2MB\""),
	       "a page size that could leave the directory is refused");
	tap_ok(fails_with(&cg, "{\"hugepageLimits\": [{\"pageSize\": \"1GB\", \"limit\": 1}]}",
			  "no 1GB huge pages"),
	       "a page size the host lacks is named");
	tap_ok(fails_with(&cg, "{\"unified\": {\"memory.high\": \"1000000\"}}", "needs cgroup v2"),
	       "unified on a v1 host is refused");
}

static void test_v2(void)
{
	static const char *const names[] = {"memory.max",  "memory.swap.max", "memory.low",
					    "cpu.weight",  "io.weight",	      "pids.max",
					    "memory.high", "hugetlb.2MB.max", NULL};
	struct hk_cgroup cg;

	make_cgroup(&cg, true);
	put(&cg, NULL, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	files(&cg, "memory", names);
	put(&cg, "cpu", "cpu.max", "max 200000\n");
	tap_ok(applies(&cg,
		       "{\"memory\": {\"limit\": 1048576, \"swap\": 3145728, \"reservation\": "
		       "524288}}",
		       false) &&
		   holds(&cg, "memory", "memory.max", "1048576") &&
		   holds(&cg, "memory", "memory.swap.max", "2097152") &&
		   holds(&cg, "memory", "memory.low", "524288"),
	       "v2 memory: max, swap.max as memory+swap less the limit, low");
	tap_ok(fails_with(&cg, "{\"memory\": {\"limit\": 2097152, \"swap\": 1048576}}",
			  "is below memory.limit"),
	       "v2: memory+swap below the limit is refused");
	tap_ok(applies(&cg, "{\"cpu\": {\"shares\": 1024, \"quota\": 30000}}", false) &&
		   holds(&cg, "cpu", "cpu.weight", "39") &&
		   holds(&cg, "cpu", "cpu.max", "30000 200000"),
	       "v2 cpu: shares to weight (runc's mapping), a quota keeps the period in force");
	tap_ok(applies(&cg, "{\"blockIO\": {\"weight\": 500}}", false) &&
		   holds(&cg, "io", "io.weight", "4950"),
	       "v2 io.weight from the blkio scale");
	tap_ok(applies(&cg, "{\"pids\": {\"limit\": 64}}", false) &&
		   holds(&cg, "pids", "pids.max", "64"),
	       "v2 pids.max");
	tap_ok(applies(&cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 2097152}]}",
		       false) &&
		   holds(&cg, "hugetlb", "hugetlb.2MB.max", "2097152"),
	       "hugetlb on v2: hugetlb.<size>.max");
	tap_ok(applies(&cg, "{\"unified\": {\"memory.high\": \"1000000\"}}", false) &&
		   holds(&cg, "memory", "memory.high", "1000000"),
	       "unified: the raw file written");
	tap_ok(fails_with(&cg, "{\"unified\": {\"../memory.high\": \"1\"}}",
			  "is not a cgroup file name"),
	       "unified: a key that leaves the directory is refused");
	tap_ok(fails_with(&cg, "{\"unified\": {\"memory.oom.group\": \"1\"}}",
			  "no such file in the container's cgroup"),
	       "unified: a file the cgroup lacks is named");
	tap_ok(fails_with(&cg, "{\"network\": {\"classID\": 1}}", "cgroup v2 has no net_cls"),
	       "v2: network is refused");
	tap_ok(
	    fails_with(&cg, "{\"cpu\": {\"realtimeRuntime\": 1000}}", "cgroup v2 has no realtime"),
	    "v2: a realtime budget is refused");
}

int main(void)
{
	char cmd[128];

	if (mkdtemp(root) == NULL) {
		tap_ok(0, "mkdtemp");
		return tap_done();
	}
	test_v1_memory();
	test_v1_cpu_pids_blkio_network();
	test_shared_files_on_v1();
	test_v2();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		tap_diag("%s failed", cmd);
	return tap_done();
}
