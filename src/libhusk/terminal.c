#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "fdio.h"
#include "mounts.h"

static int bind_console(int rootfd, int slave, struct hk_err **err)
{
	hk_cleanup_close int fd = -1;
	char source[32], target[32];

	if (hk_root_open(rootfd, "/dev/console", HK_CREATE_FILE, 0, &fd, err) < 0)
		return -1;
	hk_fd_path(slave, source);
	hk_fd_path(fd, target);
	if (mount(source, target, NULL, MS_BIND, NULL) < 0)
		return hk_fail(err, errno, "bind the terminal over /dev/console");
	return 0;
}

/* A new pty master from the container's devpts, unlocked. The node found without leaving the
 * root is opened again through procfs's fd link: procfd's (a /proc of a pid namespace where the
 * caller has a pid), or the caller's /proc. */
static int open_master(int rootfd, int procfd, struct hk_err **err)
{
	hk_cleanup_close int ptmx = -1, m = -1;
	char path[32];
	int unlock = 0;

	if (hk_root_open(rootfd, "/dev/pts/ptmx", HK_NO_CREATE, RESOLVE_NO_SYMLINKS, &ptmx, err) <
	    0)
		return hk_prefix(err, "process.terminal needs a devpts mount on /dev/pts");
	hk_fd_path(ptmx, path);
	m = procfd >= 0 ? openat(procfd, path + strlen("/proc/"), O_RDWR | O_NOCTTY | O_CLOEXEC)
			: open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return hk_fail(err, errno, "open /dev/pts/ptmx");
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
		return hk_fail(err, errno, "unlock the terminal");
	return hk_take_fd(&m);
}

int hk_terminal_open(int rootfd, int procfd, const struct oci_process *p, bool console, int *master,
		     int *slave, struct hk_err **err)
{
	hk_cleanup_close int m = open_master(rootfd, procfd, err), peer = -1;

	if (m < 0)
		return -1;
	/* The peer by fd, not by a path a container could have replaced. */
	peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (peer < 0)
		return hk_fail(err, errno, "open the terminal's peer");
	if (p->console_size != NULL) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_size->height.value,
				     .ws_col = (unsigned short)p->console_size->width.value};

		ioctl(peer, TIOCSWINSZ, &ws);
	}
	if (console && bind_console(rootfd, peer, err) < 0)
		return -1;
	*master = hk_take_fd(&m);
	*slave = hk_take_fd(&peer);
	return 0;
}

int hk_terminal_attach(int slave, uid_t uid, bool controlling, struct hk_err **err)
{
	int i;

	/* the container's own pty is its user's (its group stays devpts' tty), as runc gives it;
	 * a host terminal passed as stdio never gets here */
	(void)!fchown(slave, uid, (gid_t)-1);
	if (controlling && ioctl(slave, TIOCSCTTY, 0) < 0)
		return hk_fail(err, errno, "make the terminal controlling");
	for (i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return hk_fail(err, errno, "attach the terminal");
	return 0;
}

int hk_console_send(const char *socket_path, int master, struct hk_err **err)
{
	static const char name[] = "/dev/ptmx";
	hk_cleanup_close int sock = hk_connect_unix(socket_path, "console socket", err);

	if (sock < 0)
		return -1;
	if (hk_send_with_fd(sock, name, sizeof(name) - 1, master) < 0)
		return hk_fail(err, errno, "send the terminal to %s", socket_path);
	return 0;
}
