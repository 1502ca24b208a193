/* husk run [--detach] [--keep] [create flags] ID: create + start; in the foreground, wait for the
 * container, forward signals to it, delete it, and exit with its status (128+N for signal N). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"

extern const struct cli_flag cli_create_flags[];
int cli_create_options(const struct cli_command *cmd, const struct cli_globals *g,
		       const struct cli_parsed *p, struct hk_create_opts *o, struct hk_err **err);

static const int forwarded[] = {SIGHUP,	 SIGINT,  SIGQUIT, SIGTERM,  SIGUSR1,
				SIGUSR2, SIGPIPE, SIGALRM, SIGWINCH, SIGCONT};

/* Waits for pid while passing on the signals husk receives; returns the shell-style status. */
static int wait_forwarding(pid_t pid)
{
	sigset_t set;
	size_t i;
	int status = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		siginfo_t info;
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			break;
		if (got < 0 && errno != EINTR)
			return 255;
		if (sigwaitinfo(&set, &info) > 0 && info.si_signo != SIGCHLD)
			kill(pid, info.si_signo);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int run_run(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	hk_cleanup_err struct hk_err *ignored = NULL;
	struct hk_create_opts o;
	struct cli_parsed p;
	pid_t pid;
	int master, status;
	bool detach;

	if (cli_parse(&cmd_run, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_run, &p, 1, 1, err) < 0 ||
	    cli_create_options(&cmd_run, g, &p, &o, err) < 0)
		return -1;
	detach = cli_bool(&cmd_run, &p, "detach");
	/* signals that arrive between create and the wait are held, not lost */
	if (hk_container_create(&o, &pid, &master, err) < 0)
		return -1;
	if (hk_container_start(g->root, o.id, err) < 0) {
		hk_container_delete(g->root, o.id, true, &ignored);
		return -1;
	}
	if (detach)
		return 0;
	status = wait_forwarding(pid);
	if (!cli_bool(&cmd_run, &p, "keep"))
		hk_container_delete(g->root, o.id, true, &ignored);
	fflush(stdout);
	_exit(status);
}

const struct cli_command cmd_run = {"run",   "ID", "create and start a container", cli_create_flags,
				    run_run, false};
