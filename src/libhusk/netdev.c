#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "log.h"

struct nl {
	struct mnl_socket *sock;
	unsigned seq;
	char buf[32768]; /* MNL_SOCKET_DUMP_SIZE */
};

/* What RTM_GETLINK tells of one device: enough to find it again by what it is, not by name. */
struct link {
	int index;
	unsigned flags;
	char kind[HK_NETDEV_KIND_MAX];
	unsigned char mac[HK_NETDEV_MAC_MAX];
	unsigned mac_len;
	int peer_nsid;
};

struct addrs {
	int index;
	size_t n;
	struct hk_netdev_addr *a; /* HK_NETDEV_ADDRS_MAX of them */
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

static int linkinfo_cb(const struct nlattr *attr, void *data)
{
	struct link *l = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) == 0)
		if (hk_format(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(attr)) < 0)
			l->kind[0] = '\0'; /* a kind no device of ours has */
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link *l = data;
	unsigned len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case IFLA_ADDRESS:
		if (len <= sizeof(l->mac)) {
			memcpy(l->mac, mnl_attr_get_payload(attr), len);
			l->mac_len = len;
		}
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(attr, linkinfo_cb, l);
		break;
	case IFLA_LINK_NETNSID:
		if (len == sizeof(int32_t))
			l->peer_nsid = (int)mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link *l = data;

	*l = (struct link){.index = ifm->ifi_index, .flags = ifm->ifi_flags, .peer_nsid = -1};
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, l);
}

