/* The features document, generated from the tables the code uses. */
#ifndef HUSK_HK_FEATURES_H
#define HUSK_HK_FEATURES_H

#include "oci_features.h"

void hk_features(struct oci_arena *arena, struct oci_features *out);

#endif
