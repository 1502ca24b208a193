/* A JSON tree built in an arena from yajl's event parser: no recursion in building or freeing,
 * a depth limit, strings with their lengths (so an embedded \u0000 is seen, not truncated), and the
 * line and column of a syntax error. */
#ifndef HUSK_JSONTREE_H
#define HUSK_JSONTREE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "hk_error.h"

enum jtype { J_NULL, J_TRUE, J_FALSE, J_NUMBER, J_STRING, J_OBJECT, J_ARRAY };

struct jnode {
	enum jtype type;
	uint32_t key_len;
	const char *key;  /* member name when the parent is an object (interned) */
	const char *text; /* string value, or a number's literal text */
	size_t text_len;
	struct jnode *first, *next;
	size_t count; /* members or items */
};

/* Documents nest a handful of levels; the limit keeps hostile input from exhausting anything. */
#define JSON_MAX_DEPTH 64

int json_tree_parse(const char *text, size_t len, const char *file, struct oci_arena *arena,
		    struct jnode **root, struct hk_err **err);

#endif
