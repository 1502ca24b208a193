/* Talking to systemd (PID 1) over the system bus, for the systemd cgroup driver: start a transient
 * scope and wait for its job, set a unit's properties, stop a unit and wait.
 *
 * The client is sd-bus from libsystemd, dlopen'ed on first use: a husk that never sees
 * --systemd-cgroup maps no libsystemd (and none of what it links) at start-up. */
#ifndef HUSK_SYSTEMD_DBUS_H
#define HUSK_SYSTEMD_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hk_error.h"

/* One unit property, as StartTransientUnit and SetUnitProperties take it: (sv). */
enum hk_unit_prop_type {
	HK_PROP_U64,	/* t */
	HK_PROP_BOOL,	/* b */
	HK_PROP_STRING, /* s */
	HK_PROP_BYTES,	/* ay: a CPU or NUMA node mask, bit n of byte n/8 */
	HK_PROP_PIDS,	/* au: one pid */
};

#define HK_UNIT_PROPS_MAX  24
#define HK_UNIT_PROP_BYTES 128 /* 1024 CPUs or nodes */

struct hk_unit_prop {
	const char *name;
	enum hk_unit_prop_type type;
	uint64_t u64; /* also b (0/1) and the pid */
	const char *str;
	unsigned char bytes[HK_UNIT_PROP_BYTES];
	size_t nbytes;
};

struct hk_unit_props {
	struct hk_unit_prop items[HK_UNIT_PROPS_MAX];
	size_t n;
};

/* Whether systemd runs this machine (/run/systemd/system, as sd_booted). */
bool hk_systemd_booted(void);

/* StartTransientUnit(unit, "fail", props) and the wait for its JobRemoved: 0 once the job is
 * done, else an error with systemd's reason (a unit that exists already: EEXIST). */
int hk_systemd_start_unit(const char *unit, const struct hk_unit_props *props, struct hk_err **err);
/* SetUnitProperties(unit, runtime, props): what `update` changes survives a daemon-reload. */
int hk_systemd_set_properties(const char *unit, const struct hk_unit_props *props,
			      struct hk_err **err);
/* StopUnit(unit, "replace") and the wait for its job; a unit that is gone already is not an
 * error (systemd stops a scope on its own once it is empty). */
int hk_systemd_stop_unit(const char *unit, struct hk_err **err);

#endif
