/* libFuzzer target for every document parser: config.json, process.json and husk's state record.
 * A document that parses must serialise and parse again to the same serialisation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "state.h"

static void round_trip(const struct oci_type *type, const void *obj)
{
	struct oci_arena *arena = oci_arena_new();
	char *first = NULL, *second = NULL;
	size_t first_len = 0, second_len = 0;
	void *again = NULL;

	if (oci_generate(type, obj, false, &first, &first_len, NULL) < 0)
		abort();
	if (oci_parse(type, first, first_len, "again", arena, &again, NULL) < 0)
		abort(); /* what husk writes, husk must read */
	if (oci_generate(type, again, false, &second, &second_len, NULL) < 0)
		abort();
	if (first_len != second_len || memcmp(first, second, first_len) != 0)
		abort();
	free(first);
	free(second);
	oci_arena_free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct oci_type *const types[] = {&oci_config_type, &oci_process_type,
						       &hk_record_type};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct oci_arena *arena = oci_arena_new();
		struct hk_err *err = NULL;
		void *obj = NULL;

		if (oci_parse(types[i], (const char *)data, size, "fuzz.json", arena, &obj, &err) ==
		    0)
			round_trip(types[i], obj);
		else if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
			abort(); /* every failure carries a message */
		hk_err_free(err);
		oci_arena_free(arena);
	}
	return 0;
}
