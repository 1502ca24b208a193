#include "sync.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdio.h"

int hk_sync_send(int sock, enum hk_sync_type type, int32_t value, const char *text, int fd,
		 struct hk_err **err)
{
	struct hk_sync_msg msg = {.type = type, .value = value};
	size_t len = offsetof(struct hk_sync_msg, text);

	if (text != NULL) {
		size_t n = strnlen(text, sizeof(msg.text) - 1);

		memcpy(msg.text, text, n);
		len += n + 1;
	}
	if (hk_send_with_fd(sock, &msg, len, fd) < 0)
		return hk_fail(err, errno, "sync: send message %u", type);
	return 0;
}

/* One message into msg (its text ended), an attached fd into *fd (or closed when fd is NULL or
 * already has one); the byte count, 0 at the end, or -1 with errno. */
static ssize_t receive(int sock, struct hk_sync_msg *msg, int *fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {msg, sizeof(*msg)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control,
			    .msg_controllen = sizeof(control)};
	struct cmsghdr *cm;
	ssize_t n;

	if (fd != NULL)
		*fd = -1;
	memset(msg, 0, sizeof(*msg));
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	msg->text[sizeof(msg->text) - 1] = '\0';
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(int));
			if (fd != NULL && *fd < 0)
				*fd = got;
			else
				close(got);
		}
	}
	return n;
}

int hk_sync_recv(int sock, struct hk_sync_msg *msg, int *fd, struct hk_err **err)
{
	ssize_t n = receive(sock, msg, fd);

	if (n < 0)
		return hk_fail(err, errno, "sync: receive");
	if (n == 0)
		return hk_fail(err, 0, "container init exited before it was set up");
	if ((size_t)n < offsetof(struct hk_sync_msg, text))
		return hk_fail(err, 0, "sync: short message");
	return 0;
}

int hk_sync_expect(int sock, enum hk_sync_type type, struct hk_sync_msg *msg, struct hk_err **err)
{
	if (hk_sync_recv(sock, msg, NULL, err) < 0)
		return -1;
	if (msg->type == SYNC_ERROR)
		return hk_fail(err, 0, "%s", msg->text);
	if (msg->type != type)
		return hk_fail(err, 0, "sync: expected message %u, got %u", type, msg->type);
	return 0;
}

int hk_sync_await_end(int sock, struct hk_err **err)
{
	struct hk_sync_msg msg;
	ssize_t n = receive(sock, &msg, NULL);

	if (n == 0)
		return 0;
	if (n < 0)
		return hk_fail(err, errno, "sync: receive");
	if ((size_t)n < offsetof(struct hk_sync_msg, text) || msg.type != SYNC_ERROR)
		return hk_fail(err, 0, "sync: unexpected message after ready");
	return hk_fail_as(err, msg.value, "%s", msg.text);
}
