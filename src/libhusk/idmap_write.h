/* The uid_map and gid_map of a new user namespace, written by the parent. Root writes them
 * itself. An unprivileged caller may write one line mapping its own id (gid_map only after
 * setgroups is denied, as the kernel demands); any other mapping (its /etc/subuid and
 * /etc/subgid ranges) goes through the setuid helpers newuidmap and newgidmap (Debian's uidmap),
 * found on PATH, as runc and crun do. */
#ifndef HUSK_IDMAP_WRITE_H
#define HUSK_IDMAP_WRITE_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* How the maps of l would be written by this process: each true asks for the helper. */
void hk_idmap_write_how(const struct oci_linux *l, bool *uid_helper, bool *gid_helper);
int hk_idmap_write(pid_t pid, const struct oci_linux *l, struct hk_err **err);

#endif
