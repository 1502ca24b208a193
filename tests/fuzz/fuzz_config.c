/* libFuzzer target for every document parser: config.json, process.json, husk's state record and
 * checkpoint's descriptors.json.
 * A document that parses must serialise and parse again to the same serialisation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "descriptors.h"
#include "namespaces.h"
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

/* What stage code builds from a config's map-typed and repeated fields into fixed buffers: the
 * parser alone never reached them (a repeated timeOffsets key once wrote past one). */
static void stage_texts(const struct oci_config *c)
{
	char text[8192];

	if (c->linux == NULL)
		return;
	(void)hk_ns_time_offsets_text(c->linux, text, 256);
	(void)hk_ns_id_map_text(c->linux->uid_mappings.items, c->linux->uid_mappings.len, text,
				sizeof(text));
	(void)hk_ns_id_map_text(c->linux->gid_mappings.items, c->linux->gid_mappings.len, text,
				sizeof(text));
}

/* checkpoint's descriptors.json, which restore reads from an image directory. */
static void descriptors(const uint8_t *data, size_t size)
{
	static char out[3][OCI_DESCRIPTOR_MAX];
	struct oci_arena *arena = oci_arena_new();
	struct hk_err *err = NULL;
	int i;

	if (oci_descriptors_parse((const char *)data, size, arena, out, &err) == 0) {
		for (i = 0; i < 3; i++)
			if (strlen(out[i]) >= OCI_DESCRIPTOR_MAX)
				abort();
	} else if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
		abort();
	hk_err_free(err);
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
		    0) {
			round_trip(types[i], obj);
			if (types[i] == &oci_config_type)
				stage_texts(obj);
		} else if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
			abort(); /* every failure carries a message */
		hk_err_free(err);
		oci_arena_free(arena);
	}
	descriptors(data, size);
	return 0;
}
