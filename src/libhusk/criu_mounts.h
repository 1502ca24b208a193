/* What checkpoint and restore both tell CRIU about a container: the mounts it must treat as
 * external (their sources are the host's, not the container's), the flags both commands take,
 * and the image and work directories. */
#ifndef HUSK_CRIU_MOUNTS_H
#define HUSK_CRIU_MOUNTS_H

#include "cgroup/cgroup.h"
#include "checkpoint.h"
#include "config.h"
#include "criu.h"
#include "hk_error.h"

#if HUSK_HAVE_CRIU
/* External mounts, keyed by their destination in the container: binds (restore: from their
 * source), the cgroup hierarchies bound from the host (from cg's directories), the masked paths
 * bound from /dev/null, and device nodes bound from the host's. pid: the running container's pid
 * 1 for a dump, 0 for a restore. */
int hk_criu_ext_mounts(criu_opts *opts, const struct oci_config *cfg, const struct hk_cgroup *cg,
		       pid_t pid, struct hk_err **err);
/* The flags both commands take, given to CRIU (hk_criu_flags_check passed). */
void hk_criu_apply_flags(criu_opts *opts, const struct hk_criu_flags *f);
#endif

/* How CRIU names the namespaces a config may join by path, and for net and pid the key under
 * which checkpoint marks one external and restore hands it back (NULL: restore joins it). */
struct hk_criu_ns {
	int type; /* OCI_NS_* */
	const char *name, *ext_key;
};
extern const struct hk_criu_ns hk_criu_namespaces[5];

/* soft, full, strict, ignore: --manage-cgroups-mode */
extern const struct oci_names hk_criu_cg_modes;
/* The flags both commands take, checked before anything happens. */
int hk_criu_flags_check(const struct hk_criu_flags *f, const char *what, struct hk_err **err);

/* The image directory (made 0700 when `make`, as runc does for checkpoint) and the work
 * directory (default: the image directory), opened; *work_path names it in messages. */
int hk_criu_open_dirs(const struct hk_criu_flags *f, bool make, int *image_fd, int *work_fd,
		      const char **work_path, const char *what, struct hk_err **err);

#endif
