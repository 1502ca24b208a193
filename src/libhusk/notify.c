#include "notify.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"

/* An AF_UNIX address: a path, or with '@' first an abstract name (systemd's own form). */
static int address(const char *path, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
	return 0;
}

static int bind_socket(const char *path, struct hk_err **err)
{
	hk_cleanup_close int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;
	socklen_t len;

	if (fd < 0 || address(path, &sa, &len) < 0)
		return hk_fail(err, fd < 0 ? errno : ENAMETOOLONG, "notify socket %s", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 || chmod(path, 0777) < 0)
		return hk_fail(err, errno, "notify socket %s: bind", path);
	return hk_take_fd(&fd);
}

static void add_env(struct oci_arena *arena, struct oci_process *p)
{
	char **items = oci_arena_array(arena, p->env.len + 2, sizeof(char *));
	size_t i, n = 0;

	for (i = 0; i < p->env.len; i++)
		if (strncmp(p->env.items[i], "NOTIFY_SOCKET=", 14) != 0)
			items[n++] = p->env.items[i];
	items[n++] = "NOTIFY_SOCKET=" HK_NOTIFY_IN_CONTAINER;
	items[n] = NULL;
	p->env = (struct oci_strv){.items = items, .len = n, .set = true};
}

static void add_mount(struct oci_arena *arena, struct oci_config *c, const char *dir)
{
	static char *options[] = {"bind", "nosuid", "nodev", "noexec", "ro", NULL};
	struct oci_mount *m = oci_arena_array(arena, c->mounts.len + 1, sizeof(*m));

	if (c->mounts.len)
		memcpy(m, c->mounts.items, c->mounts.len * sizeof(*m));
	m[c->mounts.len] = (struct oci_mount){.destination = "/run/notify",
					      .source = oci_arena_strdup(arena, dir),
					      .type = "bind",
					      .options = {.items = options, .len = 5, .set = true}};
	c->mounts.items = m;
	c->mounts.len++;
}

void hk_notify_configure(struct oci_arena *arena, struct oci_config *c, const char *state_dir)
{
	char dir[4096];

	if (getenv("NOTIFY_SOCKET") == NULL || c->process == NULL ||
	    hk_path_join(dir, sizeof(dir), state_dir, HK_NOTIFY_DIR) < 0)
		return; /* hk_notify_make, next, names the path that does not fit */
	add_mount(arena, c, dir);
	add_env(arena, c->process);
}

int hk_notify_make(const char *state_dir, struct hk_err **err)
{
	char dir[4096], sock[4200];
	int fd;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	if (hk_path_join(dir, sizeof(dir), state_dir, HK_NOTIFY_DIR) < 0 ||
	    hk_path_join(sock, sizeof(sock), dir, "notify.sock") < 0)
		return hk_fail(err, errno, "notify socket in %s", state_dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "notify socket: mkdir %s", dir);
	if ((fd = bind_socket(sock, err)) < 0)
		return -1;
	close(fd);
	return 0;
}

int hk_notify_listen(const char *state_dir, int *fd, struct hk_err **err)
{
	char sock[4200];

	*fd = -1;
	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	if (hk_path_join(sock, sizeof(sock), state_dir, HK_NOTIFY_DIR "/notify.sock") < 0)
		return hk_fail(err, errno, "notify socket in %s", state_dir);
	if (access(sock, F_OK) < 0)
		return 0;
	*fd = bind_socket(sock, err);
	return *fd < 0 ? -1 : 0;
}

/* What a container may tell the caller's manager. Not MAINPID (the first one systemd reads
 * wins, and from root it may name any host process: `systemctl stop` would then signal it), nor
 * FDSTORE, NOTIFYACCESS, WATCHDOG_USEC or BARRIER, which act on the unit itself. */
static const struct {
	const char *word;
	bool exact;
} relayed[] = {
    {"READY=1", true},	  {"RELOADING=1", true},
    {"STOPPING=1", true}, {"WATCHDOG=1", true},
    {"STATUS=", false},	  {"ERRNO=", false},
    {"BUSERROR=", false}, {"EXTEND_TIMEOUT_USEC=", false},
};

