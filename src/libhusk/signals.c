#include "signals.h"

#include <signal.h>
#include <stdlib.h>
#include <strings.h>

static const struct {
	const char *name;
	int sig;
} signals[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT}, {"IOT", SIGIOT},	     {"BUS", SIGBUS},
    {"FPE", SIGFPE},	   {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},	   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},	   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},	   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int hk_signal_parse(const char *text, int *sig, struct hk_err **err)
{
	const char *name = text;
	char *end;
	size_t i;
	long n;

	if (text[0] >= '0' && text[0] <= '9') {
		n = strtol(text, &end, 10);
		if (*end == '\0' && n >= 0 && n <= SIGRTMAX) { /* 0: is it alive */
			*sig = (int)n;
			return 0;
		}
		return hk_fail(err, 0, "invalid signal \"%s\"", text);
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (strcasecmp(name, signals[i].name) == 0) {
			*sig = signals[i].sig;
			return 0;
		}
	}
	if (strncasecmp(name, "RTMIN+", 6) == 0) {
		n = strtol(name + 6, &end, 10);
		if (*end == '\0' && n >= 0 && n <= SIGRTMAX - SIGRTMIN) {
			*sig = SIGRTMIN + (int)n;
			return 0;
		}
	}
	return hk_fail(err, 0, "unknown signal \"%s\"", text);
}

const char *hk_signal_name_at(size_t i)
{
	return i < sizeof(signals) / sizeof(signals[0]) ? signals[i].name : NULL;
}
