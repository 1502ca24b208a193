/* `run` in the foreground: wait for the container, pass on signals, proxy its terminal. */
#ifndef HUSK_SUPERVISE_H
#define HUSK_SUPERVISE_H

#include <sys/types.h>

/* Waits for pid (a child of the caller). The signals the caller receives go to the container;
 * with a pty master (>= 0) the caller's stdin goes to the terminal (raw when stdin is a tty, its
 * window size followed on SIGWINCH) and the terminal's output to stdout. Returns the exit status,
 * 128+N for a death by signal N. */
int hk_supervise(pid_t pid, int master);
/* Blocks the signals hk_supervise handles, so that none is lost (or kills husk) before it runs. */
void hk_supervise_hold_signals(void);

#endif
