/* The command table: `husk --help` and dispatch both read it. */
#include <stddef.h>

#include "cli.h"

const struct cli_command *const cli_commands[] = {
    &cmd_create, &cmd_start, &cmd_run,	    &cmd_kill,	     &cmd_delete,  &cmd_state,
    &cmd_list,	 &cmd_exec,  &cmd_ps,	    &cmd_pause,	     &cmd_resume,  &cmd_update,
    &cmd_events, &cmd_spec,  &cmd_features, &cmd_checkpoint, &cmd_restore, NULL,
};
