#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
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
		return hk_fail(err, EACCES, "exec: \"%s\" is a directory", arg0);
	if (access(path, X_OK) < 0)
		return hk_fail(err, errno, "exec: \"%s\"", arg0);
	return 0;
}

int hk_process_find_exec(const struct oci_process *p, char *out, size_t size, struct hk_err **err)
{
	const char *arg0 = p->args.items[0], *dir = env_path(p);

	if (strchr(arg0, '/') != NULL) {
		if (hk_format(out, size, "%s", arg0) < 0)
			return hk_fail(err, ENAMETOOLONG, "exec: \"%s\"", arg0);
		return check_exec(out, arg0, err);
	}
	while (*dir) {
		size_t len = strcspn(dir, ":");
		struct stat st;

		if (hk_format(out, size, "%.*s/%s", (int)(len ? len : 1), len ? dir : ".", arg0) ==
			0 &&
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

	home[0] = '/'; /* size >= 2: the callers' */
	home[1] = '\0';
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
			if (hk_format(home, size, "%s", field[5]) < 0)
				home[1] = '\0', home[0] = '/';
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

/* The cwd is entered without following magic links: "/proc/self/fd/N" naming a directory fd of
 * the host's would otherwise put the program outside the rootfs (CVE-2024-21626). Tried as root,
 * then as the process's own user (spawn.c); create made it. */
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

/* process.cwd is made when missing, as root and before the rootfs may turn read-only, as runc
 * and crun do; exec's --cwd must exist. */
int hk_process_make_cwd(int rootfd, const struct oci_process *p, struct hk_err **err)
{
	hk_cleanup_close int fd = -1;

	if (hk_root_open(rootfd, p->cwd, HK_CREATE_DIR, 0, &fd, err) == 0)
		return 0;
	if ((*err)->errnum != ELOOP)
		return hk_prefix(err, "process.cwd");
	hk_err_freep(err);
	return hk_fail(err, 0, HK_CWD_MAGIC_LINK, p->cwd);
}
