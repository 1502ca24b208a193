/* The probe: a static program copied into test containers that prints, as one JSON object, what
 * the process can observe of itself: ids, capabilities, rlimits, mounts, fds, namespaces, limits.
 * Arguments add checks: `read PATH`, `write PATH`, `open PATH` (read-write), `mknod PATH MAJOR
 * MINOR`, `stat PATH`, and for limits `alloc MIB` (touches that much memory), `forks N` (how many
 * children could be made, all alive at once), `spin MS` (cpu time got in MS of wall time),
 * `burn MS` (wall time taken to get MS of cpu time). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void key(const char *k, int *first)
{
	printf("%s", *first ? "" : ",");
	*first = 0;
	json_string(k);
	putchar(':');
}

static void status_fields(int *first)
{
	static const char *const wanted[] = {"CapInh",	   "CapPrm",  "CapEff", "CapBnd", "CapAmb",
					     "NoNewPrivs", "Seccomp", "Umask",	"Groups"};
	char line[512];
	FILE *f = fopen("/proc/self/status", "r");
	size_t i;

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;

		if (!colon)
			continue;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\n")] = '\0';
		for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
			if (strcmp(line, wanted[i]) == 0) {
				key(line, first);
				json_string(v);
			}
	}
	if (f)
		fclose(f);
}

static void rlimits(int *first)
{
	static const struct {
		const char *name;
		int r;
	} all[] = {{"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},
		   {"RLIMIT_CORE", RLIMIT_CORE},     {"RLIMIT_STACK", RLIMIT_STACK},
		   {"RLIMIT_AS", RLIMIT_AS},	     {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}};
	size_t i;

	key("rlimits", first);
	putchar('{');
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct rlimit l;

		getrlimit(all[i].r, &l);
		printf("%s\"%s\":[%llu,%llu]", i ? "," : "", all[i].name,
		       (unsigned long long)l.rlim_cur, (unsigned long long)l.rlim_max);
	}
	putchar('}');
}

static void list_links(const char *dir, const char *name, int *first)
{
	char path[512], target[512];
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0, self = d ? dirfd(d) : -1;

	key(name, first);
	putchar('{');
	while (d && (e = readdir(d))) {
		ssize_t len;

		if (e->d_name[0] == '.' || atoi(e->d_name) == self && strcmp(name, "fds") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = '\0';
		printf("%s", n++ ? "," : "");
		json_string(e->d_name);
		putchar(':');
		json_string(target);
	}
	if (d)
		closedir(d);
	putchar('}');
}

/* The optional fields of a mountinfo line, between the mount options and " - ". */
static void propagation_tags(const char *line, const char *sep)
{
	const char *p = line;
	int field;
	char tags[512];
	size_t n;

	for (field = 0; field < 6 && p < sep; field++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : sep;
	n = p < sep ? (size_t)(sep - p) : 0;
	if (n >= sizeof(tags))
		n = sizeof(tags) - 1;
	memcpy(tags, p, n);
	tags[n] = '\0';
	json_string(tags);
}

static void mounts(int *first)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int n = 0;

	key("mounts", first);
	putchar('[');
	while (f && fgets(line, sizeof(line), f)) {
		char point[1024], opts[1024], fstype[128], src[1024], super[1024];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s %1023s", point, opts) != 2 ||
		    sscanf(sep, " - %127s %1023s %1023s", fstype, src, super) != 3)
			continue;
		printf("%s{\"point\":", n++ ? "," : "");
		json_string(point);
		printf(",\"options\":");
		json_string(opts);
		printf(",\"type\":");
		json_string(fstype);
		printf(",\"super\":");
		json_string(super);
		printf(",\"tags\":"); /* the optional fields: shared:N, master:N, unbindable */
		propagation_tags(line, sep);
		putchar('}');
	}
	if (f)
		fclose(f);
	putchar(']');
}

static void file_text(const char *path, int *first, const char *prefix)
{
	char buf[4096], name[600];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	snprintf(name, sizeof(name), "%s%s", prefix, path);
	key(name, first);
	if (n < 0) {
		printf("{\"error\":");
		json_string(strerror(errno));
		putchar('}');
	} else {
		buf[n] = '\0';
		json_string(buf);
	}
	if (fd >= 0)
		close(fd);
}

