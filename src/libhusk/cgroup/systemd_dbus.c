#include "systemd_dbus.h"

#include "cgroup_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool hk_systemd_booted(void)
{
	return access("/run/systemd/system", F_OK) == 0;
}

#if HUSK_HAVE_SD_BUS
#include <systemd/sd-bus.h>

#include "hk_format.h"

#define SD_DEST	   "org.freedesktop.systemd1"
#define SD_PATH	   "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* runc waits 30 s for a job; under a loaded systemd a scope can take seconds */
#define JOB_TIMEOUT_USEC (30ULL * 1000 * 1000)

/* The sd-bus functions husk calls, looked up once from libsystemd.so.0; their types come from
 * sd-bus.h, so a mismatch is a compile error. */
#define SD_FUNCS(X)                                                                                \
	X(sd_bus_open_system)                                                                      \
	X(sd_bus_flush_close_unref)                                                                \
	X(sd_bus_message_new_method_call)                                                          \
	X(sd_bus_message_append)                                                                   \
	X(sd_bus_message_append_array)                                                             \
	X(sd_bus_message_open_container)                                                           \
	X(sd_bus_message_close_container)                                                          \
	X(sd_bus_message_read)                                                                     \
	X(sd_bus_message_unref)                                                                    \
	X(sd_bus_call)                                                                             \
	X(sd_bus_match_signal)                                                                     \
	X(sd_bus_process)                                                                          \
	X(sd_bus_wait)                                                                             \
	X(sd_bus_error_free)                                                                       \
	X(sd_bus_error_has_name)

static struct {
#define FIELD(f) __typeof__(f) *f;
	SD_FUNCS(FIELD)
#undef FIELD
} sd;

