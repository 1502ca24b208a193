/* linux.intelRdt's writer against a directory tree shaped like resctrl's (this host has none):
 * the group, its schemata, the monitoring group, tasks, removal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rdt.h"
#include "tap.h"

static char root[] = "/tmp/husk-resctrl-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int has(const char *rel, const char *text)
{
	char path[4200], buf[4096] = "";
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strcmp(buf, text) == 0;
}

static int exists(const char *rel)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0;
}

static void empty_dir(const char *rel)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s/schemata", root, rel);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s/tasks", root, rel);
	unlink(path);
}

static void test_schemata_text(void)
{
	static char *lines[] = {"L2:0=ff"};
	struct oci_intel_rdt r = {.l3_cache_schema = "L3:0=7f0;1=1f\nMB:0=10",
				  .mem_bw_schema = "MB:0=20",
				  .schemata = {lines, 1, true}};
	hk_cleanup_err struct hk_err *err = NULL;
	char text[512];

	tap_ok(hk_rdt_schemata_text(&r, text, sizeof(text), &err) == 0 &&
		   strcmp(text, "L3:0=7f0;1=1f\nMB:0=20\nL2:0=ff\n") == 0,
	       "l3CacheSchema without its MB: line, then memBwSchema, then schemata");
	r = (struct oci_intel_rdt){.mem_bw_schema = "L3:0=1"};
	tap_ok(hk_rdt_schemata_text(&r, text, sizeof(text), &err) < 0 &&
		   strstr(err->msg, "memBwSchema") != NULL,
	       "a memBwSchema that is not an MB: line is refused");
}

static void test_new_group(void)
{
	struct oci_intel_rdt r = {.l3_cache_schema = "L3:0=7f0"};
	hk_cleanup_err struct hk_err *err = NULL;
	struct hk_rdt g;
	char dir[4200];

	tap_ok(hk_rdt_prepare(root, &r, "ctr", &g, &err) == 0 && g.made_dir &&
		   has("ctr/schemata", "L3:0=7f0\n"),
	       "no closID: the container id's group, made, with its schemata");
	tap_ok(hk_rdt_enter(&g, 4242, &err) == 0 && has("ctr/tasks", "4242"),
	       "the process goes into its tasks");
	hk_err_freep(&err);
	tap_ok(hk_rdt_prepare(root, &r, "ctr", &g, &err) < 0 && strstr(err->msg, "exists"),
	       "the container id's group existing already is another container's: refused");
	snprintf(dir, sizeof(dir), "%s/ctr", root);
	hk_rdt_load(&g, dir, NULL, true);
	empty_dir("ctr");
	tap_ok(hk_rdt_remove(&g, NULL) == 0 && !exists("ctr"), "delete removes the group it made");
}

static void test_existing_clos(void)
{
	struct oci_intel_rdt r = {.clos_id = "gold", .l3_cache_schema = "L3:0=7f0;1=1f"};
	hk_cleanup_err struct hk_err *err = NULL;
	struct hk_rdt g;
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/gold", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/gold/mon_groups", root);
	mkdir(dir, 0755);
	put("gold/schemata", "    L3:0=007f0;1=0001f\n    MB:0=100\n");
	r.enable_monitoring = (struct oci_opt_bool){true, true};
	tap_ok(hk_rdt_prepare(root, &r, "ctr", &g, &err) == 0 && !g.made_dir &&
		   exists("gold/mon_groups/ctr"),
	       "an existing closID whose schemata match (the kernel's padding aside) is joined, "
	       "with a monitoring group");
	tap_ok(hk_rdt_enter(&g, 7, &err) == 0 && has("gold/tasks", "7") &&
		   has("gold/mon_groups/ctr/tasks", "7"),
	       "the process goes into both groups");
	empty_dir("gold/mon_groups/ctr");
	tap_ok(hk_rdt_remove(&g, NULL) == 0 && !exists("gold/mon_groups/ctr") && exists("gold"),
	       "delete removes the monitoring group, never a closID it did not make");
	r = (struct oci_intel_rdt){.clos_id = "gold", .l3_cache_schema = "L3:0=3"};
	tap_ok(hk_rdt_prepare(root, &r, "ctr", &g, &err) < 0 &&
		   strstr(err->msg, "other schemata") != NULL,
	       "an existing closID with other schemata is an error");
}

static void test_refused(void)
{
	static const char *const names[] = {"info", "mon_groups", "..", "a/b", ""};
	hk_cleanup_err struct hk_err *err = NULL;
	struct oci_intel_rdt r = {.clos_id = "absent"};
	struct hk_rdt g;
	size_t i;

	tap_ok(hk_rdt_prepare(root, &r, "ctr", &g, &err) < 0 && strstr(err->msg, "no group"),
	       "a closID without schemata must exist");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r.clos_id = (char *)names[i];
		hk_err_freep(&err);
		tap_ok(hk_rdt_prepare(root, &r, "ctr", &g, &err) < 0 &&
			   strstr(err->msg, "not a group name") != NULL,
		       "closID \"%s\" is refused", names[i]);
	}
}

int main(void)
{
	char cmd[256];

	if (mkdtemp(root) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_schemata_text();
	test_new_group();
	test_existing_clos();
	test_refused();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	tap_ok(system(cmd) == 0, "the tree is removed");
	return tap_done();
}
