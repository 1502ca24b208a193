#include "units.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int hk_parse_size(const char *text, long long *out)
{
	static const char units[] = "bkmgt";
	const char *unit;
	char *end;
	long long v;
	int shift;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (end == text || errno || (text[0] == ' ' || text[0] == '\t' || text[0] == '+'))
		return -1;
	if (*end == '\0' || strcasecmp(end, "b") == 0) {
		*out = v;
		return 0;
	}
	unit = memchr(units, end[0] | 0x20, sizeof(units) - 1);
	if (unit == NULL || unit == units || (end[1] && strcasecmp(end + 1, "b") != 0))
		return -1;
	shift = 10 * (int)(unit - units);
	if (v < 0 || v > (LLONG_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

int hk_parse_duration_ms(const char *text, int *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"", 1000}, {"m", 60000}, {"h", 3600000}};
	char *end;
	double v;
	size_t i;

	if (text[0] < '0' || text[0] > '9')
		return -1; /* no sign, space, "inf" or "nan" */
	v = strtod(text, &end);
	for (i = 0; end != text && v > 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0 && v * units[i].ms <= INT32_MAX) {
			*ms = (int)(v * units[i].ms);
			if (*ms < 1)
				*ms = 1;
			return 0;
		}
	return -1;
}
