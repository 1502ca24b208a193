/* The command table: `husk --help` and dispatch both read it. */
#include <stddef.h>

#include "cli.h"

/* Commands of the lifecycle that later work implements; each fails plainly until then
 * (containerd probes `checkpoint --help` and must see it fail). */
#define LATER(var, cname, cargs, csummary)                                                         \
	static const struct cli_command var = {cname, cargs, csummary, NULL, NULL, true, false}

LATER(cmd_checkpoint, "checkpoint", "ID", "checkpoint a container");
LATER(cmd_restore, "restore", "ID", "restore a container from a checkpoint");

const struct cli_command *const cli_commands[] = {
    &cmd_create, &cmd_start, &cmd_run,	    &cmd_kill,	     &cmd_delete,  &cmd_state,
    &cmd_list,	 &cmd_exec,  &cmd_ps,	    &cmd_pause,	     &cmd_resume,  &cmd_update,
    &cmd_events, &cmd_spec,  &cmd_features, &cmd_checkpoint, &cmd_restore, NULL,
};
