#include "idmap_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "namespaces.h"
#include "procfs.h"

/* A mapping this process may write itself: root, or one line of its own id. */
static bool writable(const struct oci_id_mapping *m, size_t n, unsigned own)
{
	return geteuid() == 0 || (n == 1 && m[0].size.value == 1 && m[0].host_id.value == own);
}

void hk_idmap_write_how(const struct oci_linux *l, bool *uid_helper, bool *gid_helper)
{
	*uid_helper = !writable(l->uid_mappings.items, l->uid_mappings.len, geteuid());
	*gid_helper = !writable(l->gid_mappings.items, l->gid_mappings.len, getegid());
}

static int write_map(pid_t pid, const char *file, const char *field, const struct oci_id_mapping *m,
		     size_t n, struct hk_err **err)
{
	char map[8192], rel[64];

	if (hk_ns_id_map_text(m, n, map, sizeof(map)) < 0)
		return hk_fail(err, E2BIG, "%s: more lines than a %s holds", field, file);
	if (hk_format(rel, sizeof(rel), "%d/%s", (int)pid, file) < 0)
		return hk_fail(err, errno, "%s: /proc/%d/%s", field, (int)pid, file);
	if (hk_proc_write(rel, map, err) < 0)
		return hk_prefix(err, "%s", field);
	return 0;
}

/* The helper's own words, its first line, for the one line husk prints. */
static void read_reason(int fd, char *out, size_t size)
{
	ssize_t n, used = 0;

	while ((size_t)used < size - 1 && (n = read(fd, out + used, size - 1 - (size_t)used)) > 0)
		used += n;
	out[used > 0 ? used : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static char **helper_argv(const char *helper, pid_t pid, const struct oci_id_mapping *m, size_t n,
			  char *text, size_t size)
{
	char **argv = calloc(3 * n + 3, sizeof(char *));
	size_t i, j, used = 0, k = 0;

	if (argv == NULL)
		return NULL;
	argv[k++] = (char *)helper;
	argv[k++] = text;
	if (hk_format(text, size, "%d", (int)pid) < 0)
		goto too_long;
	used += strlen(text) + 1;
	for (i = 0; i < n; i++) {
		unsigned v[3] = {m[i].container_id.value, m[i].host_id.value, m[i].size.value};

		for (j = 0; j < 3; j++) {
			argv[k++] = text + used;
			if (used >= size || hk_format(text + used, size - used, "%u", v[j]) < 0)
				goto too_long;
			used += strlen(text + used) + 1;
		}
	}
	return argv;
too_long:
	free(argv);
	return NULL;
}

/* newuidmap PID ID LOWER COUNT...; a refusal is one line with the helper's reason. */
static int run_helper(const char *helper, pid_t pid, const char *field,
		      const struct oci_id_mapping *m, size_t n, struct hk_err **err)
{
	char text[64 * 3 * 12 + 16], reason[512];
	hk_cleanup_free char **argv = NULL;
	hk_cleanup_close_pair int pipefd[2] = {-1, -1};
	int status = 0;
	pid_t child;

	if (n > 64 || (argv = helper_argv(helper, pid, m, n, text, sizeof(text))) == NULL)
		return hk_fail(err, E2BIG, "%s: too many lines for %s", field, helper);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return hk_fail(err, errno, "%s: pipe", field);
	child = fork();
	if (child == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		execvp(helper, argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	pipefd[1] = hk_safe_close(pipefd[1]);
	read_reason(pipefd[0], reason, sizeof(reason));
	pipefd[0] = hk_safe_close(pipefd[0]);
	if (child < 0 || waitpid(child, &status, 0) < 0)
		return hk_fail(err, errno, "%s: run %s", field, helper);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return hk_fail(err, 0,
			       "%s: %s not found on PATH (Debian's uidmap package): needed for a "
			       "mapping other than your own id",
			       field, helper);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
		return hk_fail(err, EACCES, "%s: run %s", field, helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return hk_fail(err, 0, "%s: %s refused the mapping (/etc/subuid, /etc/subgid): %s",
			       field, helper, reason[0] ? reason : "no reason given");
	return 0;
}

int hk_idmap_write(pid_t pid, const struct oci_linux *l, struct hk_err **err)
{
	bool uid_helper, gid_helper;
	char rel[64];

	hk_idmap_write_how(l, &uid_helper, &gid_helper);
	if (uid_helper ? run_helper("newuidmap", pid, "linux.uidMappings", l->uid_mappings.items,
				    l->uid_mappings.len, err)
		       : write_map(pid, "uid_map", "linux.uidMappings", l->uid_mappings.items,
				   l->uid_mappings.len, err))
		return -1;
	if (gid_helper)
		return run_helper("newgidmap", pid, "linux.gidMappings", l->gid_mappings.items,
				  l->gid_mappings.len, err);
	/* without CAP_SETGID the kernel takes a gid_map only once setgroups is denied */
	if (hk_format(rel, sizeof(rel), "%d/setgroups", (int)pid) < 0)
		return hk_fail(err, errno, "linux.gidMappings: /proc/%d/setgroups", (int)pid);
	if (geteuid() != 0 && hk_proc_write(rel, "deny", err) < 0)
		return hk_prefix(err, "linux.gidMappings");
	return write_map(pid, "gid_map", "linux.gidMappings", l->gid_mappings.items,
			 l->gid_mappings.len, err);
}
