/* husk start ID */
#include <stddef.h>

#include "cli.h"
#include "container.h"

static int run_start(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	return cli_run_on_id(&cmd_start, g, argc, argv, hk_container_start, err);
}

const struct cli_command cmd_start = {
    "start", "ID", "start the process of a created container", NULL, run_start, false,
    false,   false};
