#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"

extern char **environ;

static __attribute__((noreturn)) void child(const struct oci_hook *h, int in, int out)
{
	char *no_args[2] = {h->path, NULL};
	char reason[64];

	dup2(in, 0);
	dup2(out, 1);
	dup2(out, 2);
	hk_close_range(3, ~0u, false);
	setsid();
	/* without env the hook gets husk's own environment, as with runc and crun */
	execve(h->path, h->args.len ? h->args.items : no_args, h->env.len ? h->env.items : environ);
	dprintf(2, "exec %s: %s", h->path, hk_strerror(errno, reason, sizeof(reason)));
	_exit(127);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Collects the hook's output (the start of it, for the message) until it closes it, or the
 * deadline passes. Returns false on timeout. */
static bool collect(int out, long long deadline, char *buf, size_t size)
{
	size_t used = 0, n;
	char sink[512];

	for (;;) {
		struct pollfd p = {.fd = out, .events = POLLIN};
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		ssize_t got;

		if (deadline >= 0 && left <= 0)
			return false;
		if (poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left) == 0)
			continue;
		got = read(out, used + 1 < size ? buf + used : sink,
			   used + 1 < size ? size - 1 - used : sizeof(sink));
		if (got <= 0 && !(got < 0 && errno == EINTR))
			break;
		if (got > 0 && used + 1 < size)
			used += (size_t)got;
	}
	while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
		used--;
	buf[used] = '\0';
	for (n = 0; n < used; n++) /* the message stays one line */
		if (buf[n] == '\n' || buf[n] == '\r')
			buf[n] = ' ';
	return true;
}

static int run_one(const struct oci_hook *h, const char *kind, size_t i, const char *state,
		   struct hk_err **err)
{
	hk_cleanup_close_pair int in[2] = {-1, -1};
	hk_cleanup_close_pair int out[2] = {-1, -1};
	int status = 0;
	long long deadline = h->timeout.set ? now_ms() + 1000LL * h->timeout.value : -1;
	char output[512];
	bool in_time;
	pid_t pid;

	/* A socket for stdin: a hook that never reads cannot SIGPIPE husk (MSG_NOSIGNAL). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
		return hk_fail(err, errno, "hooks.%s[%zu]: socketpair", kind, i);
	if (pipe2(out, O_CLOEXEC) < 0)
		return hk_fail(err, errno, "hooks.%s[%zu]: pipe", kind, i);
	pid = fork();
	if (pid == 0)
		child(h, in[1], out[1]);
	in[1] = hk_safe_close(in[1]);
	out[1] = hk_safe_close(out[1]);
	if (pid > 0)
		(void)!send(in[0], state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT);
	in[0] = hk_safe_close(in[0]);
	in_time = pid > 0 && collect(out[0], deadline, output, sizeof(output));
	out[0] = hk_safe_close(out[0]);
	if (pid < 0)
		return hk_fail(err, errno, "hooks.%s[%zu]: fork", kind, i);
	if (!in_time)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!in_time)
		return hk_fail(err, 0, "hooks.%s[%zu]: %s timed out after %d s", kind, i, h->path,
			       h->timeout.value);
	if (WIFSIGNALED(status))
		return hk_fail(err, 0, "hooks.%s[%zu]: %s killed by signal %d%s%s", kind, i,
			       h->path, WTERMSIG(status), output[0] ? ": " : "", output);
	if (WEXITSTATUS(status) != 0)
		return hk_fail(err, 0, "hooks.%s[%zu]: %s exited with status %d%s%s", kind, i,
			       h->path, WEXITSTATUS(status), output[0] ? ": " : "", output);
	return 0;
}

int hk_hooks_run(const oci_hook_list *hooks, const char *kind, const char *state,
		 struct hk_err **err)
{
	size_t i;

	for (i = 0; hooks != NULL && i < hooks->len; i++)
		if (run_one(&hooks->items[i], kind, i, state, err) < 0)
			return -1;
	return 0;
}

void hk_hooks_run_all(const oci_hook_list *hooks, const char *kind, const char *state)
{
	size_t i;

	for (i = 0; hooks != NULL && i < hooks->len; i++) {
		hk_cleanup_err struct hk_err *err = NULL;

		if (run_one(&hooks->items[i], kind, i, state, &err) < 0)
			hk_warn("%s", err->msg);
	}
}
