/* The hierarchies of the host, read once from mountinfo, and the container's directory in each:
 * which mode the host is in, where a cgroupsPath lies, which directory holds a controller. */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "hk_format.h"
#include "log.h"
#include "rootless.h"

/* Controllers husk knows by name; a v1 mount's key lists those of them it carries. A named
 * hierarchy (name=systemd) holds no resources; its key is "name=systemd". */
static const char *const known_controllers[] = {
    "cpu",  "cpuacct", "cpuset",   "memory",	 "devices", "freezer", "blkio",
    "pids", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma",    "misc",
};

struct hierarchy {
	char key[64];
	const char *mount; /* in host.text */
	const char *root;  /* mountinfo's root field: the part of the tree this mount shows */
	bool v2;
};

/* Small on purpose: read by every command, and each page first written is a fault (two pages
 * of PATH_MAX per hierarchy and per line of mountinfo took 0.2 ms of every command here). */
static struct {
	bool read;
	enum hk_cg_mode mode;
	size_t n;
	struct hierarchy h[HK_CG_MAX_DIRS];
	char *text; /* mountinfo as read, its fields cut in place; kept for the hierarchies */
} host;

static bool is_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(known_controllers) / sizeof(known_controllers[0]); i++)
		if (strcmp(name, known_controllers[i]) == 0)
			return true;
	return false;
}

/* The known controllers in a v1 mount's super options, comma-joined in the kernel's order. */
static void v1_key(const char *superopts, char *key, size_t size)
{
	char copy[512], *save = NULL, *opt;

	key[0] = '\0';
	if (hk_format(copy, sizeof(copy), "%s", superopts) < 0)
		return; /* no key: a hierarchy husk does not know */
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
		if (is_known(opt) && hk_format(key + strlen(key), size - strlen(key), "%s%s",
					       key[0] ? "," : "", opt) < 0) {
			key[0] = '\0';
			return;
		}
}

static void add_hierarchy(const char *key, const char *mount, const char *root, bool v2)
{
	struct hierarchy *h;
	size_t i;

	for (i = 0; i < host.n; i++)
		if (strcmp(host.h[i].key, key) == 0)
			return; /* the same hierarchy mounted twice */
	if (host.n == HK_CG_MAX_DIRS)
		return;
	h = &host.h[host.n];
	if (hk_format(h->key, sizeof(h->key), "%s", key) < 0 || strlen(mount) >= PATH_MAX ||
	    strlen(root) >= PATH_MAX)
		return; /* a hierarchy whose names do not fit is not one husk can use */
	h->mount = mount;
	h->root = root;
	h->v2 = v2;
	host.n++;
}

/* One line of mountinfo: "id parent maj:min root point options [optional...] - type src super".
 * Lines come in mount order, so a later mount on the same point hides an earlier one: each
 * point's last line is the one that counts. */
struct mount_line {
	const char *root, *point, *fstype, *super;
};

/* Cuts a line of a cgroup mount into its fields, in place; false for any other line. */
static bool parse_mount(char *line, struct mount_line *m)
{
	char *dash = strstr(line, " - "), *field[5], *save = NULL, *source;
	size_t i;

	if (dash == NULL)
		return false;
	*dash = '\0';
	for (i = 0; i < 5; i++)
		if ((field[i] = strtok_r(i ? NULL : line, " ", &save)) == NULL)
			return false;
	m->root = field[3];
	m->point = field[4];
	if (strncmp(m->point, "/sys/fs/cgroup", 14) != 0)
		return false;
	save = NULL;
	m->fstype = strtok_r(dash + 3, " ", &save);
	source = strtok_r(NULL, " ", &save);
	m->super = strtok_r(NULL, " ", &save);
	return m->fstype != NULL && source != NULL && m->super != NULL;
}

