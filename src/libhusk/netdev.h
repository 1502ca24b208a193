/* linux.netDevices: host interfaces moved into the container's network namespace by rtnetlink
 * (libmnl), renamed when the entry says so, with their permanent addresses and their up state;
 * moved back under their first name before the namespace goes (delete, a failed create). What
 * the kernel does without that: a physical device returns to the initial namespace by itself
 * when the namespace dies, a virtual one (veth, tap) is destroyed with it.
 *
 * The container holds CAP_NET_ADMIN in its namespace: it can rename, re-address and replace
 * what it was given. So what goes back is only what went in, found by the identity husk took
 * when it moved it (ifindex, kind, MAC, where a veth's peer lives), with the host's own
 * addresses read before the move: never a name or an address read inside. */
#ifndef HUSK_NETDEV_H
#define HUSK_NETDEV_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "arena.h"
#include "config.h"
#include "schema.h"

#define HK_NETDEV_KIND_MAX  16
#define HK_NETDEV_MAC_MAX   32
#define HK_NETDEV_ADDRS_MAX 64

struct hk_netdev_addr {
	unsigned char family, prefixlen, scope, len;
	unsigned char bytes[16];
};

/* One device husk moved in. */
struct hk_netdev_moved {
	char host_name[IFNAMSIZ];
	int index; /* its ifindex inside the container's namespace, after the move */
	char kind[HK_NETDEV_KIND_MAX]; /* IFLA_INFO_KIND; "" for a physical device */
	unsigned char mac[HK_NETDEV_MAC_MAX];
	unsigned mac_len;
	int peer_nsid; /* IFLA_LINK_NETNSID inside (a veth whose peer is elsewhere), or -1 */
	bool up;       /* on the host, before the move */
	size_t naddrs; /* the host's permanent addresses, before the move */
	struct hk_netdev_addr addrs[HK_NETDEV_ADDRS_MAX];
};

struct hk_netdev_set {
	size_t n;
	struct hk_netdev_moved dev[];
};

/* Before anything is made: a new network namespace, no "lo", valid and distinct names. */
int hk_netdev_check(const struct oci_config *c, struct hk_err **err);
/* From husk's network namespace into pid's. *moved (malloc'ed, NULL on entry) lists every
 * device that went in, also when a later one failed, so that the undo can return them. */
int hk_netdev_move_in(const struct oci_linux *l, pid_t pid, struct hk_netdev_set **moved,
		      struct hk_err **err);
/* The container's network namespace, held open so that it outlives the container's processes:
 * delete kills them first, then moves the devices out of a namespace nobody can change any
 * more. -1 with errno when pid is gone (its namespace with it). */
int hk_netdev_open_ns(pid_t pid);
/* Back from the namespace nsfd into husk's, each under its host name with its host addresses.
 * A device that is not found by its identity, or cannot move, stays (a warning line names it):
 * nothing here fails a delete. */
void hk_netdev_move_out(const struct hk_netdev_set *moved, int nsfd);
/* The undo of a failed create: the same, from pid's namespace while pid (husk's own code until
 * its execve) still holds it. */
void hk_netdev_return(const struct hk_netdev_set *moved, pid_t pid);
/* The set as the record keeps it (host name -> identity, in text), and back; the load fails
 * on a value it cannot read. */
void hk_netdev_record(const struct hk_netdev_set *moved, struct oci_arena *arena,
		      struct oci_strmap *out);
int hk_netdev_load(const struct oci_strmap *in, struct hk_netdev_set **moved, struct hk_err **err);

#endif
