#include "idlist.h"

#include <ctype.h>
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
