#include "descriptors.h"

#include <string.h>

#include "jsontree.h"

int oci_descriptors_parse(const char *text, size_t len, struct oci_arena *arena,
			  char out[3][OCI_DESCRIPTOR_MAX], struct hk_err **err)
{
	struct jnode *root, *item;
	int i;

	for (i = 0; i < 3; i++)
		out[i][0] = '\0';
	if (json_tree_parse(text, len, "descriptors.json", arena, &root, err) < 0)
		return -1;
	if (root->type != J_ARRAY || root->count > 3)
		return hk_fail(err, 0, "descriptors.json: expected an array of three strings");
	for (item = root->first, i = 0; item != NULL; item = item->next, i++) {
		if (item->type != J_STRING || item->text_len >= OCI_DESCRIPTOR_MAX ||
		    memchr(item->text, '\0', item->text_len) != NULL)
			return hk_fail(err, 0, "descriptors.json[%d]: expected a path or a key", i);
		memcpy(out[i], item->text, item->text_len);
		out[i][item->text_len] = '\0';
	}
	return 0;
}
