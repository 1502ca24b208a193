#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hk_format.h"
#include "cli.h"

#define MAX_FLAGS 32

static size_t count_flags(const struct cli_flag *flags)
{
	size_t n = 0;

	while (flags != NULL && flags[n].name != NULL)
		n++;
	return n;
}

/* getopt_long_only takes "--flag v", "--flag=v" and "-flag v"; the short string adds aliases.
 * Boolean flags take an optional "=false". A leading '+' stops at the first positional argument
 * (runc's flags come before ID, and exec's command keeps its own flags); ':' reports a missing
 * value. */
static void build_getopt(const struct cli_flag *flags, size_t n, bool in_order,
			 struct option *longs, char *shorts)
{
	size_t i, s = 0;

	if (in_order) /* getopt stops at the first word that is not a flag */
		shorts[s++] = '+';
	shorts[s++] = ':';
	for (i = 0; i < n; i++) {
		longs[i] = (struct option){flags[i].name,
					   flags[i].arg == CLI_VALUE ? required_argument
								     : optional_argument,
					   NULL, (int)(256 + i)};
		if (flags[i].alias) {
			shorts[s++] = flags[i].alias;
			if (flags[i].arg == CLI_VALUE)
				shorts[s++] = ':';
		}
	}
	longs[n] = (struct option){0};
	shorts[s] = '\0';
}

static int flag_index_of_alias(const struct cli_flag *flags, size_t n, int c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (flags[i].alias == c)
			return (int)i;
	return -1;
}

static int store_value(const struct cli_command *cmd, int index, const char *value,
		       struct cli_parsed *out, struct hk_err **err)
{
	const struct cli_flag *f = &cmd->flags[index];

	if (f->arg == CLI_FLAG) {
		if (value == NULL || strcmp(value, "true") == 0)
			value = "true";
		else if (strcmp(value, "false") != 0)
			return hk_fail(err, 0, "%s: --%s takes true or false, got \"%s\"",
				       cmd->name, f->name, value);
		else
			value = "false";
	}
	out->values[index] = value;
	if (out->nmulti[index] == CLI_MAX_REPEAT)
		return hk_fail(err, 0, "%s: --%s given more than %d times", cmd->name, f->name,
			       CLI_MAX_REPEAT);
	out->multi[index][out->nmulti[index]++] = value;
	return 0;
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, struct cli_parsed *out,
	      struct hk_err **err)
{
	struct option longs[MAX_FLAGS + 1];
	char shorts[2 * MAX_FLAGS + 3];
	size_t n = count_flags(cmd->flags);
	int c;

	memset(out, 0, sizeof(*out));
	if (n > MAX_FLAGS)
		abort();
	build_getopt(cmd->flags, n, cmd->args_are_a_command || cmd == &cli_global_command, longs,
		     shorts);
	optind = 0; /* glibc: a full reset, the global flags were parsed with getopt too */
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, shorts, longs, NULL)) != -1) {
		int index = c >= 256 ? c - 256 : flag_index_of_alias(cmd->flags, n, c);

		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];

			return hk_fail(err, 0, "%s: %s flag %s (see 'husk %s --help')", cmd->name,
				       c == ':' ? "missing value for" : "unknown", what, cmd->name);
		}
		if (index < 0 || store_value(cmd, index, optarg, out, err) < 0)
			return hk_fail(err, 0, "%s: bad flag %s", cmd->name, argv[optind - 1]);
	}
	out->argc = argc - optind;
	out->argv = argv + optind;
	return 0;
}

static int flag_index(const struct cli_command *cmd, const char *name)
{
	size_t i, n = count_flags(cmd->flags);

	for (i = 0; i < n; i++)
		if (strcmp(cmd->flags[i].name, name) == 0)
			return (int)i;
	abort(); /* a command asked for a flag its own table lacks: a programming error */
}

const char *cli_value(const struct cli_command *cmd, const struct cli_parsed *p, const char *name)
{
	return p->values[flag_index(cmd, name)];
}

bool cli_bool(const struct cli_command *cmd, const struct cli_parsed *p, const char *name)
{
	const char *v = cli_value(cmd, p, name);

	return v != NULL && strcmp(v, "true") == 0;
}

void cli_print_help(const struct cli_command *cmd)
{
	size_t i, n = count_flags(cmd->flags);

	if (cmd == &cli_global_command) /* husk's own usage line names no command */
		printf("Usage: husk [global options] %s\n\n%s\n", cmd->args, cmd->summary);
	else
		printf("Usage: husk [global options] %s%s%s%s\n\n%s\n", cmd->name,
		       n ? " [options]" : "", cmd->args[0] ? " " : "", cmd->args, cmd->summary);
	if (n)
		printf("\nOptions:\n");
	for (i = 0; i < n; i++) {
		const struct cli_flag *f = &cmd->flags[i];
		char left[64];

		if (hk_format(left, sizeof(left), "%s%c%s--%s%s%s", f->alias ? "-" : "",
			      f->alias ? f->alias : ' ', f->alias ? ", " : " ", f->name,
			      f->arg == CLI_VALUE ? " " : "",
			      f->arg == CLI_VALUE ? f->value_name : "") < 0)
			abort(); /* the flag table's own names: tests/cli checks every --help */
		printf("  %-32s %s\n", f->alias ? left : left + 2, f->help);
	}
}

bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0 || argv[i][0] != '-')
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_print_help(cmd);
			return true;
		}
	}
	return false;
}

int cli_expect_args(const struct cli_command *cmd, const struct cli_parsed *p, int min, int max,
		    struct hk_err **err)
{
	if (p->argc < min || p->argc > max)
		return hk_fail(err, 0, "%s: expected %s%s (see 'husk %s --help')", cmd->name,
			       cmd->args[0] ? cmd->args : "no arguments",
			       p->argc > max ? ", got more" : "", cmd->name);
	return 0;
}

int cli_print_document(char *json, struct hk_err **err)
{
	int ok = fputs(json, stdout) >= 0 && fputc('\n', stdout) != EOF && fflush(stdout) == 0;

	free(json);
	return ok ? 0 : hk_fail(err, 0, "cannot write to standard output");
}

int cli_run_on_id(const struct cli_command *cmd, const struct cli_globals *g, int argc, char **argv,
		  int (*act)(const char *root, const char *id, struct hk_err **err),
		  struct hk_err **err)
{
	struct cli_parsed p;

	if (cli_parse(cmd, argc, argv, &p, err) < 0 || cli_expect_args(cmd, &p, 1, 1, err) < 0)
		return -1;
	return act(g->root, p.argv[0], err);
}
