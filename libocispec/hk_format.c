#include "hk_format.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int hk_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	if (n < 0)
		return -1;
	if ((size_t)n >= size) {
		errno = EOVERFLOW;
		return -1;
	}
	return 0;
}

int hk_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = hk_vformat(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}

int hk_path_join(char *buf, size_t size, const char *base, const char *rel)
{
	size_t blen = strlen(base);

	while (blen > 1 && base[blen - 1] == '/')
		blen--;
	while (*rel == '/')
		rel++;
	if (hk_format(buf, size, "%.*s%s%s", (int)blen, base,
		      blen > 0 && base[blen - 1] == '/' ? "" : "/", rel) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
