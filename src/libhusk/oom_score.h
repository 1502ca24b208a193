/* process.oomScoreAdj, written to /proc/self/oom_score_adj while husk may still lower it. */
#ifndef HUSK_OOM_SCORE_H
#define HUSK_OOM_SCORE_H

#include "config.h"

int hk_oom_score_set(const struct oci_process *p, struct hk_err **err);

#endif
