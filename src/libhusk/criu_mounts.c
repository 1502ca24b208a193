#include "criu_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "inroot.h"
#include "mount_plan.h"
#include "names.h"

int hk_criu_open_dirs(const struct hk_criu_flags *f, bool make, int *image_fd, int *work_fd,
		      const char **work_path, const char *what, struct hk_err **err)
{
	const char *image = f->image_path ? f->image_path : "checkpoint";

	*work_path = f->work_path ? f->work_path : image;
	if (make && mkdir(image, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "%s: --image-path %s", what, image);
	*image_fd = open(image, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*image_fd < 0)
		return hk_fail(err, errno, "%s: --image-path %s", what, image);
	if (f->work_path != NULL && mkdir(f->work_path, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "%s: --work-path %s", what, f->work_path);
	*work_fd = open(*work_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*work_fd < 0)
		return hk_fail(err, errno, "%s: --work-path %s", what, *work_path);
	return 0;
}

const struct hk_criu_ns hk_criu_namespaces[5] = {
    {OCI_NS_NETWORK, "net", "extRootNetNS"},
    {OCI_NS_PID, "pid", "extRootPidNS"},
    {OCI_NS_IPC, "ipc", NULL},
    {OCI_NS_UTS, "uts", NULL},
    {OCI_NS_USER, "user", NULL},
};

/* --manage-cgroups-mode, by CRIU's names; the value indexes cg_modes */
static const struct oci_name cg_mode_names[] = {
    {"soft", 0},
    {"full", 1},
    {"strict", 2},
    {"ignore", 3},
};
const struct oci_names hk_criu_cg_modes = {"cgroups mode", cg_mode_names,
					   sizeof(cg_mode_names) / sizeof(cg_mode_names[0])};

int hk_criu_flags_check(const struct hk_criu_flags *f, const char *what, struct hk_err **err)
{
	const char *mode = f->manage_cgroups_mode ? f->manage_cgroups_mode : "soft";

	if (oci_name_find(&hk_criu_cg_modes, mode) == NULL)
		return hk_fail(
		    err, EINVAL,
		    "%s: --manage-cgroups-mode: \"%s\" is not one of soft, full, strict, "
		    "ignore",
		    what, mode);
	return 0;
}

#if HUSK_HAVE_CRIU
static int ext(criu_opts *opts, const char *key, const char *val, struct hk_err **err)
{
	if (hk_criu.criu_local_add_ext_mount(opts, key, val) < 0)
		return hk_fail(err, ENOMEM, "criu: external mount %s", key);
	return 0;
}

/* The hierarchies husk bound under a cgroup mount (cgroup_mount.c): pure v2's one at the mount
 * itself, v1's each at its name. A real cgroup2 mount (in a cgroup namespace) has no such key,
 * and CRIU ignores a key no mount has. */
static int ext_cgroup(criu_opts *opts, const struct oci_mount *m, const struct hk_cgroup *cg,
		      bool restoring, struct hk_err **err)
{
	struct hk_cg_view view;
	char key[4096 + 256];
	size_t i;

	for (i = 0; hk_cg_view(cg, i, &view); i++) {
		if (hk_format(key, sizeof(key), "%.4000s%s%.250s", m->destination,
			      view.name[0] ? "/" : "", view.name) < 0)
			return hk_fail(err, ENAMETOOLONG, "criu: external mount %s",
				       m->destination);
		if (ext(opts, key, restoring ? view.source : key, err) < 0)
			return -1;
	}
	return 0;
}

/* The six device nodes husk binds from the host in a user namespace, besides linux.devices. */
static const char *const default_devices[] = {"/dev/null",   "/dev/zero",    "/dev/full",
					      "/dev/random", "/dev/urandom", "/dev/tty"};

/* husk masks a file with a bind of /dev/null and a directory with a read-only tmpfs (which CRIU
 * dumps itself): the masked files of the running container, looked up inside its root. */
static int ext_masked_files(criu_opts *opts, const struct oci_linux *l, pid_t pid,
			    struct hk_err **err)
{
	char root_path[64];
	hk_cleanup_close int root = -1;
	size_t i;

	if (hk_format(root_path, sizeof(root_path), "/proc/%d/root", (int)pid) < 0)
		return hk_fail(err, errno, "checkpoint: /proc/%d/root", (int)pid);
	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return hk_fail(err, errno, "checkpoint: %s", root_path);
	for (i = 0; i < l->masked_paths.len; i++) {
		hk_cleanup_close int fd =
		    hk_inroot_open(root, l->masked_paths.items[i], O_PATH | O_NOFOLLOW, 0);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0 || S_ISDIR(st.st_mode))
			continue; /* absent (not masked) or a directory */
		if (ext(opts, l->masked_paths.items[i], "/dev/null", err) < 0)
			return -1;
	}
	return 0;
}

int hk_criu_ext_mounts(criu_opts *opts, const struct oci_config *cfg, const struct hk_cgroup *cg,
		       pid_t pid, struct hk_err **err)
{
	const struct oci_linux *l = cfg->linux;
	bool restoring = pid == 0;
	size_t i;

	for (i = 0; i < cfg->mounts.len; i++) {
		const struct oci_mount *m = &cfg->mounts.items[i];

		if (hk_mount_is_bind(m) && m->source != NULL &&
		    ext(opts, m->destination, restoring ? m->source : m->destination, err) < 0)
			return -1;
		if (m->type != NULL && strcmp(m->type, "cgroup") == 0 && cg != NULL &&
		    ext_cgroup(opts, m, cg, restoring, err) < 0)
			return -1;
	}
	/* every masked file is one bind of /dev/null: one name in the image, one source */
	if (l != NULL && !restoring && ext_masked_files(opts, l, pid, err) < 0)
		return -1;
	if (l != NULL && restoring && l->masked_paths.len &&
	    ext(opts, "/dev/null", "/dev/null", err) < 0)
		return -1;
	for (i = 0; l != NULL && i < l->devices.len; i++)
		if (ext(opts, l->devices.items[i].path, l->devices.items[i].path, err) < 0)
			return -1;
	for (i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
		if (ext(opts, default_devices[i], default_devices[i], err) < 0)
			return -1;
	return 0;
}

void hk_criu_apply_flags(criu_opts *opts, const struct hk_criu_flags *f)
{
	const struct oci_name *m = oci_name_find(
	    &hk_criu_cg_modes, f->manage_cgroups_mode ? f->manage_cgroups_mode : "soft");

	hk_criu.criu_local_set_manage_cgroups(opts, true);
	static const enum criu_cg_mode cg_modes[] = {CRIU_CG_MODE_SOFT, CRIU_CG_MODE_FULL,
						     CRIU_CG_MODE_STRICT, CRIU_CG_MODE_IGNORE};

	hk_criu.criu_local_set_manage_cgroups_mode(opts, cg_modes[m ? m->value : 0]);
	hk_criu.criu_local_set_tcp_established(opts, f->tcp_established);
	hk_criu.criu_local_set_ext_unix_sk(opts, f->ext_unix_sk);
	hk_criu.criu_local_set_shell_job(opts, f->shell_job);
	hk_criu.criu_local_set_file_locks(opts, f->file_locks);
}
#endif
