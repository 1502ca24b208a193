/* --debug's timeline of a command: one debug line per stage as it ends, with its duration and the
 * time since the command began (CLOCK_MONOTONIC), e.g. "timeline: cgroup 0.41 ms (at 2.03 ms)";
 * a failure names the stage it happened in. Without --debug each call is one branch. */
#ifndef HUSK_TIMELINE_H
#define HUSK_TIMELINE_H

#include <stdbool.h>

/* The stage named ends now; the next one starts. */
void hk_timeline(const char *stage);
/* The command failed in the stage that began at the last hk_timeline. */
void hk_timeline_failed(const char *what);

#endif
