/* descriptors.json, which checkpoint writes into the image directory as runc does: what the
 * container's fds 0, 1 and 2 were, as the keys restore gives CRIU ("pipe:[123]", "tty[88:3]",
 * "/dev/null"). */
#ifndef HUSK_DESCRIPTORS_H
#define HUSK_DESCRIPTORS_H

#include <stddef.h>

#include "arena.h"
#include "hk_error.h"

#define OCI_DESCRIPTOR_MAX 4096

/* An array of at most three strings, each shorter than OCI_DESCRIPTOR_MAX and without NUL;
 * out[i] is "" for one the array lacks. */
int oci_descriptors_parse(const char *text, size_t len, struct oci_arena *arena,
			  char out[3][OCI_DESCRIPTOR_MAX], struct hk_err **err);

#endif
