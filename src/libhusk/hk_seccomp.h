/* linux.seccomp: compiled to BPF by libseccomp in the parent (so that a small memory limit on the
 * container cannot fail the compile), cached by a hash of the profile, libseccomp's version and
 * the kernel's, and loaded by the container's process with seccomp(2). */
#ifndef HUSK_SECCOMP_H
#define HUSK_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "hk_error.h"
#include "oci_state.h"

struct hk_seccomp {
	struct sock_filter *insns; /* malloc'ed; NULL: no filter */
	size_t len;
	unsigned flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
	bool notify;	/* some rule says SCMP_ACT_NOTIFY: loading makes a listener */
	bool cached;	/* came from the cache */
};

/* libseccomp's token for "SCMP_ARCH_X86_64" (0 when it knows none). */
unsigned hk_seccomp_arch(const char *name);

/* The filter for s, compiled filters being kept between runs in <root>/.seccomp~ (a name no
 * container id can take; root NULL: no cache). */
int hk_seccomp_prepare(const struct oci_seccomp *s, const char *root, struct hk_seccomp *out,
		       struct hk_err **err);
void hk_seccomp_free(struct hk_seccomp *f);

/* In the container's process: installs the filter; *listener receives the notify fd or -1. */
int hk_seccomp_load(const struct hk_seccomp *f, int *listener, struct hk_err **err);

/* Hands the listener to the agent at listenerPath, with the container process state the spec
 * describes (state: the container's, libocispec serialises both). */
int hk_seccomp_send_listener(const struct oci_seccomp *s, int listener, pid_t pid,
			     struct oci_state *state, struct hk_err **err);

#endif
