/* linux.memoryPolicy: set_mempolicy(2) for the container's processes (inherited across fork and
 * execve), set last before the program so that husk's own allocations are not bound by it. */
#ifndef HUSK_MEMPOLICY_H
#define HUSK_MEMPOLICY_H

#include "config.h"

/* The mode, flags and nodes make sense together (before anything is created). */
int hk_mempolicy_check(const struct oci_linux *l, struct hk_err **err);
int hk_mempolicy_set(const struct oci_linux *l, struct hk_err **err);

#endif
