/* husk state ID: the container's state document. */
#include "cli.h"
#include "state.h"

static int run_state(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	struct hk_container c;
	struct oci_state state;
	struct cli_parsed p;
	char *json = NULL;
	int ret;

	if (cli_parse(&cmd_state, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_state, &p, 1, 1, err) < 0)
		return -1;
	/* No lock: state.json is replaced atomically, and a reader must not wait on a writer. */
	if (hk_store_open(g->root, p.argv[0], false, &c, err) < 0)
		return -1;
	hk_container_state(c.record, &state);
	ret = oci_generate(&oci_state_type, &state, true, &json, NULL, err);
	hk_container_close(&c);
	return ret < 0 ? -1 : cli_print_document(json, err);
}

const struct cli_command cmd_state = {
    "state", "ID", "print a container's state", NULL, run_state, false, false, false};
