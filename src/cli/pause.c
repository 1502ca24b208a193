/* husk pause ID, husk resume ID: freeze and thaw every process of the container's cgroup. */
#include "cli.h"
#include "control.h"

static int run_pause(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct cli_parsed p;

	if (cli_parse(&cmd_pause, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_pause, &p, 1, 1, err) < 0)
		return -1;
	return hk_container_pause(g->root, p.argv[0], err);
}

static int run_resume(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct cli_parsed p;

	if (cli_parse(&cmd_resume, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_resume, &p, 1, 1, err) < 0)
		return -1;
	return hk_container_resume(g->root, p.argv[0], err);
}

const struct cli_command cmd_pause = {"pause", "ID",	  "freeze a container's processes",
				      NULL,    run_pause, false};
const struct cli_command cmd_resume = {"resume", "ID",	     "thaw a paused container",
				       NULL,	 run_resume, false};