static bool relayable(const char *line, size_t len)
{
	size_t i, n;

	for (i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++) {
		n = strlen(relayed[i].word);
		if (len >= n && strncmp(line, relayed[i].word, n) == 0 &&
		    (!relayed[i].exact || len == n))
			return true;
	}
	return false;
}

/* The lines of msg that may pass, into out; *ready when READY=1 is among them. */
static size_t filter(const char *msg, char *out, size_t size, bool *ready)
{
	size_t used = 0, len;
	const char *line;

	*ready = false;
	for (line = msg; *line; line += len + (line[len] == '\n')) {
		len = strcspn(line, "\n");
		if (!relayable(line, len) || hk_format(out + used, size - used, "%s%.*s",
						       used ? "\n" : "", (int)len, line) < 0) {
			out[used] = '\0'; /* a line that does not fit is dropped whole */
			continue;
		}
		*ready = *ready || (len == 7 && strncmp(line, "READY=1", 7) == 0);
		used += strlen(out + used);
	}
	return used;
}

/* After pid 1 ends, what it queued still goes out, but no more than this: another process of
 * the container (one that outlives pid 1 without a pid namespace of its own) could flood the
 * socket for ever. */
#define AFTER_END_MAX 64

/* One datagram from the container, filtered and sent on; 1 when it carried READY=1. A line of
 * state goes without waiting (dropped when the manager's queue is full: a flood cannot block
 * husk); READY=1, which the caller waits for, waits for room. */
static int relay_one(int fd, int out, const struct sockaddr_un *sa, socklen_t len, pid_t pid,
		     struct hk_err **err)
{
	char msg[4096 + 1], out_msg[4096 + 32];
	ssize_t n = recv(fd, msg, 4096, MSG_DONTWAIT);
	bool ready;

	if (n <= 0)
		return n < 0 && errno == EAGAIN ? -2 : 0;
	msg[n] = '\0';
	n = (ssize_t)filter(msg, out_msg, 4096, &ready);
	/* out_msg has 32 bytes beyond the 4096 the lines may take */
	if (ready &&
	    hk_format(out_msg + n, sizeof(out_msg) - (size_t)n, "\nMAINPID=%d", (int)pid) == 0)
		n += (ssize_t)strlen(out_msg + n);
	if (n > 0 &&
	    sendto(out, out_msg, (size_t)n, ready ? 0 : MSG_DONTWAIT, (const struct sockaddr *)sa,
		   len) < 0 &&
	    (ready || errno != EAGAIN))
		return hk_fail(err, errno, "NOTIFY_SOCKET %s: send", getenv("NOTIFY_SOCKET"));
	return ready ? 1 : 0;
}

int hk_notify_relay(int fd, int pidfd, pid_t pid, struct hk_err **err)
{
	const char *to = getenv("NOTIFY_SOCKET");
	hk_cleanup_close int out = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;
	socklen_t len;
	int left = -1, ret; /* datagrams still taken once pid 1 ended; -1: it runs */

	if (to == NULL || out < 0 || address(to, &sa, &len) < 0)
		return hk_fail(err, out < 0 ? errno : EINVAL, "NOTIFY_SOCKET %s", to ? to : "");
	for (;;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {pidfd, POLLIN, 0}};

		if (left < 0 && poll(p, pidfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return hk_fail(err, errno, "notify socket: poll");
		}
		if (left < 0 && (p[1].revents & POLLIN))
			left = AFTER_END_MAX; /* pid 1 ended without READY=1 */
		else if (left < 0 && !(p[0].revents & POLLIN))
			return 0; /* the socket failed: nothing more will come */
		if (left == 0)
			return 0;
		if (left > 0)
			left--;
		ret = relay_one(fd, out, &sa, len, pid, err);
		if (ret == -2 && left >= 0)
			return 0; /* nothing more queued */
		if (ret == -1 || ret == 1)
			return ret < 0 ? -1 : 0;
	}
}
