/* husk's exec stub: the last program pid 1 runs before the container's own (docs/design.md,
 * "CVE-2019-5736"). husk execs it from a sealed memfd, so that /proc/self/exe of pid 1 is never
 * husk's file: a container whose entrypoint is /proc/self/exe, or a process of it that opens
 * /proc/1/exe while pid 1 waits for `start`, reaches this sealed copy and nothing else.
 *
 * It is built without a libc (no start-up of its own worth measuring: about 30 us against
 * glibc's 500 here, most of which is glibc's CPU feature probe) and makes as few system calls
 * as it can: no longer dumpable, wait for `start` on exec.fifo, the AppArmor profile of the
 * program's execve written (as husk wrote it before: the stub itself runs unconfined), the
 * signal mask emptied, execve. The container's filter is loaded already; husk takes this way only
 * when the filter plainly allows every call below (plan.c, hk_plan_stub_fits).
 *
 * argv: HK_STUB_MAGIC (exe.h's HK_EXEC_STUB_MAGIC), the exec.fifo fd (or -1), the attr
 * directory's fd (or -1) and what to write to its "exec", the sync socket's fd (or -1, closed
 * once the stub is not dumpable), the program's path, then its argv. envp: the program's
 * environment. */
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>
#include <stddef.h>

#define HK_STUB_MAGIC "husk exec stub"

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

static void say_failure(const char *path, long errnum)
{
	const char *text = "Unknown error";
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].errnum == errnum)
			text = reasons[i].text;
	say("husk: exec \"");
	say(path);
	say("\": ");
	say(text);
	say("\n");
}

/* The attr file opened here, in the attr directory husk opened on the host's /proc (the kernel
 * takes a write only from the credentials that opened the file, and execve made new ones), and
 * one write of the whole value, as the attr files want it. */
static void apply_profile(int dir, const char *value)
{
	long len = (long)length(value), n = -1;
	long fd = sys4(__NR_openat, dir, (long)"exec", O_WRONLY | O_CLOEXEC, 0);

	if (fd >= 0)
		n = sys3(__NR_write, fd, (long)value, len);
	if (n != len) {
		say("husk: config.json: process.apparmorProfile: cannot apply \"");
		say(value);
		say("\"\n");
		leave(127);
	}
	sys3(__NR_close, fd, 0, 0);
	sys3(__NR_close, dir, 0, 0);
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

int stub_main(long argc, char **argv, char **envp);

int stub_main(long argc, char **argv, char **envp)
{
	unsigned long none = 0;
	long ret;
	int fifo, attr, sync;

	/* Not dumpable again (execve made it so): no process of the container may trace this one
	 * or open its fds (exec.fifo) while it waits. */
	sys4(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0);
	if (argc < 7 || !same(argv[0], HK_STUB_MAGIC) || (fifo = fd_of(argv[1])) == -2 ||
	    (attr = fd_of(argv[2])) == -2 || (sync = fd_of(argv[4])) == -2) {
		say("husk: the exec stub runs only as husk's last step in a container\n");
		leave(127);
	}
	/* not dumpable now: husk's create may return, which it does once this end is closed */
	if (sync >= 0)
		sys3(__NR_close, sync, 0, 0);
	if (fifo >= 0)
		wait_for_start(fifo);
	if (attr >= 0)
		apply_profile(attr, argv[3]);
	/* the signals the caller blocked (run holds some until it waits) are not the program's */
	sys4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&none, 0, sizeof(none));
	ret = sys3(__NR_execve, (long)argv[5], (long)(argv + 6), (long)envp);
	say_failure(argv[5], -ret);
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
