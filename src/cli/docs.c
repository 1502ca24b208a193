/* husk --generate: man pages and shell completions written from the command and flag tables,
 * so that a flag added in code is in --help, its man page and every completion at once. The
 * build runs it (doc/meson.build); nothing here runs for a container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hk_format.h"
#include "cli.h"
#include "signals.h"
#include "version.h"

/* roff: a leading dot or quote would be a request, a backslash an escape, a dash a hyphen */
static void roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static void man_flags(const struct cli_flag *f)
{
	for (; f != NULL && f->name != NULL; f++) {
		printf(".TP\n\\fB\\-\\-");
		roff(f->name);
		printf("\\fR");
		if (f->alias)
			printf(", \\fB\\-%c\\fR", f->alias);
		if (f->arg == CLI_VALUE) {
			printf(" \\fI");
			roff(f->value_name);
			printf("\\fR");
		}
		printf("\n");
		roff(f->help);
		if (f->values) {
			printf(" (one of: ");
			roff(f->values);
			printf(")");
		}
		printf("\n");
	}
}

static void man_head(const char *name, const char *summary)
{
	char upper[64];
	size_t i;

	for (i = 0; name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	upper[i] = '\0';
	printf(".TH %s 8 \"\" \"husk %s\" \"husk manual\"\n.SH NAME\n", upper, HUSK_VERSION);
	roff(name);
	printf(" \\- ");
	roff(summary);
	printf("\n");
}

static void man_husk(void)
{
	const struct cli_command *g = &cli_global_command;
	size_t i;

	man_head("husk", "an OCI container runtime, a drop-in for runc and crun");
	printf(".SH SYNOPSIS\n\\fBhusk\\fR [\\fIglobal options\\fR] \\fICOMMAND\\fR "
	       "[\\fIARGS\\fR...]\n");
	printf(
	    ".SH DESCRIPTION\nhusk turns an OCI bundle (a root filesystem and a config.json) into "
	    "a running container, and drives it through the lifecycle that containerd, CRI-O, "
	    "podman and docker expect of runc.\n.SH GLOBAL OPTIONS\n");
	man_flags(g->flags);
	printf(".SH COMMANDS\n");
	for (i = 0; cli_commands[i] != NULL; i++) {
		printf(".TP\n\\fBhusk\\-%s\\fR(8)\n", cli_commands[i]->name);
		roff(cli_commands[i]->summary);
		printf("\n");
	}
	printf(".SH FILES\n.TP\n/run/husk\nthe state of root's containers "
	       "(\\fB$XDG_RUNTIME_DIR/husk\\fR for other users)\n");
	printf(".SH SEE ALSO\n\\fBrunc\\fR(8), \\fBcrun\\fR(1)\n");
}

static void man_command(const struct cli_command *c)
{
	char name[64];

	if (hk_format(name, sizeof(name), "husk-%s", c->name) < 0) /* the table's names are short */
		abort();
	man_head(name, c->summary);
	printf(".SH SYNOPSIS\n\\fBhusk\\fR [\\fIglobal options\\fR] \\fB%s\\fR%s", c->name,
	       c->flags && c->flags[0].name ? " [\\fIoptions\\fR]" : "");
	if (c->args[0]) {
		printf(" \\fI");
		roff(c->args);
		printf("\\fR");
	}
	printf("\n.SH DESCRIPTION\n");
	roff(c->summary);
	printf(".\n");
	if (c->flags && c->flags[0].name) {
		printf(".SH OPTIONS\n");
		man_flags(c->flags);
	}
	printf(".SH SEE ALSO\n\\fBhusk\\fR(8)\n");
}

/* The words completion offers after a flag that takes a value; "" for a file or a free word. */
static const char *value_words(const struct cli_flag *f)
{
	return f->values ? f->values : "";
}

static bool takes_id(const struct cli_command *c)
{
	return strncmp(c->args, "ID", 2) == 0 || strncmp(c->args, "[ID", 3) == 0;
}

static void signal_words(void)
{
	size_t i;

	for (i = 0; hk_signal_name_at(i) != NULL; i++)
		printf("%s%s", i ? " " : "", hk_signal_name_at(i));
}

static void bash_flags(const struct cli_flag *f)
{
	for (; f != NULL && f->name != NULL; f++) {
		printf(" --%s", f->name);
		if (f->alias)
			printf(" -%c", f->alias);
	}
}

static void bash_value_cases(const struct cli_flag *f)
{
	for (; f != NULL && f->name != NULL; f++)
		if (f->arg == CLI_VALUE)
			printf(
			    "\t\t--%s%s%c) COMPREPLY=($(compgen %s%s%s -- \"$cur\")); return ;;\n",
			    f->name, f->alias ? "|-" : "", f->alias ? f->alias : ' ',
			    f->values ? "-W \"" : "-f", value_words(f), f->values ? "\"" : "");
}

static void bash(void)
{
	size_t i;

	printf("# bash completion for husk, generated from its command tables (husk --generate "
	       "bash)\n_husk() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} "
	       "prev=${COMP_WORDS[COMP_CWORD-1]}"
	       " cmd= i\n\tfor ((i = 1; i < COMP_CWORD; i++)); do\n\t\tcase ${COMP_WORDS[i]} in\n"
	       "\t\t--root|--log|--log-format|--rootless) ((i++)) ;;\n\t\t-*) ;;\n"
	       "\t\t*) cmd=${COMP_WORDS[i]}; break ;;\n\t\tesac\n\tdone\n"
	       "\tlocal root=\n\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "\t\t[[ ${COMP_WORDS[i]} == --root ]] && root=\"--root ${COMP_WORDS[i+1]}\"\n"
	       "\tdone\n\tif [[ -z $cmd ]]; then\n\t\tcase $prev in\n");
	bash_value_cases(cli_global_command.flags);
	printf("\t\tesac\n\t\tCOMPREPLY=($(compgen -W \"");
	for (i = 0; cli_commands[i] != NULL; i++)
		printf("%s%s", i ? " " : "", cli_commands[i]->name);
	bash_flags(cli_global_command.flags);
	printf("\" -- \"$cur\"))\n\t\treturn\n\tfi\n\tcase $cmd in\n");
	for (i = 0; cli_commands[i] != NULL; i++) {
		const struct cli_command *c = cli_commands[i];

		printf("\t%s)\n\t\tcase $prev in\n", c->name);
		bash_value_cases(c->flags);
		printf("\t\tesac\n\t\tif [[ $cur == -* ]]; then\n\t\t\tCOMPREPLY=($(compgen -W \"");
		bash_flags(c->flags);
		printf("\" -- \"$cur\"))\n");
		if (takes_id(c))
			printf("\t\telif [[ $prev == %s || $prev == -* ]]; "
			       "then\n\t\t\tCOMPREPLY=($(compgen "
			       "-W \"$(husk $root list -q 2>/dev/null)\" -- \"$cur\"))\n",
			       c->name);
		if (strcmp(c->name, "kill") == 0) {
			printf("\t\telse\n\t\t\tCOMPREPLY=($(compgen -W \"");
			signal_words();
			printf("\" -- \"$cur\"))\n");
		}
		printf("\t\tfi\n\t\t;;\n");
	}
	printf("\tesac\n}\ncomplete -F _husk husk\n");
}

static void zsh_quoted(const char *s)
{
	for (; *s; s++) {
		if (*s == '\'' || *s == '[' || *s == ']' || *s == ':')
			putchar('\\');
		putchar(*s);
	}
}

/* One _arguments spec: '--name[help]:VALUE:(words)' or '-a[help]...' for the alias. */
static void zsh_spec(const char *dashes, const char *name, const struct cli_flag *f)
{
	printf("\t\t'%s%s[", dashes, name);
	zsh_quoted(f->help);
	printf("]");
	if (f->arg == CLI_VALUE)
		printf(":%s:%s%s%s", f->value_name, f->values ? "(" : "_files", value_words(f),
		       f->values ? ")" : "");
	printf("' \\\n");
}

static void zsh_flags(const struct cli_flag *f)
{
	char alias[2] = "";

	for (; f != NULL && f->name != NULL; f++) {
		zsh_spec("--", f->name, f);
		alias[0] = f->alias;
		if (f->alias)
			zsh_spec("-", alias, f);
	}
}

static void zsh(void)
{
	size_t i;

	printf("#compdef husk\n# zsh completion for husk, generated from its command tables (husk "
	       "--generate zsh)\n_husk_ids() { local -a ids; ids=(${(f)\"$(husk list -q "
	       "2>/dev/null)\"}); _describe container ids; }\n_husk() {\n\tlocal -a commands\n"
	       "\tcommands=(\n");
	for (i = 0; cli_commands[i] != NULL; i++) {
		printf("\t\t'%s:", cli_commands[i]->name);
		zsh_quoted(cli_commands[i]->summary);
		printf("'\n");
	}
	printf("\t)\n\t_arguments -C \\\n");
	zsh_flags(cli_global_command.flags);
	printf("\t\t'1:command:->command' '*::arg:->args'\n\tcase $state in\n"
	       "\tcommand) _describe command commands ;;\n\targs)\n\t\tcase $words[1] in\n");
	for (i = 0; cli_commands[i] != NULL; i++) {
		const struct cli_command *c = cli_commands[i];

		printf("\t\t%s) _arguments \\\n", c->name);
		zsh_flags(c->flags);
		if (strcmp(c->name, "kill") == 0) {
			printf("\t\t\t'1:container:_husk_ids' '2:signal:(");
			signal_words();
			printf(")' ;;\n");
		} else
			printf("\t\t\t%s ;;\n",
			       takes_id(c) ? "'1:container:_husk_ids'" : "'*:file:_files'");
	}
	printf("\t\tesac ;;\n\tesac\n}\n_husk \"$@\"\n");
}

/* 'text' with its quotes escaped, as fish reads a single-quoted word */
static void fish_quoted(const char *text)
{
	putchar('\'');
	for (; *text; text++)
		printf(*text == '\'' ? "\\'" : "%c", *text);
	putchar('\'');
}

static void fish_flags(const char *cond, const struct cli_flag *f)
{
	for (; f != NULL && f->name != NULL; f++) {
		printf("complete -c husk -n '%s' -l %s", cond, f->name);
		if (f->alias)
			printf(" -s %c", f->alias);
		if (f->arg == CLI_VALUE)
			printf(" -r%s%s%s", f->values ? " -f -a '" : "", value_words(f),
			       f->values ? "'" : "");
		printf(" -d ");
		fish_quoted(f->help);
		printf("\n");
	}
}

static void fish(void)
{
	char cond[128];
	size_t i;

	printf("# fish completion for husk, generated from its command tables (husk --generate "
	       "fish)\ncomplete -c husk -f\n");
	fish_flags("__fish_use_subcommand", cli_global_command.flags);
	for (i = 0; cli_commands[i] != NULL; i++) {
		const struct cli_command *c = cli_commands[i];

		printf("complete -c husk -n '__fish_use_subcommand' -a %s -d ", c->name);
		fish_quoted(c->summary);
		printf("\n");
		if (hk_format(cond, sizeof(cond), "__fish_seen_subcommand_from %s", c->name) < 0)
			abort();
		fish_flags(cond, c->flags);
		if (takes_id(c))
			printf("complete -c husk -n '%s' -a '(husk list -q 2>/dev/null)'\n", cond);
		if (strcmp(c->name, "kill") == 0) {
			printf("complete -c husk -n '%s' -a '", cond);
			signal_words();
			printf("'\n");
		}
	}
}

int cli_generate(const char *what, struct hk_err **err)
{
	size_t i;

	if (strcmp(what, "man") == 0)
		man_husk();
	else if (strcmp(what, "bash") == 0)
		bash();
	else if (strcmp(what, "zsh") == 0)
		zsh();
	else if (strcmp(what, "fish") == 0)
		fish();
	else if (strncmp(what, "man-", 4) == 0) {
		for (i = 0; cli_commands[i] != NULL; i++)
			if (strcmp(cli_commands[i]->name, what + 4) == 0)
				break;
		if (cli_commands[i] == NULL)
			return hk_fail(err, 0, "--generate: no command \"%s\"", what + 4);
		man_command(cli_commands[i]);
	} else
		return hk_fail(err, 0, "--generate: expected man, man-COMMAND, bash, zsh or fish");
	return fflush(stdout) == 0 ? 0 : hk_fail(err, 0, "--generate: write failed");
}
