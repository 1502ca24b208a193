#include "oci_state.h"

#include "fields.h"

#define T struct oci_state
static const struct oci_field state_fields[] = {
    F("ociVersion", OCI_STRING, oci_version, REQ),
    F("id", OCI_STRING, id, REQ | OCI_NONEMPTY),
    F("pid", OCI_I32, pid, 0),
    F("status", OCI_STRING, status, REQ),
    F("bundle", OCI_STRING, bundle, 0),
    F("rootfs", OCI_STRING, rootfs, 0),
    F("created", OCI_STRING, created, 0),
    F("owner", OCI_STRING, owner, 0),
    F("annotations", OCI_STRMAP, annotations, 0),
};
#undef T
const struct oci_type oci_state_type = OCI_TYPE("state", struct oci_state, state_fields, NULL);

#define T struct oci_process_state
static const struct oci_field process_state_fields[] = {
    F("ociVersion", OCI_STRING, oci_version, REQ),
    F("fds", OCI_STRINGS, fds, 0),
    F("pid", OCI_I32, pid, 0),
    F("metadata", OCI_STRING, metadata, 0),
    OBJ("state", OCI_OBJECT, state, REQ, oci_state_type),
};
#undef T
const struct oci_type oci_process_state_type =
    OCI_TYPE("container process state", struct oci_process_state, process_state_fields, NULL);

static const struct oci_name statuses[] = {
    {"creating", OCI_STATUS_CREATING}, {"created", OCI_STATUS_CREATED},
    {"running", OCI_STATUS_RUNNING},   {"paused", OCI_STATUS_PAUSED},
    {"stopped", OCI_STATUS_STOPPED},
};
const struct oci_names oci_statuses = {"status", statuses, sizeof(statuses) / sizeof(statuses[0])};
