/* The container's terminal: a pty from the container's own devpts, the master sent out. */
#ifndef HUSK_TERMINAL_H
#define HUSK_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Opens a pty from <rootfs>/dev/pts/ptmx (reopened through procfd's fd links, -1: /proc's);
 * *master and *slave are close-on-exec fds, and with console (create, not exec) the slave is
 * also bind-mounted over /dev/console. */
int hk_terminal_open(int rootfd, int procfd, const struct oci_process *p, bool console, int *master,
		     int *slave, struct hk_err **err);
/* Makes slave, given to uid, the stdio of the calling process and, controlling, its controlling
 * terminal (after setsid). */
int hk_terminal_attach(int slave, uid_t uid, bool controlling, struct hk_err **err);
/* Connects to the console socket and sends the master (runc's protocol: one message, one fd). */
int hk_console_send(const char *socket_path, int master, struct hk_err **err);

#endif
