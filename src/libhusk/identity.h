/* Who the container process is: bounding set, groups, gid, uid, no_new_privs, umask, its session
 * keyring and the owner of its stdio. The rest of its capabilities come last (spawn.c). */
#ifndef HUSK_IDENTITY_H
#define HUSK_IDENTITY_H

#include <stdbool.h>

#include "config.h"

/* In that order; the permitted set survives the uid switch, for the capabilities set after it.
 * in_userns: setgroups may be denied there. */
int hk_identity_set(const struct oci_process *p, bool in_userns, struct hk_err **err);
/* A session keyring of the container's own, so that it cannot read husk's caller's keys. */
int hk_identity_new_keyring(struct hk_err **err);
/* stdio belongs to the caller; files and pipes become the process user's where the kernel
 * allows, terminals and devices stay as they are (CONTRACT.md). */
void hk_identity_chown_stdio(const struct oci_process *p);
/* stdio that is the null device (the caller's /dev/null, a host mount) becomes the container's
 * own /dev/null, opened read-write, as runc does: CRIU can only dump files of the container's
 * mounts, and the process keeps no handle on a mount of the host's. */
void hk_identity_reopen_null_stdio(void);

#endif
