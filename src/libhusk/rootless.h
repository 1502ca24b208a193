/* Whether husk runs without the host's root, runc's `--rootless auto`: not uid 0, or uid 0 of a
 * user namespace that maps less than every id (inside rootless podman, which runs the runtime
 * in a user namespace of its own). Such a husk keeps its state under $XDG_RUNTIME_DIR/husk and
 * makes no cgroup (limits are refused with one line). */
#ifndef HUSK_ROOTLESS_H
#define HUSK_ROOTLESS_H

#include <stdbool.h>

enum hk_rootless { HK_ROOTLESS_AUTO, HK_ROOTLESS_TRUE, HK_ROOTLESS_FALSE };

/* --rootless, once, before anything asks (default auto). */
void hk_rootless_set(enum hk_rootless mode);
bool hk_rootless(void);
/* Root of the initial user namespace, whatever --rootless says: what may enter and leave any
 * pid namespace. */
bool hk_host_root(void);

#endif
