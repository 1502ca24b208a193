/* What --debug's timeline costs a command that runs without --debug: hk_timeline called 10^8
 * times with debugging off, the time per call printed. A `husk run` makes 17 of these calls.
 * Usage: BUILD/tests/timeline_cost (tests/bench/timeline runs it). */
#include <stdio.h>
#include <time.h>

#include "timeline.h"

int main(void)
{
	const long calls = 100000000;
	struct timespec a, b;
	double ns;
	long i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < calls; i++)
		hk_timeline("stage");
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / calls;
	printf("hk_timeline without --debug: %.2f ns a call, %.3f us for a run's 17\n", ns,
	       ns * 17 / 1e3);
	return 0;
}
