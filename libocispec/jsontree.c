#include "jsontree.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* Keys repeat in every element of an array of objects: each distinct key is stored once. */
#define KEY_SLOTS 1024

struct open_node {
	struct jnode *node, *last;
};

struct builder {
	struct oci_arena *arena;
	struct jnode *root;
	struct open_node open[JSON_MAX_DEPTH + 1]; /* open[depth - 1]: innermost unfinished */
	const char *key;
	uint32_t key_len;
	unsigned depth;
	bool too_deep;
	const char *keys[KEY_SLOTS];
};

static struct jnode *add_node(struct builder *b, enum jtype type)
{
	struct jnode *node = oci_arena_alloc(b->arena, sizeof(*node));

	struct open_node *parent;

	node->type = type;
	if (b->depth == 0) {
		b->root = node;
		return node;
	}
	parent = &b->open[b->depth - 1];
	if (parent->node->type == J_OBJECT) {
		node->key = b->key;
		node->key_len = b->key_len;
	}
	if (parent->last != NULL)
		parent->last->next = node;
	else
		parent->node->first = node;
	parent->last = node;
	parent->node->count++;
	return node;
}

static int on_null(void *ctx)
{
	add_node(ctx, J_NULL);
	return 1;
}

static int on_boolean(void *ctx, int value)
{
	add_node(ctx, value ? J_TRUE : J_FALSE);
	return 1;
}

static int on_text(struct builder *b, enum jtype type, const unsigned char *s, size_t len)
{
	struct jnode *node = add_node(b, type);

	node->text = oci_arena_strndup(b->arena, (const char *)s, len);
	node->text_len = len;
	return 1;
}

static int on_number(void *ctx, const char *s, size_t len)
{
	return on_text(ctx, J_NUMBER, (const unsigned char *)s, len);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	return on_text(ctx, J_STRING, s, len);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;
	uint32_t hash = 2166136261u; /* FNV-1a */
	const char **slot;
	size_t i;

	if (len > UINT32_MAX)
		return 0;
	for (i = 0; i < len; i++)
		hash = (hash ^ s[i]) * 16777619u;
	slot = &b->keys[hash % KEY_SLOTS];
	if (*slot == NULL || strncmp(*slot, (const char *)s, len) != 0 || (*slot)[len] != '\0' ||
	    memchr(s, 0, len) != NULL)
		*slot = oci_arena_strndup(b->arena, (const char *)s, len);
	b->key = *slot;
	b->key_len = (uint32_t)len;
	return 1;
}

static int on_open(struct builder *b, enum jtype type)
{
	struct jnode *node;

	if (b->depth >= JSON_MAX_DEPTH) {
		b->too_deep = true;
		return 0;
	}
	node = add_node(b, type);
	b->open[b->depth++] = (struct open_node){node, NULL};
	return 1;
}

static int on_start_map(void *ctx)
{
	return on_open(ctx, J_OBJECT);
}

static int on_start_array(void *ctx)
{
	return on_open(ctx, J_ARRAY);
}

static int on_close(void *ctx)
{
	struct builder *b = ctx;

	b->depth--;
	return 1;
}

static const yajl_callbacks tree_callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_close,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_close,
};

/* yajl says "parse error: <reason>\n" (or "lexical error: ..."); keep the reason only. */
static bool syntax_reason(yajl_handle h, char *buf, size_t size)
{
	unsigned char *raw = yajl_get_error(h, 0, NULL, 0);
	const char *reason = (const char *)raw;
	const char *colon = strstr(reason, ": ");
	bool lexical = strncmp(reason, "lexical", 7) == 0;
	size_t n;

	if (colon != NULL)
		reason = colon + 2;
	n = strcspn(reason, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(buf, reason, n);
	buf[n] = '\0';
	yajl_free_error(h, raw);
	return lexical;
}

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '+';
}

static int syntax_error(bool lexical, const char *text, size_t len, size_t offset, const char *file,
			const char *reason, struct hk_err **err)
{
	size_t line = 1, column = 1, i;

	/* yajl's count ends past the bad token for a parse error, and at the bad byte or just past
	 * a bad literal for a lexical one: either way, point at the token's first byte. */
	if (offset > len)
		offset = len;
	if (!lexical && offset > 0)
		offset--;
	if (lexical && offset > 0 && (offset == len || !is_word_char(text[offset])) &&
	    isalpha((unsigned char)text[offset - 1]))
		offset--;
	if (offset == len && offset > 0)
		offset--;
	while (offset > 0 && is_word_char(text[offset]) && is_word_char(text[offset - 1]))
		offset--;
	for (i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	return hk_fail(err, 0, "%s: line %zu, column %zu: invalid JSON: %s", file, line, column,
		       reason);
}

int json_tree_parse(const char *text, size_t len, const char *file, struct oci_arena *arena,
		    struct jnode **root, struct hk_err **err)
{
	struct builder *b = calloc(1, sizeof(*b));
	yajl_handle h;
	yajl_status status;
	char reason[160];
	size_t offset;
	int ret = 0;

	if (b == NULL)
		abort();
	b->arena = arena;
	h = yajl_alloc(&tree_callbacks, NULL, b);
	if (h == NULL) {
		free(b);
		return hk_fail(err, ENOMEM, "%s: cannot start the JSON parser", file);
	}
	status = yajl_parse(h, (const unsigned char *)text, len);
	offset = yajl_get_bytes_consumed(h);
	if (status == yajl_status_ok) {
		status = yajl_complete_parse(h);
		offset = len;
	}
	if (b->too_deep) {
		ret = syntax_error(false, text, len, offset, file, "nested deeper than 64 levels",
				   err);
	} else if (status != yajl_status_ok) {
		bool lexical = syntax_reason(h, reason, sizeof(reason));

		ret = syntax_error(lexical, text, len, offset, file, reason, err);
	} else if (b->root == NULL) {
		ret = hk_fail(err, 0, "%s: empty document", file);
	}
	yajl_free(h);
	*root = b->root;
	free(b);
	return ret;
}