/* By name (index 0) or by ifindex; ENODEV when there is none. */
static int get_link(struct nl *nl, const char *name, int index, struct link *out)
{
	struct nlmsghdr *nlh = nl_request(nl, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	if (name != NULL)
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
	struct hk_netdev_addr *a;

	if ((int)ifa->ifa_index != out->index || out->n == HK_NETDEV_ADDRS_MAX)
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
	*a = (struct hk_netdev_addr){ifa->ifa_family,
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

static int add_addr(struct nl *nl, int index, const struct hk_netdev_addr *a)
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

/* The host's `name` goes into the namespace ns as `rename`, with its permanent addresses and up
 * state; m takes its identity there. m->index is set once it moved: the undo returns it. */
static int move_one_in(struct sockets *s, int ns, const char *name, const char *rename,
		       struct hk_netdev_moved *m, struct hk_err **err)
{
	struct link l, there;
	struct addrs addrs = {.a = m->addrs};

	if (get_link(&s->host, name, 0, &l) < 0)
		return hk_fail(err, errno,
			       "no interface \"%s\" here (none, or one in another "
			       "network namespace)",
			       name);
	if (get_link(&s->inside, rename, 0, &there) == 0)
		return hk_fail(err, EEXIST, "\"%s\" exists in the target network namespace",
			       rename);
	if (get_addrs(&s->host, l.index, &addrs) < 0)
		return hk_fail(err, errno, "read the addresses of %s", name);
	if (hk_format(m->host_name, sizeof(m->host_name), "%s", name) < 0)
		return hk_fail(err, ENAMETOOLONG, "network device %s", name);
	m->naddrs = addrs.n;
	m->up = (l.flags & IFF_UP) != 0;
	if (move_link(&s->host, l.index, ns, rename) < 0)
		return hk_fail(err, errno, "move %s as %s", name, rename);
	if (get_link(&s->inside, rename, 0, &there) < 0)
		return hk_fail(err, errno, "find %s after the move", rename);
	m->index = there.index;
	memcpy(m->kind, there.kind, sizeof(m->kind));
	memcpy(m->mac, there.mac, sizeof(m->mac));
	m->mac_len = there.mac_len;
	m->peer_nsid = there.peer_nsid;
	for (size_t i = 0; i < m->naddrs; i++)
		if (add_addr(&s->inside, there.index, &m->addrs[i]) < 0)
			return hk_fail(err, errno, "give %s its address back", rename);
	if (m->up && set_up(&s->inside, there.index) < 0)
		return hk_fail(err, errno, "set %s up", rename);
	return 0;
}

int hk_netdev_open_ns(pid_t pid)
{
	char path[64];

	if (hk_format(path, sizeof(path), "/proc/%d/ns/net", (int)pid) < 0)
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

int hk_netdev_move_in(const struct oci_linux *l, pid_t pid, struct hk_netdev_set **moved,
		      struct hk_err **err)
{
	__attribute__((cleanup(sockets_free))) struct sockets *s = NULL;
	hk_cleanup_close int ns = hk_netdev_open_ns(pid);
	size_t i;

	if (ns < 0) {
		if (errno != ENOENT && errno != ESRCH)
			return hk_fail(err, errno, "linux.netDevices: open /proc/%d/ns/net",
				       (int)pid);
		/* pid 1 failed and went before the parent got here: its own error (SYNC_ERROR, or
		 * the socket's end) is the one to tell, and nothing was moved */
		return 0;
	}
	*moved = calloc(1, sizeof(**moved) + l->net_devices.len * sizeof((*moved)->dev[0]));
	if (*moved == NULL)
		return hk_fail(err, ENOMEM, "linux.netDevices");
	if ((s = sockets_open(ns, err)) == NULL)
		return -1;
	for (i = 0; i < l->net_devices.len; i++) {
		const struct oci_net_device *d = &l->net_devices.items[i];
		struct hk_netdev_moved *m = &(*moved)->dev[(*moved)->n];
		int ret = move_one_in(s, ns, d->key, inside_name(d), m, err);

		if (m->index > 0)
			(*moved)->n++;
		if (ret < 0)
			return hk_prefix(err, "linux.netDevices: %s", d->key);
	}
	return 0;
}

/* The device at m's ifindex is the one husk moved in: same kind, same MAC, and a veth's peer
 * still where it was. The container can make a device of the name; not of all of this. */
static const char *not_the_one(const struct hk_netdev_moved *m, const struct link *l)
{
	if (strcmp(l->kind, m->kind) != 0)
		return "is of another kind";
	if (l->mac_len != m->mac_len || memcmp(l->mac, m->mac, m->mac_len) != 0)
		return "has another hardware address";
	if (l->peer_nsid != m->peer_nsid)
		return "has its peer in another namespace";
	return NULL;
}

static void return_one(struct sockets *s, int self, const struct hk_netdev_moved *m)
{
	struct link l, there;
	const char *why;
	char buf[128];
	size_t i;

	if (get_link(&s->inside, NULL, m->index, &l) < 0) {
		hk_warn("linux.netDevices: %s not returned: the container no longer has it",
			m->host_name);
		return;
	}
	if ((why = not_the_one(m, &l)) != NULL) {
		hk_warn("linux.netDevices: %s not returned: the container's device at its ifindex "
			"%d %s",
			m->host_name, m->index, why);
		return;
	}
	if (get_link(&s->host, m->host_name, 0, &there) == 0) {
		hk_warn("linux.netDevices: %s not returned: the host has another \"%s\"",
			m->host_name, m->host_name);
		return;
	}
	if (move_link(&s->inside, l.index, self, m->host_name) < 0 ||
	    get_link(&s->host, m->host_name, 0, &there) < 0) {
		hk_warn("linux.netDevices: %s not returned: %s", m->host_name,
			hk_strerror(errno, buf, sizeof(buf)));
		return;
	}
	for (i = 0; i < m->naddrs; i++)
		if (add_addr(&s->host, there.index, &m->addrs[i]) < 0)
			hk_warn("linux.netDevices: %s: give its address back: %s", m->host_name,
				hk_strerror(errno, buf, sizeof(buf)));
	if (m->up && set_up(&s->host, there.index) < 0)
		hk_warn("linux.netDevices: %s: set up: %s", m->host_name,
			hk_strerror(errno, buf, sizeof(buf)));
}

void hk_netdev_move_out(const struct hk_netdev_set *moved, int nsfd)
{
	hk_cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	__attribute__((cleanup(sockets_free))) struct sockets *s = NULL;
	hk_cleanup_err struct hk_err *err = NULL;
	char buf[128];
	size_t i;

	if (moved == NULL || moved->n == 0 || nsfd < 0)
		return;
	if (self < 0 || (s = sockets_open(nsfd, &err)) == NULL) {
		hk_warn("linux.netDevices: not returned: %s",
			err != NULL ? err->msg : hk_strerror(errno, buf, sizeof(buf)));
		return;
	}
	for (i = 0; i < moved->n; i++)
		return_one(s, self, &moved->dev[i]);
}

/* The record's text of one device: "index=5 kind=veth mac=0a1b.. peer=-1 up=1 addr=2/24/0/0a37..".
 * Hex keeps every value free of spaces. */
static void hex(char *out, const unsigned char *bytes, unsigned len)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * len] = '\0';
}

static char *identity_text(const struct hk_netdev_moved *m, struct oci_arena *arena)
{
	char text[256 + HK_NETDEV_ADDRS_MAX * 64], mac[2 * HK_NETDEV_MAC_MAX + 1], bytes[33];
	size_t i;

	hex(mac, m->mac, m->mac_len);
	/* sized for the most a record holds; a text that did not fit would be no identity at all
	 * (empty: the device is then never moved back, with a warning) */
	if (hk_format(text, sizeof(text), "index=%d kind=%s mac=%s peer=%d up=%d", m->index,
		      m->kind[0] ? m->kind : "-", mac[0] ? mac : "-", m->peer_nsid, m->up) < 0)
		return oci_arena_strdup(arena, "");
	for (i = 0; i < m->naddrs; i++) {
		hex(bytes, m->addrs[i].bytes, m->addrs[i].len);
		if (hk_format(text + strlen(text), sizeof(text) - strlen(text), " addr=%u/%u/%u/%s",
			      m->addrs[i].family, m->addrs[i].prefixlen, m->addrs[i].scope,
			      bytes) < 0)
			return oci_arena_strdup(arena, "");
	}
	return oci_arena_strdup(arena, text);
}

void hk_netdev_record(const struct hk_netdev_set *moved, struct oci_arena *arena,
		      struct oci_strmap *out)
{
	size_t i, n = moved != NULL ? moved->n : 0;

	out->keys = oci_arena_array(arena, n + 1, sizeof(char *));
	out->values = oci_arena_array(arena, n + 1, sizeof(char *));
	out->len = n;
	out->set = n > 0;
	for (i = 0; i < n; i++) {
		out->keys[i] = oci_arena_strdup(arena, moved->dev[i].host_name);
		out->values[i] = identity_text(&moved->dev[i], arena);
	}
}

/* Hex of at most max bytes into out; -1 on anything else ("-" is none). */
static int unhex(const char *text, unsigned char *out, unsigned max, unsigned *len)
{
	size_t n = strlen(text);

	*len = 0;
	if (strcmp(text, "-") == 0)
		return 0;
	if (n % 2 != 0 || n / 2 > max || strspn(text, "0123456789abcdef") != n)
		return -1;
	for (*len = 0; *len < n / 2; (*len)++)
		sscanf(text + 2 * *len, "%2hhx", &out[*len]);
	return 0;
}

static int parse_addr(const char *text, struct hk_netdev_addr *a)
{
	unsigned family, prefix, scope, len;
	char bytes[40];

	if (sscanf(text, "%u/%u/%u/%39s", &family, &prefix, &scope, bytes) != 4 || family > 255 ||
	    prefix > 128 || scope > 255 || unhex(bytes, a->bytes, sizeof(a->bytes), &len) < 0 ||
	    len == 0)
		return -1;
	*a = (struct hk_netdev_addr){(unsigned char)family,
				     (unsigned char)prefix,
				     (unsigned char)scope,
				     (unsigned char)len,
				     {0}};
	return unhex(bytes, a->bytes, sizeof(a->bytes), &len);
}

static int parse_token(char *tok, struct hk_netdev_moved *m)
{
	char *v = strchr(tok, '=');
	int up;

	if (v == NULL)
		return -1;
	*v++ = '\0';
	if (strcmp(tok, "index") == 0)
		return sscanf(v, "%d", &m->index) == 1 && m->index > 0 ? 0 : -1;
	if (strcmp(tok, "kind") == 0)
		return hk_format(m->kind, sizeof(m->kind), "%s", strcmp(v, "-") ? v : "");
	if (strcmp(tok, "mac") == 0)
		return unhex(v, m->mac, sizeof(m->mac), &m->mac_len);
	if (strcmp(tok, "peer") == 0)
		return sscanf(v, "%d", &m->peer_nsid) == 1 ? 0 : -1;
	if (strcmp(tok, "up") == 0)
		return sscanf(v, "%d", &up) == 1 ? (m->up = up != 0, 0) : -1;
	if (strcmp(tok, "addr") == 0 && m->naddrs < HK_NETDEV_ADDRS_MAX)
		return parse_addr(v, &m->addrs[m->naddrs++]);
	return -1;
}

static int parse_identity(const char *name, const char *text, struct hk_netdev_moved *m)
{
	hk_cleanup_free char *copy = strdup(text);
	char *tok, *save = NULL;

	if (copy == NULL || hk_format(m->host_name, sizeof(m->host_name), "%s", name) < 0)
		return -1;
	for (tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
		if (parse_token(tok, m) < 0)
			return -1;
	return m->index > 0 ? 0 : -1;
}

int hk_netdev_load(const struct oci_strmap *in, struct hk_netdev_set **moved, struct hk_err **err)
{
	size_t i;

	*moved = calloc(1, sizeof(**moved) + in->len * sizeof((*moved)->dev[0]));
	if (*moved == NULL)
		return hk_fail(err, ENOMEM, "linux.netDevices");
	for (i = 0; i < in->len; i++) {
		(*moved)->dev[i].peer_nsid = -1;
		if (parse_identity(in->keys[i], in->values[i], &(*moved)->dev[i]) < 0)
			return hk_fail(err, EINVAL, "state: netDevicesMoved.%s: unreadable",
				       in->keys[i]);
		(*moved)->n++;
	}
	return 0;
}

void hk_netdev_return(const struct hk_netdev_set *moved, pid_t pid)
{
	hk_cleanup_close int ns = -1;

	if (moved == NULL || moved->n == 0)
		return;
	ns = hk_netdev_open_ns(pid);
	hk_netdev_move_out(moved, ns); /* a namespace already gone took its devices with it */
}
