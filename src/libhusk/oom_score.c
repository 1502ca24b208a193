#include "oom_score.h"

#include <errno.h>
#include <stdio.h>

#include "hk_format.h"
#include "procfs.h"

int hk_oom_score_set(const struct oci_process *p, struct hk_err **err)
{
	char text[16];

	if (!p->oom_score_adj.set)
		return 0;
	if (hk_format(text, sizeof(text), "%d", p->oom_score_adj.value) < 0)
		return hk_fail(err, errno, "process.oomScoreAdj");
	if (hk_proc_write("self/oom_score_adj", text, err) < 0)
		return hk_prefix(err, "process.oomScoreAdj");
	return 0;
}
