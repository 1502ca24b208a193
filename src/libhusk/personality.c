#include "personality.h"

#include <errno.h>
#include <sys/personality.h>

int hk_personality_set(const struct oci_linux *l, struct hk_err **err)
{
	if (l == NULL || l->personality == NULL)
		return 0;
	if (personality((unsigned long)l->personality->domain.value) < 0)
		return hk_fail(err, errno, "linux.personality");
	return 0;
}
