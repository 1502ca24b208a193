/* The table of Linux mount options of runtime-spec's config-linux "Mount Options" list. */
#ifndef HUSK_MOUNT_OPTIONS_H
#define HUSK_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum hk_mount_option_kind {
	HK_MOPT_FLAG,	     /* sets flag in mount(2) flags */
	HK_MOPT_CLEAR,	     /* clears flag in mount(2) flags */
	HK_MOPT_PROPAGATION, /* a propagation change after the mount */
	HK_MOPT_ATTR_SET,    /* recursive mount_setattr attribute (rro, rnosuid...) */
	HK_MOPT_ATTR_CLEAR,
	HK_MOPT_ATTR_ATIME, /* recursive atime mode: one of relatime, noatime, strictatime */
	HK_MOPT_EXTENSION,  /* handled by husk itself: tmpcopyup, idmap, ridmap */
};

struct hk_mount_option {
	const char *name;
	enum hk_mount_option_kind kind;
	unsigned long value;
};

extern const struct hk_mount_option hk_mount_options[];
extern const size_t hk_mount_options_len;

/* The table entry for name, or NULL: unknown options go to the filesystem as data (size=, mode=).
 */
const struct hk_mount_option *hk_mount_option_find(const char *name);

#endif
