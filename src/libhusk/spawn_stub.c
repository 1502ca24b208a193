/* The exec stub's argv (src/exec_stub/exec_stub.c reads it): stage 2 execs the stub from its
 * sealed memfd with the fds it needs passed by number. */
#include "spawn_stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exe.h"
#include "hk_format.h"
#include "sync.h"

/* The stub's messages are sync.h's (exec_stub.c keeps its own copy of these). */
_Static_assert(SYNC_INIT_PID == 3 && SYNC_ERROR == 10, "exec_stub.c's message types");
_Static_assert(offsetof(struct hk_sync_msg, text) == 8, "exec_stub.c's message header");

/* An fd that the stub is given by number: open across its exec, and its number in text. */
static void pass_fd(int fd, char *text, size_t size)
{
	if (fcntl(fd, F_SETFD, 0) < 0 || hk_format(text, size, "%d", fd) < 0)
		_exit(1);
}

/* STUB_CLONES: "tty" or "-"; the v1 entry fds ("3,4" or "-") into list; cgroup.procs of the
 * cgroup2 directory, unless stage 1 was born there (and so the child will be), into v2. */
static void stub_clone_args(struct stage *st, char *tty, size_t tty_size, char *list, size_t size,
			    char v2[16])
{
	size_t used = 0;
	int i;

	if (hk_format(tty, tty_size, "%s", st->plan->process->terminal.value ? "tty" : "-") < 0 ||
	    hk_format(list, size, "-") < 0 || hk_format(v2, 16, "-1") < 0)
		_exit(1);
	if (st->cg_v2_procs >= 0 && !st->in_cgroup)
		pass_fd(st->cg_v2_procs, v2, 16);
	for (i = 0; i < st->n_cg_entries; i++) {
		if (fcntl(st->cg_entries[i], F_SETFD, 0) < 0 ||
		    hk_format(list + used, size - used, "%s%d", i ? "," : "", st->cg_entries[i]) <
			0)
			_exit(1);
		used += strlen(list + used);
	}
}

/* EXEC_STUB: pid 1 becomes the stub, which waits for `start` and execs the program; with
 * STUB_CLONES stage 1 becomes the stub, which clones the process (exec_stub.c has both argvs).
 * The stub closes the socket once it is not dumpable, which tells the parent; a failed
 * execveat goes over it instead. */
void hk_stage_exec_stub(struct stage *st, char *exe)
{
	const struct hk_spawn_plan *plan = st->plan;
	const struct oci_strv *args = &plan->process->args;
	bool clones = hk_plan_has(plan, HK_STEP_STUB_CLONES);
	char first[16] = "-1", attr[16] = "-1", sync[16], v2[16], entries[HK_CG_MAX_DIRS * 12 + 2];
	char **argv = calloc(args->len + 9, sizeof(char *));
	struct hk_err *err = NULL;
	size_t n = 0;

	if (argv == NULL)
		_exit(1);
	if (clones)
		stub_clone_args(st, first, sizeof(first), entries, sizeof(entries), v2);
	else if (hk_plan_has(plan, HK_STEP_WAIT_START))
		pass_fd(plan->exec_fifo, first, sizeof(first));
	if (st->lsm_attr >= 0)
		pass_fd(st->lsm_attr, attr, sizeof(attr));
	/* the socket stays open across the exec: the stub closes it once it is not dumpable, and
	 * only then may create return */
	pass_fd(st->sock, sync, sizeof(sync));
	argv[n++] = clones ? HK_EXEC_STUB_CLONE_MAGIC : HK_EXEC_STUB_MAGIC;
	argv[n++] = first;
	argv[n++] = attr;
	argv[n++] = st->lsm_value != NULL ? st->lsm_value : "";
	argv[n++] = sync;
	if (clones) {
		argv[n++] = entries;
		argv[n++] = v2;
	}
	argv[n++] = exe;
	memcpy(argv + n, args->items, args->len * sizeof(char *));
	syscall(SYS_execveat, plan->exec_stub, "", argv, st->env, AT_EMPTY_PATH);
	hk_fail(&err, errno, "exec the exec stub");
	hk_sync_send(st->sock, SYNC_ERROR, err->errnum, err->msg, -1, NULL);
	_exit(1);
}
