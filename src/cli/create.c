/* husk create [--bundle B] [--pid-file P] [--console-socket S] [--no-pivot] [--no-new-keyring]
 *             [--preserve-fds N] ID */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"

const struct cli_flag cli_create_flags[] = {
    {"bundle", 'b', CLI_VALUE, "DIR", "the bundle (default: .)", NULL},
    {"pid-file", 0, CLI_VALUE, "FILE", "write the container's host pid there", NULL},
    {"console-socket", 0, CLI_VALUE, "PATH", "unix socket that receives the pty master", NULL},
    {"pidfd-socket", 0, CLI_VALUE, "PATH", "unix socket that receives a pidfd of the process",
     NULL},
    {"no-pivot", 0, CLI_FLAG, NULL, "MS_MOVE and chroot instead of pivot_root", NULL},
    {"no-new-keyring", 0, CLI_FLAG, NULL, "keep the caller's session keyring", NULL},
    {"preserve-fds", 0, CLI_VALUE, "N", "pass fds 3 to 3+N-1 to the process", NULL},
    {"detach", 'd', CLI_FLAG, NULL, "(run) do not wait for the container", NULL},
    {"keep", 0, CLI_FLAG, NULL, "(run) keep the container after it exits", NULL},
    {0},
};

/* systemd socket activation, as runc honours it: LISTEN_FDS for this process (LISTEN_PID, when
 * set, must be ours). */
static int listen_fds(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	long n;

	if (fds == NULL || (pid != NULL && atol(pid) != (long)getpid()))
		return 0;
	n = atol(fds);
	return n > 0 && n < 65536 ? (int)n : 0;
}

int cli_check_preserved_fds(const struct cli_command *cmd, const struct cli_globals *g, long n,
			    struct hk_err **err)
{
	if (n <= 0 || 3 + n <= g->first_free_fd)
		return 0;
	return hk_fail(err, 0, "%s: --preserve-fds %ld: fd %d is not open", cmd->name, n,
		       g->first_free_fd);
}

int cli_create_options(const struct cli_command *cmd, const struct cli_globals *g,
		       const struct cli_parsed *p, struct hk_create_opts *o, struct hk_err **err)
{
	const char *fds = cli_value(cmd, p, "preserve-fds");
	char *end;
	long n = 0;

	if (fds != NULL) {
		n = strtol(fds, &end, 10);
		if (*end != '\0' || n < 0 || n > 65536)
			return hk_fail(err, 0, "%s: --preserve-fds: expected a count, got \"%s\"",
				       cmd->name, fds);
	}
	if (cli_check_preserved_fds(cmd, g, listen_fds() + n, err) < 0)
		return -1;
	*o = (struct hk_create_opts){
	    .listen_fds = listen_fds(),
	    .systemd_cgroup = g->systemd_cgroup,
	    .root = g->root,
	    .id = p->argv[0],
	    .bundle = cli_value(cmd, p, "bundle"),
	    .pid_file = cli_value(cmd, p, "pid-file"),
	    .console_socket = cli_value(cmd, p, "console-socket"),
	    .pidfd_socket = cli_value(cmd, p, "pidfd-socket"),
	    .preserve_fds = (int)n,
	    .no_pivot = cli_bool(cmd, p, "no-pivot"),
	    .no_new_keyring = cli_bool(cmd, p, "no-new-keyring"),
	    .reexec_argv = g->argv,
	};
	return 0;
}

static int run_create(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct hk_create_opts o;
	struct cli_parsed p;
	pid_t pid;
	int master;

	if (cli_parse(&cmd_create, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_create, &p, 1, 1, err) < 0 ||
	    cli_create_options(&cmd_create, g, &p, &o, err) < 0)
		return -1;
	if (hk_container_create(&o, &pid, &master, err) < 0)
		return -1;
	return 0;
}

const struct cli_command cmd_create = {
    "create", "ID", "create a container from a bundle", cli_create_flags, run_create, false,
    false,    false};
