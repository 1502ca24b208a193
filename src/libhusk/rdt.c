#include "rdt.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"

int hk_rdt_root(char *out, size_t size, struct hk_err **err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	bool found = false;

	if (f == NULL)
		return hk_fail(err, errno, "linux.intelRdt: read /proc/self/mountinfo");
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char point[4096], *sep = strstr(line, " - ");

		if (sep != NULL && strncmp(sep, " - resctrl ", 11) == 0 &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
		    hk_format(out, size, "%s", point) == 0)
			found = true;
	}
	fclose(f);
	if (!found)
		return hk_fail_as(err, ENOENT,
				  "linux.intelRdt: no resctrl filesystem is mounted on this host");
	return 0;
}

static int put_lines(char *out, size_t size, size_t *used, const char *text, bool skip_mb)
{
	const char *line = text;

	while (*line) {
		size_t len = strcspn(line, "\n");

		if (len > 0 && !(skip_mb && strncmp(line, "MB:", 3) == 0)) {
			if (hk_format(out + *used, size - *used, "%.*s\n", (int)len, line) < 0)
				return -1;
			*used += len + 1;
		}
		line += len + (line[len] == '\n');
	}
	return 0;
}

int hk_rdt_schemata_text(const struct oci_intel_rdt *r, char *out, size_t size, struct hk_err **err)
{
	size_t used = 0, i;
	int bad = 0;

	out[0] = '\0';
	if (r->mem_bw_schema != NULL &&
	    (strncmp(r->mem_bw_schema, "MB:", 3) != 0 || strchr(r->mem_bw_schema, '\n') != NULL))
		return hk_fail(err, 0,
			       "config.json: linux.intelRdt.memBwSchema: one line that "
			       "starts with MB:");
	if (r->l3_cache_schema != NULL)
		bad |= put_lines(out, size, &used, r->l3_cache_schema, r->mem_bw_schema != NULL);
	if (r->mem_bw_schema != NULL)
		bad |= put_lines(out, size, &used, r->mem_bw_schema, false);
	for (i = 0; i < r->schemata.len; i++)
		bad |= put_lines(out, size, &used, r->schemata.items[i], false);
	return bad ? hk_fail(err, E2BIG, "linux.intelRdt: schemata too long") : 0;
}

/* A group's name: one path component resctrl does not keep for itself. */
static bool good_name(const char *name)
{
	static const char *const reserved[] = {".", "..", "info", "mon_groups", "mon_data"};
	size_t i;

	if (name[0] == '\0' || strchr(name, '/') != NULL || strlen(name) > 255)
		return false;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(name, reserved[i]) == 0)
			return false;
	return true;
}

/* "L3:0=07f0;1=1f" and "L3:0=7f0;1=001f" say the same: spaces, case and leading zeros aside. */
static void normalise(const char *line, char *out, size_t size)
{
	size_t n = 0;
	bool value_start = false;

	for (; *line && *line != '\n' && n + 1 < size; line++) {
		char c = (char)tolower((unsigned char)*line);

		if (c == ' ' || c == '\t' || (value_start && c == '0' && isxdigit(line[1])))
			continue;
		value_start = c == '=';
		out[n++] = c;
	}
	out[n] = '\0';
}

/* Each line to write is one of the file's. */
static bool schemata_hold(const char *file, const char *want)
{
	const char *w;

	for (w = want; *w; w += strcspn(w, "\n") + (w[strcspn(w, "\n")] == '\n')) {
		char a[4096], b[4096];
		const char *f;
		bool found = false;

		normalise(w, a, sizeof(a));
		for (f = file; *f && !found;
		     f += strcspn(f, "\n") + (f[strcspn(f, "\n")] == '\n')) {
			normalise(f, b, sizeof(b));
			found = strcmp(a, b) == 0;
		}
		if (!found)
			return false;
	}
	return true;
}

