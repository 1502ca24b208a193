/* Field descriptors: every OCI document type is described once by a table of its JSON fields, and
 * one generic engine parses, validates and serialises all of them from those tables. A field added
 * to a table is parsed, checked, round-tripped and fuzzed with no other line of code. */
#ifndef HUSK_SCHEMA_H
#define HUSK_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "hk_error.h"

/* Optional scalars carry `set`, so that an absent field and a zero are told apart and a document
 * serialises back to what it was. */
struct oci_opt_i64 {
	int64_t value;
	bool set;
};
struct oci_opt_u64 {
	uint64_t value;
	bool set;
};
struct oci_opt_i32 {
	int32_t value;
	bool set;
};
struct oci_opt_u32 {
	uint32_t value;
	bool set;
};
struct oci_opt_bool {
	bool value;
	bool set;
};
/* A string from a name table (namespace type, rlimit type...), stored as the table's value. */
struct oci_opt_enum {
	int value;
	bool set;
};
struct oci_strv {
	char **items;
	size_t len;
	bool set;
};
struct oci_u32v {
	uint32_t *items;
	size_t len;
	bool set;
};
/* A JSON object whose values are strings (annotations, sysctl, unified), in document order. */
struct oci_strmap {
	char **keys;
	char **values;
	size_t len;
	bool set;
};
/* An array of structs; OCI_VEC(T) has the layout of struct oci_vec with a typed pointer. */
#define OCI_VEC(T)                                                                                 \
	struct {                                                                                   \
		T *items;                                                                          \
		size_t len;                                                                        \
		bool set;                                                                          \
	}
struct oci_vec {
	void *items;
	size_t len;
	bool set;
};

/* A name table: the one place where a set of OCI names (and their values) is spelled. */
struct oci_name {
	const char *name;
	int value;
};
struct oci_names {
	const char *what; /* "namespace type", used in "unknown namespace type \"pidd\"" */
	const struct oci_name *names;
	size_t len;
};
const struct oci_name *oci_name_find(const struct oci_names *table, const char *name);
const char *oci_name_of(const struct oci_names *table, int value);

enum oci_kind {
	OCI_STRING,  /* char * */
	OCI_BOOL,    /* struct oci_opt_bool */
	OCI_I64,     /* struct oci_opt_i64 */
	OCI_U64,     /* struct oci_opt_u64 */
	OCI_I32,     /* struct oci_opt_i32 */
	OCI_U32,     /* struct oci_opt_u32 */
	OCI_U16,     /* struct oci_opt_u32 holding 0..65535 */
	OCI_ENUM,    /* struct oci_opt_enum, named by field->names */
	OCI_STRINGS, /* struct oci_strv; with field->names every item must be a known name */
	OCI_U32S,    /* struct oci_u32v */
	OCI_STRMAP,  /* struct oci_strmap */
	OCI_OBJECT,  /* pointer to a struct of field->type, NULL when absent */
	OCI_OBJECTS, /* OCI_VEC of field->type */
	OCI_OBJMAP,  /* OCI_VEC of field->type whose first member is `char *key` */
};

enum oci_field_flags {
	OCI_REQUIRED = 1u << 0, /* absent (or null) is an error */
	OCI_ABSOLUTE = 1u << 1, /* a string that must be an absolute path */
	OCI_NONEMPTY = 1u << 2, /* an array or string that must have at least one item/char */
};

struct oci_ctx;
struct oci_type;

struct oci_field {
	const char *json;
	enum oci_kind kind;
	size_t offset;
	unsigned flags;
	const struct oci_type *type;   /* OCI_OBJECT, OCI_OBJECTS, OCI_OBJMAP */
	const struct oci_names *names; /* OCI_ENUM, OCI_STRINGS */
};

struct oci_type {
	const char *name;
	size_t size;
	const struct oci_field *fields;
	size_t nfields;
	/* Checks that need more than one field; reports through oci_ctx_fail. */
	int (*validate)(const void *obj, struct oci_ctx *ctx);
};

#define OCI_FIELD(json, kind, T, member, flags, type, names)                                       \
	{                                                                                          \
		json, kind, offsetof(T, member), flags, type, names                                \
	}
#define OCI_TYPE(tname, T, table, check)                                                           \
	{                                                                                          \
		tname, sizeof(T), table, sizeof(table) / sizeof(table[0]), check                   \
	}

/* Reports "<file>: <path>[.<field>]: <message>" for a validator; returns -1. */
int oci_ctx_fail(struct oci_ctx *ctx, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with "[index]" after the field, for an element of an array field. */
int oci_ctx_fail_at(struct oci_ctx *ctx, const char *field, size_t index, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses text (len bytes, any content) as a document of `type` into a struct allocated in arena.
 * `file` names the document in messages ("config.json"). */
int oci_parse(const struct oci_type *type, const char *text, size_t len, const char *file,
	      struct oci_arena *arena, void **out, struct hk_err **err);

/* Serialises obj; *out is malloc'ed and NUL-terminated. `pretty` indents with tabs. */
int oci_generate(const struct oci_type *type, const void *obj, bool pretty, char **out, size_t *len,
		 struct hk_err **err);

/* s as a JSON string, quotes included, escaped as the serialiser escapes (bytes >= 0x80 pass
 * through); malloc'ed, NULL when out of memory. */
char *oci_json_quote(const char *s);

/* Writes all of buf, retrying short writes and EINTR; -1 with errno set on failure. */
int oci_write_all(int fd, const char *buf, size_t len);

/* Reads a whole file (at most max bytes) for oci_parse; *out is malloc'ed and NUL-terminated. */
int oci_read_file(const char *path, size_t max, char **out, size_t *len, struct hk_err **err);
/* The same, path relative to dirfd, with more open flags (O_NOFOLLOW). */
int oci_read_fileat(int dirfd, const char *path, int flags, size_t max, char **out, size_t *len,
		    struct hk_err **err);
/* The same, with "-" for standard input (a file, a pipe or a terminal). */
int oci_read_input(const char *path, size_t max, char **out, size_t *len, struct hk_err **err);

#endif
