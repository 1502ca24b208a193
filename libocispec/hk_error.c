#include "hk_error.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hk_strerror(int errnum, char *buf, unsigned size)
{
	const char *text = strerror(errnum);
	unsigned i;

	if (size == 0)
		return "";
	for (i = 0; text[i] && i + 1 < size; i++)
		buf[i] = (char)tolower((unsigned char)text[i]);
	buf[i] = '\0';
	return buf;
}

static char *format_message(int errnum, const char *fmt, va_list ap)
{
	char reason[128];
	char *head = NULL, *line = NULL;

	if (vasprintf(&head, fmt, ap) < 0)
		return NULL;
	if (errnum == 0)
		return head;
	if (asprintf(&line, "%s: %s", head, hk_strerror(errnum, reason, sizeof(reason))) < 0)
		line = NULL;
	free(head);
	return line;
}

int hk_vfail(struct hk_err **err, int errnum, const char *fmt, va_list ap)
{
	struct hk_err *e;

	if (err == NULL || *err != NULL)
		return -1;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		abort(); /* no way to report anything without memory */
	e->errnum = errnum;
	e->msg = format_message(errnum, fmt, ap);
	if (e->msg == NULL)
		abort();
	*err = e;
	return -1;
}

int hk_fail(struct hk_err **err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hk_vfail(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int hk_fail_as(struct hk_err **err, int errnum, const char *fmt, ...)
{
	bool fresh = err != NULL && *err == NULL;
	va_list ap;

	va_start(ap, fmt);
	hk_vfail(err, 0, fmt, ap);
	va_end(ap);
	if (fresh)
		(*err)->errnum = errnum;
	return -1;
}

int hk_prefix(struct hk_err **err, const char *fmt, ...)
{
	char *context = NULL, *line = NULL;
	va_list ap;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&context, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&line, "%s: %s", context, (*err)->msg) < 0)
		abort();
	free(context);
	free((*err)->msg);
	(*err)->msg = line;
	return -1;
}

void hk_err_free(struct hk_err *err)
{
	if (err == NULL)
		return;
	free(err->msg);
	free(err);
}

void hk_err_freep(struct hk_err **err)
{
	hk_err_free(*err);
	*err = NULL;
}

int hk_err_check(int ret, struct hk_err *const *err, const char *call, const char *file, int line)
{
	bool set = err != NULL && *err != NULL;

	if ((ret < 0) == set && (ret == 0 || ret == -1))
		return ret;
	fprintf(stderr, "husk: %s:%d: %s returned %d %s an error set\n", file, line, call, ret,
		set ? "with" : "without");
	abort();
}