/* The whole of /proc/self/mountinfo, NUL-terminated (NULL when it cannot be read). */
static char *read_mountinfo(void)
{
	hk_cleanup_close int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	size_t size = 0, len = 0;
	char *text = NULL, *more;
	ssize_t n = 0;

	if (fd < 0)
		return NULL;
	do {
		len += (size_t)n;
		if (len + 1 >= size) {
			size = size ? size * 2 : 16384;
			if ((more = realloc(text, size)) == NULL) {
				free(text);
				return NULL;
			}
			text = more;
		}
	} while ((n = read(fd, text + len, size - len - 1)) > 0);
	if (n < 0) {
		free(text);
		return NULL;
	}
	text[len] = '\0';
	return text;
}

static void scan_mount(const struct mount_line *m, bool *v2_root, bool *v2_unified, bool *v1)
{
	const char *name;
	char key[64];

	if (strcmp(m->fstype, "cgroup2") == 0) {
		if (strcmp(m->point, "/sys/fs/cgroup") == 0)
			*v2_root = true;
		else if (strcmp(m->point, "/sys/fs/cgroup/unified") == 0)
			*v2_unified = true;
		else
			return;
		add_hierarchy("unified", m->point, m->root, true);
	} else if (strcmp(m->fstype, "cgroup") == 0 &&
		   strncmp(m->point, "/sys/fs/cgroup/", 15) == 0 &&
		   strchr(m->point + 15, '/') == NULL) {
		v1_key(m->super, key, sizeof(key));
		if (key[0]) {
			add_hierarchy(key, m->point, m->root, false);
			*v1 = true;
		} else if ((name = strstr(m->super, "name=")) != NULL) {
			/* no resources, but the container gets a directory in it as in runc, so
			 * that it sees its own and not its siblings */
			if (hk_format(key, sizeof(key), "%.*s", (int)strcspn(name, ","), name) == 0)
				add_hierarchy(key, m->point, m->root, false);
		}
	}
}

static void read_host(void)
{
	bool v2_root = false, v2_unified = false, v1 = false;
	struct mount_line lines[256];
	size_t n = 0, i, j;
	char *line, *end;
	struct statfs fs;

	host.read = true;
	/* a pure cgroup2 host answers without mountinfo (the same answer as its scan below) */
	if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
		host.mode = HK_CG_V2;
		add_hierarchy("unified", "/sys/fs/cgroup", "/", true);
		return;
	}
	host.text = read_mountinfo();
	for (line = host.text; line != NULL && *line != '\0' && n < 256; line = end) {
		end = line + strcspn(line, "\n");
		if (*end != '\0')
			*end++ = '\0';
		n += parse_mount(line, &lines[n]);
	}
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n && strcmp(lines[j].point, lines[i].point) != 0; j++)
			;
		if (j == n) /* not covered by a later mount */
			scan_mount(&lines[i], &v2_root, &v2_unified, &v1);
	}
	if (v2_root) {
		host.mode = HK_CG_V2;
		host.n = 0;
		add_hierarchy("unified", "/sys/fs/cgroup", "/", true);
	} else if (v1) {
		host.mode = v2_unified ? HK_CG_HYBRID : HK_CG_V1;
	} else {
		host.n = 0;
	}
}

enum hk_cg_mode hk_cg_mode(void)
{
	if (!host.read)
		read_host();
	return host.mode;
}

const char *hk_cg_mode_name(enum hk_cg_mode mode)
{
	static const char *const names[] = {"none", "v1", "hybrid", "v2"};

	return names[mode];
}

/* Whether a comma list ("cpu,cpuacct") holds name. */
static bool list_has(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)) != NULL; p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

/* /proc/self/cgroup, read once: a command asks once per hierarchy and twice over, and the
 * answers it needs are those of where husk started (pid 1 asks only about the hierarchies it
 * never joins). NULL when it cannot be read. */
