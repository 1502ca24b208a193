#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "fdio.h"
#include "hk_format.h"
#include "rootless.h"
#include "fields.h"
#include "oci_state.h"

#define CONFIG_FILE	"config.json"
#define STATE_FILE	"state.json"
#define STATE_MAX_BYTES (4u << 20)
#define STATE_DEPTH_MAX 16 /* how deep a damaged state directory is emptied */

#define T struct hk_record
static const struct oci_field record_fields[] = {
    F("ociVersion", OCI_STRING, oci_version, REQ),
    F("id", OCI_STRING, id, REQ | OCI_NONEMPTY),
    F("pid", OCI_I32, pid, 0),
    F("pidStartTime", OCI_U64, pid_start_time, 0),
    F("started", OCI_BOOL, started, 0),
    F("bundle", OCI_STRING, bundle, 0),
    F("rootfs", OCI_STRING, rootfs, 0),
    F("created", OCI_STRING, created, 0),
    F("owner", OCI_STRING, owner, 0),
    F("rootless", OCI_BOOL, rootless, 0),
    F("systemdCgroup", OCI_BOOL, systemd_cgroup, 0),
    F("lateHooks", OCI_BOOL, late_hooks, 0),
    F("netDevicesMoved", OCI_STRMAP, net_devices_moved, 0),
    F("cgroupPath", OCI_STRING, cgroup_path, 0),
    F("cgroupPaths", OCI_STRMAP, cgroup_paths, 0),
    F("cgroupShared", OCI_BOOL, cgroup_shared, 0),
    F("cgroupIntent", OCI_STRMAP, cgroup_intent, 0),
    F("annotations", OCI_STRMAP, annotations, 0),
    F("rootfsMountId", OCI_U64, rootfs_mount_id, 0),
    F("rootfsMountNs", OCI_STRING, rootfs_mount_ns, 0),
    F("intelRdtDir", OCI_STRING, rdt_dir, 0),
    F("intelRdtMonDir", OCI_STRING, rdt_mon_dir, 0),
    F("intelRdtMadeDir", OCI_BOOL, rdt_made_dir, 0),
};
#undef T
const struct oci_type hk_record_type = OCI_TYPE("record", struct hk_record, record_fields, NULL);

int hk_id_check(const char *id, struct hk_err **err)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_+-.";
	size_t len = strlen(id);

	if (len == 0)
		return hk_fail(err, 0, "container id must not be empty");
	if (len > 1024)
		return hk_fail(err, 0, "container id is longer than 1024 bytes");
	/* a leading dot would hide it from list and could name the store's own .seccomp~ */
	if (id[0] == '.' || strspn(id, allowed) != len)
		return hk_fail(
		    err, 0, "invalid container id \"%.64s\": use letters, digits and \"_+-.\"", id);
	return 0;
}

const char *hk_default_root(void)
{
	static char path[4096];
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (!hk_rootless() || xdg == NULL || xdg[0] != '/' ||
	    hk_path_join(path, sizeof(path), xdg, "husk") < 0)
		return "/run/husk";
	return path;
}

/* The root and any missing parents (containerd's shim names /run/containerd/runc/<namespace>
 * and expects the runtime to make it, as runc does). */
/* The root itself must be a directory, not a symlink planted at its name, and not one that
 * others may write to (where they could plant entries beside the containers'). */
static int check_root(const char *root, struct hk_err **err)
{
	struct stat st;

	if (lstat(root, &st) < 0)
		return hk_fail(err, errno, "state root %s", root);
	if (S_ISLNK(st.st_mode))
		return hk_fail(err, ELOOP, "state root %s is a symlink: refused", root);
	if (!S_ISDIR(st.st_mode))
		return hk_fail(err, ENOTDIR, "state root %s", root);
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return hk_fail(err, EPERM, "state root %s is writable by anyone: refused", root);
	return 0;
}

static int ensure_root(const char *root, struct hk_err **err)
{
	if (hk_mkdir_p(root, 0700, 0711, err) < 0)
		return hk_prefix(err, "create state root %s", root);
	return check_root(root, err);
}

/* state.json via a temporary file, fsync and rename: a reader sees the old or the new state. */
static int write_record(int dirfd, const struct hk_record *record, struct hk_err **err)
{
	char *json = NULL;
	size_t len = 0;
	int fd, ret;

	if (oci_generate(&hk_record_type, record, false, &json, &len, err) < 0)
		return -1;
	fd = openat(dirfd, STATE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(json);
		return hk_fail(err, errno, "write state of %s", record->id);
	}
	ret = oci_write_all(fd, json, len);
	free(json);
	if (ret < 0 || fsync(fd) < 0 || close(fd) < 0) {
		int saved = errno ? errno : EIO;

		unlinkat(dirfd, STATE_FILE ".tmp", 0);
		return hk_fail(err, saved, "write state of %s", record->id);
	}
	if (renameat(dirfd, STATE_FILE ".tmp", dirfd, STATE_FILE) < 0)
		return hk_fail(err, errno, "write state of %s", record->id);
	return 0;
}

