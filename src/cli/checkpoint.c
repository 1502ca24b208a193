/* husk checkpoint [flags] ID: the container's process tree saved by CRIU to --image-path. */
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"

static const struct cli_flag flags[] = {
    {"image-path", 0, CLI_VALUE, "DIR", "where the images go (default: ./checkpoint)", NULL},
    {"work-path", 0, CLI_VALUE, "DIR", "criu's logs and work files (default: the image path)",
     NULL},
    {"parent-path", 0, CLI_VALUE, "DIR", "a pre-dump's images, relative to the image path", NULL},
    {"leave-running", 0, CLI_FLAG, NULL, "keep the container running afterwards", NULL},
    {"tcp-established", 0, CLI_FLAG, NULL, "dump established TCP connections", NULL},
    {"ext-unix-sk", 0, CLI_FLAG, NULL, "allow external unix sockets", NULL},
    {"shell-job", 0, CLI_FLAG, NULL, "allow a shell job (a terminal from outside)", NULL},
    {"lazy-pages", 0, CLI_FLAG, NULL, "leave memory pages for lazy restore", NULL},
    {"status-fd", 0, CLI_VALUE, "FD", "with --lazy-pages: written when the page server is ready",
     NULL},
    {"page-server", 0, CLI_VALUE, "ADDRESS:PORT", "send pages to criu's page server there", NULL},
    {"file-locks", 0, CLI_FLAG, NULL, "dump file locks", NULL},
    {"pre-dump", 0, CLI_FLAG, NULL, "dump memory only; the container keeps running", NULL},
    {"manage-cgroups-mode", 0, CLI_VALUE, "MODE", "soft, full, strict or ignore (default soft)",
     "soft full strict ignore"},
    {"empty-ns", 0, CLI_VALUE, "NS", "a namespace criu should leave empty (e.g. network)", NULL},
    {"auto-dedup", 0, CLI_FLAG, NULL, "deduplicate against the parent's images", NULL},
    {0},
};

/* The flags checkpoint and restore share, read from either command's table. */
void cli_criu_flags(const struct cli_command *cmd, const struct cli_parsed *p,
		    struct hk_criu_flags *f)
{
	*f = (struct hk_criu_flags){
	    .image_path = cli_value(cmd, p, "image-path"),
	    .work_path = cli_value(cmd, p, "work-path"),
	    .manage_cgroups_mode = cli_value(cmd, p, "manage-cgroups-mode"),
	    .tcp_established = cli_bool(cmd, p, "tcp-established"),
	    .ext_unix_sk = cli_bool(cmd, p, "ext-unix-sk"),
	    .shell_job = cli_bool(cmd, p, "shell-job"),
	    .file_locks = cli_bool(cmd, p, "file-locks"),
	};
}

static int run_checkpoint(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	const char *status_fd, *empty_ns;
	struct hk_checkpoint_opts o;
	struct cli_parsed p;
	char *end;

	if (cli_parse(&cmd_checkpoint, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_checkpoint, &p, 1, 1, err) < 0)
		return -1;
	status_fd = cli_value(&cmd_checkpoint, &p, "status-fd");
	empty_ns = cli_value(&cmd_checkpoint, &p, "empty-ns");
	o = (struct hk_checkpoint_opts){
	    .root = g->root,
	    .id = p.argv[0],
	    .parent_path = cli_value(&cmd_checkpoint, &p, "parent-path"),
	    .page_server = cli_value(&cmd_checkpoint, &p, "page-server"),
	    .leave_running = cli_bool(&cmd_checkpoint, &p, "leave-running"),
	    .pre_dump = cli_bool(&cmd_checkpoint, &p, "pre-dump"),
	    .auto_dedup = cli_bool(&cmd_checkpoint, &p, "auto-dedup"),
	    .lazy_pages = cli_bool(&cmd_checkpoint, &p, "lazy-pages"),
	    .status_fd = -1,
	    .empty_ns = empty_ns != NULL && empty_ns[0] != '\0',
	};
	cli_criu_flags(&cmd_checkpoint, &p, &o.criu);
	if (status_fd != NULL) {
		long fd = strtol(status_fd, &end, 10);

		if (*end != '\0' || fd < 0 || fd > 65535)
			return hk_fail(err, 0,
				       "checkpoint: --status-fd: expected an fd, got \"%s\"",
				       status_fd);
		o.status_fd = (int)fd;
	}
	return hk_container_checkpoint(&o, err);
}

const struct cli_command cmd_checkpoint = {
    "checkpoint", "ID", "checkpoint a running container with CRIU", flags, run_checkpoint, false,
    false,	  false};
