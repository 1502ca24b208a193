/* The kernel's list format for CPUs and NUMA nodes ("0-3,7"), as process.execCPUAffinity and
 * linux.memoryPolicy.nodes spell them. Pure, for the unit tests. */
#ifndef HUSK_IDLIST_H
#define HUSK_IDLIST_H

#include <stddef.h>

#include "hk_error.h"

/* Sets bit n of mask (bits long, in unsigned longs) for each id in text; ids >= bits, a
 * backwards range, an empty item or anything but digits, '-' and ',' are refused naming field. */
int hk_idlist_parse(const char *text, unsigned long *mask, size_t bits, const char *field,
		    struct hk_err **err);
/* The ids of text in a mask sized to the largest of them (no fixed-size set: a machine may have
 * more than 1024 CPUs), malloc'ed; *bits its size. Ids are refused past limit. */
unsigned long *hk_idlist_alloc(const char *text, size_t limit, size_t *bits, const char *field,
			       struct hk_err **err);
#define HK_IDLIST_LIMIT (1u << 16) /* past any kernel's CPU or NUMA node count */

#endif