static int read_record(struct hk_container *c, const char *id, struct hk_err **err)
{
	char *text = NULL;
	size_t len = 0;
	void *out = NULL;
	int ret;

	ret = oci_read_fileat(c->dirfd, STATE_FILE, O_NOFOLLOW, STATE_MAX_BYTES, &text, &len, err);
	if (ret < 0 && (*err)->errnum == ENOENT) {
		hk_err_freep(err);
		return hk_fail_as(err, ENOENT, "container \"%s\" does not exist", id);
	}
	if (ret < 0)
		return hk_prefix(err, "container \"%s\" has a damaged state", id);
	c->arena = oci_arena_new();
	ret = oci_parse(&hk_record_type, text, len, STATE_FILE, c->arena, &out, err);
	free(text);
	if (ret < 0)
		return hk_prefix(err, "container \"%s\" has a damaged state", id);
	c->record = out;
	return 0;
}

static bool not_a_directory(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* <root>/<id> opened (no symlink) and, with lock, flock'ed; c is closed on failure. */
static int open_dir(const char *root, const char *id, bool lock, struct hk_container *c,
		    struct hk_err **err)
{
	char path[4096 + 1100];

	*c = (struct hk_container){.dirfd = -1};
	if (hk_id_check(id, err) < 0)
		return -1;
	if (hk_path_join(path, sizeof(path), root, id) < 0)
		return hk_fail(err, errno, "--root %s: container \"%s\"", root, id);
	c->path = strdup(path);
	c->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dirfd < 0 && (errno == ENOTDIR || errno == ELOOP) && not_a_directory(path)) {
		/* never followed: a damaged record, which delete --force removes */
		hk_fail_as(err, ELOOP,
			   "container \"%s\" has a damaged state: %s is not a directory", id, path);
		hk_container_close(c);
		return -1;
	}
	if (c->dirfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			hk_fail_as(err, ENOENT, "container \"%s\" does not exist", id);
		else
			hk_fail(err, errno, "open state of %s", id);
		hk_container_close(c);
		return -1;
	}
	if (lock && flock(c->dirfd, LOCK_EX) < 0) {
		hk_fail(err, errno, "lock state of %s", id);
		hk_container_close(c);
		return -1;
	}
	c->locked = lock;
	return 0;
}

int hk_store_open(const char *root, const char *id, bool lock, struct hk_container *c,
		  struct hk_err **err)
{
	if (open_dir(root, id, lock, c, err) < 0)
		return -1;
	/* A container deleted while we waited for its lock has no state file any more. */
	if (read_record(c, id, err) < 0) {
		hk_container_close(c);
		return -1;
	}
	return 0;
}

int hk_store_remove_entry(const char *root, const char *id, struct hk_err **err)
{
	hk_cleanup_close int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (hk_id_check(id, err) < 0)
		return -1;
	if (rootfd < 0 || fstatat(rootfd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hk_fail(err, errno, "remove state of %s", id);
	if (S_ISDIR(st.st_mode))
		return hk_fail(err, EISDIR, "remove state of %s", id);
	if (unlinkat(rootfd, id, 0) < 0 && errno != ENOENT)
		return hk_fail(err, errno, "remove state of %s", id);
	return 0;
}

int hk_store_open_lost(const char *root, const char *id, struct hk_container *c,
		       struct hk_err **err)
{
	struct hk_record *stub;

	if (open_dir(root, id, true, c, err) < 0)
		return -1;
	c->arena = oci_arena_new();
	stub = oci_arena_alloc(c->arena, sizeof(*stub));
	stub->id = oci_arena_strdup(c->arena, id);
	c->record = stub;
	return 0;
}

int hk_store_create(const char *root, const struct hk_record *record, struct hk_container *c,
		    struct hk_err **err)
{
	char tmp[4096 + 64], path[4096 + 1100];
	hk_cleanup_close int rootfd = -1;

	*c = (struct hk_container){.dirfd = -1};
	if (hk_id_check(record->id, err) < 0 || ensure_root(root, err) < 0)
		return -1;
	if (hk_path_join(tmp, sizeof(tmp), root, ".new-XXXXXX") < 0 ||
	    hk_path_join(path, sizeof(path), root, record->id) < 0)
		return hk_fail(err, errno, "--root %s: container \"%s\"", root, record->id);
	/* The root's lock, shared, from before the directory exists until it is locked itself: a
	 * sweep (hk_store_sweep) takes it exclusively, so the new directory never looks like a
	 * dead creator's. */
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || flock(rootfd, LOCK_SH) < 0)
		return hk_fail(err, errno, "lock the state root %s", root);
	if (mkdtemp(tmp) == NULL)
		return hk_fail(err, errno, "create state in %s", root);
	c->dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0 || flock(c->dirfd, LOCK_EX) < 0)
		goto fail;
	hk_closep(&rootfd);
	if (write_record(c->dirfd, record, err) < 0)
		goto fail;
	c->locked = true;
	c->path = strdup(path);
	/* The directory appears under its id whole, locked and with its state, or not at all. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			hk_fail(err, 0, "container \"%s\" already exists", record->id);
		goto fail;
	}
	/* What was just written needs no reading back: the container keeps a copy of the record,
	 * whose strings stay the caller's (it holds them until hk_container_close). */
	c->arena = oci_arena_new();
	c->record = oci_arena_alloc(c->arena, sizeof(*c->record));
	*c->record = *record;
	return 0;
fail:
	hk_fail(err, errno, "create state of %s", record->id);
	unlinkat(AT_FDCWD, tmp, 0);
	if (c->dirfd >= 0)
		unlinkat(c->dirfd, STATE_FILE, 0);
	rmdir(tmp);
	hk_container_close(c);
	return -1;
}

