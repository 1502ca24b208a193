/* The state store and the pure helpers of libhusk: ids, records, status, name tables. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mount_options.h"
#include "names.h"
#include "state.h"
#include "tap.h"

static void test_ids(void)
{
	static const char *const good[] = {"a", "web-1", "A_b.c+d", "0", "a."};
	/* a leading dot: hidden from list, and the store's own .seccomp~ */
	static const char *const bad[] = {"",  ".",    "..", "a/b",	"../x",	    "a b",
					  "é", "a\nb", ".x", ".hidden", ".seccomp~"};
	char long_id[1026];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(hk_id_check(good[i], NULL) == 0, "id \"%s\" is accepted", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(hk_id_check(bad[i], NULL) < 0, "id %zu of the bad list is refused", i);
	memset(long_id, 'a', 1024);
	long_id[1024] = '\0';
	tap_ok(hk_id_check(long_id, NULL) == 0, "a 1024-byte id is accepted");
	long_id[1024] = 'a';
	long_id[1025] = '\0';
	tap_ok(hk_id_check(long_id, NULL) < 0, "a 1025-byte id is refused");
}

static void test_store(const char *root)
{
	hk_cleanup_err struct hk_err *err = NULL;
	struct hk_record rec = {.oci_version = "1.2.1", .id = "box", .bundle = "/b"};
	struct hk_container c, d;

	tap_ok(hk_store_create(root, &rec, &c, &err) == 0 && c.locked, "create stores a record");
	tap_ok(hk_store_open(root, "box", false, &d, &err) == 0 &&
		   strcmp(d.record->bundle, "/b") == 0,
	       "open reads it back");
	hk_container_close(&d);
	tap_ok(hk_store_create(root, &rec, &d, &err) < 0 && err &&
		   strcmp(err->msg, "container \"box\" already exists") == 0,
	       "a duplicate id fails with \"already exists\"");
	hk_err_freep(&err);
	c.record->pid = (struct oci_opt_i32){42, true};
	tap_ok(hk_store_save(&c, &err) == 0, "save rewrites the record");
	tap_ok(hk_store_open(root, "box", false, &d, &err) == 0 && d.record->pid.value == 42,
	       "the saved pid is read back");
	hk_container_close(&d);
	tap_ok(hk_store_remove(&c, &err) == 0, "remove deletes the state directory");
	hk_container_close(&c);
	tap_ok(hk_store_open(root, "box", true, &d, &err) < 0 && err &&
		   strcmp(err->msg, "container \"box\" does not exist") == 0 &&
		   err->errnum == ENOENT,
	       "a removed container \"does not exist\", with ENOENT for callers to test");
}

static void test_status(void)
{
	struct hk_record rec = {.id = "s"};
	pid_t child = fork();

	if (child == 0) {
		pause();
		_exit(0);
	}
	rec.pid = (struct oci_opt_i32){child, true};
	rec.pid_start_time = (struct oci_opt_u64){hk_pid_start_time(child), true};
	tap_ok(rec.pid_start_time.value != 0, "a live pid has a start time");
	tap_ok(hk_container_status(&rec) == OCI_STATUS_CREATED, "live and not started: created");
	rec.started.value = true;
	tap_ok(hk_container_status(&rec) == OCI_STATUS_RUNNING, "live and started: running");
	rec.pid_start_time.value++;
	tap_ok(hk_container_status(&rec) == OCI_STATUS_STOPPED, "a reused pid reads as stopped");
	rec.pid_start_time.value--;
	kill(child, SIGKILL);
	usleep(100000); /* a zombie until reaped: it must read as stopped already */
	tap_ok(hk_container_status(&rec) == OCI_STATUS_STOPPED, "a zombie reads as stopped");
	waitpid(child, NULL, 0);
	tap_ok(hk_container_status(&rec) == OCI_STATUS_STOPPED, "a reaped pid reads as stopped");
}

static void test_tables(void)
{
	size_t i, j;
	int dup = 0;

	for (i = 0; i < oci_capabilities.len; i++)
		dup |= oci_capabilities.names[i].value != (int)i;
	tap_ok(!dup && oci_capabilities.len == 41, "capabilities are numbered 0 to 40 in order");
	for (i = 0, dup = 0; i < hk_mount_options_len; i++)
		for (j = 0; j < i; j++)
			dup |= strcmp(hk_mount_options[i].name, hk_mount_options[j].name) == 0;
	tap_ok(!dup, "mount option names are unique");
	tap_ok(hk_mount_option_find("rro") && hk_mount_option_find("rro")->kind == HK_MOPT_ATTR_SET,
	       "rro is a recursive attribute");
	tap_ok(hk_mount_option_find("size=64m") == NULL, "filesystem data is not a flag");
	tap_ok(oci_name_find(&oci_namespace_types, "network")->value == OCI_NS_NETWORK,
	       "namespace names map to their values");
}

/* 1 when hk_err_check aborts for ret and an error set or not, in a child (it prints why). */
static int aborts(int ret, bool set)
{
	struct hk_err *err = NULL;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (set)
			hk_fail(&err, 0, "a failure");
		freopen("/dev/null", "w", stderr);
		hk_err_check(ret, &err, "step()", "here.c", 1);
		_exit(0);
	}
	return waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGABRT;
}

static void test_err_check(void)
{
	tap_ok(!aborts(0, false) && !aborts(-1, true), "a step that keeps its contract goes on");
	tap_ok(aborts(0, true), "a step returning 0 with an error set aborts");
	tap_ok(aborts(-1, false), "a step returning -1 without an error aborts");
}

/* The record's creation stamp, by hand, against glibc's gmtime_r and strftime: leap days,
 * century years, year ends, now and far ahead. */
static void test_rfc3339(void)
{
	static const time_t when[] = {0,	  951782400,  951868800,  978307199,  1709164800,
				      1735689599, 4107542400, 4102444800, 1798761599, 253402300799};
	int bad = 0;
	size_t i;

	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		struct timespec ts = {when[i], 123456789};
		char got[64], want[64], date[32];
		struct tm tm;

		hk_rfc3339(&ts, got, sizeof(got));
		gmtime_r(&when[i], &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want, sizeof(want), "%s.123456789Z", date);
		if (strcmp(got, want) != 0) {
			tap_diag("%lld: %s, want %s", (long long)when[i], got, want);
			bad++;
		}
	}
	for (i = 0; i < 20000; i++) { /* one every 1.4 days over 80 years, and odd seconds */
		struct timespec ts = {(time_t)i * 123457 + 86399 * (i % 3), 0};
		char got[64], want[64], date[32];
		struct tm tm;

		hk_rfc3339(&ts, got, sizeof(got));
		gmtime_r(&ts.tv_sec, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want, sizeof(want), "%s.000000000Z", date);
		bad += strcmp(got, want) != 0;
	}
	tap_ok(bad == 0, "RFC 3339 stamps by hand match gmtime_r's");
}

int main(void)
{
	char root[] = "/tmp/husk-store-XXXXXX";

	if (mkdtemp(root) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_ids();
	test_store(root);
	test_status();
	test_tables();
	test_err_check();
	test_rfc3339();
	tap_ok(rmdir(root) == 0, "nothing is left in the state root");
	return tap_done();
}