static long long ms_of(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Whether a seized process runs husk's code: stopped first, so that it cannot execve between the
 * check and the seize. */
static int runs_husk(pid_t pid)
{
	char path[64], exe[256] = "";
	int status;

	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || waitpid(pid, &status, __WALL) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (readlink(path, exe, sizeof(exe) - 1) < 0)
		exe[0] = '\0';
	return strstr(exe, "husk") != NULL;
}

/* What an attacker loop counts: every pid it tried, what the attempt got, what it caught. */
struct attack_counts {
	long tries, got, caught;
};

/* For ms milliseconds, attempt(pid) on every other process visible, again and again. */
static void every_pid_for(long ms, void (*attempt)(pid_t, struct attack_counts *),
			  struct attack_counts *c)
{
	long long end = ms_of(CLOCK_MONOTONIC) + ms;

	while (ms_of(CLOCK_MONOTONIC) < end) {
		DIR *proc = opendir("/proc");
		struct dirent *e;

		while (proc != NULL && (e = readdir(proc)) != NULL) {
			pid_t pid = (pid_t)atoi(e->d_name);

			if (pid <= 0 || pid == getpid())
				continue;
			c->tries++;
			attempt(pid, c);
		}
		if (proc != NULL)
			closedir(proc);
	}
}

static void seize(pid_t pid, struct attack_counts *c)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
		c->got++;
		c->caught += runs_husk(pid);
		ptrace(PTRACE_DETACH, pid, 0, 0);
	}
}

/* attach MS: PTRACE_SEIZE every other process it can see (the attack on husk's code running
 * inside the container). Prints how many seizes succeeded and, of those, how many caught a
 * process running husk's code. */
static void attach_loop(long ms, const char *name, int *first)
{
	struct attack_counts c = {0};

	every_pid_for(ms, seize, &c);
	key(name, first);
	printf("{\"tries\":%ld,\"seized\":%ld,\"husk\":%ld}", c.tries, c.got, c.caught);
}

static void open_exe(pid_t pid, struct attack_counts *c)
{
	char path[64], target[256] = "";
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return;
	c->got++;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (readlink(path, target, sizeof(target) - 1) < 0)
		target[0] = '\0';
	c->caught += strstr(target, "husk") != NULL && strncmp(target, "/memfd:", 7) != 0;
	close(fd);
}

/* exewatch MS: open /proc/PID/exe of every other process it can see (CVE-2019-5736's first
 * step: an fd of husk's file, written once husk has gone). Prints how many opens succeeded and,
 * of those, how many reached a file of husk's that is not a sealed memfd. */
static void exe_watch_loop(long ms, const char *name, int *first)
{
	struct attack_counts c = {0};

	every_pid_for(ms, open_exe, &c);
	key(name, first);
	printf("{\"tries\":%ld,\"opened\":%ld,\"file\":%ld}", c.tries, c.got, c.caught);
}

/* One step of an attacker's race; returns 1 when it changed something. */
typedef int race_step(const char *a, const char *b, long done);

/* swaplink: replaces whatever appears at a (a node, a file, a directory) with a symlink to b the
 * moment it appears. */
static int swap_step(const char *path, const char *target, long done)
{
	struct stat st;

	/* spin until the victim puts something of its own there, then swap it at once */
	if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
		return 0;
	if (unlink(path) < 0 && rmdir(path) < 0) { /* a full directory: moved aside */
		char aside[600];

		snprintf(aside, sizeof(aside), "%s.%ld", path, done);
		rename(path, aside);
	}
	return symlink(target, path) == 0;
}

/* exchange: swaps a and b (renameat2 RENAME_EXCHANGE), e.g. a victim's rootfs and a symlink to
 * a host directory on a volume both containers share. */
static int exchange_step(const char *a, const char *b, long done)
{
	(void)done;
	return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) == 0;
}

/* swaplink/exchange SPEC, SPEC being A=B=MS: the attacker's half of a race against husk on a
 * directory shared with another container, step after step for MS milliseconds. Prints how many
 * steps changed something. */
