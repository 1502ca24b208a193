/* linux.personality: the execution domain (personality(2)), for create and exec alike. */
#ifndef HUSK_PERSONALITY_H
#define HUSK_PERSONALITY_H

#include "config.h"

int hk_personality_set(const struct oci_linux *l, struct hk_err **err);

#endif
