/* Parses a config.json and exits: the unit that tests/bench/parse times with hyperfine. */
#include <stdio.h>

#include "config.h"

int main(int argc, char **argv)
{
	struct oci_config_doc doc = {0};
	struct hk_err *err = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: parse_config FILE\n");
		return 2;
	}
	if (oci_config_load(argv[1], "config.json", &doc, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		hk_err_free(err);
		return 1;
	}
	oci_config_doc_free(&doc);
	return 0;
}