static void race_loop(const char *spec, race_step *step, const char *name, int *first)
{
	char a[512], b[512];
	long long end;
	long done = 0;
	int ms;

	if (sscanf(spec, "%511[^=]=%511[^=]=%d", a, b, &ms) != 3)
		return;
	end = ms_of(CLOCK_MONOTONIC) + ms;
	while (ms_of(CLOCK_MONOTONIC) < end)
		done += step(a, b, done);
	/* an odd number of exchanges: put the victim's rootfs back where it was */
	if (step == exchange_step && done % 2)
		exchange_step(a, b, done);
	key(name, first);
	printf("%ld", done);
}

/* Limits: each prints a number, or the error that stopped it. */
static int limit_action(const char *what, const char *arg, const char *name, int *first)
{
	long n = atol(arg), i;

	if (strcmp(what, "swaplink") == 0) { /* swaplink PATH: see race() in husk_support.py */
		race_loop(arg, swap_step, name, first);
		return 1;
	}
	if (strcmp(what, "exchange") == 0) { /* exchange A=B=MS: see race() in husk_support */
		race_loop(arg, exchange_step, name, first);
		return 1;
	}
	if (strcmp(what, "attach") == 0) {
		attach_loop(n, name, first);
		return 1;
	}
	if (strcmp(what, "exewatch") == 0) {
		exe_watch_loop(n, name, first);
		return 1;
	}
	if (strcmp(what, "alloc") == 0) {
		for (i = 0; i < n; i++) {
			char *mib = malloc(1 << 20);

			if (mib == NULL)
				break;
			memset(mib, 1, 1 << 20);
		}
		key(name, first);
		printf("%ld", i);
	} else if (strcmp(what, "forks") == 0) {
		pid_t kids[4096];
		int saved = 0;

		for (i = 0; i < n && i < 4096; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				pause();
				_exit(0);
			}
			if (kids[i] < 0) {
				saved = errno;
				break;
			}
		}
		key(name, first);
		printf("{\"made\":%ld,\"error\":", i);
		json_string(saved ? strerror(saved) : "");
		putchar('}');
		while (i-- > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	} else if (strcmp(what, "notify") == 0) { /* notify TEXT: a datagram to $NOTIFY_SOCKET */
		const char *to = getenv("NOTIFY_SOCKET");
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", to ? to : "");
		key(name, first);
		json_string(fd >= 0 && sendto(fd, arg, strlen(arg), 0, (struct sockaddr *)&sa,
					      sizeof(sa)) >= 0
				? "ok"
				: strerror(errno));
		if (fd >= 0)
			close(fd);
	} else if (strcmp(what, "spin") == 0) {
		long long end = ms_of(CLOCK_MONOTONIC) + n;
		volatile unsigned long spins = 0;

		while (ms_of(CLOCK_MONOTONIC) < end)
			spins++;
		key(name, first);
		printf("%lld", ms_of(CLOCK_PROCESS_CPUTIME_ID));
	} else if (strcmp(what, "burn") == 0) {
		long long start = ms_of(CLOCK_MONOTONIC);
		long long until = ms_of(CLOCK_PROCESS_CPUTIME_ID) + n;
		volatile unsigned long spins = 0;

		while (ms_of(CLOCK_PROCESS_CPUTIME_ID) < until)
			spins++;
		key(name, first);
		printf("%lld", ms_of(CLOCK_MONOTONIC) - start);
	} else if (strcmp(what, "syscall") == 0) { /* syscall NR: the errno a bare call gets */
		long r = syscall(n, 0, 0, 0, 0, 0, 0);

		key(name, first);
		printf("%d", r < 0 ? errno : 0);
	} else {
		return 0;
	}
	return 1;
}

