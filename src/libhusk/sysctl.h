/* linux.sysctl: only keys that belong to a namespace the container has of its own. */
#ifndef HUSK_SYSCTL_H
#define HUSK_SYSCTL_H

#include "config.h"

/* Checks every key against the container's namespaces (before anything is created). */
int hk_sysctl_check(const struct oci_config *c, struct hk_err **err);
/* Writes them under /proc/sys (inside the container, after pivot_root). */
int hk_sysctl_apply(const struct oci_config *c, struct hk_err **err);

#endif
