/* What `events` reports: runc's stats document from the cgroup's files, and OOM kills. */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "hk_format.h"

struct text {
	char *s;
	size_t len, cap;
	bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	char *piece = NULL;
	va_list ap;
	int n;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = true;
		return;
	}
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap * 2 + (size_t)n + 1;
		char *more = realloc(t->s, cap);

		if (more == NULL) {
			t->failed = true;
			free(piece);
			return;
		}
		t->s = more;
		t->cap = cap;
	}
	memcpy(t->s + t->len, piece, (size_t)n + 1);
	t->len += (size_t)n;
	free(piece);
}

static unsigned long long num(const struct hk_cg_dir *d, const char *file)
{
	long long v = 0;

	return hk_cg_read_i64(d, file, &v) && v > 0 ? (unsigned long long)v : 0;
}

/* "key value" lines (memory.stat, cpu.stat) as a JSON object; or one key's value. */
static void key_values(struct text *t, const struct hk_cg_dir *d, const char *file)
{
	char buf[8192], *save = NULL, *line;
	bool first = true;

	put(t, "{");
	if (hk_cg_read(d, file, buf, sizeof(buf)) > 0)
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char key[64];
			unsigned long long v;

			if (sscanf(line, "%63s %llu", key, &v) == 2) {
				put(t, "%s\"%s\":%llu", first ? "" : ",", key, v);
				first = false;
			}
		}
	put(t, "}");
}

static unsigned long long stat_value(const struct hk_cg_dir *d, const char *file, const char *key)
{
	char buf[8192], want[64], *p;

	if (hk_format(want, sizeof(want), "%s ", key) < 0 ||
	    hk_cg_read(d, file, buf, sizeof(buf)) <= 0)
		return 0;
	for (p = buf; p != NULL; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, want, strlen(want)) == 0)
			return strtoull(p + strlen(want), NULL, 10);
	return 0;
}

static void cpu_stats(struct text *t, const struct hk_cgroup *cg)
{
	const struct hk_cg_dir *acct = hk_cg_find(cg, "cpuacct"), *cpu = hk_cg_find(cg, "cpu");
	unsigned long long total = 0, user = 0, kernel = 0, tick = 1000000000ull / 100;
	char percpu[4096] = "";
	const char *tp = "throttled_time";
	unsigned long long tscale = 1;

	if (acct != NULL && !acct->v2) {
		total = num(acct, "cpuacct.usage");
		user = stat_value(acct, "cpuacct.stat", "user") * tick;
		kernel = stat_value(acct, "cpuacct.stat", "system") * tick;
		hk_cg_read(acct, "cpuacct.usage_percpu", percpu, sizeof(percpu));
		for (char *c = percpu; *c; c++)
			if (*c == ' ')
				*c = ',';
		if (percpu[0] && percpu[strlen(percpu) - 1] == ',')
			percpu[strlen(percpu) - 1] = '\0';
	} else if (cpu != NULL && cpu->v2) {
		total = stat_value(cpu, "cpu.stat", "usage_usec") * 1000;
		user = stat_value(cpu, "cpu.stat", "user_usec") * 1000;
		kernel = stat_value(cpu, "cpu.stat", "system_usec") * 1000;
		tp = "throttled_usec";
		tscale = 1000;
	}
	put(t, "\"cpu\":{\"usage\":{\"total\":%llu,\"percpu\":[%s],\"kernel\":%llu,\"user\":%llu},",
	    total, percpu, kernel, user);
	put(t,
	    "\"throttling\":{\"periods\":%llu,\"throttledPeriods\":%llu,\"throttledTime\":%llu}}",
	    cpu ? stat_value(cpu, "cpu.stat", "nr_periods") : 0,
	    cpu ? stat_value(cpu, "cpu.stat", "nr_throttled") : 0,
	    cpu ? stat_value(cpu, "cpu.stat", tp) * tscale : 0);
}

