/* husk exec [flags] ID [COMMAND...]: a new process in a running container. In the foreground
 * husk waits for it and exits with its status (128+N for signal N), proxying its terminal when
 * there is no console socket; --detach leaves it running, a child of the caller's subreaper.
 * husk's own failures exit 255, as runc's exec does, so they cannot pass for the process's. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "exec.h"
#include "fdio.h"
#include "log.h"
#include "supervise.h"

static const struct cli_flag flags[] = {
    {"process", 'p', CLI_VALUE, "FILE", "the process as a process.json (- for stdin)", NULL},
    {"detach", 'd', CLI_FLAG, NULL, "leave the process running and exit", NULL},
    {"pid-file", 0, CLI_VALUE, "FILE", "write the process's pid there (on success)", NULL},
    {"console-socket", 0, CLI_VALUE, "PATH", "send the pty master to this unix socket", NULL},
    {"pidfd-socket", 0, CLI_VALUE, "PATH", "send a pidfd of the process to this unix socket", NULL},
    {"tty", 't', CLI_FLAG, NULL, "give the process a terminal", NULL},
    {"cwd", 0, CLI_VALUE, "DIR", "working directory in the container", NULL},
    {"env", 'e', CLI_VALUE, "K=V", "set an environment variable (repeatable)", NULL},
    {"user", 'u', CLI_VALUE, "UID[:GID]", "run as this user", NULL},
    {"additional-gids", 'g', CLI_VALUE, "GID", "add a supplementary group (repeatable)", NULL},
    {"cap", 'c', CLI_VALUE, "CAP", "add a capability (repeatable)", NULL},
    {"no-new-privs", 0, CLI_FLAG, NULL, "set no_new_privs", NULL},
    {"preserve-fds", 0, CLI_VALUE, "N", "pass fds 3 .. 3+N-1 to the process", NULL},
    {"apparmor", 0, CLI_VALUE, "PROFILE", "AppArmor profile", NULL},
    {"process-label", 0, CLI_VALUE, "LABEL", "SELinux label", NULL},
    {"cgroup", 0, CLI_VALUE, "SUB", "a sub-cgroup of the container's (cgroup v2)", NULL},
    {"ignore-paused", 0, CLI_FLAG, NULL,
     "exec into a paused container too (the process starts frozen)", NULL},
    {0},
};

/* The values of a repeatable flag, NULL-terminated. */
static const char *const *all(const struct cli_parsed *p, const char *name, const char **buf)
{
	int i;
	unsigned k;

	for (i = 0; flags[i].name != NULL; i++)
		if (strcmp(flags[i].name, name) == 0)
			break;
	for (k = 0; k < p->nmulti[i]; k++)
		buf[k] = p->multi[i][k];
	buf[k] = NULL;
	return buf;
}

static int exec_options(const struct cli_globals *g, const struct cli_parsed *p,
			struct hk_exec_opts *o, const char **bufs[3], struct hk_err **err)
{
	const char *fds = cli_value(&cmd_exec, p, "preserve-fds");
	char *end;
	long n = 0;

	if (fds != NULL && ((n = strtol(fds, &end, 10)) < 0 || *end || n > 65536))
		return hk_fail(err, 0, "exec: --preserve-fds: expected a count, got \"%s\"", fds);
	if (cli_check_preserved_fds(&cmd_exec, g, n, err) < 0)
		return -1;
	*o = (struct hk_exec_opts){
	    .root = g->root,
	    .id = p->argv[0],
	    .process_file = cli_value(&cmd_exec, p, "process"),
	    .args = p->argv + 1,
	    .cwd = cli_value(&cmd_exec, p, "cwd"),
	    .user = cli_value(&cmd_exec, p, "user"),
	    .apparmor = cli_value(&cmd_exec, p, "apparmor"),
	    .process_label = cli_value(&cmd_exec, p, "process-label"),
	    .console_socket = cli_value(&cmd_exec, p, "console-socket"),
	    .cgroup = cli_value(&cmd_exec, p, "cgroup"),
	    .env = all(p, "env", bufs[0]),
	    .caps = all(p, "cap", bufs[1]),
	    .additional_gids = all(p, "additional-gids", bufs[2]),
	    .tty = cli_bool(&cmd_exec, p, "tty"),
	    .no_new_privs = cli_bool(&cmd_exec, p, "no-new-privs"),
	    .ignore_paused = cli_bool(&cmd_exec, p, "ignore-paused"),
	    .preserve_fds = (int)n,
	    .reexec_argv = g->argv,
	};
	if (o->process_file != NULL && p->argc > 1)
		return hk_fail(err, 0, "exec: give a command or --process, not both");
	return 0;
}

static int exec_and_wait(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	const char *env[CLI_MAX_REPEAT + 1], *caps[CLI_MAX_REPEAT + 1], *gids[CLI_MAX_REPEAT + 1];
	const char **bufs[3] = {env, caps, gids};
	const char *pid_file, *pidfd_socket;
	struct hk_exec_opts o;
	struct cli_parsed p;
	int master, status;
	bool detach;
	pid_t pid;

	if (cli_parse(&cmd_exec, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_exec, &p, 1, 1 << 20, err) < 0 ||
	    exec_options(g, &p, &o, bufs, err) < 0)
		return -1;
	detach = cli_bool(&cmd_exec, &p, "detach");
	o.keep_terminal = !detach && o.console_socket == NULL;
	if (!detach)
		hk_supervise_hold_signals();
	if (hk_container_exec(&o, &pid, &master, err) < 0)
		return -1;
	pid_file = cli_value(&cmd_exec, &p, "pid-file");
	pidfd_socket = cli_value(&cmd_exec, &p, "pidfd-socket");
	if ((pidfd_socket != NULL && hk_pidfd_send(pidfd_socket, pid, err) < 0) ||
	    (pid_file != NULL && hk_write_pid_file(pid_file, pid, err) < 0)) {
		kill(pid, SIGKILL);
		return -1;
	}
	if (detach)
		return 0;
	status = hk_supervise(pid, master);
	fflush(stdout);
	_exit(status);
}

static int run_exec(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	if (exec_and_wait(g, argc, argv, err) == 0)
		return 0;
	hk_log_failure(*err != NULL ? (*err)->msg : "exec failed");
	_exit(255);
}

const struct cli_command cmd_exec = {
    "exec", "ID [COMMAND...]", "run a process in a container", flags, run_exec, false, false, true};
