/* Idmapped mounts (the idmap and ridmap options). The trees are made by the parent, in the host's
 * user namespace where the filesystem's owner allows it, and attached inside the container. */
#ifndef HUSK_IDMAP_H
#define HUSK_IDMAP_H

#include "config.h"

/* For each mount with idmap or ridmap: a detached, idmapped copy of its source (the mappings are
 * the mount's own, else the container's); for each bind with shared or rshared, a detached copy
 * of its source from the host's namespace (hk_mount_shares_with_host). (*fds)[i] is -1 for the
 * other mounts. */
int hk_idmap_prepare(const struct oci_config *c, const char *bundle, int **fds,
		     struct hk_err **err);
/* The trees' array holds one per mount, then one per linux.devices entry (hk_devices_prepare's
 * nodes, in a user namespace): this many. */
size_t hk_prepared_count(const struct oci_config *c);
void hk_idmap_close(const struct oci_config *c, int *fds);

#endif
