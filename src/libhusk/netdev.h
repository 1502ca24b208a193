/* linux.netDevices: host interfaces moved into the container's network namespace by rtnetlink
 * (libmnl), renamed when the entry says so, with their permanent addresses and their up state;
 * moved back under their first name before the namespace goes (delete, a failed create). What
 * the kernel does without that: a physical device returns to the initial namespace by itself
 * when the namespace dies, a virtual one (veth, tap) is destroyed with it. */
#ifndef HUSK_NETDEV_H
#define HUSK_NETDEV_H

#include <sys/types.h>

#include "config.h"

/* Before anything is made: a new network namespace, no "lo", valid and distinct names. */
int hk_netdev_check(const struct oci_config *c, struct hk_err **err);
/* From husk's network namespace into pid's. */
int hk_netdev_move_in(const struct oci_linux *l, pid_t pid, struct hk_err **err);
/* Back from pid's into husk's, each under its host name; a device no longer there is skipped.
 * Every device is tried; the first failure is reported. */
int hk_netdev_move_out(const struct oci_linux *l, pid_t pid, struct hk_err **err);

#endif
