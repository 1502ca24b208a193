/* File descriptor helpers that every mechanism uses. */
#ifndef HUSK_FDIO_H
#define HUSK_FDIO_H

#include <stdbool.h>

/* close_range(first, last, cloexec ? CLOSE_RANGE_CLOEXEC : 0), falling back to one call per open
 * fd where the kernel lacks it or a seccomp filter husk runs under refuses it: no fd may reach
 * a container because a syscall was missing. Returns 0 or -1 with errno. */
int hk_close_range(int first, unsigned last, bool cloexec);

#endif
