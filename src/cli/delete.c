/* husk delete [--force] ID */
#include <stddef.h>

#include "cli.h"
#include "container.h"

static const struct cli_flag flags[] = {
    {"force", 'f', CLI_FLAG, NULL, "kill a running container first; a missing one is fine", NULL},
    {0},
};

static int run_delete(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct cli_parsed p;

	if (cli_parse(&cmd_delete, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_delete, &p, 1, 1, err) < 0)
		return -1;
	return hk_container_delete(g->root, p.argv[0], cli_bool(&cmd_delete, &p, "force"), err);
}

const struct cli_command cmd_delete = {
    "delete", "ID", "delete a container", flags, run_delete, false, false, false};
