#include "caps.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"

/* A name from a table that knows every capability ever defined; this kernel may lack some. */
static bool cap_of(const char *name, cap_value_t *out)
{
	const struct oci_name *n = oci_name_find(&oci_capabilities, name);

	if (n == NULL || n->value >= cap_max_bits()) {
		hk_warn("capability %s is not known to this kernel: skipped", name);
		return false;
	}
	*out = n->value;
	return true;
}

static bool listed(const struct oci_strv *v, cap_value_t cap)
{
	size_t i;

	for (i = 0; i < v->len; i++) {
		const struct oci_name *n = oci_name_find(&oci_capabilities, v->items[i]);

		if (n != NULL && n->value == cap)
			return true;
	}
	return false;
}

int hk_caps_limit_bounding(const struct oci_capabilities *caps, struct hk_err **err)
{
	cap_value_t cap;

	for (cap = 0; cap < cap_max_bits(); cap++) {
		if (caps != NULL && listed(&caps->bounding, cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return hk_fail(err, errno, "drop %s from the bounding set",
				       cap_to_name(cap));
	}
	return 0;
}

static int check_set(const char *set, const struct oci_strv *v, struct hk_err **err)
{
	size_t i;

	for (i = 0; i < v->len; i++) {
		const struct oci_name *n = oci_name_find(&oci_capabilities, v->items[i]);

		if (n != NULL && n->value < cap_max_bits() &&
		    prctl(PR_CAPBSET_READ, n->value, 0, 0, 0) == 0)
			return hk_fail(
			    err, 0,
			    "config.json: process.capabilities.%s[%zu]: %s is not in husk's "
			    "own bounding set, so the container cannot have it",
			    set, i, v->items[i]);
	}
	return 0;
}

int hk_caps_check_available(const struct oci_capabilities *caps, struct hk_err **err)
{
	if (caps == NULL)
		return 0;
	if (check_set("bounding", &caps->bounding, err) < 0 ||
	    check_set("effective", &caps->effective, err) < 0 ||
	    check_set("permitted", &caps->permitted, err) < 0 ||
	    check_set("inheritable", &caps->inheritable, err) < 0 ||
	    check_set("ambient", &caps->ambient, err) < 0)
		return -1;
	return 0;
}

static int add_set(cap_t c, cap_flag_t flag, const struct oci_strv *v)
{
	size_t i;

	for (i = 0; i < v->len; i++) {
		cap_value_t cap;

		if (cap_of(v->items[i], &cap) && cap_set_flag(c, flag, 1, &cap, CAP_SET) < 0)
			return -1;
	}
	return 0;
}

/* The configured effective, permitted and inheritable sets, in one capset. */
int hk_caps_set(const struct oci_capabilities *caps, struct hk_err **err)
{
	cap_t c = cap_init();
	int ret = 0;

	if (c == NULL)
		return hk_fail(err, errno, "capabilities");
	if (caps != NULL && (add_set(c, CAP_EFFECTIVE, &caps->effective) < 0 ||
			     add_set(c, CAP_PERMITTED, &caps->permitted) < 0 ||
			     add_set(c, CAP_INHERITABLE, &caps->inheritable) < 0))
		ret = hk_fail(err, errno, "capabilities");
	else if (cap_set_proc(c) < 0)
		ret = hk_fail(err, errno, "set capabilities");
	cap_free(c);
	return ret;
}

static void raise_ambient(const struct oci_capabilities *caps)
{
	size_t i;

	for (i = 0; caps != NULL && i < caps->ambient.len; i++) {
		cap_value_t cap;

		/* Ambient needs the capability permitted and inheritable; runc's own default spec
		 * lists ambient ones that are not inheritable, and runc goes on without them. Not
		 * raising one only ever gives less privilege. */
		if (cap_of(caps->ambient.items[i], &cap) && cap_set_ambient(cap, CAP_SET) < 0)
			hk_debug("ambient %s not raised: %s", caps->ambient.items[i],
				 errno == EPERM ? "not permitted and inheritable" : "unsupported");
	}
}

int hk_caps_apply(const struct oci_capabilities *caps, struct hk_err **err)
{
	if (hk_caps_set(caps, err) < 0)
		return -1;
	raise_ambient(caps);
	return 0;
}

int hk_caps_prepare_late(const struct oci_capabilities *caps, struct hk_err **err)
{
	cap_t c = cap_get_proc();
	cap_value_t cap;
	int ret = 0;

	if (c == NULL)
		return hk_fail(err, errno, "capabilities");
	for (cap = 0; cap < cap_max_bits(); cap++) {
		cap_flag_value_t permitted = CAP_CLEAR;
		cap_flag_value_t inheritable =
		    caps != NULL && listed(&caps->inheritable, cap) ? CAP_SET : CAP_CLEAR;

		if (cap_get_flag(c, cap, CAP_PERMITTED, &permitted) < 0 ||
		    cap_set_flag(c, CAP_EFFECTIVE, 1, &cap, permitted) < 0 ||
		    cap_set_flag(c, CAP_INHERITABLE, 1, &cap, inheritable) < 0) {
			ret = hk_fail(err, errno, "capabilities");
			break;
		}
	}
	if (ret == 0 && cap_set_proc(c) < 0)
		ret = hk_fail(err, errno, "raise the effective capabilities");
	cap_free(c);
	if (ret == 0)
		raise_ambient(caps);
	return ret;
}