static const char *own_cgroups(void)
{
	static char text[65536];
	static int state; /* 0 unread, 1 read, -1 failed */
	hk_cleanup_close int fd = -1;
	size_t len = 0;
	ssize_t n = 0;

	if (state != 0)
		return state > 0 ? text : NULL;
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && len < sizeof(text) - 1 &&
	       (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)n;
	state = fd < 0 || n < 0 || len == sizeof(text) - 1 ? -1 : 1;
	text[state > 0 ? len : 0] = '\0';
	return state > 0 ? text : NULL;
}

/* The caller's cgroup in hierarchy h from /proc/self/cgroup ("hid:controllers:path"), relative to
 * what the mount shows. */
static int own_cgroup(const struct hierarchy *h, char *out, size_t size)
{
	char line[PATH_MAX + 256], first[32];
	size_t rootlen = strcmp(h->root, "/") == 0 ? 0 : strlen(h->root);
	const char *next = own_cgroups();

	if (next == NULL)
		return -1;
	if (hk_format(first, sizeof(first), "%.*s", (int)strcspn(h->key, ","), h->key) < 0)
		return -1;
	while (*next != '\0') {
		size_t len = strcspn(next, "\n");
		int fits = hk_format(line, sizeof(line), "%.*s", (int)len, next);
		char *ctl, *path;

		next += len + (next[len] == '\n');
		if (fits < 0)
			continue;
		ctl = strchr(line, ':');
		path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (path == NULL)
			continue;
		*path++ = '\0';
		if (h->v2 ? ctl[1] != '\0' : !list_has(ctl + 1, first))
			continue;
		if (rootlen && strncmp(path, h->root, rootlen) == 0)
			path += rootlen;
		return hk_format(out, size, "%s", path[0] ? path : "/");
	}
	return -1;
}

/* What the container's cgroup mount shows of hierarchy h; false when a name does not fit (the
 * entry is then left out). */
static bool view_entry(const struct hierarchy *h, const struct hk_cgroup *cg, struct hk_cg_view *v)
{
	char own[PATH_MAX] = "/";
	size_t i;

	if (hk_format(v->name, sizeof(v->name), "%s",
		      strcmp(h->mount, "/sys/fs/cgroup") == 0 ? "" : h->mount + 15) < 0)
		return false;
	v->v2 = h->v2;
	for (i = 0; cg != NULL && i < cg->n; i++)
		if (strcmp(cg->dirs[i].key, h->key) == 0)
			return hk_format(v->source, sizeof(v->source), "%s", cg->dirs[i].path) == 0;
	/* a hierarchy the container has no directory of its own in: the one it runs in */
	if (own_cgroup(h, own, sizeof(own)) < 0)
		own[0] = '/', own[1] = '\0';
	return hk_format(v->source, sizeof(v->source), "%s%s", h->mount,
			 strcmp(own, "/") ? own : "") == 0;
}

bool hk_cg_view(const struct hk_cgroup *cg, size_t i, struct hk_cg_view *out)
{
	if (!host.read)
		read_host();
	if (i >= host.n)
		return false;
	if (!view_entry(&host.h[i], cg, out))
		out->name[0] = out->source[0] = '\0';
	return true;
}

/* base + "/" + path with empty components dropped; "." and ".." refused (the bundle names the
 * path: it must not climb out of the caller's subtree). */
static int join_clean(char *out, size_t size, const char *base, const char *path,
		      struct hk_err **err)
{
	char copy[PATH_MAX], *save = NULL, *part;

	if (hk_format(out, size, "%s", base && strcmp(base, "/") != 0 ? base : "") < 0 ||
	    hk_format(copy, sizeof(copy), "%s", path) < 0)
		return hk_fail(err, ENAMETOOLONG, "config.json: linux.cgroupsPath");
	for (part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0 || strcmp(part, "..") == 0)
			return hk_fail(err, 0,
				       "config.json: linux.cgroupsPath: \"%s\": \".\" and \"..\" "
				       "are not allowed",
				       path);
		if (hk_format(out + strlen(out), size - strlen(out), "/%s", part) < 0)
			return hk_fail(err, ENAMETOOLONG, "config.json: linux.cgroupsPath");
	}
	if (out[0] == '\0')
		return hk_fail(
		    err, 0,
		    "config.json: linux.cgroupsPath: \"%s\" names the root cgroup, which "
		    "cannot be a container's",
		    path);
	return 0;
}

