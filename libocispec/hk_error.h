/* The one error type of every layer: an errno and a message that says what failed on what. */
#ifndef HUSK_ERROR_H
#define HUSK_ERROR_H

#include <stdarg.h>

struct hk_err {
	int errnum; /* 0 when the failure has no errno (bad input) */
	char *msg;  /* the whole line, strerror included when errnum != 0 */
};

/* Sets *err (when err is not NULL and *err is still NULL) and returns -1, so that
 * `return hk_fail(err, errno, "open %s", path);` reads as one step. When errnum is not 0,
 * ": <strerror in lower case>" is appended, as in `mount "proc" on "/proc": operation not
 * permitted`. */
int hk_fail(struct hk_err **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int hk_vfail(struct hk_err **err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Like hk_fail, with errnum kept for callers to test but not spelled out in the message: a
 * message that already says why (one from another process, "does not exist"). */
int hk_fail_as(struct hk_err **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "<context>: " in front of an existing message and returns -1. */
int hk_prefix(struct hk_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void hk_err_free(struct hk_err *err);
void hk_err_freep(struct hk_err **err);

/* strerror in the lower case that runc and crun print, e.g. "no such file or directory". */
const char *hk_strerror(int errnum, char *buf, unsigned size);

#define hk_cleanup_err __attribute__((cleanup(hk_err_freep)))

/* A step's contract, checked where the stages of a create meet in builds without NDEBUG: -1 comes
 * with an error set, 0 without one (a 0 with an error would hide a failure, e.g. a path left
 * writable). A broken contract prints the call and aborts. */
int hk_err_check(int ret, struct hk_err *const *err, const char *call, const char *file, int line);
#ifndef NDEBUG
#define HK_CHECKED(call, err) hk_err_check((call), (err), #call, __FILE__, __LINE__)
#else
#define HK_CHECKED(call, err) (call)
#endif

#endif
