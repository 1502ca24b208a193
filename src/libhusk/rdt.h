/* linux.intelRdt through the resctrl filesystem: the container's control group (closID, or the
 * container id), its schemata, a monitoring group (enableMonitoring, or the older enableCMT and
 * enableMBM), and every process of the container in them. A host without resctrl mounted fails
 * with one line, as the spec asks; nothing is ignored. */
#ifndef HUSK_RDT_H
#define HUSK_RDT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

struct hk_rdt {
	char dir[PATH_MAX]; /* <resctrl>/<closID or id> */
	char mon[PATH_MAX]; /* <dir>/mon_groups/<id>, or "" */
	bool made_dir;	    /* husk made dir (and removes it at delete) */
};

/* Where resctrl is mounted in husk's mount namespace. */
int hk_rdt_root(char *out, size_t size, struct hk_err **err);
/* What goes into the schemata file, lines in the spec's order: l3CacheSchema (without its MB:
 * lines when memBwSchema is given), memBwSchema, then schemata. "" when none is set. */
int hk_rdt_schemata_text(const struct oci_intel_rdt *r, char *out, size_t size,
			 struct hk_err **err);
/* The group under root: made and given its schemata, or, when it exists (a closID), checked to
 * hold those schemata already; a closID without schemata must exist. */
int hk_rdt_prepare(const char *root, const struct oci_intel_rdt *r, const char *id,
		   struct hk_rdt *out, struct hk_err **err);
/* pid into the group (and its monitoring group): its children follow. */
int hk_rdt_enter(const struct hk_rdt *g, pid_t pid, struct hk_err **err);
/* The groups create recorded (struct hk_record's intelRdt fields). */
void hk_rdt_load(struct hk_rdt *g, const char *dir, const char *mon, bool made_dir);
/* Removes the monitoring group, and the group when husk made it. */
int hk_rdt_remove(const struct hk_rdt *g, struct hk_err **err);

#endif
