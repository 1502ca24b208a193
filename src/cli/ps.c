/* husk ps [--format table|json] ID [PS_ARGS...]: the container's processes, from its cgroup.
 * json prints the host pids; table runs ps(1) (with PS_ARGS, default -ef) and keeps its header
 * and the lines whose PID column is one of them, as runc does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk_format.h"
#include "cli.h"
#include "fdio.h"
#include "container_cgroup.h"

static const struct cli_flag flags[] = {
    {"format", 'f', CLI_VALUE, "FORMAT", "table or json (default table)", "table json"},
    {0},
};

static bool listed(const pid_t *pids, size_t n, long pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* The index of the PID column in ps's header. */
static int pid_column(const char *header)
{
	char copy[4096], *save = NULL, *word;
	int i = 0;

	if (hk_format(copy, sizeof(copy), "%s", header) < 0)
		return -1;
	for (word = strtok_r(copy, " \t\n", &save); word;
	     word = strtok_r(NULL, " \t\n", &save), i++)
		if (strcmp(word, "PID") == 0)
			return i;
	return -1;
}

static long column(const char *line, int index)
{
	char copy[4096], *save = NULL, *word = NULL;
	int i;

	if (hk_format(copy, sizeof(copy), "%s", line) < 0)
		return -1;
	word = strtok_r(copy, " \t\n", &save);
	for (i = 0; word != NULL && i < index; i++)
		word = strtok_r(NULL, " \t\n", &save);
	return word ? strtol(word, NULL, 10) : -1;
}

static int ps_table(char **args, int nargs, const pid_t *pids, size_t n, struct hk_err **err)
{
	char *argv[64] = {"ps", "-ef"}, line[4096];
	hk_cleanup_close_pair int fds[2] = {-1, -1};
	int col = -1, status, i;
	pid_t child;
	FILE *out;

	for (i = 0; i < nargs && i < 62; i++)
		argv[1 + i] = args[i];
	if (nargs > 0)
		argv[1 + i] = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0 || (child = fork()) < 0)
		return hk_fail(err, errno, "ps");
	if (child == 0) {
		dup2(fds[1], 1); /* both ends close on exec */
		execvp("ps", argv);
		_exit(127);
	}
	fds[1] = hk_safe_close(fds[1]);
	out = fdopen(fds[0], "r");
	if (out != NULL)
		fds[0] = -1; /* the stream's now */
	while (out != NULL && fgets(line, sizeof(line), out)) {
		if (col < 0) {
			col = pid_column(line);
			fputs(line, stdout);
		} else if (listed(pids, n, column(line, col))) {
			fputs(line, stdout);
		}
	}
	if (out != NULL)
		fclose(out);
	waitpid(child, &status, 0);
	if (col < 0)
		return hk_fail(err, 0, "ps %s: no PID column in its output",
			       argv[1] ? argv[1] : "");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : hk_fail(err, 0, "ps failed");
}

static int run_ps(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	const char *format;
	struct cli_parsed p;
	pid_t *pids = NULL;
	size_t n = 0, i;
	int ret;

	if (cli_parse(&cmd_ps, argc, argv, &p, err) < 0 || cli_expect_args(&cmd_ps, &p, 1, 64, err))
		return -1;
	format = cli_value(&cmd_ps, &p, "format");
	if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
		return hk_fail(err, 0, "ps: --format: expected table or json, got \"%s\"", format);
	if (hk_container_pids(g->root, p.argv[0], &pids, &n, err) < 0)
		return -1;
	if (format != NULL && strcmp(format, "json") == 0) {
		printf("[");
		for (i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		ret = fflush(stdout) == 0 ? 0 : hk_fail(err, errno, "write");
	} else {
		ret = ps_table(p.argv + 1, p.argc - 1, pids, n, err);
	}
	free(pids);
	return ret;
}

const struct cli_command cmd_ps = {
    "ps", "ID [PS_ARGS...]", "list a container's processes", flags, run_ps, false, false, true};
