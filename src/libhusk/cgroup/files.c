/* A cgroup's files: open, write (the message names the file and the value), read. */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "hk_format.h"

int hk_cg_open_file(const struct hk_cg_dir *d, const char *file)
{
	char path[PATH_MAX + 64];

	if (hk_path_join(path, sizeof(path), d->path, file) < 0)
		return -1;
	return open(path, O_WRONLY | O_CLOEXEC);
}

int hk_cg_write_fd(int fd, const char *file, const char *value, struct hk_err **err)
{
	size_t len = strlen(value);
	int saved;

	if (fd >= 0 && write(fd, value, len) == (ssize_t)len)
		return 0;
	saved = errno;
	/* The kernel's "not supported" (ENOTSUPP, 524) has no strerror of its own. */
	if (saved == 524)
		saved = EOPNOTSUPP;
	errno = saved;
	return hk_fail(err, saved, "cgroup %s: write \"%s\"", file, value);
}

int hk_cg_write(const struct hk_cg_dir *d, const char *file, const char *value, struct hk_err **err)
{
	hk_cleanup_close int fd = hk_cg_open_file(d, file);

	return hk_cg_write_fd(fd, file, value, err);
}

int hk_cg_writef(const struct hk_cg_dir *d, const char *file, struct hk_err **err, const char *fmt,
		 ...)
{
	char value[4096];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = hk_vformat(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (ret < 0)
		return hk_fail(err, errno, "cgroup %s: the value does not fit in %zu bytes", file,
			       sizeof(value));
	return hk_cg_write(d, file, value, err);
}

int hk_cg_read(const struct hk_cg_dir *d, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX + 64];
	ssize_t n, total = 0;
	int fd;

	if (hk_path_join(path, sizeof(path), d->path, file) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (total < (ssize_t)size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	close(fd);
	while (total > 0 && buf[total - 1] == '\n')
		total--;
	buf[total] = '\0';
	return (int)total;
}

bool hk_cg_read_i64(const struct hk_cg_dir *d, const char *file, long long *value)
{
	char text[64], *end;

	if (hk_cg_read(d, file, text, sizeof(text)) <= 0)
		return false;
	if (strcmp(text, "max") == 0) {
		*value = -1;
		return true;
	}
	*value = strtoll(text, &end, 10);
	return end != text;
}

bool hk_cg_has(const struct hk_cg_dir *d, const char *file)
{
	char path[PATH_MAX + 64];

	return hk_path_join(path, sizeof(path), d->path, file) == 0 && access(path, F_OK) == 0;
}

int hk_cg_pass(struct hk_err **to, struct hk_err **from)
{
	if (to != NULL && *to == NULL) {
		*to = *from;
		*from = NULL;
	}
	return -1;
}
