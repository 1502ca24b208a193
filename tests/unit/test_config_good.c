/* Realistic config.json documents parse, and serialise back to the same document: every field
 * read is written again, with nothing added or lost (null members count as absent). */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jsontree.h"
#include "tap.h"

static const struct jnode *member(const struct jnode *obj, const char *key, size_t key_len)
{
	const struct jnode *m;

	for (m = obj->first; m != NULL; m = m->next)
		if (m->type != J_NULL && m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
			return m;
	return NULL;
}

static size_t non_null_members(const struct jnode *obj)
{
	const struct jnode *m;
	size_t n = 0;

	for (m = obj->first; m != NULL; m = m->next)
		n += m->type != J_NULL;
	return n;
}

/* Structural equality, objects compared as sets of members; `where` gets the first difference. */
static bool json_same(const struct jnode *a, const struct jnode *b, char *where, size_t size)
{
	const struct jnode *x, *y;

	if (a->type != b->type) {
		snprintf(where, size, "%.*s: type differs", (int)(a->key_len),
			 a->key ? a->key : "");
		return false;
	}
	switch (a->type) {
	case J_NUMBER:
	case J_STRING:
		if (a->text_len != b->text_len || memcmp(a->text, b->text, a->text_len) != 0) {
			snprintf(where, size, "%s: \"%s\" != \"%s\"", a->key ? a->key : "[]",
				 a->text, b->text);
			return false;
		}
		return true;
	case J_ARRAY:
		if (a->count != b->count) {
			snprintf(where, size, "%s: %zu items != %zu", a->key ? a->key : "[]",
				 a->count, b->count);
			return false;
		}
		for (x = a->first, y = b->first; x != NULL; x = x->next, y = y->next)
			if (!json_same(x, y, where, size))
				return false;
		return true;
	case J_OBJECT:
		if (non_null_members(a) != non_null_members(b)) {
			snprintf(where, size, "%s: %zu members != %zu", a->key ? a->key : "{}",
				 non_null_members(a), non_null_members(b));
			return false;
		}
		for (x = a->first; x != NULL; x = x->next) {
			if (x->type == J_NULL)
				continue;
			y = member(b, x->key, x->key_len);
			if (y == NULL) {
				snprintf(where, size, "%s: missing after the round trip", x->key);
				return false;
			}
			if (!json_same(x, y, where, size))
				return false;
		}
		return true;
	default:
		return true;
	}
}

static void check_file(const char *dir, const char *name)
{
	hk_cleanup_err struct hk_err *err = NULL;
	struct oci_config_doc doc = {0};
	struct oci_arena *arena = oci_arena_new();
	struct jnode *before = NULL, *after = NULL;
	char path[4096], *text = NULL, *out = NULL, where[512] = "";
	size_t len = 0, out_len = 0;
	bool same = false;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (oci_read_file(path, OCI_CONFIG_MAX_BYTES, &text, &len, &err) == 0 &&
	    oci_config_parse(text, len, name, &doc, &err) == 0 &&
	    oci_generate(&oci_config_type, doc.config, true, &out, &out_len, &err) == 0 &&
	    json_tree_parse(text, len, "before", arena, &before, &err) == 0 &&
	    json_tree_parse(out, out_len, "after", arena, &after, &err) == 0)
		same = json_same(before, after, where, sizeof(where));
	tap_ok(same, "%s parses and round-trips%s%s", name, err ? ": " : "", err ? err->msg : "");
	if (!same && !err)
		tap_diag("%s", where);
	free(text);
	free(out);
	oci_config_doc_free(&doc);
	oci_arena_free(arena);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "good";
	struct dirent *entry;
	DIR *d = opendir(dir);
	int files = 0;

	if (d == NULL) {
		printf("Bail out! cannot open %s\n", dir);
		return 1;
	}
	while ((entry = readdir(d)) != NULL) {
		if (strstr(entry->d_name, ".json") == NULL)
			continue;
		check_file(dir, entry->d_name);
		files++;
	}
	closedir(d);
	tap_ok(files >= 10, "at least 10 realistic documents (%d)", files);
	return tap_done();
}
