/* husk's exec stub: the last program a container's process runs before its own (docs/design.md,
 * "CVE-2019-5736"). husk execs it from a sealed memfd, so that /proc/self/exe of the process is
 * never husk's file: a container whose entrypoint is /proc/self/exe, or a process of it that opens
 * /proc/PID/exe of pid 1 while it waits for `start` or of a process `exec` starts, reaches this
 * sealed copy and nothing else.
 *
 * It is built without a libc (no start-up of its own worth measuring: about 30 us against
 * glibc's 500 here, most of which is glibc's CPU feature probe) and makes as few system calls
 * as it can. The container's filter is loaded already; husk takes this way only when the filter
 * lets every call below pass (plan.c: hk_plan_stub_fits, hk_plan_exec_stub_fits).
 *
 * Two ways, told by argv[0]:
 *
 * create (HK_STUB_MAGIC): pid 1 execs the stub, which makes itself not dumpable, closes the sync
 * socket (create returns then), waits for `start` on exec.fifo, writes the AppArmor profile of
 * the program's execve (as husk wrote it before: the stub itself runs unconfined), empties the
 * signal mask and execs the program. argv: the magic, the exec.fifo fd (or -1), the attr
 * directory's fd (or -1) and what to write to its "exec", the sync socket's fd (or -1), the
 * program's path, then its argv.
 *
 * exec (HK_STUB_CLONE_MAGIC): husk's stage 1 did every step in husk's own pid namespace, unseen by
 * the container, and execs the stub, which (not dumpable, the profile written for the next
 * execve, the signal mask emptied) clones the process into the container's pid namespace with
 * CLONE_VFORK: the child joins the cgroup through the entry files husk opened, becomes a session
 * leader (with the pty as its controlling terminal), closes the sync socket and execs the
 * program; the stub then sends its pid to husk and exits. No process of the container ever sees
 * husk's code. argv: the magic, "tty" or "-", the attr directory's fd (or -1) and its value, the
 * sync socket's fd, the v1 hierarchies' tasks fds ("3,4,5", or "-"), the cgroup2 directory's
 * cgroup.procs fd (-1: none, or stage 1 was born there and the child is too), the program's
 * path, then its argv.
 *
 * envp: the program's environment. */
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>
#include <stddef.h>

#define HK_STUB_MAGIC	    "husk exec stub"
#define HK_STUB_CLONE_MAGIC "husk exec stub, cloning"

/* sync.h's message layout and the two types the stub sends (spawn.c asserts they agree) */
#define SYNC_INIT_PID 3
#define SYNC_ERROR    10
struct sync_msg {
	unsigned int type;
	int value;
	char text[128];
};

#define CLONE_VFORK  0x00004000
#define CLONE_PARENT 0x00008000
#define SIGCHLD	     17
#define TIOCSCTTY    0x540E

#if defined(__x86_64__)
static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static long sys4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static long sys4(long nr, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

static long sys3(long nr, long a, long b, long c)
{
	return sys4(nr, a, b, c, 0);
}
#else
#error "the exec stub knows the system calls of x86_64 and aarch64 only"
#endif

#define EINTR 4

static __attribute__((noreturn)) void leave(int status)
{
	for (;;)
		sys3(__NR_exit_group, status, 0, 0);
}

static size_t length(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

static void say(const char *s)
{
	sys3(__NR_write, 2, (long)s, (long)length(s));
}

static int same(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b)
		a++, b++;
	return *a == *b;
}

/* A decimal fd, or -1; anything else is -2. */
static int fd_of(const char *s)
{
	int fd = 0;

	if (same(s, "-1"))
		return -1;
	if (*s == '\0')
		return -2;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || fd > 100000)
			return -2;
		fd = fd * 10 + (*s - '0');
	}
	return fd;
}

/* The words glibc's strerror gives for what execve fails with, so that a failure reads as it
 * did when husk itself made the call. */
static const struct {
	int errnum;
	const char *text;
} reasons[] = {
    {1, "Operation not permitted"},
    {2, "No such file or directory"},
    {5, "Input/output error"},
    {7, "Argument list too long"},
    {8, "Exec format error"},
    {12, "Cannot allocate memory"},
    {13, "Permission denied"},
    {14, "Bad address"},
    {20, "Not a directory"},
    {21, "Is a directory"},
    {22, "Invalid argument"},
    {24, "Too many open files"},
    {26, "Text file busy"},
    {36, "File name too long"},
    {38, "Function not implemented"},
    {40, "Too many levels of symbolic links"},
    {80, "Accessing a corrupted shared library"},
};