static void mem_entry(struct text *t, const char *name, const struct hk_cg_dir *d,
		      const char *prefix)
{
	char f[4][96];

	if (hk_format(f[0], sizeof(f[0]), "%s.usage_in_bytes", prefix) < 0 ||
	    hk_format(f[1], sizeof(f[1]), "%s.max_usage_in_bytes", prefix) < 0 ||
	    hk_format(f[2], sizeof(f[2]), "%s.failcnt", prefix) < 0 ||
	    hk_format(f[3], sizeof(f[3]), "%s.limit_in_bytes", prefix) < 0)
		f[0][0] = f[1][0] = f[2][0] = f[3][0] = '\0'; /* read as 0 */
	put(t, "\"%s\":{\"usage\":%llu,\"max\":%llu,\"failcnt\":%llu,\"limit\":%llu}", name,
	    num(d, f[0]), num(d, f[1]), num(d, f[2]), num(d, f[3]));
}

static void memory_stats(struct text *t, const struct hk_cg_dir *d)
{
	put(t, ",\"memory\":{");
	if (!d->v2) {
		mem_entry(t, "usage", d, "memory");
		put(t, ",");
		mem_entry(t, "swap", d, "memory.memsw");
		put(t, ",");
		mem_entry(t, "kernel", d, "memory.kmem");
		put(t, ",");
		mem_entry(t, "kernelTCP", d, "memory.kmem.tcp");
	} else {
		put(t, "\"usage\":{\"usage\":%llu,\"max\":%llu,\"failcnt\":%llu,\"limit\":%llu},",
		    num(d, "memory.current"), num(d, "memory.peak"),
		    stat_value(d, "memory.events", "max"), num(d, "memory.max"));
		put(t, "\"swap\":{\"usage\":%llu,\"max\":%llu,\"failcnt\":%llu,\"limit\":%llu}",
		    num(d, "memory.swap.current") + num(d, "memory.current"),
		    num(d, "memory.swap.peak"), stat_value(d, "memory.swap.events", "max"),
		    num(d, "memory.swap.max"));
	}
	put(t, ",\"raw\":");
	key_values(t, d, "memory.stat");
	put(t, "}");
}

/* v1 "8:0 Read 4096" lines or v2 io.stat "8:0 rbytes=.. wbytes=.. rios=.. wios=.." */
static void blkio_list(struct text *t, const struct hk_cg_dir *d, bool bytes)
{
	char buf[8192], *save = NULL, *line;
	bool first = true;

	put(t, "[");
	if (hk_cg_read(d,
		       d->v2   ? "io.stat"
		       : bytes ? "blkio.throttle.io_service_bytes_recursive"
			       : "blkio.throttle.io_serviced_recursive",
		       buf, sizeof(buf)) > 0)
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned maj, min;
			unsigned long long r, w;
			char op[16];

			if (d->v2 &&
			    sscanf(line,
				   bytes ? "%u:%u rbytes=%llu wbytes=%llu"
					 : "%u:%u rbytes=%*u wbytes=%*u rios=%llu wios=%llu",
				   &maj, &min, &r, &w) == 4) {
				put(t,
				    "%s{\"major\":%u,\"minor\":%u,\"op\":\"Read\",\"value\":%llu},"
				    "{\"major\":%u,\"minor\":%u,\"op\":\"Write\",\"value\":%llu}",
				    first ? "" : ",", maj, min, r, maj, min, w);
				first = false;
			} else if (!d->v2 &&
				   sscanf(line, "%u:%u %15s %llu", &maj, &min, op, &r) == 4) {
				put(t, "%s{\"major\":%u,\"minor\":%u,\"op\":\"%s\",\"value\":%llu}",
				    first ? "" : ",", maj, min, op, r);
				first = false;
			}
		}
	put(t, "]");
}

/* One entry per page size: the sizes are those with a limit file, "hugetlb.2MB.max" (v2) or
 * "hugetlb.2MB.limit_in_bytes" (v1); the reserved ("rsvd") accounting is left out, as runc. */