static void action(int argc, char **argv, int *i, int *first)
{
	const char *what = argv[*i], *path = *i + 1 < argc ? argv[*i + 1] : "";
	char name[600];
	int ret = 0;

	snprintf(name, sizeof(name), "%s:%s", what, path);
	if (strcmp(what, "read") == 0) {
		file_text(path, first, "read:");
		*i += 1;
		return;
	}
	if (limit_action(what, path, name, first)) {
		*i += 1;
		return;
	}
	if (strcmp(what, "open") == 0) {
		int fd = open(path, O_RDWR);

		ret = fd < 0 ? -1 : close(fd);
		*i += 1;
	} else if (strcmp(what, "write") == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		ret = fd < 0 || write(fd, "x", 1) != 1 ? -1 : 0;
		if (fd >= 0)
			close(fd);
		*i += 1;
	} else if (strcmp(what, "mknod") == 0 && *i + 3 < argc) {
		ret = mknod(path, S_IFCHR | 0600, makedev(atoi(argv[*i + 2]), atoi(argv[*i + 3])));
		*i += 3;
	} else if (strcmp(what, "stat") == 0) {
		struct stat st;

		ret = lstat(path, &st);
		*i += 1;
		key(name, first);
		if (ret == 0)
			printf("{\"mode\":%u,\"major\":%u,\"minor\":%u,\"uid\":%u,\"gid\":%u,"
			       "\"size\":%lld}",
			       st.st_mode, major(st.st_rdev), minor(st.st_rdev), st.st_uid,
			       st.st_gid, (long long)st.st_size);
		else
			printf("{\"error\":\"%s\"}", strerror(errno));
		return;
	}
	key(name, first);
	if (ret == 0)
		printf("\"ok\"");
	else {
		printf("{\"error\":");
		json_string(strerror(errno));
		putchar('}');
	}
}

/* sched_getaffinity as a list of CPU numbers; get_mempolicy's mode (flags included) and the
 * first word of its node mask. */
static void affinity_and_mempolicy(int *first)
{
	unsigned long nodes[16] = {0};
	cpu_set_t set;
	int mode = -1, cpu, n = 0;

	key("affinity", first);
	putchar('[');
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &set))
				printf("%s%d", n++ ? "," : "", cpu);
	putchar(']');
	if (syscall(SYS_get_mempolicy, &mode, nodes, sizeof(nodes) * 8, NULL, 0) < 0)
		mode = -1;
	key("mempolicy", first);
	printf("{\"mode\":%d,\"nodes\":%lu}", mode, nodes[0]);
}

int main(int argc, char **argv, char **envp)
{
	char cwd[1024], host[256], domain[256];
	int first = 1, i;
	gid_t groups[64];
	int ngroups = getgroups(64, groups);

	printf("{");
	key("pid", &first);
	printf("%d", getpid());
	key("ppid", &first);
	printf("%d", getppid());
	key("uid", &first);
	printf("%u", getuid());
	key("gid", &first);
	printf("%u", getgid());
	key("euid", &first);
	printf("%u", geteuid());
	key("groups", &first);
	putchar('[');
	for (i = 0; i < ngroups; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	putchar(']');
	key("cwd", &first);
	json_string(getcwd(cwd, sizeof(cwd)) ? cwd : "");
	gethostname(host, sizeof(host));
	key("hostname", &first);
	json_string(host);
	getdomainname(domain, sizeof(domain));
	key("domainname", &first);
	json_string(domain);
	key("personality", &first);
	printf("%d", personality(0xffffffff));
	key("ioprio", &first);
	printf("%ld", syscall(SYS_ioprio_get, 1, 0)); /* IOPRIO_WHO_PROCESS, self */
	key("sched_policy", &first);
	printf("%d", sched_getscheduler(0));
	affinity_and_mempolicy(&first);
	key("session_keyring", &first);
	/* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, without creating one */
	printf("%ld", syscall(SYS_keyctl, 0, -3, 0));
	key("isatty", &first);
	printf("%s", isatty(0) ? "true" : "false");
	key("env", &first);
	putchar('[');
	for (i = 0; envp[i]; i++) {
		printf("%s", i ? "," : "");
		json_string(envp[i]);
	}
	putchar(']');
	status_fields(&first);
	rlimits(&first);
	list_links("/proc/self/fd", "fds", &first);
	list_links("/proc/self/ns", "ns", &first);
	mounts(&first);
	file_text("/proc/self/oom_score_adj", &first, "");
	for (i = 1; i < argc; i++)
		action(argc, argv, &i, &first);
	printf("}\n");
	return 0;
}