static int read_text(const char *dir, const char *file, char *out, size_t size)
{
	char path[PATH_MAX + 32];
	hk_cleanup_close int fd = -1;
	ssize_t n;

	if (hk_path_join(path, sizeof(path), dir, file) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    (n = read(fd, out, size - 1)) < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static int write_text(const char *dir, const char *file, const char *text, struct hk_err **err)
{
	char path[PATH_MAX + 32];
	hk_cleanup_close int fd = -1;
	size_t len = strlen(text);

	if (hk_path_join(path, sizeof(path), dir, file) < 0)
		return hk_fail(err, errno, "linux.intelRdt: %s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644); /* resctrl has it */
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return hk_fail(err, errno, "linux.intelRdt: write \"%.*s\" to %s",
			       (int)strcspn(text, "\n"), text, path);
	return 0;
}

static int make_group(const char *root, const struct oci_intel_rdt *r, const char *name,
		      const char *schemata, struct hk_rdt *out, struct hk_err **err)
{
	char current[8192];

	if (hk_path_join(out->dir, sizeof(out->dir), root, name) < 0)
		return hk_fail(err, ENAMETOOLONG, "linux.intelRdt: %s/%s", root, name);
	if (mkdir(out->dir, 0755) == 0) {
		out->made_dir = true;
		return schemata[0] ? write_text(out->dir, "schemata", schemata, err) : 0;
	}
	if (errno != EEXIST)
		return hk_fail(err, errno, "linux.intelRdt: create %s", out->dir);
	if (r->clos_id == NULL)
		return hk_fail(err, EEXIST, "linux.intelRdt: %s exists: another container's",
			       out->dir);
	if (schemata[0] && (read_text(out->dir, "schemata", current, sizeof(current)) < 0 ||
			    !schemata_hold(current, schemata)))
		return hk_fail(err, 0,
			       "linux.intelRdt: closID \"%s\" exists with other schemata than the "
			       "config's",
			       r->clos_id);
	return 0;
}

int hk_rdt_prepare(const char *root, const struct oci_intel_rdt *r, const char *id,
		   struct hk_rdt *out, struct hk_err **err)
{
	const char *name = r->clos_id != NULL ? r->clos_id : id;
	char schemata[8192], path[PATH_MAX];
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (!good_name(name))
		return hk_fail(err, 0,
			       "config.json: linux.intelRdt.closID: \"%s\" is not a group "
			       "name",
			       name);
	if (hk_rdt_schemata_text(r, schemata, sizeof(schemata), err) < 0)
		return -1;
	if (hk_path_join(path, sizeof(path), root, name) < 0)
		return hk_fail(err, errno, "linux.intelRdt: %s/%s", root, name);
	if (r->clos_id != NULL && !schemata[0] && stat(path, &st) < 0)
		return hk_fail(err, errno, "linux.intelRdt.closID: no group %s", path);
	if (make_group(root, r, name, schemata, out, err) < 0) {
		hk_rdt_remove(out, NULL);
		return -1;
	}
	if (!r->enable_monitoring.value && !r->enable_cmt.value && !r->enable_mbm.value)
		return 0;
	if (hk_format(out->mon, sizeof(out->mon), "%s/mon_groups/%s", out->dir, id) < 0 ||
	    mkdir(out->mon, 0755) < 0) {
		hk_fail(err, errno, "linux.intelRdt: create the monitoring group %s", out->mon);
		out->mon[0] = '\0';
		hk_rdt_remove(out, NULL);
		return -1;
	}
	return 0;
}

int hk_rdt_enter(const struct hk_rdt *g, pid_t pid, struct hk_err **err)
{
	char text[16];

	if (hk_format(text, sizeof(text), "%d", (int)pid) < 0 ||
	    write_text(g->dir, "tasks", text, err) < 0)
		return -1;
	return g->mon[0] ? write_text(g->mon, "tasks", text, err) : 0;
}

void hk_rdt_load(struct hk_rdt *g, const char *dir, const char *mon, bool made_dir)
{
	memset(g, 0, sizeof(*g));
	/* from the record, which create wrote from these same buffers: a path that no longer fits
	 * leaves the group unknown (empty), never a shorter path */
	if (hk_format(g->dir, sizeof(g->dir), "%s", dir) < 0 ||
	    hk_format(g->mon, sizeof(g->mon), "%s", mon ? mon : "") < 0)
		g->dir[0] = g->mon[0] = '\0';
	g->made_dir = made_dir;
}

int hk_rdt_remove(const struct hk_rdt *g, struct hk_err **err)
{
	if (g->mon[0] && rmdir(g->mon) < 0 && errno != ENOENT)
		return hk_fail(err, errno, "linux.intelRdt: remove %s", g->mon);
	if (g->made_dir && g->dir[0] && rmdir(g->dir) < 0 && errno != ENOENT)
		return hk_fail(err, errno, "linux.intelRdt: remove %s", g->dir);
	return 0;
}
