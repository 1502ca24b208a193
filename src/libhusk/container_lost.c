/* delete --force of a container whose state.json is missing or damaged (killed husk, a full or
 * damaged state root): as runc does, the directory goes even then, after what can be found of
 * the container without its record is killed and removed:
 * - the processes that hold its exec.fifo (a pid 1 created and never started, or a create
 *   killed mid-way), found by a scan of /proc;
 * - the cgroup create would have made from the config it saved beside the record (or from the
 *   id alone), as far as it exists: every process in it is killed, then it is removed. */
#include "container_lost.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hk_format.h"
#include "cgroup/cgroup.h"
#include "fdio.h"
#include "state.h"

/* Whether one of pid's fds is the file at path. */
static bool holds(pid_t pid, const char *path)
{
	char dir[64], link[PATH_MAX + 64], target[PATH_MAX];
	struct dirent *e;
	bool found = false;
	ssize_t n;
	DIR *fds;

	if (hk_format(dir, sizeof(dir), "/proc/%d/fd", (int)pid) < 0)
		return false;
	fds = opendir(dir);
	if (fds == NULL)
		return false;
	while (!found && (e = readdir(fds)) != NULL) {
		if (hk_path_join(link, sizeof(link), dir, e->d_name) < 0)
			continue;
		n = readlink(link, target, sizeof(target) - 1);
		found = n > 0 && (target[n] = '\0', strcmp(target, path) == 0);
	}
	closedir(fds);
	return found;
}

static void kill_fifo_holders(const char *state_dir)
{
	char dir[PATH_MAX], fifo[PATH_MAX + 16];
	struct dirent *e;
	DIR *proc;

	if (realpath(state_dir, dir) == NULL ||
	    hk_path_join(fifo, sizeof(fifo), dir, "exec.fifo") < 0 ||
	    (proc = opendir("/proc")) == NULL)
		return;
	while ((e = readdir(proc)) != NULL) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid > 0 && pid != getpid() && holds(pid, fifo))
			kill(pid, SIGKILL);
	}
	closedir(proc);
}

static int remove_found_cgroup(const struct hk_container *c, const char *id, struct hk_err **err)
{
	struct oci_config_doc doc = {0};
	struct hk_cgroup cg;
	int ret;

	/* no saved config (create died before writing it, or no directory): the default path,
	 * the id */
	if (c == NULL || hk_store_load_config(c, &doc, NULL) < 0)
		doc.config = NULL;
	ret = hk_cg_find_existing(&cg, doc.config ? doc.config->linux : NULL, id, err);
	oci_config_doc_free(&doc);
	if (ret < 0 || cg.n == 0)
		return ret;
	return hk_cg_destroy(&cg, err); /* kills every process in it first */
}

int hk_container_delete_lost(const char *root, const char *id, struct hk_err **err)
{
	hk_cleanup_container struct hk_container c = {.dirfd = -1};

	if (hk_store_open_lost(root, id, &c, err) < 0) {
		if (*err != NULL && (*err)->errnum == ENOENT) {
			hk_err_freep(err);
			return 0; /* nothing there: a delete --force of nothing succeeds */
		}
		if (*err == NULL || (*err)->errnum != ELOOP)
			return -1;
		/* not a directory (a symlink put there): what the id names goes, then the entry */
		hk_err_freep(err);
		if (remove_found_cgroup(NULL, id, err) < 0)
			return hk_prefix(err, "container \"%s\" (its state is lost)", id);
		return hk_store_remove_entry(root, id, err);
	}
	kill_fifo_holders(c.path);
	if (remove_found_cgroup(&c, id, err) < 0)
		return hk_prefix(err, "container \"%s\" (its state is lost)", id);
	if (hk_store_remove(&c, err) < 0 && errno != ENOENT)
		return -1;
	hk_err_freep(err);
	return 0;
}
