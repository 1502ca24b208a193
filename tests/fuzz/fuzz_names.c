/* libFuzzer target for the small parsers of command-line words: signal names and numbers,
 * container ids, mount option names, sizes and durations, CPU and node lists. Each must answer
 * without crashing, and agree with itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idlist.h"
#include "mount_options.h"
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
	if (hk_signal_parse(text, &sig, &err) == 0 && (sig <= 0 || sig > 64))
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
	free(text);
	return 0;
}
