/* tmpcopyup: copies the directory under a new tmpfs (still open as `below`) into it, never
 * following a symlink, to a bounded depth. */
#ifndef HUSK_COPYUP_H
#define HUSK_COPYUP_H

#include "hk_error.h"

int hk_copy_up(int below, int rootfd, const char *dest, struct hk_err **err);

#endif
