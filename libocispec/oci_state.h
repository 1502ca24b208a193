/* The state document `husk state` prints: the OCI state plus the fields runc adds
 * (rootfs, created, owner), which containerd and podman read. */
#ifndef HUSK_OCI_STATE_H
#define HUSK_OCI_STATE_H

#include "schema.h"

struct oci_state {
	char *oci_version, *id;
	struct oci_opt_i32 pid;
	char *status, *bundle, *rootfs, *created, *owner;
	struct oci_strmap annotations;
};

extern const struct oci_type oci_state_type;

/* What a seccomp agent receives on linux.seccomp.listenerPath with the notify fd: runtime-spec's
 * container process state. */
struct oci_process_state {
	char *oci_version;
	struct oci_strv fds; /* the names of the fds sent with it, in order: "seccompFd" */
	struct oci_opt_i32 pid;
	char *metadata; /* linux.seccomp.listenerMetadata */
	struct oci_state *state;
};

extern const struct oci_type oci_process_state_type;

/* The statuses of the OCI lifecycle, in the spelling of the state document. */
extern const struct oci_names oci_statuses;
enum oci_status {
	OCI_STATUS_CREATING,
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_PAUSED,
	OCI_STATUS_STOPPED
};

#endif
