/* linux.sysctl: only keys that belong to a namespace the container has of its own. */
#ifndef HUSK_SYSCTL_H
#define HUSK_SYSCTL_H

#include "config.h"

/* Checks every key against the container's namespaces (before anything is created). */
int hk_sysctl_check(const struct oci_config *c, struct hk_err **err);
/* Writes them through the host's /proc/sys from stage 2, which is in the container's network
 * and ipc namespaces already and has not pivoted yet (the keys follow the writer's namespaces). */
int hk_sysctl_apply(const struct oci_config *c, struct hk_err **err);

#endif
