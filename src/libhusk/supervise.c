#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const int forwarded[] = {SIGHUP,	 SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
				SIGUSR2, SIGPIPE, SIGALRM, SIGCONT, SIGWINCH};

static void copy_window_size(int master)
{
	struct winsize ws;

	if (master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Copies what one read gives; false at end of file or error. */
static bool pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf)), done = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false; /* EIO on the master: every holder of the terminal closed it */
	while (done < n) {
		ssize_t w = write(to, buf + done, (size_t)(n - done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		done += w;
	}
	return true;
}

static int exit_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* One signal from the signalfd: the container's end, a resize, or one to pass on. */
static bool on_signal(int sigfd, pid_t pid, int master, int *status)
{
	struct signalfd_siginfo si;

	if (read(sigfd, &si, sizeof(si)) != sizeof(si))
		return false;
	if (si.ssi_signo == SIGCHLD)
		return waitpid(pid, status, WNOHANG) == pid;
	if (si.ssi_signo == SIGWINCH && master >= 0)
		copy_window_size(master);
	else
		kill(pid, (int)si.ssi_signo);
	return false;
}

static void supervised_signals(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
}

void hk_supervise_hold_signals(void)
{
	sigset_t set;

	supervised_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

int hk_supervise(pid_t pid, int master)
{
	struct termios saved;
	bool raw = master >= 0 && tcgetattr(STDIN_FILENO, &saved) == 0;
	bool input = master >= 0;
	sigset_t set, old;
	int sigfd, status = 0;

	supervised_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (raw) {
		struct termios t = saved;

		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	copy_window_size(master);
	/* the container may have exited before the signalfd existed */
	if (waitpid(pid, &status, WNOHANG) != pid) {
		for (;;) {
			struct pollfd p[3] = {{sigfd, POLLIN, 0},
					      {master, POLLIN, 0},
					      {input ? STDIN_FILENO : -1, POLLIN, 0}};

			if (poll(p, 3, -1) < 0 && errno != EINTR)
				break;
			if ((p[0].revents & POLLIN) && on_signal(sigfd, pid, master, &status))
				break;
			if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP)) &&
			    !pump(master, STDOUT_FILENO))
				master = -1; /* the terminal is closed: stop reading it */
			if (input && (p[2].revents & (POLLIN | POLLHUP)) &&
			    !pump(STDIN_FILENO, master))
				input = false;
		}
	}
	while (master >= 0 && pump(master, STDOUT_FILENO)) /* what is left in the terminal */
		;
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return exit_status(status);
}