int hk_store_save(struct hk_container *c, struct hk_err **err)
{
	return write_record(c->dirfd, c->record, err);
}

/* Unlinks what fd's directory holds (fd is consumed); with descend, a subdirectory (notify/, with
 * the notify socket) is emptied the same way and removed. 0, or -1 with errno. */
/* Empties the directory fd (taken) and the directories in it, down to depth levels. */
static int empty_dir(int fd, int depth)
{
	DIR *dir = fdopendir(fd);
	struct dirent *entry;
	int sub;

	if (dir == NULL) {
		hk_closep(&fd);
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..") ||
		    unlinkat(dirfd(dir), entry->d_name, 0) == 0 || errno != EISDIR || depth <= 0)
			continue;
		sub = openat(dirfd(dir), entry->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && empty_dir(sub, depth - 1) == 0)
			unlinkat(dirfd(dir), entry->d_name, AT_REMOVEDIR);
	}
	closedir(dir);
	return 0;
}

int hk_store_remove(struct hk_container *c, struct hk_err **err)
{
	int fd;

	/* state.json goes first: from then on the container "does not exist" for everyone (a
	 * directory there, a damaged record, goes with the rest) */
	if (unlinkat(c->dirfd, STATE_FILE, 0) < 0 && errno != ENOENT && errno != EISDIR)
		return hk_fail(err, errno, "remove state of %s", c->record->id);
	fd = dup(c->dirfd);
	if (fd < 0 || empty_dir(fd, STATE_DEPTH_MAX) < 0)
		return hk_fail(err, errno, "remove state of %s", c->record->id);
	if (rmdir(c->path) < 0)
		return hk_fail(err, errno, "remove %s", c->path);
	return 0;
}

void hk_store_sweep(const char *root)
{
	DIR *dir = opendir(root);
	struct dirent *entry;

	/* exclusive: no creator is between its mkdtemp and the lock of its directory */
	if (dir == NULL || flock(dirfd(dir), LOCK_EX) < 0) {
		if (dir != NULL)
			closedir(dir);
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		int fd;

		if (strncmp(entry->d_name, ".new-", 5) != 0)
			continue;
		fd = openat(dirfd(dir), entry->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* a live creator holds the lock until its rename */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			hk_closep(&fd);
			continue;
		}
		if (empty_dir(dup(fd), STATE_DEPTH_MAX) == 0)
			unlinkat(dirfd(dir), entry->d_name, AT_REMOVEDIR);
		close(fd);
	}
	closedir(dir);
}

