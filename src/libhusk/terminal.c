#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "fdio.h"
#include "mounts.h"

static int bind_console(int rootfd, int slave, struct hk_err **err)
{
	char source[32], target[32];
	int fd, ret;

	if (hk_root_open(rootfd, "/dev/console", HK_CREATE_FILE, 0, &fd, err) < 0)
		return -1;
	hk_fd_path(slave, source);
	hk_fd_path(fd, target);
	ret = mount(source, target, NULL, MS_BIND, NULL);
	close(fd);
	return ret < 0 ? hk_fail(err, errno, "bind the terminal over /dev/console") : 0;
}

int hk_terminal_open(int rootfd, const struct oci_process *p, int *master, int *slave,
		     struct hk_err **err)
{
	int ptmx, unlock = 0, m;

	if (hk_root_open(rootfd, "/dev/pts/ptmx", HK_NO_CREATE, RESOLVE_NO_SYMLINKS, &ptmx, err) <
	    0)
		return hk_prefix(err, "process.terminal needs a devpts mount on /dev/pts");
	{
		char path[32];

		hk_fd_path(ptmx, path);
		m = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		close(ptmx);
	}
	if (m < 0)
		return hk_fail(err, errno, "open /dev/pts/ptmx");
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
		close(m);
		return hk_fail(err, errno, "unlock the terminal");
	}
	/* The peer by fd, not by a path a container could have replaced. */
	*slave = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		close(m);
		return hk_fail(err, errno, "open the terminal's peer");
	}
	if (p->console_size != NULL) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_size->height.value,
				     .ws_col = (unsigned short)p->console_size->width.value};

		ioctl(*slave, TIOCSWINSZ, &ws);
	}
	*master = m;
	if (bind_console(rootfd, *slave, err) < 0) {
		close(m);
		close(*slave);
		return -1;
	}
	return 0;
}

int hk_terminal_attach(int slave, struct hk_err **err)
{
	int i;

	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return hk_fail(err, errno, "make the terminal controlling");
	for (i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return hk_fail(err, errno, "attach the terminal");
	return 0;
}

/* The socket file itself, opened without following a symlink planted at its name or in its
 * directory's last component: the pty master goes nowhere else. */
static int open_socket_file(const char *path, struct hk_err **err)
{
	const char *name;
	struct stat st;
	int dir = hk_open_parent(path, &name), fd;

	if (dir < 0)
		return hk_fail(err, errno == ENOTDIR ? ELOOP : errno, "console socket %s", path);
	fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		return hk_fail(err, errno, "console socket %s", path);
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		close(fd);
		return hk_fail(err, ENOTSOCK, "console socket %s (a symlink or not a socket)",
			       path);
	}
	return fd;
}

int hk_console_send(const char *socket_path, int master, struct hk_err **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char control[CMSG_SPACE(sizeof(int))] = {0};
	char name[] = "/dev/ptmx";
	struct iovec iov = {name, sizeof(name) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control,
			    .msg_controllen = sizeof(control)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int sock, ret = 0;

	int target = open_socket_file(socket_path, err);

	if (target < 0)
		return -1;
	/* connect to the very inode checked, through its fd */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d", target);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		close(target);
		return hk_fail(err, errno, "console socket");
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		ret = hk_fail(err, errno, "connect to console socket %s", socket_path);
	else if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		ret = hk_fail(err, errno, "send the terminal to %s", socket_path);
	close(sock);
	close(target);
	return ret;
}
