/* husk events [--stats] [--interval D] ID: runc's event stream, one JSON object a line: a
 * {"type":"stats"} every interval and an {"type":"oom"} per OOM kill, until the container ends.
 * --stats prints one stats event and exits. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container_cgroup.h"
#include "units.h"

static const struct cli_flag flags[] = {
    {"stats", 0, CLI_FLAG, NULL, "print the container's statistics once and exit", NULL},
    {"interval", 0, CLI_VALUE, "D", "time between stats events (default 5s; ms, s, m, h)", NULL},
    {0},
};

static int parse_interval(const char *text, int *ms, struct hk_err **err)
{
	if (hk_parse_duration_ms(text, ms) == 0)
		return 0;
	return hk_fail(
	    err, 0, "events: --interval: expected a duration like 5s or 500ms, got \"%s\"", text);
}

static int print_stats(const char *id, const struct hk_cgroup *cg, struct hk_err **err)
{
	char *data = hk_cg_stats_json(cg);

	if (data == NULL)
		return hk_fail(err, ENOMEM, "events: stats");
	printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, data);
	free(data);
	return fflush(stdout) == 0 ? 0 : hk_fail(err, errno, "events: write");
}

/* One {"type":"oom"} per kill since the last time. */
static int check_oom(const char *id, const struct hk_cgroup *cg, int fd, unsigned long long *seen)
{
	unsigned long long n;

	for (n = hk_cg_oom_events(cg, fd, seen); n > 0; n--)
		printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
	return fflush(stdout);
}

static int stream(const char *id, const struct hk_cgroup *cg, int pidfd, int interval,
		  struct hk_err **err)
{
	hk_cleanup_err struct hk_err *no_oom = NULL;
	int oomfd = hk_cg_oom_watch(cg, &no_oom);
	unsigned long long seen = hk_cg_oom_count(cg);
	struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = oomfd, .events = POLLIN}};
	int ret = 0;

	while (ret == 0) {
		int n = poll(p, oomfd >= 0 ? 2 : 1, interval);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = hk_fail(err, errno, "events: poll");
		} else if (n == 0) {
			ret = print_stats(id, cg, err);
		} else {
			if (oomfd >= 0 && p[1].revents)
				check_oom(id, cg, oomfd, &seen);
			if (p[0].revents) {
				check_oom(id, cg, oomfd, &seen); /* a kill that ended pid 1 */
				break;
			}
		}
	}
	if (oomfd >= 0)
		close(oomfd);
	return ret;
}

static int run_events(const struct cli_globals *g, int argc, char **argv, struct hk_err **err)
{
	const char *text;
	struct hk_cgroup cg;
	struct cli_parsed p;
	int interval = 5000, pidfd, ret;

	if (cli_parse(&cmd_events, argc, argv, &p, err) < 0 ||
	    cli_expect_args(&cmd_events, &p, 1, 1, err) < 0)
		return -1;
	text = cli_value(&cmd_events, &p, "interval");
	if (text != NULL && parse_interval(text, &interval, err) < 0)
		return -1;
	if (hk_container_watch(g->root, p.argv[0], &cg, &pidfd, err) < 0)
		return -1;
	if (cli_bool(&cmd_events, &p, "stats"))
		ret = print_stats(p.argv[0], &cg, err);
	else
		ret = stream(p.argv[0], &cg, pidfd, interval, err);
	close(pidfd);
	return ret;
}

const struct cli_command cmd_events = {
    "events", "ID", "stream a container's events and statistics", flags, run_events, false,
    false,    false};
