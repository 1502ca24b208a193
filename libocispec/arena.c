#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 16384u

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

struct oci_arena {
	struct arena_block *head;
};

struct oci_arena *oci_arena_new(void)
{
	struct oci_arena *arena = calloc(1, sizeof(*arena));

	if (arena == NULL)
		abort();
	return arena;
}

void oci_arena_free(struct oci_arena *arena)
{
	struct arena_block *block, *next;

	if (arena == NULL)
		return;
	for (block = arena->head; block != NULL; block = next) {
		next = block->next;
		free(block);
	}
	free(arena);
}

static struct arena_block *arena_grow(struct oci_arena *arena, size_t need)
{
	size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
	struct arena_block *block = malloc(sizeof(*block) + size);

	if (block == NULL)
		abort();
	block->used = 0;
	block->size = size;
	/* A large request gets a block of its own behind the head, so the head keeps its free room.
	 */
	if (need > ARENA_BLOCK / 4 && arena->head != NULL) {
		block->next = arena->head->next;
		arena->head->next = block;
	} else {
		block->next = arena->head;
		arena->head = block;
	}
	return block;
}

/* 8 bytes is the strictest alignment of anything the documents hold (pointers, int64). */
static void *arena_take(struct oci_arena *arena, size_t size)
{
	const size_t align = 8;
	struct arena_block *block = arena->head;
	void *p;

	if (size > SIZE_MAX - align)
		abort();
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	if (block == NULL || block->size - block->used < size)
		block = arena_grow(arena, size);
	p = (char *)block->data + block->used;
	block->used += size;
	return p;
}

void *oci_arena_alloc(struct oci_arena *arena, size_t size)
{
	return memset(arena_take(arena, size), 0, size);
}

void *oci_arena_array(struct oci_arena *arena, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		abort();
	return oci_arena_alloc(arena, n * size);
}

char *oci_arena_strndup(struct oci_arena *arena, const char *s, size_t n)
{
	char *copy;

	if (n == SIZE_MAX)
		abort();
	copy = arena_take(arena, n + 1);

	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

char *oci_arena_strdup(struct oci_arena *arena, const char *s)
{
	return oci_arena_strndup(arena, s, strlen(s));
}
