#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hk_format.h"
#include "log.h"
#include "procfs.h"

static bool first_byte_is(const char *path, const char *any)
{
	char c = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c != 0 && strchr(any, c) != NULL;
}

bool hk_apparmor_enabled(void)
{
	return first_byte_is("/sys/module/apparmor/parameters/enabled", "Y");
}

bool hk_selinux_enabled(void)
{
	return first_byte_is("/sys/fs/selinux/enforce", "01"); /* present only when it is on */
}

static bool wants_apparmor(const struct oci_process *p)
{
	const char *profile = p->apparmor_profile;

	return profile != NULL && profile[0] && strcmp(profile, "unconfined") != 0;
}

int hk_lsm_check(const struct oci_config *c, struct hk_err **err)
{
	const struct oci_process *p = c->process;

	if (wants_apparmor(p) && !hk_apparmor_enabled())
		return hk_fail(
		    err, 0,
		    "config.json: process.apparmorProfile: \"%s\" requested, but AppArmor "
		    "is not enabled on this host",
		    p->apparmor_profile);
	if (p->selinux_label != NULL && p->selinux_label[0] && !hk_selinux_enabled())
		hk_debug("process.selinuxLabel: SELinux is off on this host, label skipped");
	return 0;
}

/* One write of the whole value, as the attr files want it, to procfs's own file. */
static int write_attr(const char *path, const char *value, const char *field, struct hk_err **err)
{
	if (hk_proc_write(path + strlen("/proc/"), value, err) < 0)
		return hk_prefix(err, "config.json: %s", field);
	return 0;
}

/* Where AppArmor takes the profile of the next execve; kernels before 5.8 have only the shared
 * attr file. */
static const char *apparmor_exec_attr(void)
{
	const char *attr = "/proc/thread-self/attr/apparmor/exec";

	return access(attr, F_OK) == 0 ? attr : "/proc/thread-self/attr/exec";
}

static int set_apparmor(const char *profile, struct hk_err **err)
{
	char value[4200];

	if (hk_format(value, sizeof(value), "exec %s", profile) < 0)
		return hk_fail(err, ENAMETOOLONG, "config.json: process.apparmorProfile");
	if (write_attr(apparmor_exec_attr(), value, "process.apparmorProfile", err) == 0)
		return 0;
	if ((*err)->errnum != ENOENT)
		return -1;
	hk_err_freep(err);
	return hk_fail(err, 0,
		       "config.json: process.apparmorProfile: AppArmor has no profile \"%s\" "
		       "loaded",
		       profile);
}

int hk_lsm_set_exec_labels(const struct oci_process *p, struct hk_err **err)
{
	if (wants_apparmor(p) && set_apparmor(p->apparmor_profile, err) < 0)
		return -1;
	if (p->selinux_label != NULL && p->selinux_label[0] && hk_selinux_enabled()) {
		if (write_attr("/proc/thread-self/attr/exec", p->selinux_label,
			       "process.selinuxLabel", err) < 0 ||
		    write_attr("/proc/thread-self/attr/keycreate", p->selinux_label,
			       "process.selinuxLabel", err) < 0)
			return -1;
	}
	return 0;
}

int hk_lsm_check_exec_labels(const struct oci_process *p, struct hk_err **err)
{
	return wants_apparmor(p) ? set_apparmor(p->apparmor_profile, err) : 0;
}

int hk_lsm_exec_attr_open(const struct oci_process *p, int *fd, char **value, struct hk_err **err)
{
	const char *attr;
	char dir[64];

	*fd = -1;
	*value = NULL;
	if (!wants_apparmor(p))
		return 0;
	if (asprintf(value, "exec %s", p->apparmor_profile) < 0) {
		*value = NULL;
		return hk_fail(err, ENOMEM, "config.json: process.apparmorProfile");
	}
	/* The directory, not the file: the kernel takes a write to an attr file only from the
	 * credentials that opened it, and execve gives the stub new ones; the stub opens "exec"
	 * in it, never through the container's own /proc. Not close-on-exec. */
	attr = apparmor_exec_attr();
	if (hk_format(dir, sizeof(dir), "%.*s", (int)(strrchr(attr, '/') - attr), attr) < 0 ||
	    (*fd = open(dir, O_PATH | O_DIRECTORY)) < 0) {
		free(*value);
		*value = NULL;
		return hk_fail(err, errno, "config.json: process.apparmorProfile: open %s", attr);
	}
	return 0;
}

const char *hk_lsm_mount_label(const struct oci_config *c)
{
	const char *label = c->linux ? c->linux->mount_label : NULL;

	if (label == NULL || !label[0])
		return NULL;
	if (hk_selinux_enabled())
		return label;
	hk_debug("linux.mountLabel: SELinux is off on this host, not passed to mount");
	return NULL;
}
