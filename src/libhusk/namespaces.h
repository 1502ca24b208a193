/* Namespaces: the OCI types mapped to the kernel's, joining by path, creating, id maps. */
#ifndef HUSK_NAMESPACES_H
#define HUSK_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

struct hk_ns_kind {
	int clone_flag;	  /* CLONE_NEW* */
	const char *proc; /* the name under /proc/PID/ns */
};
/* Indexed by enum oci_ns_type. */
extern const struct hk_ns_kind hk_ns_kinds[OCI_NS_COUNT];

/* What a spawn does with each namespace type (plan.h): keep husk's, make one, or join a path. */
enum hk_ns_action { HK_NS_INHERIT, HK_NS_NEW, HK_NS_JOIN };
struct hk_ns_step {
	enum hk_ns_action action;
	const char *path; /* HK_NS_JOIN */
};

/* The CLONE_NEW* flags of the namespaces to make. */
int hk_ns_new_flags(const struct hk_ns_step ns[OCI_NS_COUNT]);

/* Opens every namespace to join, checking that each is a namespace of its type. fds[type] is -1
 * for the others. Done in the parent, before any fork, so errors come early. */
int hk_ns_open_paths(const struct hk_ns_step ns[OCI_NS_COUNT], int fds[OCI_NS_COUNT],
		     struct hk_err **err);
void hk_ns_close_paths(int fds[OCI_NS_COUNT]);
/* Whether the namespace at path is husk's own of that type (the host's, for a caller in it):
 * the same nsfs inode. False when either cannot be read (the join reports that). */
bool hk_ns_is_husks(int type, const char *path);
/* setns into each opened namespace: user first (it owns the others), mount last. */
int hk_ns_join(const int fds[OCI_NS_COUNT], struct hk_err **err);

/* Writes /proc/self/timens_offsets (after unshare(CLONE_NEWTIME), before any child). */
int hk_ns_write_time_offsets(const struct oci_linux *l, struct hk_err **err);

/* The text of a uid_map/gid_map and of timens_offsets (pure, for the fuzz target too); -1 when
 * it does not fit in size. */
int hk_ns_id_map_text(const struct oci_id_mapping *m, size_t n, char *buf, size_t size);
int hk_ns_time_offsets_text(const struct oci_linux *l, char *buf, size_t size);

#endif
