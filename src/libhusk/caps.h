/* Capabilities with libcap: the bounding set before the uid switch, the rest after. */
#ifndef HUSK_CAPS_H
#define HUSK_CAPS_H

#include "config.h"

/* Drops every capability not in `bounding` from the bounding set (NULL: drop all). */
int hk_caps_limit_bounding(const struct oci_capabilities *caps, struct hk_err **err);
/* In the parent: every capability the config names that this kernel has must be in husk's own
 * bounding set, or no process of the container could hold it. */
int hk_caps_check_available(const struct oci_capabilities *caps, struct hk_err **err);
/* Sets effective, permitted and inheritable, then raises the ambient ones. */
int hk_caps_apply(const struct oci_capabilities *caps, struct hk_err **err);
/* The same in two steps around a seccomp load without no_new_privs, which needs CAP_SYS_ADMIN
 * effective: hk_caps_prepare_late makes every permitted capability effective, sets the
 * configured inheritable ones and raises the ambient ones; hk_caps_set, after the load, is then
 * the only call left (the kernel drops an ambient capability that leaves permitted). */
int hk_caps_prepare_late(const struct oci_capabilities *caps, struct hk_err **err);
int hk_caps_set(const struct oci_capabilities *caps, struct hk_err **err);

#endif
