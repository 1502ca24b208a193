#include "oom_score.h"

#include <stdio.h>

#include "procfs.h"

int hk_oom_score_set(const struct oci_process *p, struct hk_err **err)
{
	char text[16];

	if (!p->oom_score_adj.set)
		return 0;
	snprintf(text, sizeof(text), "%d", p->oom_score_adj.value);
	if (hk_proc_write("self/oom_score_adj", text, err) < 0)
		return hk_prefix(err, "process.oomScoreAdj");
	return 0;
}
