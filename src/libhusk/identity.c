#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

static int set_ids(const struct oci_process *p, bool in_userns, struct hk_err **err)
{
	uid_t uid = p->user ? p->user->uid.value : 0;
	gid_t gid = p->user ? p->user->gid.value : 0;
	const struct oci_u32v *groups = p->user ? &p->user->additional_gids : NULL;

	if (groups != NULL && groups->len > 0) {
		if (setgroups(groups->len, groups->items) < 0)
			return hk_fail(err, errno, "process.user.additionalGids: setgroups");
	} else if (setgroups(0, NULL) < 0 && !(in_userns && errno == EPERM)) {
		return hk_fail(err, errno, "setgroups");
	}
	if (setresgid(gid, gid, gid) < 0)
		return hk_fail(err, errno, "process.user.gid: setgid %u", gid);
	if (setresuid(uid, uid, uid) < 0)
		return hk_fail(err, errno, "process.user.uid: setuid %u", uid);
	return 0;
}

int hk_identity_set(const struct oci_process *p, bool in_userns, struct hk_err **err)
{
	if (hk_caps_limit_bounding(p->capabilities, err) < 0)
		return hk_prefix(err, "process.capabilities.bounding");
	/* keep the permitted set across setuid, so that the configured one can be set after it */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return hk_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (set_ids(p, in_userns, err) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return hk_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (p->no_new_privileges.value && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hk_fail(err, errno, "process.noNewPrivileges");
	umask(p->user && p->user->umask.set ? p->user->umask.value : 022);
	return 0;
}

int hk_identity_new_keyring(struct hk_err **err)
{
	if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 && errno != ENOSYS)
		return hk_fail(err, errno, "create a session keyring");
	return 0;
}

static bool is_null_device(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

void hk_identity_reopen_null_stdio(void)
{
	int fd, null = -1;

	for (fd = 0; fd < 3; fd++) {
		if (!is_null_device(fd))
			continue;
		if (null < 0)
			null = open("/dev/null", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (null < 0 || !is_null_device(null))
			break; /* not the null device: stdio stays the caller's */
		(void)dup3(null, fd, 0);
	}
	if (null >= 0)
		close(null);
}

void hk_identity_chown_stdio(const struct oci_process *p)
{
	uid_t uid = p->user ? p->user->uid.value : 0;
	gid_t gid = p->user ? p->user->gid.value : 0;
	struct stat st;
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) == 0 && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) &&
		    (st.st_uid != uid || st.st_gid != gid))
			(void)fchown(fd, uid, gid); /* EPERM, EROFS: left as it is */
}
