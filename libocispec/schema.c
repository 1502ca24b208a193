#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "hk_format.h"

#include "jsontree.h"

struct oci_ctx {
	const char *file;
	struct oci_arena *arena;
	struct hk_err **err;
	char *path; /* the JSON path of the value being read: linux.namespaces[2].type */
	size_t path_len, path_cap;
};

const struct oci_name *oci_name_find(const struct oci_names *table, const char *name)
{
	size_t i;

	for (i = 0; i < table->len; i++)
		if (strcmp(table->names[i].name, name) == 0)
			return &table->names[i];
	return NULL;
}

const char *oci_name_of(const struct oci_names *table, int value)
{
	size_t i;

	for (i = 0; i < table->len; i++)
		if (table->names[i].value == value)
			return table->names[i].name;
	return NULL;
}

/* ---- the JSON path ---- */

static void path_append(struct oci_ctx *ctx, const char *s, size_t n)
{
	if (ctx->path_len + n + 1 > ctx->path_cap) {
		size_t cap = (ctx->path_len + n + 1) * 2;
		char *grown = realloc(ctx->path, cap);

		if (grown == NULL)
			abort();
		ctx->path = grown;
		ctx->path_cap = cap;
	}
	memcpy(ctx->path + ctx->path_len, s, n);
	ctx->path_len += n;
	ctx->path[ctx->path_len] = '\0';
}

static size_t path_push_field(struct oci_ctx *ctx, const char *name)
{
	size_t mark = ctx->path_len;

	if (mark > 0)
		path_append(ctx, ".", 1);
	path_append(ctx, name, strlen(name));
	return mark;
}

static size_t path_push_index(struct oci_ctx *ctx, size_t index)
{
	size_t mark = ctx->path_len;
	char buf[32];

	if (hk_format(buf, sizeof(buf), "[%zu]", index) < 0) /* 22 bytes at most */
		buf[0] = '\0';
	path_append(ctx, buf, strlen(buf));
	return mark;
}

/* Map keys come from the document: shown quoted, and cut short so a huge key stays readable. */
static size_t path_push_key(struct oci_ctx *ctx, const char *key, size_t key_len)
{
	size_t mark = ctx->path_len;
	size_t shown = key_len > 64 ? 64 : key_len;

	path_append(ctx, "[\"", 2);
	path_append(ctx, key, strnlen(key, shown));
	path_append(ctx, shown < key_len ? "...\"]" : "\"]", shown < key_len ? 5 : 2);
	return mark;
}

static void path_pop(struct oci_ctx *ctx, size_t mark)
{
	ctx->path_len = mark;
	if (ctx->path != NULL)
		ctx->path[mark] = '\0';
}

static int ctx_vfail(struct oci_ctx *ctx, const char *fmt, va_list ap)
{
	char *msg = NULL;
	int ret;

	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	if (ctx->path_len == 0)
		ret = hk_fail(ctx->err, 0, "%s: %s", ctx->file, msg);
	else
		ret = hk_fail(ctx->err, 0, "%s: %s: %s", ctx->file, ctx->path, msg);
	free(msg);
	return ret;
}

