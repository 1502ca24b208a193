#include "mount_options.h"

#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum { EXT_TMPCOPYUP = 1, EXT_IDMAP, EXT_RIDMAP, EXT_SRC_NOFOLLOW };

const struct hk_mount_option hk_mount_options[] = {
    {"async", HK_MOPT_CLEAR, MS_SYNCHRONOUS},
    {"atime", HK_MOPT_CLEAR, MS_NOATIME},
    {"bind", HK_MOPT_FLAG, MS_BIND},
    {"defaults", HK_MOPT_FLAG, 0},
    {"dev", HK_MOPT_CLEAR, MS_NODEV},
    {"diratime", HK_MOPT_CLEAR, MS_NODIRATIME},
    {"dirsync", HK_MOPT_FLAG, MS_DIRSYNC},
    {"exec", HK_MOPT_CLEAR, MS_NOEXEC},
    {"iversion", HK_MOPT_FLAG, MS_I_VERSION},
    {"lazytime", HK_MOPT_FLAG, MS_LAZYTIME},
    {"loud", HK_MOPT_CLEAR, MS_SILENT},
    {"mand", HK_MOPT_FLAG, MS_MANDLOCK},
    {"noatime", HK_MOPT_FLAG, MS_NOATIME},
    {"nodev", HK_MOPT_FLAG, MS_NODEV},
    {"nodiratime", HK_MOPT_FLAG, MS_NODIRATIME},
    {"noexec", HK_MOPT_FLAG, MS_NOEXEC},
    {"noiversion", HK_MOPT_CLEAR, MS_I_VERSION},
    {"nolazytime", HK_MOPT_CLEAR, MS_LAZYTIME},
    {"nomand", HK_MOPT_CLEAR, MS_MANDLOCK},
    {"norelatime", HK_MOPT_CLEAR, MS_RELATIME},
    {"nostrictatime", HK_MOPT_CLEAR, MS_STRICTATIME},
    {"nosuid", HK_MOPT_FLAG, MS_NOSUID},
    {"nosymfollow", HK_MOPT_FLAG, MS_NOSYMFOLLOW},
    {"private", HK_MOPT_PROPAGATION, MS_PRIVATE},
    {"ratime", HK_MOPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"rbind", HK_MOPT_FLAG, MS_BIND | MS_REC},
    {"rdev", HK_MOPT_ATTR_CLEAR, MOUNT_ATTR_NODEV},
    {"rdiratime", HK_MOPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"relatime", HK_MOPT_FLAG, MS_RELATIME},
    {"remount", HK_MOPT_FLAG, MS_REMOUNT},
    {"rexec", HK_MOPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC},
    {"ridmap", HK_MOPT_EXTENSION, EXT_RIDMAP},
    {"idmap", HK_MOPT_EXTENSION, EXT_IDMAP},
    {"rnoatime", HK_MOPT_ATTR_ATIME, MOUNT_ATTR_NOATIME},
    {"rnodev", HK_MOPT_ATTR_SET, MOUNT_ATTR_NODEV},
    {"rnodiratime", HK_MOPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
    {"rnoexec", HK_MOPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
    {"rnorelatime", HK_MOPT_ATTR_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", HK_MOPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"rnosuid", HK_MOPT_ATTR_SET, MOUNT_ATTR_NOSUID},
    {"rnosymfollow", HK_MOPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"ro", HK_MOPT_FLAG, MS_RDONLY},
    {"rprivate", HK_MOPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"rrelatime", HK_MOPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"rro", HK_MOPT_ATTR_SET, MOUNT_ATTR_RDONLY},
    {"rrw", HK_MOPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY},
    {"rshared", HK_MOPT_PROPAGATION, MS_SHARED | MS_REC},
    {"rslave", HK_MOPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"rstrictatime", HK_MOPT_ATTR_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rsuid", HK_MOPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID},
    {"rsymfollow", HK_MOPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    {"runbindable", HK_MOPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rw", HK_MOPT_CLEAR, MS_RDONLY},
    {"shared", HK_MOPT_PROPAGATION, MS_SHARED},
    {"silent", HK_MOPT_FLAG, MS_SILENT},
    {"slave", HK_MOPT_PROPAGATION, MS_SLAVE},
    {"strictatime", HK_MOPT_FLAG, MS_STRICTATIME},
    {"suid", HK_MOPT_CLEAR, MS_NOSUID},
    {"symfollow", HK_MOPT_CLEAR, MS_NOSYMFOLLOW},
    {"sync", HK_MOPT_FLAG, MS_SYNCHRONOUS},
    {"tmpcopyup", HK_MOPT_EXTENSION, EXT_TMPCOPYUP},
    /* crun's: no symlink anywhere in a bind mount's source (a shared volume's planted link) */
    {"src-nofollow", HK_MOPT_EXTENSION, EXT_SRC_NOFOLLOW},
    {"unbindable", HK_MOPT_PROPAGATION, MS_UNBINDABLE},
};
const size_t hk_mount_options_len = sizeof(hk_mount_options) / sizeof(hk_mount_options[0]);

const struct hk_mount_option *hk_mount_option_find(const char *name)
{
	size_t i;

	for (i = 0; i < hk_mount_options_len; i++)
		if (strcmp(hk_mount_options[i].name, name) == 0)
			return &hk_mount_options[i];
	return NULL;
}
