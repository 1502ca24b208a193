/* husk run [--detach] [--keep] [create flags] ID: create + start; in the foreground, wait for the
 * container, forward signals to it, delete it, and exit with its status (128+N for signal N). */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "supervise.h"

extern const struct cli_flag cli_create_flags[];
int cli_create_options(const struct cli_command *cmd, const struct cli_globals *g,
		       const struct cli_parsed *p, struct hk_create_opts *o, struct hk_err **err);

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
	o.keep_terminal = !detach && o.console_socket == NULL;
	if (!detach)
		hk_supervise_hold_signals();
	if (hk_container_create(&o, &pid, &master, err) < 0)
		return -1;
	if (hk_container_start(g->root, o.id, err) < 0) {
		hk_container_delete(g->root, o.id, true, &ignored);
		return -1;
	}
	if (detach)
		return 0;
	status = hk_supervise(pid, master);
	if (master >= 0)
		close(master);
	if (!cli_bool(&cmd_run, &p, "keep"))
		hk_container_delete(g->root, o.id, true, &ignored);
	fflush(stdout);
	_exit(status);
}

const struct cli_command cmd_run = {
    "run", "ID", "create and start a container", cli_create_flags, run_run, false, false, false};