static int set_dir(struct hk_cg_dir *d, const struct hierarchy *h, const char *rel,
		   struct hk_err **err)
{
	/* each field set, no memset: the 4 KiB path's pages are touched only as far as written */
	d->created_top = 0;
	d->v2 = h->v2;
	if (hk_format(d->key, sizeof(d->key), "%s", h->key) < 0 ||
	    hk_format(d->path, sizeof(d->path), "%s%s", h->mount, rel) < 0)
		return hk_fail(err, ENAMETOOLONG, "cgroup %s%s", h->mount, rel);
	d->rel = d->path + strlen(h->mount);
	return 0;
}

int hk_cg_resolve(struct hk_cgroup *cg, const char *cgroups_path, const char *id,
		  struct hk_err **err)
{
	const char *path = cgroups_path && cgroups_path[0] ? cgroups_path : id;
	char own[PATH_MAX], rel[PATH_MAX];
	size_t i;

	cg->mode = host.mode;
	cg->n = 0;
	for (i = 0; i < host.n; i++) {
		const struct hierarchy *h = &host.h[i];

		own[0] = '\0';
		if (path[0] != '/') {
			if (own_cgroup(h, own, sizeof(own)) < 0)
				return hk_fail(err, 0, "cgroup: %s: cannot find husk's own cgroup",
					       h->key);
			/* A v2 scope holds its processes, so no child could get controllers:
			 * relative paths go beside it, as runc does; so does a rootless husk's
			 * own cgroup, the leaf of the subtree delegated to its user. */
			if (h->v2 && host.mode == HK_CG_V2 &&
			    ((strlen(own) > 6 && strcmp(own + strlen(own) - 6, ".scope") == 0) ||
			     (hk_rootless() && strrchr(own, '/') != own)))
				*strrchr(own, '/') = '\0';
		}
		if (join_clean(rel, sizeof(rel), own, path, err) < 0 ||
		    set_dir(&cg->dirs[cg->n], h, rel, err) < 0)
			return -1;
		cg->n++;
	}
	return 0;
}

int hk_cg_from_key(struct hk_cgroup *cg, const char *key, const char *rel, struct hk_err **err)
{
	char clean[PATH_MAX];
	size_t i;

	for (i = 0; i < host.n; i++)
		if (strcmp(host.h[i].key, key) == 0 && cg->n < HK_CG_MAX_DIRS) {
			if (join_clean(clean, sizeof(clean), "", rel, err) < 0 ||
			    set_dir(&cg->dirs[cg->n], &host.h[i], clean, err) < 0)
				return -1;
			cg->n++;
		}
	return 0;
}

const struct hk_cg_dir *hk_cg_unified(const struct hk_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (cg->dirs[i].v2)
			return &cg->dirs[i];
	return NULL;
}

const struct hk_cg_dir *hk_cg_find(const struct hk_cgroup *cg, const char *controller)
{
	char controllers[512];
	const struct hk_cg_dir *u;
	char *save = NULL, *name;
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (!cg->dirs[i].v2 && list_has(cg->dirs[i].key, controller))
			return &cg->dirs[i];
	u = hk_cg_unified(cg);
	if (u == NULL || hk_cg_read(u, "cgroup.controllers", controllers, sizeof(controllers)) < 0)
		return NULL;
	for (name = strtok_r(controllers, " ", &save); name; name = strtok_r(NULL, " ", &save))
		if (strcmp(name, controller) == 0)
			return u;
	return NULL;
}
