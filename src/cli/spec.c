/* husk spec [--bundle B] [--rootless]: writes a default config.json into the bundle. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hk_format.h"
#include "cli.h"
#include "schema.h"
#include "spec.h"

static const struct cli_flag flags[] = {
    {"bundle", 'b', CLI_VALUE, "DIR", "where to write config.json (default: .)", NULL},
    {"rootless", 0, CLI_FLAG, NULL, "a configuration for an unprivileged user", NULL},
    {0},
};

static int write_new_file(const char *path, const char *text, struct hk_err **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0 && errno == EEXIST)
		return hk_fail(err, 0, "%s already exists: remove it first", path);
	if (fd < 0)
		return hk_fail(err, errno, "create %s", path);
	if (oci_write_all(fd, text, strlen(text)) < 0) {
		int saved = errno;

		close(fd);
		return hk_fail(err, saved, "write %s", path);
	}
	if (close(fd) < 0)
		return hk_fail(err, errno, "write %s", path);
	return 0;
}

static int run_spec(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct oci_config_doc doc = {0};
	const char *bundle;
	struct cli_parsed p;
	char path[4096], *json = NULL;
	int ret;

	(void)g;
	if (cli_parse(&cmd_spec, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_spec, &p, 0, 0, err) < 0)
		return -1;
	bundle = cli_value(&cmd_spec, &p, "bundle");
	if (hk_path_join(path, sizeof(path), bundle ? bundle : ".", "config.json") < 0)
		return hk_fail(err, ENAMETOOLONG, "--bundle");
	if (hk_spec_default(cli_bool(&cmd_spec, &p, "rootless"), geteuid(), getegid(), &doc, err) <
	    0)
		return -1;
	ret = oci_generate(&oci_config_type, doc.config, true, &json, NULL, err);
	oci_config_doc_free(&doc);
	if (ret == 0) {
		size_t len = strlen(json);
		char *text = realloc(json, len + 2);

		if (text == NULL)
			abort();
		text[len] = '\n';
		text[len + 1] = '\0';
		ret = write_new_file(path, text, err);
		free(text);
	}
	return ret;
}

const struct cli_command cmd_spec = {
    "spec", "", "write a default config.json", flags, run_spec, false, false, false};
