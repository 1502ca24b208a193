/* Text built into fixed buffers that fails instead of truncating: every path and value husk
 * formats goes through these (tests/lint/run keeps bare snprintf, strcpy and strcat out). */
#ifndef HUSK_FORMAT_H
#define HUSK_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* snprintf into buf of size; 0, or -1 with errno EOVERFLOW when the text does not fit (buf then
 * holds a truncated string that must not be used) or the format's own error. */
int hk_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int hk_vformat(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* base "/" rel into buf (one slash between them whatever either side has); 0, or -1 with errno
 * ENAMETOOLONG when it does not fit. */
int hk_path_join(char *buf, size_t size, const char *base, const char *rel);

#endif
