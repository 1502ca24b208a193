#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "schema.h"

static struct {
	int fd; /* -1: stderr */
	enum hk_log_format format;
	bool debug;
} sink = {-1, HK_LOG_TEXT, false};

bool hk_log_debugging(void)
{
	return sink.debug;
}

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int hk_log_init(const char *path, enum hk_log_format format, bool debug, struct hk_err **err)
{
	sink.format = format;
	sink.debug = debug;
	if (path == NULL || path[0] == '\0')
		return 0;
	sink.fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (sink.fd < 0)
		return hk_fail(err, errno, "open log file %s", path);
	return 0;
}

void hk_rfc3339(const struct timespec *ts, char *buf, unsigned size)
{
	long long days = ts->tv_sec / 86400 + 719468, secs = ts->tv_sec % 86400;
	long long era = days / 146097, doe = days - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	/* By hand: glibc's gmtime_r and strftime load the time zone (/etc/localtime) on first use,
	 * for a stamp that is UTC anyway. Days to a civil date in 400-year eras from 0000-03-01
	 * (months counted from March, so that February's leap day comes last). */
	if (hk_format(buf, size, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09ldZ",
		      yoe + era * 400 + (mp >= 10), mp < 10 ? mp + 3 : mp - 9,
		      doy - (153 * mp + 2) / 5 + 1, secs / 3600, secs / 60 % 60, secs % 60,
		      (long)ts->tv_nsec) < 0)
		buf[0] = '\0'; /* a caller's buffer under 31 bytes: no stamp, never half of one */
}

void hk_rfc3339_now(char *buf, unsigned size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	hk_rfc3339(&ts, buf, size);
}

/* A text line stays one line whatever it quotes (an id, a path or a value from a config):
 * control characters are written as \n, \t, \r or \xNN. */
static void put_escaped(FILE *out, const char *msg)
{
	for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
		if (*c >= 0x20 && *c != 0x7f)
			fputc(*c, out);
		else if (*c == '\n' || *c == '\t' || *c == '\r')
			fprintf(out, "\\%c", *c == '\n' ? 'n' : *c == '\t' ? 't' : 'r');
		else
			fprintf(out, "\\x%02x", *c);
	}
}

/* The whole line is built first and written with one write(2), so that lines of concurrent
 * husk processes appending to one file never interleave. */
static void write_line(int fd, enum hk_log_format format, enum hk_log_level level, const char *msg)
{
	hk_cleanup_free char *quoted = oci_json_quote(msg);
	char *line = NULL, when[48];
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);

	if (out == NULL || quoted == NULL) {
		if (out != NULL)
			fclose(out);
		free(line);
		return;
	}
	hk_rfc3339_now(when, sizeof(when));
	if (format == HK_LOG_JSON)
		fprintf(out, "{\"level\":\"%s\",\"msg\":%s,\"time\":\"%s\"}\n", level_names[level],
			quoted, when);
	else if (fd == STDERR_FILENO) {
		fprintf(out, "husk: %s%s", level == HK_LOG_ERROR ? "" : level_names[level],
			level == HK_LOG_ERROR ? "" : ": ");
		put_escaped(out, msg);
		fputc('\n', out);
	} else
		fprintf(out, "time=\"%s\" level=%s msg=%s\n", when, level_names[level], quoted);
	fclose(out);
	if (line != NULL) {
		ssize_t n = write(fd, line, len);

		(void)n; /* nowhere left to report a failed log write */
	}
	free(line);
}

void hk_log(enum hk_log_level level, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	if (level == HK_LOG_DEBUG && !sink.debug)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	write_line(sink.fd >= 0 ? sink.fd : STDERR_FILENO, sink.format, level, msg);
	free(msg);
}

void hk_log_failure(const char *msg)
{
	if (sink.fd >= 0) {
		write_line(sink.fd, sink.format, HK_LOG_ERROR, msg);
		write_line(STDERR_FILENO, HK_LOG_TEXT, HK_LOG_ERROR, msg);
	} else {
		write_line(STDERR_FILENO, sink.format, HK_LOG_ERROR, msg);
	}
}
