/* /dev inside the container: default devices, linux.devices, the standard links. */
#ifndef HUSK_DEVICES_H
#define HUSK_DEVICES_H

#include <stdbool.h>

#include "config.h"

/* in_userns: devices cannot be made there, so the host's are bind-mounted onto empty files.
 * defaults: also null, zero, full, random, urandom, tty and the /dev links (not when /dev is a
 * bind mount of the host's). */
int hk_devices_create(int rootfd, const struct oci_config *c, bool in_userns, bool defaults,
		      struct hk_err **err);

#endif
