/* libFuzzer target for the small parsers of command-line words: signal names and numbers,
 * container ids, mount option names, sizes and durations, CPU and node lists, and the record's
 * text of a moved network device. Each must answer without crashing, and agree with itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idlist.h"
#include "mount_options.h"
#include "netdev.h"
#include "signals.h"
#include "state.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct hk_err *err = NULL;
	int sig = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (hk_signal_parse(text, &sig, &err) == 0 && (sig < 0 || sig > 64)) /* 0: is it alive */
		abort();
	hk_err_free(err);
	err = NULL;
	/* an accepted id can never walk out of the state root */
	if (hk_id_check(text, &err) == 0 && (strchr(text, '/') || !strcmp(text, "..")))
		abort();
	hk_err_free(err);
	if (hk_mount_option_find(text) != NULL && strcmp(hk_mount_option_find(text)->name, text))
		abort();
	{
		long long size = 0;
		int ms = 0;

		/* a size with a unit is never negative; a duration is at least 1 ms */
		if (hk_parse_size(text, &size) == 0 && size < 0 && strpbrk(text, "kKmMgGtT"))
			abort();
		if (hk_parse_duration_ms(text, &ms) == 0 && ms < 1)
			abort();
	}
	{
		unsigned long mask[2] = {0, 0};
		struct hk_err *e = NULL;

		/* an accepted list names only ids below the limit, and at least one */
		if (hk_idlist_parse(text, mask, 100, "f", &e) == 0 &&
		    ((mask[0] == 0 && (mask[1] & ((1ul << 36) - 1)) == 0) || (mask[1] >> 36) != 0))
			abort();
		hk_err_free(e);
	}
	{
		size_t bits = 0;
		struct hk_err *e = NULL;
		unsigned long *mask = hk_idlist_alloc(text, 1u << 12, &bits, "f", &e);

		/* sized to the largest id, and never past the limit */
		if (mask != NULL && (bits == 0 || bits > (1u << 12) + 64))
			abort();
		free(mask);
		hk_err_free(e);
	}
	{
		char *key = "veth0", *value = text;
		struct oci_strmap in = {.keys = &key, .values = &value, .len = 1, .set = true};
		struct hk_netdev_set *moved = NULL;
		struct hk_err *e = NULL;

		/* a loaded identity names a real ifindex and no more addresses than fit */
		if (hk_netdev_load(&in, &moved, &e) == 0 &&
		    (moved->n != 1 || moved->dev[0].index <= 0 ||
		     moved->dev[0].naddrs > HK_NETDEV_ADDRS_MAX))
			abort();
		free(moved);
		hk_err_free(e);
	}
	free(text);
	return 0;
}
