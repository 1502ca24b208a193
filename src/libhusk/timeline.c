#include "timeline.h"

#include <time.h>

#include "log.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct {
	double start, last;
} clock_of_command;

void hk_timeline(const char *stage)
{
	double t;

	if (!hk_log_debugging())
		return;
	t = now_ms();
	if (clock_of_command.start == 0)
		clock_of_command.start = clock_of_command.last = t;
	hk_debug("timeline: %s %.2f ms (at %.2f ms)", stage, t - clock_of_command.last,
		 t - clock_of_command.start);
	clock_of_command.last = t;
}

void hk_timeline_failed(const char *what)
{
	double t;

	if (!hk_log_debugging())
		return;
	t = now_ms();
	hk_debug("timeline: %s failed after the stage above, %.2f ms later (at %.2f ms)", what,
		 t - clock_of_command.last, t - clock_of_command.start);
}