static int load_sd_bus(struct hk_err **err)
{
	static void *lib;

	if (lib != NULL)
		return 0;
	lib = dlopen("libsystemd.so.0", RTLD_LAZY | RTLD_LOCAL); /* bound on use, as if linked */
	if (lib == NULL)
		return hk_fail(err, ENOENT, "--systemd-cgroup: cannot load libsystemd.so.0: %s",
			       dlerror());
#define LOOKUP(f)                                                                                  \
	if ((*(void **)&sd.f = dlsym(lib, #f)) == NULL)                                            \
		return hk_fail(err, ENOSYS, "--systemd-cgroup: libsystemd.so.0 has no %s", #f);
	SD_FUNCS(LOOKUP)
#undef LOOKUP
	return 0;
}

static int open_bus(sd_bus **bus, struct hk_err **err)
{
	int r;

	if (load_sd_bus(err) < 0)
		return -1;
	if (!hk_systemd_booted())
		return hk_fail(err, 0, "--systemd-cgroup: systemd is not running on this host");
	r = sd.sd_bus_open_system(bus);
	return r < 0 ? hk_fail(err, -r, "--systemd-cgroup: connect to the system bus") : 0;
}

static int append_prop(sd_bus_message *m, const struct hk_unit_prop *p)
{
	static const char *const sig[] = {[HK_PROP_U64] = "t",
					  [HK_PROP_BOOL] = "b",
					  [HK_PROP_STRING] = "s",
					  [HK_PROP_BYTES] = "ay",
					  [HK_PROP_PIDS] = "au"};
	int r = sd.sd_bus_message_open_container(m, 'r', "sv");

	if (r >= 0)
		r = sd.sd_bus_message_append(m, "s", p->name);
	if (r >= 0)
		r = sd.sd_bus_message_open_container(m, 'v', sig[p->type]);
	if (r < 0)
		return r;
	switch (p->type) {
	case HK_PROP_U64:
		r = sd.sd_bus_message_append(m, "t", p->u64);
		break;
	case HK_PROP_BOOL:
		r = sd.sd_bus_message_append(m, "b", (int)(p->u64 != 0));
		break;
	case HK_PROP_STRING:
		r = sd.sd_bus_message_append(m, "s", p->str);
		break;
	case HK_PROP_BYTES:
		r = sd.sd_bus_message_append_array(m, 'y', p->bytes, p->nbytes);
		break;
	case HK_PROP_PIDS:
		r = sd.sd_bus_message_append(m, "au", 1, (uint32_t)p->u64);
		break;
	}
	if (r >= 0)
		r = sd.sd_bus_message_close_container(m);
	return r < 0 ? r : sd.sd_bus_message_close_container(m);
}

static int append_props(sd_bus_message *m, const struct hk_unit_props *props)
{
	size_t i;
	int r = sd.sd_bus_message_open_container(m, 'a', "(sv)");

	for (i = 0; r >= 0 && i < props->n; i++)
		r = append_prop(m, &props->items[i]);
	return r < 0 ? r : sd.sd_bus_message_close_container(m);
}

/* The job a call returned, and what its JobRemoved said. */
struct job_wait {
	const char *path;
	char result[32];
	bool done;
};

static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *unused)
{
	struct job_wait *w = data;
	const char *path, *unit, *result;
	uint32_t id;

	(void)unused;
	if (w->path == NULL || sd.sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (strcmp(path, w->path) == 0) {
		if (hk_format(w->result, sizeof(w->result), "%s", result) < 0)
			w->result[0] = '\0'; /* not "done": a result we cannot read is a failure */
		w->done = true;
	}
	return 0;
}

static unsigned long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

static int wait_job(sd_bus *bus, struct job_wait *w, const char *what, const char *unit,
		    struct hk_err **err)
{
	unsigned long long end = now_usec() + JOB_TIMEOUT_USEC;
	int r;

	while (!w->done) {
		r = sd.sd_bus_process(bus, NULL);
		if (r < 0)
			return hk_fail(err, -r, "systemd: %s %s: read the bus", what, unit);
		if (r > 0)
			continue;
		if (now_usec() >= end)
			return hk_fail(err, ETIMEDOUT, "systemd: %s %s: no answer in 30 s", what,
				       unit);
		sd.sd_bus_wait(bus, end - now_usec());
	}
	if (strcmp(w->result, "done") != 0)
		return hk_fail(err, EIO, "systemd: %s %s: the job ended \"%s\"", what, unit,
			       w->result);
	return 0;
}

/* Sends m (consumed; built < 0: building it failed, and nothing is sent), and with w waits
 * for the job its reply names. */
static int call(sd_bus *bus, sd_bus_message *m, int built, struct job_wait *w, const char *what,
		const char *unit, struct hk_err **err)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r;

	if (built < 0) {
		sd.sd_bus_message_unref(m);
		return hk_fail(err, -built, "systemd: %s %s: build the call", what, unit);
	}
	r = sd.sd_bus_call(bus, m, JOB_TIMEOUT_USEC, &error, &reply);
	sd.sd_bus_message_unref(m);
	if (r < 0) {
		bool gone = sd.sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit");
		bool exists =
		    sd.sd_bus_error_has_name(&error, "org.freedesktop.systemd1.UnitExists");
		const char *why = error.message ? error.message : strerror(-r);
		int len = (int)strlen(why);

		if (exists)
			hk_fail_as(err, EEXIST, "systemd: %s %s: the unit already exists", what,
				   unit);
		else /* systemd's own sentence, without its full stop */
			hk_fail_as(err, gone ? ENOENT : -r, "systemd: %s %s: %.*s", what, unit,
				   len > 0 && why[len - 1] == '.' ? len - 1 : len, why);
		sd.sd_bus_error_free(&error);
		return -1;
	}
	if (w != NULL && sd.sd_bus_message_read(reply, "o", &w->path) < 0)
		w->path = NULL;
	r = w == NULL || w->path != NULL
		? 0
		: hk_fail(err, EPROTO, "systemd: %s %s: no job", what, unit);
	if (r == 0 && w != NULL)
		r = wait_job(bus, w, what, unit, err);
	sd.sd_bus_message_unref(reply);
	return r;
}

static int method(sd_bus *bus, const char *name, sd_bus_message **m)
{
	return sd.sd_bus_message_new_method_call(bus, m, SD_DEST, SD_PATH, SD_MANAGER, name);
}

/* The bus with a match for JobRemoved set before the call, so that no signal is missed. */
static int open_for_jobs(sd_bus **bus, struct job_wait *w, struct hk_err **err)
{
	int r;

	if (open_bus(bus, err) < 0)
		return -1;
	r = sd.sd_bus_match_signal(*bus, NULL, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
				   on_job_removed, w);
	if (r < 0) {
		sd.sd_bus_flush_close_unref(*bus);
		return hk_fail(err, -r, "systemd: watch for JobRemoved");
	}
	return 0;
}

int hk_systemd_start_unit(const char *unit, const struct hk_unit_props *props, struct hk_err **err)
{
	struct job_wait w = {0};
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	int r;

	if (open_for_jobs(&bus, &w, err) < 0)
		return -1;
	r = method(bus, "StartTransientUnit", &m);
	if (r >= 0)
		r = sd.sd_bus_message_append(m, "ss", unit, "fail");
	if (r >= 0)
		r = append_props(m, props);
	if (r >= 0)
		r = sd.sd_bus_message_append(m, "a(sa(sv))", 0);
	r = call(bus, m, r, &w, "start", unit, err);
	sd.sd_bus_flush_close_unref(bus);
	return r;
}

int hk_systemd_set_properties(const char *unit, const struct hk_unit_props *props,
			      struct hk_err **err)
{
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	int r;

	if (open_bus(&bus, err) < 0)
		return -1;
	r = method(bus, "SetUnitProperties", &m);
	if (r >= 0)
		r = sd.sd_bus_message_append(m, "sb", unit, 1);
	if (r >= 0)
		r = append_props(m, props);
	r = call(bus, m, r, NULL, "set properties of", unit, err);
	sd.sd_bus_flush_close_unref(bus);
	return r;
}

int hk_systemd_stop_unit(const char *unit, struct hk_err **err)
{
	struct job_wait w = {0};
	struct hk_err *e = NULL;
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	int r;

	if (open_for_jobs(&bus, &w, err) < 0)
		return -1;
	r = method(bus, "StopUnit", &m);
	if (r >= 0)
		r = sd.sd_bus_message_append(m, "ss", unit, "replace");
	r = call(bus, m, r, &w, "stop", unit, &e);
	if (r < 0 && e->errnum == ENOENT)
		r = 0; /* stopped already */
	else if (r < 0)
		hk_cg_pass(err, &e);
	hk_err_free(e);
	sd.sd_bus_flush_close_unref(bus);
	return r;
}

#else /* built without libsystemd-dev */

static int no_sd_bus(struct hk_err **err)
{
	return hk_fail(err, ENOSYS,
		       "--systemd-cgroup: this husk was built without sd-bus (libsystemd-dev)");
}

int hk_systemd_start_unit(const char *unit, const struct hk_unit_props *props, struct hk_err **err)
{
	(void)unit;
	(void)props;
	return no_sd_bus(err);
}

int hk_systemd_set_properties(const char *unit, const struct hk_unit_props *props,
			      struct hk_err **err)
{
	(void)unit;
	(void)props;
	return no_sd_bus(err);
}

int hk_systemd_stop_unit(const char *unit, struct hk_err **err)
{
	(void)unit;
	return no_sd_bus(err);
}
#endif
