/* Writes to the host's /proc from husk's stages: the file opened must be procfs's own, on the
 * /proc mount itself, never a file something bind-mounted over it (runc's GHSA-cgrx-mc8f-2prm:
 * sysctl or LSM writes redirected to a file of the attacker's choosing). */
#ifndef HUSK_PROCFS_H
#define HUSK_PROCFS_H

#include "hk_error.h"

/* Opens /proc/<rel> (e.g. "sys/net/ipv4/ip_forward", "thread-self/attr/exec"); returns the fd
 * or -1 with errno (EXDEV: something is mounted over it). */
int hk_proc_open(const char *rel, int flags);

/* Writes value to /proc/<rel> in one write; the message names the file. */
int hk_proc_write(const char *rel, const char *value, struct hk_err **err);

#endif
