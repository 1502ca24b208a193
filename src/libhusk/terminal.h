/* The container's terminal: a pty from the container's own devpts, the master sent out. */
#ifndef HUSK_TERMINAL_H
#define HUSK_TERMINAL_H

#include <sys/types.h>

#include "config.h"

/* Opens a pty from <rootfs>/dev/pts/ptmx; *master and *slave are close-on-exec fds, and the slave
 * is also bind-mounted over /dev/console. */
int hk_terminal_open(int rootfd, const struct oci_process *p, int *master, int *slave,
		     struct hk_err **err);
/* Makes slave, given to uid, the controlling terminal and stdio of the calling process (after
 * setsid). */
int hk_terminal_attach(int slave, uid_t uid, struct hk_err **err);
/* Connects to the console socket and sends the master (runc's protocol: one message, one fd). */
int hk_console_send(const char *socket_path, int master, struct hk_err **err);

#endif
