/* The default config.json of `husk spec`, runc's defaults for a busybox-like rootfs. */
#ifndef HUSK_SPEC_H
#define HUSK_SPEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

#define HK_OCI_VERSION "1.3.0"

/* rootless: a user namespace mapping uid/gid 0 to the given ids, sysfs bound rather than mounted,
 * no gid= on devpts (a user namespace owns no gid 5). */
int hk_spec_default(bool rootless, uid_t uid, gid_t gid, struct oci_config_doc *doc,
		    struct hk_err **err);

#endif