static int ctx_fail(struct oci_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int ctx_fail(struct oci_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctx_vfail(ctx, fmt, ap);
	va_end(ap);
	return -1;
}

int oci_ctx_fail(struct oci_ctx *ctx, const char *field, const char *fmt, ...)
{
	size_t mark = field != NULL ? path_push_field(ctx, field) : ctx->path_len;
	va_list ap;

	va_start(ap, fmt);
	ctx_vfail(ctx, fmt, ap);
	va_end(ap);
	path_pop(ctx, mark);
	return -1;
}

int oci_ctx_fail_at(struct oci_ctx *ctx, const char *field, size_t index, const char *fmt, ...)
{
	size_t mark = path_push_field(ctx, field);
	va_list ap;

	path_push_index(ctx, index);
	va_start(ap, fmt);
	ctx_vfail(ctx, fmt, ap);
	va_end(ap);
	path_pop(ctx, mark);
	return -1;
}

/* ---- reading values ---- */

/* How a wrong value is shown after "got": strings quoted and cut short. */
static const char *describe(const struct jnode *node, char *buf, size_t size)
{
	switch (node->type) {
	case J_NULL:
		return "null";
	case J_TRUE:
		return "true";
	case J_FALSE:
		return "false";
	case J_OBJECT:
		return "an object";
	case J_ARRAY:
		return "an array";
	case J_NUMBER:
		return hk_format(buf, size, "%.40s", node->text) == 0 ? buf : "a number";
	case J_STRING:
		return hk_format(buf, size, "\"%.40s%s\"", node->text,
				 node->text_len > 40 ? "..." : "") == 0
			   ? buf
			   : "a string";
	}
	return "?";
}

static int wrong_type(struct oci_ctx *ctx, const char *expected, const struct jnode *node)
{
	char buf[64];

	return ctx_fail(ctx, "expected %s, got %s", expected, describe(node, buf, sizeof(buf)));
}

static char *take_string(struct oci_ctx *ctx, const struct jnode *node)
{
	if (node->type != J_STRING) {
		wrong_type(ctx, "a string", node);
		return NULL;
	}
	/* A NUL inside would silently cut a path or an argument short. */
	if (strlen(node->text) != node->text_len) {
		ctx_fail(ctx, "contains a NUL character");
		return NULL;
	}
	return oci_arena_strndup(ctx->arena, node->text, node->text_len);
}

struct int_range {
	bool is_signed;
	int64_t min;
	uint64_t max;
};

static const struct int_range ranges[] = {
    [OCI_I64] = {true, INT64_MIN, INT64_MAX}, [OCI_U64] = {false, 0, UINT64_MAX},
    [OCI_I32] = {true, INT32_MIN, INT32_MAX}, [OCI_U32] = {false, 0, UINT32_MAX},
    [OCI_U16] = {false, 0, UINT16_MAX},	      [OCI_U32S] = {false, 0, UINT32_MAX},
};

static int out_of_range(struct oci_ctx *ctx, const struct int_range *r, const struct jnode *node)
{
	if (r->is_signed)
		return ctx_fail(ctx,
				"expected an integer from %" PRId64 " to %" PRIu64 ", got %.40s",
				r->min, r->max, node->text);
	return ctx_fail(ctx, "expected an integer from 0 to %" PRIu64 ", got %.40s", r->max,
			node->text);
}

/* JSON numbers that are whole, in range, written without a fraction or exponent. The literal
 * text is read here, not a double, so that every uint64 seccomp argument survives exactly. */
static int take_integer(struct oci_ctx *ctx, const struct jnode *node, enum oci_kind kind,
			uint64_t *bits)
{
	const struct int_range *r = &ranges[kind];
	const char *digits;
	uint64_t magnitude;
	bool negative;

	if (node->type != J_NUMBER)
		return wrong_type(ctx, "an integer", node);
	negative = node->text[0] == '-';
	digits = node->text + negative;
	if (digits[0] == '\0' || strspn(digits, "0123456789") != strlen(digits))
		return wrong_type(ctx, "an integer", node);
	errno = 0;
	magnitude = strtoull(digits, NULL, 10);
	if (errno == ERANGE)
		return out_of_range(ctx, r, node);
	if (!negative || magnitude == 0) {
		if (magnitude > r->max)
			return out_of_range(ctx, r, node);
		*bits = magnitude;
		return 0;
	}
	/* -magnitude >= min, written without overflow: magnitude - 1 <= -(min + 1) */
	if (!r->is_signed || magnitude - 1 > (uint64_t)(-(r->min + 1)))
		return out_of_range(ctx, r, node);
	*bits = (uint64_t)(-(int64_t)(magnitude - 1) - 1);
	return 0;
}

static int parse_object(struct oci_ctx *ctx, const struct oci_type *type, const struct jnode *node,
			void *obj);

static void *new_object(struct oci_ctx *ctx, const struct oci_type *type)
{
	return oci_arena_alloc(ctx->arena, type->size);
}

static int parse_strings(struct oci_ctx *ctx, const struct oci_field *f, const struct jnode *node,
			 struct oci_strv *out)
{
	const struct jnode *item;
	size_t i = 0;

	if (node->type != J_ARRAY)
		return wrong_type(ctx, "an array of strings", node);
	out->items = oci_arena_array(ctx->arena, node->count + 1, sizeof(char *));
	for (item = node->first; item != NULL; item = item->next, i++) {
		size_t mark = path_push_index(ctx, i);

		out->items[i] = take_string(ctx, item);
		if (out->items[i] == NULL)
			return -1;
		if ((f->flags & OCI_ABSOLUTE) && out->items[i][0] != '/')
			return ctx_fail(ctx, "must be an absolute path, got \"%.64s\"",
					out->items[i]);
		if (f->names != NULL && oci_name_find(f->names, out->items[i]) == NULL)
			return ctx_fail(ctx, "unknown %s \"%.64s\"", f->names->what, out->items[i]);
		path_pop(ctx, mark);
	}
	out->len = i;
	out->set = true;
	return 0;
}

static int parse_u32s(struct oci_ctx *ctx, const struct jnode *node, struct oci_u32v *out)
{
	const struct jnode *item;
	uint64_t bits;
	size_t i = 0;

	if (node->type != J_ARRAY)
		return wrong_type(ctx, "an array of integers", node);
	out->items = oci_arena_array(ctx->arena, node->count, sizeof(uint32_t));
	for (item = node->first; item != NULL; item = item->next, i++) {
		size_t mark = path_push_index(ctx, i);

		if (take_integer(ctx, item, OCI_U32S, &bits) < 0)
			return -1;
		out->items[i] = (uint32_t)bits;
		path_pop(ctx, mark);
	}
	out->len = i;
	out->set = true;
	return 0;
}

/* Duplicate keys in a JSON object: the last one wins, as with Go's encoding/json (runc), and the
 * map keeps one entry per key. A table of slot numbers by key hash finds the earlier slot. */
struct key_index {
	size_t *slots; /* slot + 1, 0: empty */
	size_t size;
};

static void key_index_init(struct oci_ctx *ctx, struct key_index *k, size_t count)
{
	k->size = 16;
	while (k->size < 2 * count)
		k->size *= 2;
	k->slots = oci_arena_array(ctx->arena, k->size, sizeof(size_t));
}

/* The slot already holding key (among keys[0..used)), or `used` after recording it there. */
static size_t key_slot(struct key_index *k, char *const *keys, size_t stride, size_t used,
		       const char *key, size_t len)
{
	size_t h = 2166136261u, i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	for (i = h & (k->size - 1);; i = (i + 1) & (k->size - 1)) {
		size_t slot = k->slots[i];
		const char *other;

		if (slot == 0) {
			k->slots[i] = used + 1;
			return used;
		}
		other = *(char *const *)((const char *)keys + (slot - 1) * stride);
		if (strlen(other) == len && memcmp(other, key, len) == 0)
			return slot - 1;
	}
}

static int parse_strmap(struct oci_ctx *ctx, const struct jnode *node, struct oci_strmap *out)
{
	const struct jnode *member;
	struct key_index index;
	size_t used = 0;

	if (node->type != J_OBJECT)
		return wrong_type(ctx, "an object of strings", node);
	out->keys = oci_arena_array(ctx->arena, node->count, sizeof(char *));
	out->values = oci_arena_array(ctx->arena, node->count, sizeof(char *));
	key_index_init(ctx, &index, node->count);
	for (member = node->first; member != NULL; member = member->next) {
		size_t mark = path_push_key(ctx, member->key, member->key_len), i;

		if (strlen(member->key) != member->key_len)
			return ctx_fail(ctx, "key contains a NUL character");
		i = key_slot(&index, out->keys, sizeof(char *), used, member->key, member->key_len);
		if (i == used)
			out->keys[used++] =
			    oci_arena_strndup(ctx->arena, member->key, member->key_len);
		out->values[i] = take_string(ctx, member);
		if (out->values[i] == NULL)
			return -1;
		path_pop(ctx, mark);
	}
	out->len = used;
	out->set = true;
	return 0;
}

/* OCI_OBJECTS (an array) and OCI_OBJMAP (an object keyed by name) share one loop. */
static int parse_objects(struct oci_ctx *ctx, const struct oci_field *f, const struct jnode *node,
			 struct oci_vec *out)
{
	bool keyed = f->kind == OCI_OBJMAP;
	const struct jnode *item;
	struct key_index index;
	size_t used = 0, n = 0;

	if (node->type != (keyed ? J_OBJECT : J_ARRAY))
		return wrong_type(ctx, keyed ? "an object" : "an array", node);
	out->items = oci_arena_array(ctx->arena, node->count, f->type->size);
	if (keyed)
		key_index_init(ctx, &index, node->count);
	for (item = node->first; item != NULL; item = item->next, n++) {
		size_t mark =
		    keyed ? path_push_key(ctx, item->key, item->key_len) : path_push_index(ctx, n);
		size_t i = used;
		void *obj;

		if (keyed && strlen(item->key) != item->key_len)
			return ctx_fail(ctx, "key contains a NUL character");
		if (keyed) /* a repeated key overwrites its earlier entry: the last wins */
			i = key_slot(&index, out->items, f->type->size, used, item->key,
				     item->key_len);
		obj = (char *)out->items + i * f->type->size;
		memset(obj, 0, f->type->size);
		if (keyed)
			*(char **)obj = oci_arena_strndup(ctx->arena, item->key, item->key_len);
		if (parse_object(ctx, f->type, item, obj) < 0)
			return -1;
		if (i == used)
			used++;
		path_pop(ctx, mark);
	}
	out->len = used;
	out->set = true;
	return 0;
}

static int parse_string_field(struct oci_ctx *ctx, const struct oci_field *f,
			      const struct jnode *node, char **out)
{
	char *s = take_string(ctx, node);

	if (s == NULL)
		return -1;
	if ((f->flags & OCI_NONEMPTY) && s[0] == '\0')
		return ctx_fail(ctx, "must not be empty");
	if ((f->flags & OCI_ABSOLUTE) && s[0] != '/')
		return ctx_fail(ctx, "must be an absolute path, got \"%.64s\"", s);
	*out = s;
	return 0;
}

static int parse_enum(struct oci_ctx *ctx, const struct oci_field *f, const struct jnode *node,
		      struct oci_opt_enum *out)
{
	const struct oci_name *name;
	const char *s = take_string(ctx, node);

	if (s == NULL)
		return -1;
	name = oci_name_find(f->names, s);
	if (name == NULL)
		return ctx_fail(ctx, "unknown %s \"%.64s\"", f->names->what, s);
	out->value = name->value;
	out->set = true;
	return 0;
}

static int parse_scalar(struct oci_ctx *ctx, const struct oci_field *f, const struct jnode *node,
			void *dst)
{
	uint64_t bits;

	if (f->kind == OCI_BOOL) {
		struct oci_opt_bool *b = dst;

		if (node->type != J_TRUE && node->type != J_FALSE)
			return wrong_type(ctx, "true or false", node);
		b->value = node->type == J_TRUE;
		b->set = true;
		return 0;
	}
	if (take_integer(ctx, node, f->kind, &bits) < 0)
		return -1;
	switch (f->kind) {
	case OCI_I64:
		*(struct oci_opt_i64 *)dst = (struct oci_opt_i64){(int64_t)bits, true};
		break;
	case OCI_U64:
		*(struct oci_opt_u64 *)dst = (struct oci_opt_u64){bits, true};
		break;
	case OCI_I32:
		*(struct oci_opt_i32 *)dst = (struct oci_opt_i32){(int32_t)(int64_t)bits, true};
		break;
	default: /* OCI_U32, OCI_U16 */
		*(struct oci_opt_u32 *)dst = (struct oci_opt_u32){(uint32_t)bits, true};
		break;
	}
	return 0;
}

static int parse_field(struct oci_ctx *ctx, const struct oci_field *f, const struct jnode *node,
		       void *obj)
{
	void *dst = (char *)obj + f->offset;

	if (node->type == J_NULL)
		return 0; /* Go's encoder writes null for nil; it means absent */
	switch (f->kind) {
	case OCI_STRING:
		return parse_string_field(ctx, f, node, dst);
	case OCI_ENUM:
		return parse_enum(ctx, f, node, dst);
	case OCI_STRINGS:
		return parse_strings(ctx, f, node, dst);
	case OCI_U32S:
		return parse_u32s(ctx, node, dst);
	case OCI_STRMAP:
		return parse_strmap(ctx, node, dst);
	case OCI_OBJECTS:
	case OCI_OBJMAP:
		return parse_objects(ctx, f, node, dst);
	case OCI_OBJECT:
		*(void **)dst = new_object(ctx, f->type);
		return parse_object(ctx, f->type, node, *(void **)dst);
	default:
		return parse_scalar(ctx, f, node, dst);
	}
}

static bool field_present(const struct oci_field *f, const void *obj)
{
	const void *p = (const char *)obj + f->offset;

	switch (f->kind) {
	case OCI_STRING:
	case OCI_OBJECT:
		return *(void *const *)p != NULL;
	case OCI_BOOL:
		return ((const struct oci_opt_bool *)p)->set;
	case OCI_I64:
		return ((const struct oci_opt_i64 *)p)->set;
	case OCI_U64:
		return ((const struct oci_opt_u64 *)p)->set;
	case OCI_I32:
		return ((const struct oci_opt_i32 *)p)->set;
	case OCI_U32:
	case OCI_U16:
		return ((const struct oci_opt_u32 *)p)->set;
	case OCI_ENUM:
		return ((const struct oci_opt_enum *)p)->set;
	case OCI_STRINGS:
		return ((const struct oci_strv *)p)->set;
	case OCI_U32S:
		return ((const struct oci_u32v *)p)->set;
	case OCI_STRMAP:
		return ((const struct oci_strmap *)p)->set;
	case OCI_OBJECTS:
	case OCI_OBJMAP:
		return ((const struct oci_vec *)p)->set;
	}
	return false;
}

static size_t field_len(const struct oci_field *f, const void *obj)
{
	const void *p = (const char *)obj + f->offset;

	if (f->kind == OCI_STRINGS)
		return ((const struct oci_strv *)p)->len;
	if (f->kind == OCI_OBJECTS || f->kind == OCI_OBJMAP)
		return ((const struct oci_vec *)p)->len;
	return 1;
}

static const struct oci_field *find_field(const struct oci_type *type, const char *key)
{
	size_t i;

	for (i = 0; i < type->nfields; i++)
		if (strcmp(type->fields[i].json, key) == 0)
			return &type->fields[i];
	return NULL;
}

static int check_required(struct oci_ctx *ctx, const struct oci_type *type, const void *obj)
{
	size_t i;

	for (i = 0; i < type->nfields; i++) {
		const struct oci_field *f = &type->fields[i];

		if ((f->flags & OCI_REQUIRED) && !field_present(f, obj))
			return oci_ctx_fail(ctx, f->json, "required field is missing");
		if ((f->flags & OCI_NONEMPTY) && f->kind != OCI_STRING && field_present(f, obj) &&
		    field_len(f, obj) == 0)
			return oci_ctx_fail(ctx, f->json, "must not be empty");
	}
	return 0;
}

static int parse_object(struct oci_ctx *ctx, const struct oci_type *type, const struct jnode *node,
			void *obj)
{
	const struct jnode *member;

	if (node->type != J_OBJECT)
		return wrong_type(ctx, "an object", node);
	for (member = node->first; member != NULL; member = member->next) {
		const struct oci_field *f = find_field(type, member->key);
		size_t mark;

		if (f == NULL)
			continue; /* unknown keys are ignored, as the specification says */
		mark = path_push_field(ctx, f->json);
		if (parse_field(ctx, f, member, obj) < 0)
			return -1;
		path_pop(ctx, mark);
	}
	if (check_required(ctx, type, obj) < 0)
		return -1;
	return type->validate != NULL ? type->validate(obj, ctx) : 0;
}

int oci_parse(const struct oci_type *type, const char *text, size_t len, const char *file,
	      struct oci_arena *arena, void **out, struct hk_err **err)
{
	struct oci_ctx ctx = {.file = file, .arena = arena, .err = err};
	/* The tree is scaffolding: it goes with its own arena, the result keeps only what it needs.
	 */
	struct oci_arena *tree_arena = oci_arena_new();
	struct jnode *root = NULL;
	void *obj;
	int ret = -1;

	if (json_tree_parse(text, len, file, tree_arena, &root, err) == 0) {
		obj = new_object(&ctx, type);
		ret = parse_object(&ctx, type, root, obj);
	}
	oci_arena_free(tree_arena);
	free(ctx.path);
	if (ret == 0)
		*out = obj;
	return ret;
}

/* ---- serialising ---- */

static int gen_object(yajl_gen g, const struct oci_type *type, const void *obj);

static void gen_cstring(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_int(yajl_gen g, bool is_signed, uint64_t bits)
{
	char buf[32]; /* 21 bytes at most */

	if ((is_signed ? hk_format(buf, sizeof(buf), "%" PRId64, (int64_t)bits)
		       : hk_format(buf, sizeof(buf), "%" PRIu64, bits)) == 0)
		yajl_gen_number(g, buf, strlen(buf));
}

static void gen_strings(yajl_gen g, const struct oci_strv *v)
{
	size_t i;

	yajl_gen_array_open(g);
	for (i = 0; i < v->len; i++)
		gen_cstring(g, v->items[i]);
	yajl_gen_array_close(g);
}

static void gen_objects(yajl_gen g, const struct oci_field *f, const struct oci_vec *v)
{
	bool keyed = f->kind == OCI_OBJMAP;
	size_t i;

	keyed ? yajl_gen_map_open(g) : yajl_gen_array_open(g);
	for (i = 0; i < v->len; i++) {
		const void *item = (const char *)v->items + i * f->type->size;

		if (keyed)
			gen_cstring(g, *(char *const *)item);
		gen_object(g, f->type, item);
	}
	keyed ? yajl_gen_map_close(g) : yajl_gen_array_close(g);
}

static void gen_collection(yajl_gen g, const struct oci_field *f, const void *p)
{
	size_t i;

	if (f->kind == OCI_STRINGS) {
		gen_strings(g, p);
	} else if (f->kind == OCI_U32S) {
		const struct oci_u32v *v = p;

		yajl_gen_array_open(g);
		for (i = 0; i < v->len; i++)
			gen_int(g, false, v->items[i]);
		yajl_gen_array_close(g);
	} else if (f->kind == OCI_STRMAP) {
		const struct oci_strmap *m = p;

		yajl_gen_map_open(g);
		for (i = 0; i < m->len; i++) {
			gen_cstring(g, m->keys[i]);
			gen_cstring(g, m->values[i]);
		}
		yajl_gen_map_close(g);
	} else {
		gen_objects(g, f, p);
	}
}

static void gen_field(yajl_gen g, const struct oci_field *f, const void *obj)
{
	const void *p = (const char *)obj + f->offset;

	switch (f->kind) {
	case OCI_STRING:
		gen_cstring(g, *(char *const *)p);
		break;
	case OCI_BOOL:
		yajl_gen_bool(g, ((const struct oci_opt_bool *)p)->value);
		break;
	case OCI_I64:
		gen_int(g, true, (uint64_t)((const struct oci_opt_i64 *)p)->value);
		break;
	case OCI_U64:
		gen_int(g, false, ((const struct oci_opt_u64 *)p)->value);
		break;
	case OCI_I32:
		gen_int(g, true, (uint64_t)(int64_t)((const struct oci_opt_i32 *)p)->value);
		break;
	case OCI_U32:
	case OCI_U16:
		gen_int(g, false, ((const struct oci_opt_u32 *)p)->value);
		break;
	case OCI_ENUM:
		gen_cstring(g, oci_name_of(f->names, ((const struct oci_opt_enum *)p)->value));
		break;
	case OCI_OBJECT:
		gen_object(g, f->type, *(void *const *)p);
		break;
	default:
		gen_collection(g, f, p);
		break;
	}
}

static int gen_object(yajl_gen g, const struct oci_type *type, const void *obj)
{
	size_t i;

	yajl_gen_map_open(g);
	for (i = 0; i < type->nfields; i++) {
		const struct oci_field *f = &type->fields[i];

		if (!field_present(f, obj))
			continue;
		gen_cstring(g, f->json);
		gen_field(g, f, obj);
	}
	return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
}

int oci_generate(const struct oci_type *type, const void *obj, bool pretty, char **out, size_t *len,
		 struct hk_err **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t n;
	int ret = 0;

	if (g == NULL)
		return hk_fail(err, ENOMEM, "serialising %s", type->name);
	yajl_gen_config(g, yajl_gen_beautify, pretty ? 1 : 0);
	yajl_gen_config(g, yajl_gen_indent_string, "\t");
	if (gen_object(g, type, obj) < 0 || yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok) {
		ret = hk_fail(err, 0, "serialising %s: the generator failed", type->name);
	} else {
		while (n > 0 && buf[n - 1] == '\n')
			n--; /* yajl's beautifier ends with a newline; callers add their own */
		*out = malloc(n + 1);
		if (*out == NULL)
			abort();
		memcpy(*out, buf, n);
		(*out)[n] = '\0';
		if (len != NULL)
			*len = n;
	}
	yajl_gen_free(g);
	return ret;
}

char *oci_json_quote(const char *s)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	char *out = NULL;
	size_t n;

	if (g == NULL)
		return NULL;
	gen_cstring(g, s);
	if (yajl_gen_get_buf(g, &buf, &n) == yajl_gen_status_ok && (out = malloc(n + 1)) != NULL) {
		memcpy(out, buf, n);
		out[n] = '\0';
	}
	yajl_gen_free(g);
	return out;
}

int oci_write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* A pipe or terminal: read to EOF, at most max bytes. */
static int read_stream(int fd, const char *name, size_t max, char **out, size_t *len,
		       struct hk_err **err)
{
	size_t got = 0, cap = 65536;
	char *buf = malloc(cap + 1);

	if (buf == NULL)
		abort();
	for (;;) {
		ssize_t n;

		if (got == cap && (cap *= 2, buf = realloc(buf, cap + 1)) == NULL)
			abort();
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			free(buf);
			return hk_fail(err, saved, "read %s", name);
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			free(buf);
			return hk_fail(err, 0, "%s: larger than %zu bytes", name, max);
		}
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* A file the caller names: a regular file, or a stream (a pipe, `-p <(...)`, /dev/fd/N, a
 * socket or a terminal), as runc reads it. */
int oci_read_input(const char *path, size_t max, char **out, size_t *len, struct hk_err **err)
{
	struct stat st;
	int fd, ret;

	if (strcmp(path, "-") == 0) {
		if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
			return oci_read_file("/proc/self/fd/0", max, out, len, err);
		return read_stream(STDIN_FILENO, "stdin", max, out, len, err);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hk_fail(err, errno, "open %s", path);
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		ret = read_stream(fd, path, max, out, len, err);
		close(fd);
		return ret;
	}
	close(fd);
	return oci_read_file(path, max, out, len, err);
}

int oci_read_file(const char *path, size_t max, char **out, size_t *len, struct hk_err **err)
{
	return oci_read_fileat(AT_FDCWD, path, 0, max, out, len, err);
}

/* Never blocks in open (a FIFO planted where a document should be would hang the open until a
 * writer came) and reads only a regular file, at most max bytes. */
int oci_read_fileat(int dirfd, const char *path, int flags, size_t max, char **out, size_t *len,
		    struct hk_err **err)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	struct stat st;
	size_t got = 0;
	char *buf;

	if (fd < 0)
		return hk_fail(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0) {
		int saved = errno;

		close(fd);
		return hk_fail(err, saved, "stat %s", path);
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		if (!S_ISREG(st.st_mode))
			return hk_fail(err, 0, "%s: not a regular file", path);
		return hk_fail(err, 0, "%s: larger than %zu bytes", path, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		abort();
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}
