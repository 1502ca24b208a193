/* husk: global options, then one command from the table. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootless.h"
#include "cli.h"
#include "exe.h"
#include "log.h"
#include "spec.h"
#include "state.h"
#include "version.h"

static const struct cli_flag global_flags[] = {
    {"root", 0, CLI_VALUE, "DIR", "state directory (default /run/husk)", NULL},
    {"log", 0, CLI_VALUE, "FILE", "log file (default: stderr)", NULL},
    {"log-format", 0, CLI_VALUE, "FORMAT", "text or json", "text json"},
    {"debug", 0, CLI_FLAG, NULL, "log debug lines", NULL},
    {"systemd-cgroup", 0, CLI_FLAG, NULL, "manage cgroups through systemd", NULL},
    {"rootless", 0, CLI_VALUE, "WHEN", "true, false or auto", "true false auto"},
    {"version", 'v', CLI_FLAG, NULL, "print the version", NULL},
    {"help", 'h', CLI_FLAG, NULL, "print this help", NULL},
    {0},
};

const struct cli_command cli_global_command = {
    "husk", "COMMAND [ARGS...]", "An OCI container runtime.", global_flags, NULL, false, false,
    false};

static void print_usage(void)
{
	size_t i;

	cli_print_help(&cli_global_command);
	printf("\nCommands:\n");
	for (i = 0; cli_commands[i] != NULL; i++)
		printf("  %-12s %s%s\n", cli_commands[i]->name, cli_commands[i]->summary,
		       cli_commands[i]->unimplemented ? " (not implemented yet)" : "");
}

static void print_version(void)
{
	printf("husk version %s\ncommit: %s\nspec: %s\n+SECCOMP +CAP +YAJL +MNL\n", HUSK_VERSION,
	       HUSK_COMMIT, HK_OCI_VERSION);
}

static const struct cli_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; cli_commands[i] != NULL; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return NULL;
}

static int parse_globals(int argc, char **argv, struct cli_globals *g, int *next,
			 struct hk_err **err)
{
	struct cli_parsed p;
	const char *v;

	if (cli_parse(&cli_global_command, argc, argv, &p, err) < 0)
		return -1;
	*g = (struct cli_globals){
	    .root = cli_value(&cli_global_command, &p, "root"),
	    .log_path = cli_value(&cli_global_command, &p, "log"),
	    .log_format = cli_value(&cli_global_command, &p, "log-format"),
	    .debug = cli_bool(&cli_global_command, &p, "debug"),
	    .systemd_cgroup = cli_bool(&cli_global_command, &p, "systemd-cgroup"),
	    .rootless = cli_value(&cli_global_command, &p, "rootless"),
	};
	v = g->rootless;
	if (v != NULL && strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "auto"))
		return hk_fail(err, 0, "--rootless: expected true, false or auto, got \"%s\"", v);
	hk_rootless_set(v == NULL || !strcmp(v, "auto") ? HK_ROOTLESS_AUTO
			: !strcmp(v, "true")		? HK_ROOTLESS_TRUE
							: HK_ROOTLESS_FALSE);
	if (g->root == NULL)
		g->root = hk_default_root();
	if (g->log_format == NULL)
		g->log_format = "text";
	if (strcmp(g->log_format, "text") != 0 && strcmp(g->log_format, "json") != 0)
		return hk_fail(err, 0, "--log-format: expected text or json, got \"%s\"",
			       g->log_format);
	if (cli_bool(&cli_global_command, &p, "help"))
		*next = -1;
	else if (cli_bool(&cli_global_command, &p, "version"))
		*next = -2;
	else
		*next = argc - p.argc;
	return 0;
}

/* The lowest fd >= 3 that is not open, read before husk opens anything of its own: the fds below
 * it are all the caller's. Only asked when some fds are to be passed on (two system calls that
 * every other command saves). */
static int first_free_fd(int argc, char **argv)
{
	int fd, probe, i;
	bool asked = getenv("LISTEN_FDS") != NULL;

	for (i = 1; i < argc && !asked; i++)
		asked = strstr(argv[i], "preserve-fds") != NULL;
	if (!asked)
		return 3;

	for (fd = 0; fd < 3; fd++)
		if ((probe = fcntl(fd, F_DUPFD_CLOEXEC, 3)) >= 0) {
			close(probe);
			return probe;
		}
	return 3;
}

static int run(int argc, char **argv, struct hk_err **err)
{
	const struct cli_command *cmd;
	struct cli_globals g;
	int next = 0, free_fd = first_free_fd(argc, argv);

	if (argc == 3 && strcmp(argv[1], "--generate") == 0)
		return cli_generate(argv[2], err); /* the build's man pages and completions */
	if (parse_globals(argc, argv, &g, &next, err) < 0)
		return -1;
	g.first_free_fd = free_fd;
	g.argv = argv;
	if (next == -1 || next >= argc) {
		print_usage();
		return next == -1 ? 0 : hk_fail(err, 0, "no command given");
	}
	if (next == -2) {
		print_version();
		return 0;
	}
	if (hk_log_init(g.log_path, strcmp(g.log_format, "json") == 0 ? HK_LOG_JSON : HK_LOG_TEXT,
			g.debug, err) < 0)
		return -1;
	cmd = find_command(argv[next]);
	if (cmd == NULL)
		return hk_fail(err, 0, "unknown command \"%s\" (see 'husk --help')", argv[next]);
	if (cmd->unimplemented)
		return hk_fail(err, 0, "%s: not implemented yet", cmd->name);
	if (cmd->sealed_exe && hk_exe_reexec_sealed(argv, err) < 0)
		return -1;
	if (cli_wants_help(cmd, argc - next, argv + next))
		return 0;
	return cmd->run(&g, argc - next, argv + next, err);
}

int main(int argc, char **argv)
{
	hk_cleanup_err struct hk_err *err = NULL;

	if (run(argc, argv, &err) == 0)
		return EXIT_SUCCESS;
	hk_log_failure(err != NULL ? err->msg : "failed");
	return EXIT_FAILURE;
}
