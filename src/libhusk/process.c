#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "inroot.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_path(const struct oci_process *p)
{
	size_t i;

	for (i = 0; i < p->env.len; i++)
		if (strncmp(p->env.items[i], "PATH=", 5) == 0)
			return p->env.items[i] + 5;
	return DEFAULT_PATH;
}

static int check_exec(const char *path, const char *arg0, struct hk_err **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return hk_fail(err, errno, "exec: \"%s\"", arg0);
	if (S_ISDIR(st.st_mode))
		return hk_fail(err, EACCES, "exec: \"%s\": is a directory, so", arg0);
	if (access(path, X_OK) < 0)
		return hk_fail(err, errno, "exec: \"%s\"", arg0);
	return 0;
}

int hk_process_find_exec(const struct oci_process *p, char *out, size_t size, struct hk_err **err)
{
	const char *arg0 = p->args.items[0], *dir = env_path(p);

	if (strchr(arg0, '/') != NULL) {
		if ((size_t)snprintf(out, size, "%s", arg0) >= size)
			return hk_fail(err, ENAMETOOLONG, "exec: \"%s\"", arg0);
		return check_exec(out, arg0, err);
	}
	while (*dir) {
		size_t len = strcspn(dir, ":");
		struct stat st;

		if ((size_t)snprintf(out, size, "%.*s%s%s", (int)len, len ? dir : ".", "/", arg0) <
			size &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		dir += len + (dir[len] == ':');
	}
	return hk_fail(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
}

/* The home of uid in the container's /etc/passwd; a FIFO or device planted there must not
 * block or feed husk, so only a regular file is read, and at most 1 MiB of it. */
static void passwd_home(uid_t uid, char *home, size_t size)
{
	int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	char *line = NULL;
	size_t cap = 0, total = 0;
	struct stat st;
	ssize_t n;
	FILE *f;

	snprintf(home, size, "/");
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (f = fdopen(fd, "r")) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0 && (total += (size_t)n) < (1u << 20)) {
		char *field[7], *cur = line;
		size_t i;

		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < 7; i++)
			field[i] = strsep(&cur, ":");
		if (field[5] != NULL && field[5][0] != '\0' && field[2][0] != '\0' &&
		    strtoul(field[2], NULL, 10) == uid) {
			snprintf(home, size, "%s", field[5]);
			break;
		}
	}
	free(line);
	fclose(f);
}

char **hk_process_env(const struct oci_process *p)
{
	char home[4096], **env;
	size_t i;

	for (i = 0; i < p->env.len; i++)
		if (strncmp(p->env.items[i], "HOME=", 5) == 0)
			return p->env.items;
	passwd_home(p->user ? p->user->uid.value : 0, home, sizeof(home));
	env = calloc(p->env.len + 2, sizeof(*env));
	if (env == NULL || asprintf(&env[p->env.len], "HOME=%s", home) < 0)
		return p->env.items;
	memcpy(env, p->env.items, p->env.len * sizeof(*env));
	return env;
}

int hk_process_set_rlimits(const struct oci_process *p, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < p->rlimits.len; i++) {
		const struct oci_rlimit *r = &p->rlimits.items[i];
		struct rlimit lim = {.rlim_cur = r->soft.value, .rlim_max = r->hard.value};

		if (setrlimit((__rlimit_resource_t)r->type.value, &lim) < 0)
			return hk_fail(
			    err, errno, "process.rlimits[%zu]: setrlimit %s soft %llu hard %llu", i,
			    oci_name_of(&oci_rlimit_types, r->type.value),
			    (unsigned long long)r->soft.value, (unsigned long long)r->hard.value);
	}
	return 0;
}

struct sched_attr_v1 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static int set_scheduler(const struct oci_scheduler *s, struct hk_err **err)
{
	struct sched_attr_v1 attr = {.size = sizeof(attr),
				     .sched_policy = (uint32_t)s->policy.value,
				     .sched_nice = s->nice.value,
				     .sched_priority = (uint32_t)s->priority.value,
				     .sched_runtime = s->runtime.value,
				     .sched_deadline = s->deadline.value,
				     .sched_period = s->period.value};
	size_t i;

	for (i = 0; i < s->flags.len; i++)
		attr.sched_flags |=
		    (uint64_t)oci_name_find(&oci_sched_flags, s->flags.items[i])->value;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return hk_fail(err, errno, "process.scheduler: sched_setattr");
	return 0;
}

int hk_process_set_scheduling(const struct oci_config *c, struct hk_err **err)
{
	const struct oci_process *p = c->process;

	if (c->linux != NULL && c->linux->personality != NULL &&
	    personality((unsigned long)c->linux->personality->domain.value) < 0)
		return hk_fail(err, errno, "linux.personality");
	if (p->io_priority != NULL) {
		int prio = (p->io_priority->class.value << 13) | p->io_priority->priority.value;

		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
			return hk_fail(err, errno, "process.ioPriority");
	}
	return p->scheduler != NULL ? set_scheduler(p->scheduler, err) : 0;
}

/* The cwd is entered without following magic links: "/proc/self/fd/N" naming a directory fd of
 * the host's would otherwise put the program outside the rootfs (CVE-2024-21626). It is entered
 * with the process's own uid, so the kernel checks its search permission; create made it. */
int hk_process_enter_cwd(const struct oci_process *p, struct hk_err **err)
{
	int fd = hk_path_open(p->cwd, O_PATH | O_DIRECTORY, 0), ret;

	ret = fd < 0 ? -1 : fchdir(fd);
	if (ret < 0 && errno == ELOOP)
		ret = hk_fail(err, 0, HK_CWD_MAGIC_LINK, p->cwd);
	else if (ret < 0)
		ret = hk_fail(err, errno, "process.cwd: chdir \"%s\"", p->cwd);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int set_ids(const struct oci_process *p, bool in_userns, struct hk_err **err)
{
	uid_t uid = p->user ? p->user->uid.value : 0;
	gid_t gid = p->user ? p->user->gid.value : 0;
	const struct oci_u32v *groups = p->user ? &p->user->additional_gids : NULL;

	if (groups != NULL && groups->len > 0) {
		if (setgroups(groups->len, groups->items) < 0)
			return hk_fail(err, errno, "process.user.additionalGids: setgroups");
	} else if (setgroups(0, NULL) < 0 && !(in_userns && errno == EPERM)) {
		return hk_fail(err, errno, "setgroups");
	}
	if (setresgid(gid, gid, gid) < 0)
		return hk_fail(err, errno, "process.user.gid: setgid %u", gid);
	if (setresuid(uid, uid, uid) < 0)
		return hk_fail(err, errno, "process.user.uid: setuid %u", uid);
	return 0;
}

int hk_process_set_ids(const struct oci_process *p, bool in_userns, struct hk_err **err)
{
	if (hk_caps_limit_bounding(p->capabilities, err) < 0)
		return hk_prefix(err, "process.capabilities.bounding");
	/* keep the permitted set across setuid, so that the configured one can be set after it */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return hk_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (set_ids(p, in_userns, err) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return hk_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (p->no_new_privileges.value && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hk_fail(err, errno, "process.noNewPrivileges");
	umask(p->user && p->user->umask.set ? p->user->umask.value : 022);
	return 0;
}
