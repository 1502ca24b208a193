/* husk features: the OCI features document. */
#include "cli.h"
#include "hk_features.h"

static int run_features(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct oci_arena *arena;
	struct oci_features features;
	struct cli_parsed p;
	char *json = NULL;
	int ret;

	(void)g;
	if (cli_parse(&cmd_features, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_features, &p, 0, 0, err) < 0)
		return -1;
	arena = oci_arena_new();
	hk_features(arena, &features);
	ret = oci_generate(&oci_features_type, &features, true, &json, NULL, err);
	oci_arena_free(arena);
	return ret < 0 ? -1 : cli_print_document(json, err);
}

const struct cli_command cmd_features = {
    "features", "", "print the OCI features document", NULL, run_features, false, false, false};
