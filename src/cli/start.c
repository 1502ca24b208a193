/* husk start ID */
#include <stddef.h>

#include "cli.h"
#include "container.h"

static int run_start(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct cli_parsed p;

	if (cli_parse(&cmd_start, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_start, &p, 1, 1, err) < 0)
		return -1;
	return hk_container_start(g->root, p.argv[0], err);
}

const struct cli_command cmd_start = {
    "start", "ID", "start the process of a created container", NULL, run_start, false};
