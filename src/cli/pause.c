/* husk pause ID, husk resume ID: freeze and thaw every process of the container's cgroup. */
#include <stddef.h>

#include "cli.h"
#include "container_cgroup.h"

static int run_pause(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	return cli_run_on_id(&cmd_pause, g, argc, argv, hk_container_pause, err);
}

static int run_resume(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	return cli_run_on_id(&cmd_resume, g, argc, argv, hk_container_resume, err);
}

const struct cli_command cmd_pause = {
    "pause", "ID", "freeze a container's processes", NULL, run_pause, false, false, false};
const struct cli_command cmd_resume = {
    "resume", "ID", "thaw a paused container", NULL, run_resume, false, false, false};
