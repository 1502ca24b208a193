#include "rootless.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum hk_rootless mode = HK_ROOTLESS_AUTO;

void hk_rootless_set(enum hk_rootless m)
{
	mode = m;
}

/* The initial user namespace maps every id: "0 0 4294967295". */
static bool in_user_namespace(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long inside, outside, count;
	bool initial = false;

	if (f == NULL)
		return false;
	initial = fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 &&
		  outside == 0 && count == 4294967295ul;
	fclose(f);
	return !initial;
}

bool hk_rootless(void)
{
	static int detected = -1;

	if (mode != HK_ROOTLESS_AUTO)
		return mode == HK_ROOTLESS_TRUE;
	if (detected < 0)
		detected = geteuid() != 0 || in_user_namespace();
	return detected == 1;
}

bool hk_host_root(void)
{
	static int detected = -1;

	if (detected < 0)
		detected = geteuid() == 0 && !in_user_namespace();
	return detected == 1;
}
