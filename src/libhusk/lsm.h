/* Labels of the Linux security modules: AppArmor profiles and SELinux contexts, each applied
 * only when its module is on (CONTRACT.md: a requested AppArmor profile on a host without
 * AppArmor is an error; SELinux labels on a host without SELinux are skipped). */
#ifndef HUSK_LSM_H
#define HUSK_LSM_H

#include <stdbool.h>

#include "config.h"
#include "hk_error.h"

bool hk_apparmor_enabled(void);
bool hk_selinux_enabled(void);

/* In the parent, before anything exists: what cannot be honoured is said now. */
int hk_lsm_check(const struct oci_config *c, struct hk_err **err);
/* In the container's process, with the host's /proc still reachable: the labels its next execve
 * takes (AppArmor exec profile, SELinux exec and keyring contexts). */
int hk_lsm_set_exec_labels(const struct oci_process *p, struct hk_err **err);
/* The exec stub (plan.h) applies the AppArmor profile itself, right before the program's execve
 * (an SELinux label takes husk's sealed copy instead: plan.c). The profile is checked in a
 * process that never execs (stage 1, which exits), so that a profile AppArmor has not loaded is
 * named at create; and the attr file's directory is opened for the stub, which opens "exec"
 * there (*fd -1 when there is no profile; *value malloc'ed). */
int hk_lsm_check_exec_labels(const struct oci_process *p, struct hk_err **err);
int hk_lsm_exec_attr_open(const struct oci_process *p, int *fd, char **value, struct hk_err **err);
/* linux.mountLabel when SELinux will honour it, else NULL (with a debug line once). */
const char *hk_lsm_mount_label(const struct oci_config *c);

#endif
