/* husk kill [--all] ID [SIGNAL] */
#include <signal.h>

#include "cli.h"
#include "container.h"
#include "signals.h"

static const struct cli_flag flags[] = {
    {"all", 'a', CLI_FLAG, NULL, "signal every process of the container", NULL},
    {0},
};

static int run_kill(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct cli_parsed p;
	int sig = SIGTERM;

	if (cli_parse(&cmd_kill, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_kill, &p, 1, 2, err) < 0)
		return -1;
	if (p.argc == 2 && hk_signal_parse(p.argv[1], &sig, err) < 0)
		return -1;
	return hk_container_kill(g->root, p.argv[0], sig, cli_bool(&cmd_kill, &p, "all"), err);
}

const struct cli_command cmd_kill = {
    "kill", "ID [SIGNAL]", "send a signal (default TERM) to a container's process",
    flags,  run_kill,	   false,
    false,  false};
