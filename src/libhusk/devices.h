/* /dev inside the container: default devices, linux.devices, the standard links. */
#ifndef HUSK_DEVICES_H
#define HUSK_DEVICES_H

#include <stdbool.h>

#include "config.h"

/* in_userns: devices cannot be made there, so the host's are bind-mounted onto empty files.
 * defaults: also null, zero, full, random, urandom, tty and the /dev links (not when /dev is a
 * bind mount of the host's). */
/* host_nodes: per linux.devices entry, a node hk_devices_prepare made (or -1, or NULL: none). */
int hk_devices_create(int rootfd, const struct oci_config *c, bool in_userns, bool defaults,
		      const int *host_nodes, struct hk_err **err);
/* The parent's half, for a container with a user namespace of its own (which cannot make device
 * nodes): each linux.devices node the host lacks is made here, on the host side, as crun makes
 * it, and handed over as a detached mount of it; trees[j] is -1 for the others. */
int hk_devices_prepare(const struct oci_config *c, int *trees, struct hk_err **err);

#endif
