/* A bump allocator: every object of one parsed document lives in one arena and is freed at once,
 * so the parser, the validators and the callers cannot leak a field on an early return. */
#ifndef HUSK_ARENA_H
#define HUSK_ARENA_H

#include <stddef.h>

struct oci_arena;

struct oci_arena *oci_arena_new(void);
void oci_arena_free(struct oci_arena *arena);
/* Zeroed memory; aborts on exhaustion (a runtime cannot go on without memory). */
void *oci_arena_alloc(struct oci_arena *arena, size_t size);
/* n elements of size bytes, with overflow checked. */
void *oci_arena_array(struct oci_arena *arena, size_t n, size_t size);
char *oci_arena_strdup(struct oci_arena *arena, const char *s);
char *oci_arena_strndup(struct oci_arena *arena, const char *s, size_t n);

#endif
