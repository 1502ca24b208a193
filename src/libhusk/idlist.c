#include "idlist.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define LONG_BITS (sizeof(unsigned long) * CHAR_BIT)

static int read_id(const char **p, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	*out = strtoul(*p, &end, 10);
	*p = end;
	return 0;
}

int hk_idlist_parse(const char *text, unsigned long *mask, size_t bits, const char *field,
		    struct hk_err **err)
{
	const char *p = text;

	memset(mask, 0, (bits + LONG_BITS - 1) / LONG_BITS * sizeof(unsigned long));
	while (*p) {
		unsigned long first, last, id;

		if (read_id(&p, &first) < 0)
			return hk_fail(err, 0, "config.json: %s: \"%s\" is not a list like 0-3,7",
				       field, text);
		last = first;
		if (*p == '-' && (p++, read_id(&p, &last) < 0))
			return hk_fail(err, 0, "config.json: %s: \"%s\" is not a list like 0-3,7",
				       field, text);
		if ((*p != ',' && *p != '\0') || last < first || last >= bits)
			return hk_fail(err, 0, "config.json: %s: \"%s\" is not a list like 0-3,7%s",
				       field, text,
				       last >= bits ? " (an id past the kernel's)" : "");
		for (id = first; id <= last; id++)
			mask[id / LONG_BITS] |= 1ul << (id % LONG_BITS);
		if (*p == ',' && *++p == '\0')
			return hk_fail(err, 0, "config.json: %s: \"%s\" ends with a comma", field,
				       text);
	}
	if (p == text)
		return hk_fail(err, 0, "config.json: %s: empty", field);
	return 0;
}

/* The largest id in text, or 0 (what is malformed, hk_idlist_parse names). */
static unsigned long largest(const char *text)
{
	unsigned long max = 0, id;
	const char *p = text;

	while (*p) {
		if (read_id(&p, &id) == 0) {
			if (id > max)
				max = id;
		} else {
			p++;
		}
	}
	return max;
}

unsigned long *hk_idlist_alloc(const char *text, size_t limit, size_t *bits, const char *field,
			       struct hk_err **err)
{
	unsigned long max = largest(text), *mask;

	*bits = max < limit ? (max / LONG_BITS + 1) * LONG_BITS : limit;
	mask = calloc(*bits / LONG_BITS, sizeof(unsigned long));
	if (mask == NULL) {
		hk_fail(err, ENOMEM, "config.json: %s", field);
		return NULL;
	}
	if (hk_idlist_parse(text, mask, *bits, field, err) < 0) {
		free(mask);
		return NULL;
	}
	return mask;
}
