/* sd_notify through a container, as runc does it: when the caller of create sets NOTIFY_SOCKET
 * (systemd's Type=notify, podman --sdnotify=container), the container gets a socket of husk's
 * at /run/notify/notify.sock (its directory in the state dir, bound read-only) and NOTIFY_SOCKET
 * pointing there; `start` listens on it and relays what the container says to the caller's
 * socket until READY=1, which goes with MAINPID=<pid 1 on the host>. */
#ifndef HUSK_NOTIFY_H
#define HUSK_NOTIFY_H

#include <sys/types.h>

#include "arena.h"
#include "config.h"
#include "hk_error.h"

#define HK_NOTIFY_DIR	       "notify"
#define HK_NOTIFY_IN_CONTAINER "/run/notify/notify.sock"

/* create, with NOTIFY_SOCKET set (else these do nothing): the mount of state_dir/notify and the
 * env that show the socket to the container, added to c (in arena); then, once the state dir
 * exists, the directory and the socket. */
void hk_notify_configure(struct oci_arena *arena, struct oci_config *c, const char *state_dir);
int hk_notify_make(const char *state_dir, struct hk_err **err);
/* start, before pid 1 is released: the socket bound afresh (a datagram socket nobody holds
 * refuses senders). -1 with err on failure; *fd -1 when there is nothing to relay. */
int hk_notify_listen(const char *state_dir, int *fd, struct hk_err **err);
/* Relays datagrams from fd to $NOTIFY_SOCKET until READY=1 or pid 1 (pidfd) exits: of each,
 * only the lines that speak of the service's state (READY, STATUS, ...), never MAINPID or the
 * fd store, which would let a container act on the caller's unit. */
int hk_notify_relay(int fd, int pidfd, pid_t pid, struct hk_err **err);

#endif
