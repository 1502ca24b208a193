/* husk restore [flags] ID: a container made from --bundle whose processes CRIU restores from
 * --image-path. In the foreground husk waits for it, deletes it and exits with its status, as
 * `run` does; --detach leaves it running. */
#include <stdio.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "container.h"
#include "supervise.h"

static const struct cli_flag flags[] = {
    {"image-path", 0, CLI_VALUE, "DIR", "the checkpoint's images (default: ./checkpoint)", NULL},
    {"work-path", 0, CLI_VALUE, "DIR", "criu's logs and work files (default: the image path)",
     NULL},
    {"bundle", 'b', CLI_VALUE, "DIR", "the bundle (default: .)", NULL},
    {"detach", 'd', CLI_FLAG, NULL, "do not wait for the container", NULL},
    {"pid-file", 0, CLI_VALUE, "FILE", "write the restored pid 1's host pid there", NULL},
    {"console-socket", 0, CLI_VALUE, "PATH", "unix socket that receives the pty master", NULL},
    {"no-pivot", 0, CLI_FLAG, NULL, "accepted for runc's sake: criu makes the root", NULL},
    {"no-subreaper", 0, CLI_FLAG, NULL, "accepted for runc's sake", NULL},
    {"tcp-established", 0, CLI_FLAG, NULL, "restore established TCP connections", NULL},
    {"ext-unix-sk", 0, CLI_FLAG, NULL, "allow external unix sockets", NULL},
    {"shell-job", 0, CLI_FLAG, NULL, "allow a shell job (a terminal from outside)", NULL},
    {"file-locks", 0, CLI_FLAG, NULL, "restore file locks", NULL},
    {"manage-cgroups-mode", 0, CLI_VALUE, "MODE", "soft, full, strict or ignore (default soft)",
     "soft full strict ignore"},
    {"lsm-profile", 0, CLI_VALUE, "TYPE:NAME", "the LSM profile to restore with", NULL},
    {"lsm-mount-context", 0, CLI_VALUE, "CONTEXT", "the SELinux mount context", NULL},
    {0},
};

static int run_restore(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	hk_cleanup_err struct hk_err *ignored = NULL;
	struct hk_restore_opts o;
	struct cli_parsed p;
	pid_t pid;
	int status;

	if (cli_parse(&cmd_restore, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_restore, &p, 1, 1, err) < 0)
		return -1;
	o = (struct hk_restore_opts){
	    .root = g->root,
	    .id = p.argv[0],
	    .bundle = cli_value(&cmd_restore, &p, "bundle"),
	    .pid_file = cli_value(&cmd_restore, &p, "pid-file"),
	    .console_socket = cli_value(&cmd_restore, &p, "console-socket"),
	    .lsm_profile = cli_value(&cmd_restore, &p, "lsm-profile"),
	    .lsm_mount_context = cli_value(&cmd_restore, &p, "lsm-mount-context"),
	    .detach = cli_bool(&cmd_restore, &p, "detach"),
	    .no_pivot = cli_bool(&cmd_restore, &p, "no-pivot"),
	    .systemd_cgroup = g->systemd_cgroup,
	};
	cli_criu_flags(&cmd_restore, &p, &o.criu);
	if (!o.detach)
		hk_supervise_hold_signals();
	if (hk_container_restore(&o, &pid, err) < 0)
		return -1;
	if (o.detach)
		return 0;
	status = hk_supervise(pid, -1);
	hk_container_delete(g->root, o.id, true, &ignored);
	fflush(stdout);
	_exit(status);
}

const struct cli_command cmd_restore = {
    "restore", "ID", "restore a container from a CRIU checkpoint", flags, run_restore, false,
    false,     false};
