/* husk list [-q] [--format table|json]: every container under --root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hk_format.h"
#include "cli.h"
#include "fdio.h"
#include "state.h"

static const struct cli_flag flags[] = {
    {"format", 'f', CLI_VALUE, "FORMAT", "table or json", "table json"},
    {"quiet", 'q', CLI_FLAG, NULL, "print only the ids", NULL},
    {0},
};

struct listing {
	const char *root;
	enum { AS_TABLE, AS_JSON, AS_IDS } format;
	FILE *out; /* rows of the table, or the JSON array, gathered before printing */
	char *text;
	size_t len;
	size_t count;
};

/* A directory without a readable record: listed as unknown, with the reason on stderr, so that
 * what `delete --force` can remove is seen; one deleted meanwhile is not listed. */
static int list_lost(struct listing *l, const char *id, const struct hk_err *err)
{
	char path[4096 + 1100];
	hk_cleanup_free char *quoted = oci_json_quote(id);

	if (hk_path_join(path, sizeof(path), l->root, id) == 0 && access(path, F_OK) < 0)
		return 0;
	fprintf(stderr, "husk: list: %s\n", err && err->msg ? err->msg : id);
	if (l->format == AS_JSON)
		fprintf(l->out, "%s{\"id\":%s,\"pid\":0,\"status\":\"unknown\"}",
			l->count++ ? "," : "", quoted ? quoted : "\"\"");
	else
		fprintf(l->out, "%s\t0\tunknown\t\t\t\n", id);
	return 0;
}

static int list_one(const char *id, void *data)
{
	hk_cleanup_err struct hk_err *err = NULL;
	struct listing *l = data;
	struct hk_container c;
	struct oci_state s;
	char *json = NULL;

	if (l->format == AS_IDS) {
		fprintf(l->out, "%s\n", id);
		return 0;
	}
	if (hk_store_open(l->root, id, false, &c, &err) < 0)
		return list_lost(l, id, err);
	hk_container_state(c.record, &s);
	if (l->format == AS_JSON) {
		if (oci_generate(&oci_state_type, &s, false, &json, NULL, &err) == 0)
			fprintf(l->out, "%s%s", l->count++ ? "," : "", json);
		free(json);
	} else {
		fprintf(l->out, "%s\t%d\t%s\t%s\t%s\t%s\n", s.id, s.pid.value, s.status,
			s.bundle ? s.bundle : "", s.created ? s.created : "", s.owner);
	}
	hk_container_close(&c);
	return 0;
}

#define COLUMNS 6

/* Splits one tab-separated line in place into at most COLUMNS cells. */
static size_t split_cells(char *line, char **cells)
{
	size_t n = 0;

	while (line != NULL && n < COLUMNS) {
		char *tab = strchr(line, '\t');

		cells[n++] = line;
		if (tab != NULL)
			*tab++ = '\0';
		line = tab;
	}
	return n;
}

/* Columns padded to their widest cell, as runc's tabwriter prints them. */
static void print_table(const char *rows)
{
	size_t width[COLUMNS] = {0}, pass, col, n;
	char *cells[COLUMNS];

	for (pass = 0; pass < 2; pass++) {
		char *all = NULL, *line, *save = NULL;

		if (asprintf(&all, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n%s", rows) < 0)
			abort();
		for (line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			n = split_cells(line, cells);
			for (col = 0; col < n; col++) {
				if (pass == 0 && strlen(cells[col]) > width[col])
					width[col] = strlen(cells[col]);
				else if (pass == 1 && col + 1 < n)
					printf("%-*s   ", (int)width[col], cells[col]);
				else if (pass == 1)
					printf("%s\n", cells[col]);
			}
		}
		free(all);
	}
}

static int run_list(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct listing l = {.root = g->root};
	const char *format;
	struct cli_parsed p;
	int ret;

	if (cli_parse(&cmd_list, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_list, &p, 0, 0, err) < 0)
		return -1;
	format = cli_value(&cmd_list, &p, "format");
	if (format != NULL && strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return hk_fail(err, 0, "list: --format: expected table or json, got \"%s\"",
			       format);
	l.format = cli_bool(&cmd_list, &p, "quiet")		     ? AS_IDS
		   : (format != NULL && strcmp(format, "json") == 0) ? AS_JSON
								     : AS_TABLE;
	l.out = open_memstream(&l.text, &l.len);
	if (l.out == NULL)
		abort();
	ret = hk_store_each(g->root, list_one, &l, err);
	fclose(l.out);
	if (ret == 0 && l.format == AS_JSON)
		printf("[%s]\n", l.text);
	else if (ret == 0 && l.format == AS_TABLE)
		print_table(l.text);
	else if (ret == 0)
		fputs(l.text, stdout);
	free(l.text);
	return ret;
}

const struct cli_command cmd_list = {"list", "",   "list containers", flags, run_list, false,
				     false,  false};
