#include "criu.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"

/* text up to end (or its end) into out, cut to what out holds: a reason shown, not a path. */
static void first_line(const char *text, const char *end, char *out, size_t size)
{
	size_t len = end ? (size_t)(end - text) : strlen(text);

	if (len > size - 1)
		len = size - 1;
	if (hk_format(out, size, "%.*s", (int)len, text) < 0)
		out[0] = '\0';
}

/* The first "Error (file:line): text" line of a CRIU log, as "text"; "" when there is none. */
static void first_error(int dirfd, const char *log_name, char *out, size_t size)
{
	hk_cleanup_close int fd = hk_open_regular(dirfd, log_name);
	char buf[65536], *line, *text, *end;
	ssize_t n;

	out[0] = '\0';
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return;
	buf[n] = '\0';
	line = strstr(buf, "Error (");
	if (line == NULL || (text = strstr(line, "): ")) == NULL)
		return;
	text += 3;
	end = strchr(text, '\n');
	first_line(text, end, out, size);
}

int hk_criu_failed(int ret, const char *what, int work_dirfd, const char *work_path,
		   const char *log_name, struct hk_err **err)
{
	char reason[512];

	first_error(work_dirfd, log_name, reason, sizeof(reason));
	if (reason[0] == '\0')
		return hk_fail(err, ret < 0 ? -ret : 0, "%s: criu failed (log: %s/%s)", what,
			       work_path, log_name);
	return hk_fail(err, 0, "%s: criu failed: %s (log: %s/%s)", what, reason, work_path,
		       log_name);
}

#if HUSK_HAVE_CRIU
struct hk_criu_lib hk_criu;

static int load_criu(const char *what, struct hk_err **err)
{
	static void *lib;

	if (lib != NULL)
		return 0;
	lib = dlopen("libcriu.so.2", RTLD_LAZY | RTLD_LOCAL);
	if (lib == NULL)
		return hk_fail(err, ENOENT, "%s: cannot load libcriu.so.2 (is criu installed?): %s",
			       what, dlerror());
#define LOOKUP(f)                                                                                  \
	if ((*(void **)&hk_criu.f = dlsym(lib, #f)) == NULL)                                       \
		return hk_fail(err, ENOSYS, "%s: libcriu.so.2 has no %s", what, #f);
	HK_CRIU_FUNCS(LOOKUP)
#undef LOOKUP
	return 0;
}

int hk_criu_open(criu_opts **opts, int work_dirfd, const char *log_name, const char *what,
		 struct hk_err **err)
{
	int r;

	*opts = NULL;
	if (load_criu(what, err) < 0)
		return -1;
	r = hk_criu.criu_local_init_opts(opts);
	if (r < 0)
		return hk_fail(err, -r, "%s: libcriu options", what);
	hk_criu.criu_local_set_work_dir_fd(*opts, work_dirfd);
	hk_criu.criu_local_set_log_level(*opts, CRIU_LOG_DEBUG);
	if (hk_criu.criu_local_set_log_file(*opts, log_name) < 0) {
		hk_criu.criu_local_free_opts(*opts);
		*opts = NULL;
		return hk_fail(err, ENOMEM, "%s: libcriu options", what);
	}
	return 0;
}

/* The reason in criu's output: its first "Error (file:line): text" line, else its last line. */
static void output_reason(char *text, char *out, size_t size)
{
	char *line = strstr(text, "Error ("), *end;

	if (line != NULL && (line = strstr(line, "): ")) != NULL)
		line += 3;
	else {
		for (end = text + strlen(text); end > text && end[-1] == '\n'; end--)
			*(end - 1) = '\0';
		line = strrchr(text, '\n') ? strrchr(text, '\n') + 1 : text;
	}
	end = strchr(line, '\n');
	first_line(line, end, out, size);
}

/* The criu binary's own "criu check" (the RPC's check dies without a word on some kernels). */
int hk_criu_check(const char *what, struct hk_err **err)
{
	char text[65536], reason[512];
	size_t len = 0;
	hk_cleanup_close_pair int fds[2] = {-1, -1};
	int status;
	ssize_t n;
	pid_t pid;

	if (load_criu(what, err) < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return hk_fail(err, errno, "%s: criu check", what);
	pid = fork();
	if (pid == 0) { /* husk's own spawn.h hides posix_spawn's header: a plain fork */
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
			_exit(127);
		execlp("criu", "criu", "check", (char *)NULL);
		_exit(127);
	}
	fds[1] = hk_safe_close(fds[1]);
	while (pid > 0 && len < sizeof(text) - 1 &&
	       ((n = read(fds[0], text + len, sizeof(text) - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	fds[0] = hk_safe_close(fds[0]);
	text[len] = '\0';
	if (pid < 0)
		return hk_fail(err, errno, "%s: run criu check", what);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	output_reason(text, reason, sizeof(reason));
	return hk_fail(err, 0, "%s: criu cannot work on this host: %s", what,
		       reason[0] ? reason : "criu check failed");
}
#else
int hk_criu_check(const char *what, struct hk_err **err)
{
	return hk_fail(err, ENOSYS, "%s: this husk was built without libcriu", what);
}
#endif

bool hk_criu_usable(void)
{
	hk_cleanup_err struct hk_err *err = NULL;

	return hk_criu_check("criu", &err) == 0;
}
