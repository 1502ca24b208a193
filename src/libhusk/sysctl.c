#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hk_format.h"
#include "procfs.h"
#include "namespaces.h"

/* Which namespace owns which keys (the kernel's namespaced sysctls, as runc allows them). */
static const struct {
	const char *prefix; /* a whole key, or a prefix ending in '.' */
	int ns;
} owners[] = {
    {"kernel.msgmax", OCI_NS_IPC},   {"kernel.msgmnb", OCI_NS_IPC},
    {"kernel.msgmni", OCI_NS_IPC},   {"kernel.sem", OCI_NS_IPC},
    {"kernel.shmall", OCI_NS_IPC},   {"kernel.shmmax", OCI_NS_IPC},
    {"kernel.shmmni", OCI_NS_IPC},   {"kernel.shm_rmid_forced", OCI_NS_IPC},
    {"fs.mqueue.", OCI_NS_IPC},	     {"net.", OCI_NS_NETWORK},
    {"kernel.hostname", OCI_NS_UTS}, {"kernel.domainname", OCI_NS_UTS},
    {"user.", OCI_NS_USER}, /* the user namespace's own counts, as runc allows them */
};

static int owner_of(const char *key)
{
	size_t i, n;

	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		n = strlen(owners[i].prefix);
		if (owners[i].prefix[n - 1] == '.' ? strncmp(key, owners[i].prefix, n) == 0
						   : strcmp(key, owners[i].prefix) == 0)
			return owners[i].ns;
	}
	return -1;
}

int hk_sysctl_check(const struct oci_config *c, struct hk_err **err)
{
	const struct oci_strmap *m = c->linux ? &c->linux->sysctl : NULL;
	size_t i;

	for (i = 0; m != NULL && i < m->len; i++) {
		const struct oci_namespace *ns;
		int owner = owner_of(m->keys[i]);

		if (owner < 0 || strstr(m->keys[i], "..") != NULL ||
		    strchr(m->keys[i], '/') != NULL)
			return hk_fail(err, 0, "linux.sysctl[\"%s\"]: not a namespaced sysctl",
				       m->keys[i]);
		/* runc's rule: the hostname field owns kernel.hostname; kernel.domainname may be
		 * set both ways as long as the two agree (runc and crun run both) */
		if (strcmp(m->keys[i], "kernel.hostname") == 0)
			return hk_fail(err, 0, "linux.sysctl[\"%s\"]: set the %s field instead",
				       m->keys[i], m->keys[i] + 7);
		if (strcmp(m->keys[i], "kernel.domainname") == 0 && c->domainname != NULL &&
		    strcmp(c->domainname, m->values[i]) != 0)
			return hk_fail(err, 0,
				       "linux.sysctl[\"kernel.domainname\"]: \"%s\" disagrees with "
				       "domainname \"%s\"",
				       m->values[i], c->domainname);
		/* runc's rule: any namespace but the host's, new or joined by path (a pod's
		 * containers join the sandbox's network and IPC namespaces) */
		ns = oci_config_namespace(c, owner);
		if (ns == NULL || (ns->path != NULL && hk_ns_is_husks(owner, ns->path)))
			return hk_fail(
			    err, 0,
			    "linux.sysctl[\"%s\"]: not allowed in the host's %s namespace: "
			    "give the container a %s namespace of its own or join another",
			    m->keys[i], oci_name_of(&oci_namespace_types, owner),
			    oci_name_of(&oci_namespace_types, owner));
	}
	return 0;
}

int hk_sysctl_apply(const struct oci_config *c, struct hk_err **err)
{
	const struct oci_strmap *m = c->linux ? &c->linux->sysctl : NULL;
	size_t i, k;

	for (i = 0; m != NULL && i < m->len; i++) {
		char path[512];

		/* never a shorter key: its prefix could name another sysctl */
		if (hk_format(path, sizeof(path), "sys/%s", m->keys[i]) < 0)
			return hk_fail(err, ENAMETOOLONG, "linux.sysctl[\"%.64s...\"]", m->keys[i]);
		for (k = 4; path[k] != '\0'; k++)
			if (path[k] == '.')
				path[k] = '/';
		if (hk_proc_write(path, m->values[i], err) < 0)
			return hk_prefix(err, "linux.sysctl[\"%s\"]", m->keys[i]);
	}
	return 0;
}
