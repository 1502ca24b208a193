#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "procfs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const struct hk_ns_kind hk_ns_kinds[OCI_NS_COUNT] = {
    [OCI_NS_PID] = {CLONE_NEWPID, "pid"},	   [OCI_NS_NETWORK] = {CLONE_NEWNET, "net"},
    [OCI_NS_MOUNT] = {CLONE_NEWNS, "mnt"},	   [OCI_NS_IPC] = {CLONE_NEWIPC, "ipc"},
    [OCI_NS_UTS] = {CLONE_NEWUTS, "uts"},	   [OCI_NS_USER] = {CLONE_NEWUSER, "user"},
    [OCI_NS_CGROUP] = {CLONE_NEWCGROUP, "cgroup"}, [OCI_NS_TIME] = {CLONE_NEWTIME, "time"},
};

int hk_ns_new_flags(const struct hk_ns_step ns[OCI_NS_COUNT])
{
	int flags = 0;
	size_t i;

	for (i = 0; i < OCI_NS_COUNT; i++)
		if (ns[i].action == HK_NS_NEW)
			flags |= hk_ns_kinds[i].clone_flag;
	return flags;
}

static int open_ns(int type, const char *path, int *out, struct hk_err **err)
{
	const struct hk_ns_kind *kind = &hk_ns_kinds[type];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return hk_fail(err, errno, "open %s namespace %s", kind->proc, path);
	if (ioctl(fd, NS_GET_NSTYPE) != kind->clone_flag) {
		close(fd);
		return hk_fail(err, 0, "%s is not a %s namespace", path,
			       oci_name_of(&oci_namespace_types, type));
	}
	*out = fd;
	return 0;
}

int hk_ns_open_paths(const struct hk_ns_step ns[OCI_NS_COUNT], int fds[OCI_NS_COUNT],
		     struct hk_err **err)
{
	size_t i;

	for (i = 0; i < OCI_NS_COUNT; i++)
		fds[i] = -1;
	for (i = 0; i < OCI_NS_COUNT; i++)
		if (ns[i].action == HK_NS_JOIN && open_ns((int)i, ns[i].path, &fds[i], err) < 0) {
			hk_ns_close_paths(fds);
			return -1;
		}
	return 0;
}

void hk_ns_close_paths(int fds[OCI_NS_COUNT])
{
	size_t i;

	for (i = 0; i < OCI_NS_COUNT; i++)
		fds[i] = hk_safe_close(fds[i]);
}

int hk_ns_join(const int fds[OCI_NS_COUNT], struct hk_err **err)
{
	static const int order[] = {OCI_NS_USER, OCI_NS_PID,	OCI_NS_NETWORK, OCI_NS_IPC,
				    OCI_NS_UTS,	 OCI_NS_CGROUP, OCI_NS_TIME,	OCI_NS_MOUNT};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int t = order[i];

		if (fds[t] >= 0 && setns(fds[t], hk_ns_kinds[t].clone_flag) < 0)
			return hk_fail(err, errno, "join %s namespace", hk_ns_kinds[t].proc);
	}
	return 0;
}

static int write_proc_file(pid_t pid, const char *name, const char *text, struct hk_err **err)
{
	char rel[64];

	if (hk_format(rel, sizeof(rel), "%d/%s", (int)pid, name) < 0)
		return hk_fail(err, errno, "/proc/%d/%s", (int)pid, name);
	return hk_proc_write(rel, text, err);
}

int hk_ns_id_map_text(const struct oci_id_mapping *m, size_t n, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		/* never a truncated line the kernel would take for another map */
		if (hk_format(buf + used, size - used, "%u %u %u\n", m[i].container_id.value,
			      m[i].host_id.value, m[i].size.value) < 0)
			return -1;
		used += strlen(buf + used);
	}
	return 0;
}

int hk_ns_time_offsets_text(const struct oci_linux *l, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; l != NULL && i < l->time_offsets.len; i++) {
		const struct oci_time_offset *t = &l->time_offsets.items[i];
		/* one line per clock (libocispec keeps one entry per key); never past the buffer */
		if (hk_format(buf + used, size - used, "%s %lld %u\n", t->key,
			      (long long)t->secs.value, t->nanosecs.value) < 0)
			return -1;
		used += strlen(buf + used);
	}
	return 0;
}

int hk_ns_write_time_offsets(const struct oci_linux *l, struct hk_err **err)
{
	char text[256];

	if (l == NULL || l->time_offsets.len == 0)
		return 0;
	if (hk_ns_time_offsets_text(l, text, sizeof(text)) < 0)
		return hk_fail(err, E2BIG, "linux.timeOffsets: more than the kernel's clocks");
	if (write_proc_file(getpid(), "timens_offsets", text, err) < 0)
		return hk_prefix(err, "linux.timeOffsets");
	return 0;
}

bool hk_ns_is_husks(int type, const char *path)
{
	struct stat joined, own;
	char self[64];

	return hk_format(self, sizeof(self), "/proc/self/ns/%s", hk_ns_kinds[type].proc) == 0 &&
	       stat(path, &joined) == 0 && stat(self, &own) == 0 && joined.st_dev == own.st_dev &&
	       joined.st_ino == own.st_ino;
}