static const char *reason(long errnum)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].errnum == errnum)
			return reasons[i].text;
	return "Unknown error";
}

static void say_failure(const char *path, long errnum)
{
	say("husk: exec \"");
	say(path);
	say("\": ");
	say(reason(errnum));
	say("\n");
}

/* The attr file opened here, in the attr directory husk opened on the host's /proc (the kernel
 * takes a write only from the credentials that opened the file, and execve made new ones), and
 * one write of the whole value, as the attr files want it. 0, or the errno. */
static long apply_profile(int dir, const char *value)
{
	long len = (long)length(value), n = -1;
	long fd = sys4(__NR_openat, dir, (long)"exec", O_WRONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return -fd;
	n = sys3(__NR_write, fd, (long)value, len);
	sys3(__NR_close, fd, 0, 0);
	sys3(__NR_close, dir, 0, 0);
	return n == len ? 0 : n < 0 ? -n : 5 /* EIO */;
}

static void wait_for_start(int fifo)
{
	char byte;
	long n;

	do
		n = sys3(__NR_read, fifo, (long)&byte, 1);
	while (n == -EINTR);
	if (n != 1)
		leave(1);
	sys3(__NR_close, fifo, 0, 0);
}

static void empty_signal_mask(void)
{
	unsigned long none = 0;

	sys4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&none, 0, sizeof(none));
}

/* create: pid 1 waits for `start`, then execs the program. */
static __attribute__((noreturn)) void wait_and_exec(long argc, char **argv, char **envp)
{
	int fifo, attr, sync;
	long ret;

	if (argc < 7 || (fifo = fd_of(argv[1])) == -2 || (attr = fd_of(argv[2])) == -2 ||
	    (sync = fd_of(argv[4])) == -2) {
		say("husk: the exec stub runs only as husk's last step in a container\n");
		leave(127);
	}
	/* not dumpable now: husk's create may return, which it does once this end is closed */
	if (sync >= 0)
		sys3(__NR_close, sync, 0, 0);
	if (fifo >= 0)
		wait_for_start(fifo);
	if (attr >= 0 && apply_profile(attr, argv[3]) != 0) {
		say("husk: config.json: process.apparmorProfile: cannot apply \"");
		say(argv[3]);
		say("\"\n");
		leave(127);
	}
	/* the signals the caller blocked (run holds some until it waits) are not the program's */
	empty_signal_mask();
	ret = sys3(__NR_execve, (long)argv[5], (long)(argv + 6), (long)envp);
	say_failure(argv[5], -ret);
	leave(127);
}

static void append(char *to, size_t *n, size_t size, const char *s)
{
	while (*s != '\0' && *n + 1 < size)
		to[(*n)++] = *s++;
	to[*n] = '\0';
}

/* What husk's parent reads from a stage: the pid, or a failure as text with its errno. The
 * text is cut at the message's size, as the words of a failure may be. */
static void send_msg(int sync, unsigned int type, int value, const char *const *words)
{
	struct sync_msg m;
	size_t n = 0;

	m.type = type;
	m.value = value;
	m.text[0] = '\0';
	for (; words != (const char *const *)0 && *words != (const char *)0; words++)
		append(m.text, &n, sizeof(m.text), *words);
	sys3(__NR_write, sync, (long)&m, (long)(sizeof(m) - sizeof(m.text) + n + 1));
}

static __attribute__((noreturn)) void fail_to_husk(int sync, const char *what, long errnum)
{
	const char *words[] = {what, ": ", reason(errnum), (const char *)0};

	send_msg(sync, SYNC_ERROR, (int)errnum, words);
	leave(1);
}

/* The words husk's own write of the profile failed with (lsm.c). value: "exec PROFILE". */
static __attribute__((noreturn)) void profile_failed(int sync, const char *value, long errnum)
{
	const char *missing[] = {"config.json: process.apparmorProfile: AppArmor has no profile \"",
				 value + 5, "\" loaded", (const char *)0};
	const char *other[] = {"config.json: process.apparmorProfile: cannot apply \"", value + 5,
			       "\": ", reason(errnum), (const char *)0};

	send_msg(sync, SYNC_ERROR, errnum == 2 /* ENOENT */ ? 0 : (int)errnum,
		 errnum == 2 ? missing : other);
	leave(1);
}

