/* The log sink: the only global state of husk. Text or JSON lines, to --log or to stderr. */
#ifndef HUSK_LOG_H
#define HUSK_LOG_H

#include <stdbool.h>
#include <time.h>

#include "hk_error.h"

enum hk_log_level { HK_LOG_ERROR, HK_LOG_WARNING, HK_LOG_INFO, HK_LOG_DEBUG };
enum hk_log_format { HK_LOG_TEXT, HK_LOG_JSON };

/* path NULL keeps stderr as the sink. The file is opened for appending, close-on-exec. */
int hk_log_init(const char *path, enum hk_log_format format, bool debug, struct hk_err **err);
/* --debug was given. */
bool hk_log_debugging(void);
void hk_log(enum hk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define hk_debug(...) hk_log(HK_LOG_DEBUG, __VA_ARGS__)
#define hk_warn(...)  hk_log(HK_LOG_WARNING, __VA_ARGS__)

/* A command's final error: one line on stderr and, when --log names a file, one line there in the
 * chosen format (containerd reads the last error line of that file, podman parses it as JSON). */
void hk_log_failure(const char *msg);

/* RFC 3339 UTC with nanoseconds, e.g. 2026-11-22T08:00:00.123456789Z (a time since 1970) */
void hk_rfc3339(const struct timespec *ts, char *buf, unsigned size);
void hk_rfc3339_now(char *buf, unsigned size);

#endif
