#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"

struct nl {
	struct mnl_socket *sock;
	unsigned seq;
	char buf[32768]; /* MNL_SOCKET_DUMP_SIZE */
};

struct link {
	int index;
	unsigned flags;
};

struct addr {
	unsigned char family, prefixlen, scope, len;
	unsigned char bytes[16];
};

struct addrs {
	int index;
	size_t n;
	struct addr a[64];
};

/* A socket of the namespace nsfd (-1: husk's own): created there, it stays bound to it. */
static int nl_open(struct nl *nl, int nsfd, struct hk_err **err)
{
	hk_cleanup_close int self = -1;

	nl->seq = (unsigned)time(NULL);
	if (nsfd >= 0 && ((self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
			  setns(nsfd, CLONE_NEWNET) < 0))
		return hk_fail(err, errno, "linux.netDevices: enter the container's network ns");
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (self >= 0 && setns(self, CLONE_NEWNET) < 0)
		abort(); /* husk may not go on in the container's network namespace */
	if (nl->sock == NULL || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return hk_fail(err, errno, "linux.netDevices: netlink socket");
	return 0;
}

static void nl_close(struct nl *nl)
{
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

static struct nlmsghdr *nl_request(struct nl *nl, int type, unsigned flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);

	nlh->nlmsg_type = (unsigned short)type;
	nlh->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Sends and reads answers until the ack or the end of a dump; -1 with errno set. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned seq = nlh->nlmsg_seq, port = mnl_socket_get_portid(nl->sock);
	int ret;

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));

		if (n < 0)
			return -1;
		ret = mnl_cb_run(nl->buf, (size_t)n, seq, port, cb, data);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link *l = data;

	l->index = ifm->ifi_index;
	l->flags = ifm->ifi_flags;
	return MNL_CB_OK;
}

static int get_link(struct nl *nl, const char *name, struct link *out)
{
	struct nlmsghdr *nlh = nl_request(nl, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	out->index = 0;
	if (nl_talk(nl, nlh, link_cb, out) < 0)
		return -1;
	if (out->index == 0) {
		errno = ENODEV;
		return -1;
	}
	return 0;
}

/* Permanent addresses only: what DHCP or autoconfiguration gave belongs to the old network. */
static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr, *local = NULL, *address = NULL;
	unsigned flags = ifa->ifa_flags;
	struct addrs *out = data;
	struct addr *a;

	if ((int)ifa->ifa_index != out->index || out->n == sizeof(out->a) / sizeof(out->a[0]))
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa))
	{
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			local = attr;
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			address = attr;
		else if (mnl_attr_get_type(attr) == IFA_FLAGS)
			flags = mnl_attr_get_u32(attr);
	}
	if (local == NULL)
		local = address;
	if (!(flags & IFA_F_PERMANENT) || local == NULL || mnl_attr_get_payload_len(local) > 16)
		return MNL_CB_OK;
	a = &out->a[out->n++];
	*a = (struct addr){ifa->ifa_family,
			   ifa->ifa_prefixlen,
			   ifa->ifa_scope,
			   (unsigned char)mnl_attr_get_payload_len(local),
			   {0}};
	memcpy(a->bytes, mnl_attr_get_payload(local), a->len);
	return MNL_CB_OK;
}

