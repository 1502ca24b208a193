/* rtnetlink through libmnl: what a new network namespace needs from husk. */
#ifndef HUSK_NETLINK_H
#define HUSK_NETLINK_H

#include "hk_error.h"

/* Sets the loopback interface of the current network namespace up. */
int hk_netlink_loopback_up(struct hk_err **err);

#endif
