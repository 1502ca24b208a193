/* Processes and a cgroup: moving in (by cgroup.procs or tasks, or through an entry file opened
 * beforehand), listing them, freezing and signalling them. Knows no driver: a driver's freeze
 * and is_frozen are passed in where a helper needs them. */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hk_format.h"

void hk_cg_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int hk_cg_open_entry(const struct hk_cg_dir *d, const char *file, const char **failed)
{
	char path[sizeof(d->path) + 16];
	int fd;

	fd = hk_path_join(path, sizeof(path), d->path, file) < 0 ? -1
								 : open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		*failed = d->path;
	return fd;
}

/* "0" into an entry file hk_cg_open_entry opened, which is closed; errno kept on failure. */
static int enter_by_fd(int fd)
{
	int e = write(fd, "0", 1) == 1 ? 0 : errno ? errno : EIO;

	close(fd);
	errno = e;
	return e ? -1 : 0;
}

int hk_cg_enter_file(const struct hk_cg_dir *d, const char *file, const char **failed)
{
	int fd = hk_cg_open_entry(d, file, failed);

	if (fd < 0)
		return -1;
	if (enter_by_fd(fd) < 0) {
		*failed = d->path;
		return -1;
	}
	return 0;
}

int hk_cg_enter_procs(const struct hk_cgroup *cg, bool born_in, int *memory_fd, const char **failed)
{
	size_t i;

	(void)memory_fd; /* no v1 memory hierarchy: hk_cg_enter_self left it -1 */
	for (i = 0; !born_in && cg != NULL && i < cg->n; i++)
		if (hk_cg_enter_file(&cg->dirs[i], "cgroup.procs", failed) < 0)
			return -1;
	return 0;
}

int hk_cg_pids(const struct hk_cgroup *cg, pid_t **pids, size_t *n, struct hk_err **err)
{
	char path[PATH_MAX + 16];
	size_t cap = 16;
	FILE *f;
	int pid;

	*n = 0;
	*pids = NULL;
	if (cg->n == 0)
		return 0;
	if (hk_path_join(path, sizeof(path), cg->dirs[0].path, "cgroup.procs") < 0)
		return hk_fail(err, errno, "read %s", cg->dirs[0].path);
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : hk_fail(err, errno, "read %s", path);
	*pids = malloc(cap * sizeof(pid_t));
	while (*pids != NULL && fscanf(f, "%d", &pid) == 1) {
		if (*n == cap) {
			pid_t *more = realloc(*pids, (cap *= 2) * sizeof(pid_t));

			if (more == NULL) {
				free(*pids);
				*pids = NULL;
				break;
			}
			*pids = more;
		}
		(*pids)[(*n)++] = pid;
	}
	fclose(f);
	return *pids == NULL ? hk_fail(err, ENOMEM, "read %s", path) : 0;
}

bool hk_cg_empty(const struct hk_cgroup *cg)
{
	char text[256];
	size_t i;

	for (i = 0; i < cg->n; i++) {
		/* v2 counts the whole subtree ("populated"); v1 has no such file */
		if (cg->dirs[i].v2 &&
			    hk_cg_read(&cg->dirs[i], "cgroup.events", text, sizeof(text)) > 0
			? strstr(text, "populated 1") != NULL
			: hk_cg_read(&cg->dirs[i], "cgroup.procs", text, sizeof(text)) > 0)
			return false;
	}
	return true;
}

int hk_cg_enter_memory(int *memory_fd)
{
	int fd = *memory_fd;

	*memory_fd = -1;
	return fd < 0 ? 0 : enter_by_fd(fd);
}

int hk_cg_set_frozen(const struct hk_cgroup *cg, const struct hk_cg_dir *d,
		     const struct hk_cg_freezer *f, bool frozen,
		     int (*is_frozen)(const struct hk_cgroup *cg), struct hk_err **err)
{
	const char *word = frozen ? f->freeze : f->thaw;
	int waited;

	if (hk_cg_write(d, f->file, word, err) < 0)
		return -1;
	for (waited = 0; waited < 10000; waited += 2) {
		if (is_frozen(cg) == (int)frozen)
			return 0;
		if (frozen && f->rewrite)
			hk_cg_write(d, f->file, word, NULL);
		hk_cg_sleep_ms(2);
	}
	if (frozen)
		hk_cg_write(d, f->file, f->thaw, NULL);
	return hk_fail(err, ETIMEDOUT, "cgroup %s: %s", d->path, frozen ? "freeze" : "thaw");
}

/* Frozen, nothing forks between reading the list and the signal arriving; a v1 process dies of
 * SIGKILL only once thawed, so a paused cgroup is thawed after too. */
int hk_cg_signal_listed(const struct hk_cgroup *cg, int sig, const struct hk_cgroup_driver *ops,
			struct hk_err **err)
{
	int was_frozen = ops->is_frozen(cg);
	bool frozen = false;
	pid_t *pids;
	size_t n, i;

	if (sig == SIGKILL && was_frozen == 0)
		frozen = ops->freeze(cg, true, NULL) == 0;
	if (hk_cg_pids(cg, &pids, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		kill(pids[i], sig);
	free(pids);
	if (frozen || (sig == SIGKILL && was_frozen == 1))
		ops->freeze(cg, false, NULL);
	return 0;
}
