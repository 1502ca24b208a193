/* The command-line layer: a table of commands, each with a table of flags from which parsing,
 * `--help` and usage errors are generated. */
#ifndef HUSK_CLI_H
#define HUSK_CLI_H

#include <stdbool.h>

#include "hk_error.h"

struct cli_globals {
	const char *root;
	const char *log_path;
	const char *log_format;
	bool debug;
	bool systemd_cgroup;
	const char *rootless; /* "true", "false" or "auto" */
	int first_free_fd;    /* the lowest fd >= 3 the caller left closed (--preserve-fds) */
	char **argv;	      /* husk's own, for a re-execution from its sealed copy (exe.h) */
};

enum cli_arg { CLI_FLAG, CLI_VALUE };

struct cli_flag {
	const char *name;	/* long name, used as --name, -name, --name=v */
	char alias;		/* short alias, or 0 */
	enum cli_arg arg;	/* CLI_FLAG: boolean; CLI_VALUE: takes a value */
	const char *value_name; /* for --help: "FILE" */
	const char *help;
	const char *values; /* the words a value may be, space-separated ("text json"), for
			       completion; NULL: any */
};

struct cli_command {
	const char *name;
	const char *args; /* for --help: "ID [SIGNAL]" */
	const char *summary;
	const struct cli_flag *flags;
	int (*run)(const struct cli_globals *g, int argc, char **argv, struct hk_err **err);
	bool unimplemented;
	/* makes container processes in one the container sees from birth (exec): runs from a
	 * sealed copy of husk (exe.h); create and run decide once they have read the config */
	bool sealed_exe;
	/* the words after the id are a command's own (exec, ps): flags stop at the first word;
	 * every other command takes its flags anywhere, as runc does (`update ID --memory N`) */
	bool args_are_a_command;
};
/* --preserve-fds n (with LISTEN_FDS' listen fds before them) names fds that must be open: the
 * first one missing is named, as runc's users asked (its issue 5474). */
int cli_check_preserved_fds(const struct cli_command *cmd, const struct cli_globals *g, long n,
			    struct hk_err **err);

/* The values of a command's flags after parsing, by the flag's index in its table. */
#define CLI_MAX_REPEAT 64 /* values one repeatable flag may take */

struct cli_parsed {
	const char
	    *values[32]; /* CLI_VALUE: the value (the last one given); CLI_FLAG: "true"/"false" */
	const char *multi[32][CLI_MAX_REPEAT]; /* every value of repeatable flags, in order */
	unsigned nmulti[32];
	int argc; /* positional arguments */
	char **argv;
};

/* Parses argv (argv[0] is the command name); fails with a usage message naming the flag. */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, struct cli_parsed *out,
	      struct hk_err **err);
/* The value of the flag with that long name, or NULL. */
const char *cli_value(const struct cli_command *cmd, const struct cli_parsed *p, const char *name);
bool cli_bool(const struct cli_command *cmd, const struct cli_parsed *p, const char *name);
/* &cli_global_command: husk's own help (its options; the caller lists the commands). */
void cli_print_help(const struct cli_command *cmd);

/* "--help" or "-h" among the command's flags: prints help and returns true. */
bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv);

/* Positional-argument count check: "state: expected ID" */
int cli_expect_args(const struct cli_command *cmd, const struct cli_parsed *p, int min, int max,
		    struct hk_err **err);

/* For commands that take just an ID: parses, checks, and calls act(root, id, err). */
int cli_run_on_id(const struct cli_command *cmd, const struct cli_globals *g, int argc, char **argv,
		  int (*act)(const char *root, const char *id, struct hk_err **err),
		  struct hk_err **err);

/* Prints a JSON document (malloc'ed text) to stdout with a final newline. */
int cli_print_document(char *json, struct hk_err **err);

extern const struct cli_command cmd_spec, cmd_features, cmd_state, cmd_list, cmd_create, cmd_start,
    cmd_run, cmd_kill, cmd_delete, cmd_pause, cmd_resume, cmd_ps, cmd_update, cmd_events, cmd_exec,
    cmd_checkpoint, cmd_restore;
extern const struct cli_command *const cli_commands[];
/* husk's own options (main.c), as a command named "husk". */
extern const struct cli_command cli_global_command;

/* The CRIU flags checkpoint and restore share, read from either command's table
 * (checkpoint.c). */
struct hk_criu_flags;
void cli_criu_flags(const struct cli_command *cmd, const struct cli_parsed *p,
		    struct hk_criu_flags *f);

/* husk --generate WHAT: a man page ("man" for husk(8), "man-COMMAND") or a shell completion
 * ("bash", "zsh", "fish"), written to stdout from the tables above (docs.c). */
int cli_generate(const char *what, struct hk_err **err);

#endif