/* "0" into each entry file ("3,4,5"): the writer moves into that cgroup. 0, or the errno. */
static long join_cgroups(const char *list)
{
	while (*list != '\0') {
		int fd = 0;
		long n;

		for (; *list >= '0' && *list <= '9' && fd < 100000; list++)
			fd = fd * 10 + (*list - '0');
		if (*list != ',' && *list != '\0')
			return 22; /* EINVAL: not husk's list */
		if (*list == ',')
			list++;
		n = sys3(__NR_write, fd, (long)"0", 1);
		sys3(__NR_close, fd, 0, 0);
		if (n != 1)
			return n < 0 ? -n : 5 /* EIO */;
	}
	return 0;
}

/* The child of the clone, in the container's pid namespace: into the cgroup, a session of its
 * own, the program. Failures before execve go to husk, which then reports and undoes. */
static __attribute__((noreturn)) void run_cloned(char **argv, char **envp, int sync, int tty)
{
	long ret;

	if (fd_of(argv[6]) >= 0 && (ret = join_cgroups(argv[6])) != 0)
		fail_to_husk(sync, "join the container's cgroup", ret);
	if (!same(argv[5], "-") && (ret = join_cgroups(argv[5])) != 0)
		fail_to_husk(sync, "join the container's cgroup", ret);
	if ((ret = sys3(__NR_setsid, 0, 0, 0)) < 0)
		fail_to_husk(sync, "setsid", -ret);
	if (tty && (ret = sys3(__NR_ioctl, 0, TIOCSCTTY, 0)) < 0)
		fail_to_husk(sync, "make the terminal controlling", -ret);
	sys3(__NR_close, sync, 0, 0);
	ret = sys3(__NR_execve, (long)argv[7], (long)(argv + 8), (long)envp);
	say_failure(argv[7], -ret);
	leave(127);
}

/* exec: the process cloned into the container's pid namespace (this stub's own namespaces are
 * the container's but for the pid namespace, joined for its children), and its pid to husk. */
static __attribute__((noreturn)) void clone_and_exec(long argc, char **argv, char **envp)
{
	int attr, sync;
	long pid, e;

	if (argc < 9 || (attr = fd_of(argv[2])) == -2 || (sync = fd_of(argv[4])) < 0 ||
	    fd_of(argv[6]) == -2) {
		say("husk: the exec stub runs only as husk's last step in a container\n");
		leave(127);
	}
	/* the profile for the next execve, which the child inherits (AppArmor copies it at fork) */
	if (attr >= 0 && (e = apply_profile(attr, argv[3])) != 0)
		profile_failed(sync, argv[3], e);
	empty_signal_mask();
	/* CLONE_VFORK: this returns once the child has exec'd the program, or exited */
	pid = sys4(__NR_clone, CLONE_PARENT | CLONE_VFORK | SIGCHLD, 0, 0, 0);
	if (pid == 0)
		run_cloned(argv, envp, sync, same(argv[1], "tty"));
	if (pid < 0)
		fail_to_husk(sync, "clone the process", -pid);
	send_msg(sync, SYNC_INIT_PID, (int)pid, (const char *const *)0);
	leave(0);
}

int stub_main(long argc, char **argv, char **envp);

int stub_main(long argc, char **argv, char **envp)
{
	/* Not dumpable again (execve made it so): no process of the container may trace this one
	 * or open its fds (exec.fifo, the sync socket) while it runs. */
	sys4(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0);
	if (argc > 0 && same(argv[0], HK_STUB_MAGIC))
		wait_and_exec(argc, argv, envp);
	if (argc > 0 && same(argv[0], HK_STUB_CLONE_MAGIC))
		clone_and_exec(argc, argv, envp);
	say("husk: the exec stub runs only as husk's last step in a container\n");
	leave(127);
}

/* The entry point: the kernel leaves argc, argv and envp on the stack. */
#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n"
	"  xor %rbp, %rbp\n"
	"  mov (%rsp), %rdi\n"
	"  lea 8(%rsp), %rsi\n"
	"  lea 16(%rsp,%rdi,8), %rdx\n"
	"  and $-16, %rsp\n"
	"  call stub_main\n"
	"  hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n"
	"  ldr x0, [sp]\n"
	"  add x1, sp, #8\n"
	"  add x2, x1, x0, lsl #3\n"
	"  add x2, x2, #8\n"
	"  mov x29, #0\n"
	"  mov x30, #0\n"
	"  and sp, x1, #-16\n"
	"  bl stub_main\n"
	"  brk #0\n");
#endif