void hk_container_close(struct hk_container *c)
{
	c->dirfd = hk_safe_close(c->dirfd); /* drops the flock */
	oci_arena_free(c->arena);
	free(c->path);
	*c = (struct hk_container){.dirfd = -1};
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* ".", "..", the store's own entries and creations not yet complete are no containers */
static int is_container(const struct dirent *e)
{
	return e->d_name[0] != '.' && hk_id_check(e->d_name, NULL) == 0;
}

int hk_store_each(const char *root, int (*fn)(const char *id, void *data), void *data,
		  struct hk_err **err)
{
	struct dirent **entries = NULL;
	int n = scandir(root, &entries, is_container, by_name), i, ret = 0;

	if (n < 0 && errno == ENOENT)
		return 0; /* nothing was ever created */
	if (n < 0)
		return hk_fail(err, errno, "open state root %s", root);
	for (i = 0; i < n; i++) {
		if (ret == 0)
			ret = fn(entries[i]->d_name, data);
		free(entries[i]);
	}
	free(entries);
	return ret;
}

unsigned long long hk_pid_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field;

	if (pid <= 0)
		return 0;
	if (hk_format(path, sizeof(path), "/proc/%d/stat", (int)pid) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2; /* field 3, the state */
	for (field = 3; field < 22 && p != NULL; field++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	if (p != NULL)
		start = strtoull(p, NULL, 10);
	return start;
}

/* Not fsync'ed: it matters only while the container lives, which a reboot ends. */
int hk_store_save_config(struct hk_container *c, const struct oci_config *config,
			 struct hk_err **err)
{
	char *json = NULL;
	int fd, ret = 0;

	if (oci_generate(&oci_config_type, config, false, &json, NULL, err) < 0)
		return -1;
	fd = openat(c->dirfd, CONFIG_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || oci_write_all(fd, json, strlen(json)) < 0)
		ret = hk_fail(err, errno, "save %s in %s", CONFIG_FILE, c->path);
	if (fd >= 0)
		close(fd);
	free(json);
	return ret;
}

int hk_store_load_config(const struct hk_container *c, struct oci_config_doc *doc,
			 struct hk_err **err)
{
	hk_cleanup_free char *text = NULL;
	size_t len = 0;

	/* through the locked directory's fd: no symlink, no FIFO, bounded */
	if (oci_read_fileat(c->dirfd, CONFIG_FILE, O_NOFOLLOW, OCI_CONFIG_MAX_BYTES, &text, &len,
			    err) < 0 ||
	    oci_config_parse(text, len, CONFIG_FILE, doc, err) < 0)
		return hk_prefix(err, "container \"%s\"", c->record->id);
	return 0;
}

int hk_container_pidfd(const struct hk_record *r, struct hk_err **err)
{
	int fd = (int)syscall(SYS_pidfd_open, r->pid.value, 0);

	/* no fallback to the pid number: it races with the pid's reuse */
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return hk_fail(err, errno, "container \"%s\": pidfd_open %d", r->id, r->pid.value);
	if (fd < 0 || hk_pid_start_time(r->pid.value) != r->pid_start_time.value) {
		if (fd >= 0)
			close(fd);
		return hk_fail(err, 0, "container \"%s\": container not running", r->id);
	}
	return fd;
}

enum oci_status hk_container_status(const struct hk_record *record)
{
	unsigned long long start;

	if (!record->pid.set || record->pid.value <= 0)
		return record->started.value ? OCI_STATUS_STOPPED : OCI_STATUS_CREATING;
	start = hk_pid_start_time(record->pid.value);
	if (start == 0 || start != record->pid_start_time.value)
		return OCI_STATUS_STOPPED;
	if (record->cgroup_paths.len) {
		struct hk_cgroup cg;

		if (hk_cg_load(&cg, &record->cgroup_paths, record->systemd_cgroup.value, NULL) ==
			0 &&
		    hk_cg_is_frozen(&cg) == 1)
			return OCI_STATUS_PAUSED;
	}
	return record->started.value ? OCI_STATUS_RUNNING : OCI_STATUS_CREATED;
}

void hk_container_state(const struct hk_record *record, struct oci_state *out)
{
	enum oci_status status = hk_container_status(record);

	*out = (struct oci_state){
	    .oci_version = record->oci_version,
	    .id = record->id,
	    .pid = {status == OCI_STATUS_STOPPED ? 0 : record->pid.value, true},
	    .status = (char *)oci_name_of(&oci_statuses, (int)status),
	    .bundle = record->bundle,
	    .rootfs = record->rootfs,
	    .created = record->created,
	    .owner = record->owner ? record->owner : "",
	    .annotations = record->annotations,
	};
}

void hk_container_state_at(const struct hk_record *record, const char *status, pid_t pid,
			   struct oci_state *out)
{
	hk_container_state(record, out);
	out->status = (char *)status;
	out->pid = (struct oci_opt_i32){pid, true};
}

char *hk_container_state_json(const struct hk_record *record, const char *status, pid_t pid)
{
	struct oci_state state;
	char *json = NULL;

	hk_container_state_at(record, status, pid, &state);
	if (oci_generate(&oci_state_type, &state, false, &json, NULL, NULL) < 0)
		return NULL;
	return json;
}