static void hugetlb_stats(struct text *t, const struct hk_cg_dir *d)
{
	const char *suffix = d->v2 ? ".max" : ".limit_in_bytes";
	struct dirent *e;
	bool first = true;
	DIR *dir = opendir(d->path);

	put(t, ",\"hugetlb\":{");
	while (dir != NULL && (e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name), slen = strlen(suffix);
		char size[32], f[3][96];

		if (strncmp(e->d_name, "hugetlb.", 8) != 0 || len <= 8 + slen ||
		    strcmp(e->d_name + len - slen, suffix) != 0 || strstr(e->d_name, "rsvd") ||
		    len - 8 - slen >= sizeof(size))
			continue;
		if (hk_format(size, sizeof(size), "%.*s", (int)(len - 8 - slen), e->d_name + 8) <
			0 ||
		    hk_format(f[0], sizeof(f[0]),
			      d->v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes",
			      size) < 0 ||
		    hk_format(f[1], sizeof(f[1]), "hugetlb.%s.max_usage_in_bytes", size) < 0 ||
		    hk_format(f[2], sizeof(f[2]),
			      d->v2 ? "hugetlb.%s.events" : "hugetlb.%s.failcnt", size) < 0)
			continue;
		put(t, "%s\"%s\":{\"usage\":%llu,\"max\":%llu,\"failcnt\":%llu}", first ? "" : ",",
		    size, num(d, f[0]), d->v2 ? 0 : num(d, f[1]),
		    d->v2 ? stat_value(d, f[2], "max") : num(d, f[2]));
		first = false;
	}
	if (dir != NULL)
		closedir(dir);
	put(t, "}");
}

char *hk_cg_stats_json(const struct hk_cgroup *cg)
{
	struct text t = {.s = malloc(4096), .cap = 4096};
	const struct hk_cg_dir *d;

	if (t.s == NULL)
		return NULL;
	put(&t, "{");
	cpu_stats(&t, cg);
	if ((d = hk_cg_find(cg, "memory")) != NULL)
		memory_stats(&t, d);
	if ((d = hk_cg_find(cg, "pids")) != NULL)
		put(&t, ",\"pids\":{\"current\":%llu,\"limit\":%llu}", num(d, "pids.current"),
		    num(d, "pids.max"));
	if ((d = hk_cg_find(cg, d != NULL && d->v2 ? "io" : "blkio")) != NULL) {
		put(&t, ",\"blkio\":{\"ioServiceBytesRecursive\":");
		blkio_list(&t, d, true);
		put(&t, ",\"ioServicedRecursive\":");
		blkio_list(&t, d, false);
		put(&t, "}");
	}
	if ((d = hk_cg_find(cg, "hugetlb")) != NULL)
		hugetlb_stats(&t, d);
	put(&t, "}");
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

unsigned long long hk_cg_oom_count(const struct hk_cgroup *cg)
{
	const struct hk_cg_dir *d = hk_cg_find(cg, "memory");

	if (d == NULL)
		return 0;
	return stat_value(d, d->v2 ? "memory.events" : "memory.oom_control", "oom_kill");
}

int hk_cg_oom_watch(const struct hk_cgroup *cg, struct hk_err **err)
{
	const struct hk_cg_dir *d = hk_cg_find(cg, "memory");
	char path[sizeof(d->path) + 32];
	int fd, ctl;

	if (d == NULL)
		return -1;
	if (d->v2) {
		fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (fd < 0 || hk_path_join(path, sizeof(path), d->path, "memory.events") < 0 ||
		    inotify_add_watch(fd, path, IN_MODIFY) < 0) {
			if (fd >= 0)
				close(fd);
			return hk_fail(err, errno, "watch %s", path);
		}
		return fd;
	}
	/* v1: an eventfd registered for memory.oom_control; it also fires when the cgroup goes. */
	if (hk_path_join(path, sizeof(path), d->path, "memory.oom_control") < 0)
		return hk_fail(err, errno, "watch %s", d->path);
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ctl = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ctl < 0 ||
	    hk_cg_writef(d, "cgroup.event_control", err, "%d %d", fd, ctl) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (ctl >= 0)
			close(ctl);
		return hk_fail(err, e, "watch %s", path);
	}
	close(ctl);
	return fd;
}

unsigned long long hk_cg_oom_events(const struct hk_cgroup *cg, int fd, unsigned long long *seen)
{
	const struct hk_cg_dir *d = hk_cg_find(cg, "memory");
	unsigned long long now, fired = 0;
	char drain[4096];

	if (d == NULL || fd < 0)
		return 0;
	if (!d->v2) {
		/* each OOM event, as runc counts them: the eventfd fires before the kernel counts
		 * the kill in oom_kill; it fires too when the cgroup goes, which is none */
		if (read(fd, &fired, sizeof(fired)) != (ssize_t)sizeof(fired) ||
		    hk_cg_read(d, "memory.oom_control", drain, sizeof(drain)) < 0)
			return 0;
		return fired;
	}
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	now = hk_cg_oom_count(cg);
	fired = now > *seen ? now - *seen : 0;
	*seen = now > *seen ? now : *seen;
	return fired;
}