static int get_addrs(struct nl *nl, int index, struct addrs *out)
{
	struct nlmsghdr *nlh = nl_request(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_UNSPEC;
	out->index = index;
	out->n = 0;
	return nl_talk(nl, nlh, addr_cb, out);
}

/* One RTM_NEWLINK: into the namespace nsfd, named name there. */
static int move_link(struct nl *nl, int index, int nsfd, const char *name)
{
	struct nlmsghdr *nlh = nl_request(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

static int add_addr(struct nl *nl, int index, const struct addr *a)
{
	struct nlmsghdr *nlh = nl_request(nl, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = a->scope;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put(nlh, IFA_LOCAL, a->len, a->bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, a->len, a->bytes);
	return nl_talk(nl, nlh, NULL, NULL) < 0 && errno != EEXIST ? -1 : 0;
}

static int set_up(struct nl *nl, int index)
{
	struct nlmsghdr *nlh = nl_request(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return nl_talk(nl, nlh, NULL, NULL);
}

/* from's `name` becomes to's `rename`, with its permanent addresses and its up state. */
static int move_one(struct nl *from, struct nl *to, int to_ns, const char *name, const char *rename,
		    struct hk_err **err)
{
	struct link l, there;
	struct addrs addrs;
	size_t i;

	if (get_link(from, name, &l) < 0)
		return hk_fail(err, errno,
			       "no interface \"%s\" here (none, or one in another "
			       "network namespace)",
			       name);
	if (get_link(to, rename, &there) == 0)
		return hk_fail(err, EEXIST, "\"%s\" exists in the target network namespace",
			       rename);
	if (get_addrs(from, l.index, &addrs) < 0)
		return hk_fail(err, errno, "read the addresses of %s", name);
	if (move_link(from, l.index, to_ns, rename) < 0)
		return hk_fail(err, errno, "move %s as %s", name, rename);
	if (get_link(to, rename, &there) < 0)
		return hk_fail(err, errno, "find %s after the move", rename);
	for (i = 0; i < addrs.n; i++)
		if (add_addr(to, there.index, &addrs.a[i]) < 0)
			return hk_fail(err, errno, "give %s its address back", rename);
	if ((l.flags & IFF_UP) && set_up(to, there.index) < 0)
		return hk_fail(err, errno, "set %s up", rename);
	return 0;
}

static const char *inside_name(const struct oci_net_device *d)
{
	return d->name != NULL && d->name[0] != '\0' ? d->name : d->key;
}

static bool bad_name(const char *name)
{
	size_t n = strlen(name);

	return n == 0 || n >= IFNAMSIZ || strpbrk(name, "/: \t\n") != NULL ||
	       strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

int hk_netdev_check(const struct oci_config *c, struct hk_err **err)
{
	const struct oci_linux *l = c->linux;
	size_t i, j;

	if (l == NULL || l->net_devices.len == 0)
		return 0;
	if (!oci_config_new_namespace(c, OCI_NS_NETWORK))
		return hk_fail(err, 0,
			       "config.json: linux.netDevices: needs a new network namespace");
	for (i = 0; i < l->net_devices.len; i++) {
		const struct oci_net_device *d = &l->net_devices.items[i];

		if (bad_name(d->key) || bad_name(inside_name(d)))
			return hk_fail(err, 0,
				       "config.json: linux.netDevices: \"%s\": not an "
				       "interface name",
				       bad_name(d->key) ? d->key : inside_name(d));
		if (strcmp(d->key, "lo") == 0 || strcmp(inside_name(d), "lo") == 0)
			return hk_fail(err, 0,
				       "config.json: linux.netDevices: \"%s\": the "
				       "loopback interface cannot move",
				       d->key);
		for (j = 0; j < i; j++)
			if (strcmp(inside_name(&l->net_devices.items[j]), inside_name(d)) == 0)
				return hk_fail(err, 0,
					       "config.json: linux.netDevices: two devices "
					       "named \"%s\" in the container",
					       inside_name(d));
	}
	return 0;
}

/* errno survives the message: move_out tells a namespace that is gone from a failure. */
static int open_ns(pid_t pid, int *fd, struct hk_err **err)
{
	char path[64];
	int saved;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	saved = errno;
	hk_fail(err, saved, "linux.netDevices: open %s", path);
	errno = saved;
	return -1;
}

/* A netlink socket in husk's network namespace and one in the container's. */
struct sockets {
	struct nl host, inside;
};

static void sockets_free(struct sockets **s)
{
	if (*s == NULL)
		return;
	nl_close(&(*s)->host);
	nl_close(&(*s)->inside);
	free(*s);
	*s = NULL;
}

static struct sockets *sockets_open(int ns, struct hk_err **err)
{
	struct sockets *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		hk_fail(err, ENOMEM, "linux.netDevices");
		return NULL;
	}
	if (nl_open(&s->host, -1, err) < 0 || nl_open(&s->inside, ns, err) < 0)
		sockets_free(&s);
	return s;
}

int hk_netdev_move_in(const struct oci_linux *l, pid_t pid, struct hk_err **err)
{
	__attribute__((cleanup(sockets_free))) struct sockets *s = NULL;
	hk_cleanup_close int ns = -1;
	size_t i;

	if (open_ns(pid, &ns, err) < 0) {
		if (errno != ENOENT && errno != ESRCH)
			return -1;
		/* pid 1 failed and went before the parent got here: its own error (SYNC_ERROR, or
		 * the socket's end) is the one to tell, and nothing was moved */
		if (err != NULL)
			hk_err_freep(err);
		return 0;
	}
	if ((s = sockets_open(ns, err)) == NULL)
		return -1;
	for (i = 0; i < l->net_devices.len; i++) {
		const struct oci_net_device *d = &l->net_devices.items[i];

		if (move_one(&s->host, &s->inside, ns, d->key, inside_name(d), err) < 0)
			return hk_prefix(err, "linux.netDevices: %s", d->key);
	}
	return 0;
}

int hk_netdev_move_out(const struct oci_linux *l, pid_t pid, struct hk_err **err)
{
	hk_cleanup_close int ns = -1, self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	__attribute__((cleanup(sockets_free))) struct sockets *s = NULL;
	struct link gone;
	size_t i;
	int ret = 0;

	if (self < 0)
		return hk_fail(err, errno, "linux.netDevices: open /proc/self/ns/net");
	if (open_ns(pid, &ns, err) < 0) {
		if (errno != ENOENT && errno != ESRCH)
			return -1;
		if (err != NULL)	   /* the failed create's undo asks with none */
			hk_err_freep(err); /* the namespace is gone: the kernel did what it does */
		return 0;
	}
	if ((s = sockets_open(ns, err)) == NULL)
		return -1;
	for (i = 0; i < l->net_devices.len; i++) {
		const struct oci_net_device *d = &l->net_devices.items[i];
		hk_cleanup_err struct hk_err *later = NULL;
		struct hk_err **to =
		    ret == 0 ? err : &later; /* the first failure is the one told */

		if (get_link(&s->inside, inside_name(d), &gone) < 0)
			continue; /* deleted inside, or already back */
		if (move_one(&s->inside, &s->host, self, inside_name(d), d->key, to) < 0)
			ret = hk_prefix(to, "linux.netDevices: return %s", d->key);
	}
	return ret;
}
