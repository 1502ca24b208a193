#include "hk_seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hk_format.h"
#include "fdio.h"
#include "log.h"
#include "spec.h"

#define MAX_FILTER_BYTES (1u << 20)

unsigned hk_seccomp_arch(const char *name)
{
	char lower[32];
	size_t k;

	if (strncmp(name, "SCMP_ARCH_", 10) != 0)
		return 0;
	for (k = 0; name[10 + k] && k + 1 < sizeof(lower); k++)
		lower[k] = (char)tolower((unsigned char)name[10 + k]);
	lower[k] = '\0';
	return seccomp_arch_resolve_name(lower);
}

static uint32_t action_of(int action, const struct oci_opt_u32 *errno_ret)
{
	uint32_t e = errno_ret->set ? errno_ret->value : EPERM;

	switch (action) {
	case OCI_SCMP_KILL:
	case OCI_SCMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case OCI_SCMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case OCI_SCMP_TRAP:
		return SCMP_ACT_TRAP;
	case OCI_SCMP_ERRNO:
		return SCMP_ACT_ERRNO(e);
	case OCI_SCMP_TRACE:
		return SCMP_ACT_TRACE(e);
	case OCI_SCMP_LOG:
		return SCMP_ACT_LOG;
	case OCI_SCMP_NOTIFY:
		return SCMP_ACT_NOTIFY;
	default:
		return SCMP_ACT_ALLOW;
	}
}

static const enum scmp_compare ops[] = {
    [OCI_SCMP_CMP_NE] = SCMP_CMP_NE,
    [OCI_SCMP_CMP_LT] = SCMP_CMP_LT,
    [OCI_SCMP_CMP_LE] = SCMP_CMP_LE,
    [OCI_SCMP_CMP_EQ] = SCMP_CMP_EQ,
    [OCI_SCMP_CMP_GE] = SCMP_CMP_GE,
    [OCI_SCMP_CMP_GT] = SCMP_CMP_GT,
    [OCI_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static struct scmp_arg_cmp arg_of(const struct oci_seccomp_arg *a)
{
	return (struct scmp_arg_cmp){.arg = a->index.value,
				     .op = ops[a->op.value],
				     .datum_a = a->value.value,
				     .datum_b = a->value_two.value};
}

/* Conditions on distinct arguments are ANDed in one rule; several on the same argument can only
 * mean OR (runc's reading), so each becomes a rule of its own. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr,
		    const struct oci_seccomp_syscall *sc, const char *name, struct hk_err **err)
{
	struct scmp_arg_cmp args[6];
	unsigned seen = 0;
	bool same_index = false;
	size_t i;
	int ret = 0;

	if (sc->args.len > 6)
		return hk_fail(err, 0, "linux.seccomp: %s: more than 6 argument conditions", name);
	for (i = 0; i < sc->args.len; i++) {
		unsigned index = sc->args.items[i].index.value;

		if (index > 5)
			return hk_fail(err, 0, "linux.seccomp: %s: argument index %u is above 5",
				       name, index);
		same_index |= (seen & (1u << index)) != 0;
		seen |= 1u << index;
		args[i] = arg_of(&sc->args.items[i]);
	}
	if (!same_index)
		ret = seccomp_rule_add_array(ctx, action, nr, (unsigned)sc->args.len, args);
	for (i = 0; same_index && ret == 0 && i < sc->args.len; i++)
		ret = seccomp_rule_add_array(ctx, action, nr, 1, &args[i]);
	if (ret < 0)
		return hk_fail(err, -ret, "linux.seccomp: add the rule for %s", name);
	return 0;
}

static int add_syscalls(scmp_filter_ctx ctx, const struct oci_seccomp *s, uint32_t fallback,
			bool *notify, struct hk_err **err)
{
	size_t i, k;

	for (i = 0; i < s->syscalls.len; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls.items[i];
		uint32_t action = action_of(sc->action.value, &sc->errno_ret);

		if (action == fallback)
			continue; /* libseccomp refuses it, and it changes nothing */
		*notify |= sc->action.value == OCI_SCMP_NOTIFY;
		for (k = 0; k < sc->names.len; k++) {
			int nr = seccomp_syscall_resolve_name(sc->names.items[k]);

			/* Profiles list syscalls of newer kernels; runc and crun skip those too. */
			if (nr == __NR_SCMP_ERROR) {
				hk_debug("linux.seccomp: syscall %s unknown to libseccomp: skipped",
					 sc->names.items[k]);
				continue;
			}
			if (add_rule(ctx, action, nr, sc, sc->names.items[k], err) < 0)
				return -1;
		}
	}
	return 0;
}

static int export(scmp_filter_ctx ctx, struct hk_seccomp *out, struct hk_err **err)
{
	hk_cleanup_close int fd = memfd_create("husk-seccomp", MFD_CLOEXEC);
	struct stat st;
	int ret;

	if (fd < 0)
		return hk_fail(err, errno, "linux.seccomp: memfd");
	ret = seccomp_export_bpf(ctx, fd);
	if (ret < 0)
		return hk_fail(err, -ret, "linux.seccomp: export the filter");
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > MAX_FILTER_BYTES ||
	    st.st_size % sizeof(struct sock_filter) != 0 ||
	    (out->insns = malloc((size_t)st.st_size)) == NULL ||
	    pread(fd, out->insns, (size_t)st.st_size, 0) != st.st_size)
		return hk_fail(err, errno ? errno : EIO, "linux.seccomp: read the filter back");
	out->len = (size_t)st.st_size / sizeof(struct sock_filter);
	return 0;
}

/* ---- runc's ENOSYS rule ----
 * A call newer than every call the profile names, on that architecture, gets ENOSYS instead of
 * the default action: a newer libc then falls back (clone3 to clone) under an older profile.
 * A stub that checks the number before the filter libseccomp made: */

#define X32_SYSCALL_BIT 0x40000000u
#define STUB_MAX	64

struct arch_max {
	uint32_t token; /* AUDIT_ARCH_* (libseccomp's arch tokens are those) */
	int max;	/* the largest number the profile names there; -1: none */
};

/* The largest number each architecture's names resolve to (x32 apart: its numbers carry
 * X32_SYSCALL_BIT under x86_64's token). */
static size_t largest_numbers(const struct oci_seccomp *s, scmp_filter_ctx ctx,
			      struct arch_max *out, size_t size, int *x32_max)
{
	uint32_t archs[8] = {seccomp_arch_native()};
	size_t n = 1, i, j, k, a;

	*x32_max = -1;
	for (i = 0; i < s->architectures.len && n < 8; i++) {
		uint32_t t = hk_seccomp_arch(s->architectures.items[i]);

		if (t != 0 && t != archs[0] && seccomp_arch_exist(ctx, t) == 0)
			archs[n++] = t;
	}
	for (a = 0; a < n && a < size; a++) {
		out[a] =
		    (struct arch_max){archs[a] == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : archs[a], -1};
		for (i = 0; i < s->syscalls.len; i++)
			for (k = 0; k < s->syscalls.items[i].names.len; k++) {
				int nr = seccomp_syscall_resolve_name_arch(
				    archs[a], s->syscalls.items[i].names.items[k]);
				int *max = archs[a] == SCMP_ARCH_X32 ? x32_max : &out[a].max;

				if (nr >= 0 && archs[a] == SCMP_ARCH_X32)
					nr = (int)((unsigned)nr & ~X32_SYSCALL_BIT);
				if (nr > *max)
					*max = nr;
			}
	}
	/* x32's own entry only carried its numbers */
	for (j = 0, i = 0; i < n && i < size; i++)
		if (archs[i] != SCMP_ARCH_X32)
			out[j++] = out[i];
	return j;
}

#define STMT(c, k)	 ((struct sock_filter){(unsigned short)(c), 0, 0, (k)})
#define JUMP(c, k, t, f) ((struct sock_filter){(unsigned short)(c), (t), (f), (k)})

/* The stub; every jump lands on its ENOSYS return or on the first instruction after it. */
static size_t enosys_stub(const struct arch_max *m, size_t n, int x32_max, struct sock_filter *p)
{
	size_t at = 0, i, enosys, blocks[8], gts[16], ngt = 0, filter_jumps[16], nfj = 0;

	p[at++] = STMT(BPF_LD | BPF_W | BPF_ABS, 4); /* seccomp_data.arch */
	for (i = 0; i < n; i++) {
		bool x86_64 = m[i].token == SCMP_ARCH_X86_64;

		blocks[i] = at;
		p[at++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, m[i].token, 0, 0); /* jf: next block */
		p[at++] = STMT(BPF_LD | BPF_W | BPF_ABS, 0);		     /* seccomp_data.nr */
		if (x86_64) { /* an x32 call: its own largest, or the filter when x32 is not named
			       */
			p[at++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 0, 0);
			if (x32_max >= 0) {
				p[at - 1].jt = 0, p[at - 1].jf = 2;
				p[at++] = STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT);
				gts[ngt++] = at;
				p[at++] = JUMP(BPF_JMP | BPF_JGT | BPF_K, (unsigned)x32_max, 0, 0);
			} else {
				filter_jumps[nfj++] = at - 1;
			}
		}
		gts[ngt++] = at;
		p[at++] = JUMP(BPF_JMP | BPF_JGT | BPF_K, (unsigned)m[i].max, 0, 0);
		p[blocks[i]].jf = (unsigned char)(at - blocks[i] - 1);
	}
	p[at++] = STMT(BPF_JMP | BPF_JA, 1); /* no named architecture: the filter decides */
	enosys = at;
	p[at++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	for (i = 0; i < ngt; i++) { /* above the largest: ENOSYS; else the filter */
		p[gts[i]].jt = (unsigned char)(enosys - gts[i] - 1);
		p[gts[i]].jf = (unsigned char)(at - gts[i] - 1);
	}
	for (i = 0; i < nfj; i++)
		p[filter_jumps[i]].jt = (unsigned char)(at - filter_jumps[i] - 1);
	return at;
}

/* The stub before the filter, unless the default lets everything through anyway. */
static int add_enosys_stub(const struct oci_seccomp *s, scmp_filter_ctx ctx, struct hk_seccomp *out,
			   struct hk_err **err)
{
	struct arch_max m[8];
	struct sock_filter stub[STUB_MAX], *both;
	int x32_max;
	size_t n, len;

	if (s->default_action.value == OCI_SCMP_ALLOW || s->default_action.value == OCI_SCMP_LOG)
		return 0;
	n = largest_numbers(s, ctx, m, 8, &x32_max);
	for (size_t i = 0; i < n; i++)
		if (m[i].max < 0)
			return 0; /* nothing named there: no line to draw */
	len = enosys_stub(m, n, x32_max, stub);
	both = malloc((len + out->len) * sizeof(*both));
	if (both == NULL)
		return hk_fail(err, ENOMEM, "linux.seccomp");
	memcpy(both, stub, len * sizeof(*both));
	memcpy(both + len, out->insns, out->len * sizeof(*both));
	free(out->insns);
	out->insns = both;
	out->len += len;
	return 0;
}

static int compile(const struct oci_seccomp *s, struct hk_seccomp *out, struct hk_err **err)
{
	uint32_t fallback = action_of(s->default_action.value, &s->default_errno_ret);
	scmp_filter_ctx ctx = seccomp_init(fallback);
	size_t i;
	int ret;

	if (ctx == NULL)
		return hk_fail(err, EINVAL, "linux.seccomp: defaultAction");
	/* A binary tree of syscall numbers: a 300-rule profile costs a few compares, not 300. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (i = 0; i < s->architectures.len; i++) {
		unsigned arch = hk_seccomp_arch(s->architectures.items[i]);

		ret = arch ? seccomp_arch_add(ctx, arch) : -EINVAL;
		if (ret < 0 && ret != -EEXIST) {
			seccomp_release(ctx);
			return hk_fail(err, -ret, "linux.seccomp.architectures[%zu]: %s", i,
				       s->architectures.items[i]);
		}
	}
	out->notify = s->default_action.value == OCI_SCMP_NOTIFY;
	ret = add_syscalls(ctx, s, fallback, &out->notify, err);
	if (ret == 0)
		ret = export(ctx, out, err);
	if (ret == 0)
		ret = add_enosys_stub(s, ctx, out, err);
	seccomp_release(ctx);
	return ret;
}

/* FNV-1a over the profile as husk serialises it, libseccomp's version and the kernel's: any
 * change to one of them is a different filter. */
static int cache_path(const struct oci_seccomp *s, const char *dir, char *path, size_t size,
		      struct hk_err **err)
{
	const struct scmp_version *v = seccomp_version();
	unsigned long long hash = 1469598103934665603ull;
	char *json = NULL, extra[512];
	struct utsname u;
	const char *p;

	if (oci_generate(&oci_seccomp_type, s, false, &json, NULL, err) < 0)
		return -1;
	uname(&u);
	/* "2": the filters with the ENOSYS stub */
	if (hk_format(extra, sizeof(extra), "\n2 %u.%u.%u %s %s %s", v->major, v->minor, v->micro,
		      u.release, u.version, u.machine) < 0) {
		free(json);
		return hk_fail(err, errno, "seccomp cache key");
	}
	for (p = json; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 1099511628211ull;
	for (p = extra; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 1099511628211ull;
	free(json);
	if (hk_format(path, size, "%s/%016llx.bpf", dir, hash) < 0)
		return hk_fail(err, errno, "seccomp cache in %s", dir);
	return 0;
}

static bool cache_read(const char *path, struct hk_seccomp *out)
{
	hk_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	bool ok = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    st.st_size > 0 && st.st_size <= MAX_FILTER_BYTES &&
	    st.st_size % sizeof(struct sock_filter) == 0 &&
	    (out->insns = malloc((size_t)st.st_size)) != NULL)
		ok = pread(fd, out->insns, (size_t)st.st_size, 0) == st.st_size;
	if (!ok) {
		free(out->insns);
		out->insns = NULL;
		return false;
	}
	out->len = (size_t)st.st_size / sizeof(struct sock_filter);
	return true;
}

/* Written whole under a temporary name and renamed: a reader sees a filter or nothing. A failure
 * only costs the next run a compile. */
static void cache_write(const char *dir, const char *path, const struct hk_seccomp *f)
{
	char tmp[4200];
	size_t bytes = f->len * sizeof(struct sock_filter);
	int fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	if (hk_format(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) < 0)
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (write(fd, f->insns, bytes) != (ssize_t)bytes || close(fd) < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

static void scan_notify(const struct oci_seccomp *s, struct hk_seccomp *out)
{
	size_t i;

	out->notify = s->default_action.value == OCI_SCMP_NOTIFY;
	for (i = 0; i < s->syscalls.len; i++)
		out->notify |= s->syscalls.items[i].action.value == OCI_SCMP_NOTIFY;
}

int hk_seccomp_prepare(const struct oci_seccomp *s, const char *root, struct hk_seccomp *out,
		       struct hk_err **err)
{
	char path[4096], dir[4000], *cache_dir = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return 0;
	for (i = 0; i < s->flags.len; i++)
		out->flags |= (unsigned)oci_name_find(&oci_seccomp_flags, s->flags.items[i])->value;
	if (root != NULL && hk_path_join(dir, sizeof(dir), root, ".seccomp~") == 0)
		cache_dir = dir;
	if (cache_dir != NULL && cache_path(s, cache_dir, path, sizeof(path), err) < 0)
		return -1;
	if (cache_dir != NULL && cache_read(path, out)) {
		scan_notify(s, out);
		out->cached = true;
		hk_debug("linux.seccomp: %zu instructions from the cache (%s)", out->len, path);
		return 0;
	}
	if (compile(s, out, err) < 0) {
		hk_seccomp_free(out);
		return -1;
	}
	hk_debug("linux.seccomp: compiled to %zu instructions", out->len);
	if (cache_dir != NULL)
		cache_write(cache_dir, path, out);
	return 0;
}

void hk_seccomp_free(struct hk_seccomp *f)
{
	free(f->insns);
	f->insns = NULL;
	f->len = 0;
}

int hk_seccomp_load(const struct hk_seccomp *f, int *listener, struct hk_err **err)
{
	struct sock_fprog prog = {.len = (unsigned short)f->len, .filter = f->insns};
	unsigned long flags = f->flags;
	long ret;

	*listener = -1;
	if (f->insns == NULL)
		return 0;
	if (f->len > 0xffff)
		return hk_fail(err, E2BIG, "linux.seccomp: the filter has %zu instructions",
			       f->len);
	if (f->notify) {
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		if (flags & SECCOMP_FILTER_FLAG_TSYNC) /* else the kernel refuses the pair */
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (ret < 0)
		return hk_fail(err, errno, "linux.seccomp: load the filter (flags 0x%lx)", flags);
	if (f->notify)
		*listener = (int)ret;
	return 0;
}

int hk_seccomp_send_listener(const struct oci_seccomp *s, int listener, pid_t pid,
			     struct oci_state *state, struct hk_err **err)
{
	static char *const fd_names[] = {"seccompFd", NULL};
	struct oci_process_state doc = {.oci_version = HK_OCI_VERSION,
					.fds = {(char **)fd_names, 1, true},
					.pid = {pid, true},
					.metadata =
					    s->listener_metadata ? s->listener_metadata : "",
					.state = state};
	hk_cleanup_free char *text = NULL;
	hk_cleanup_close int sock = -1;
	size_t len = 0;

	if (s->listener_path == NULL)
		return hk_fail(err, 0, "linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY");
	if (oci_generate(&oci_process_state_type, &doc, false, &text, &len, err) < 0)
		return hk_prefix(err, "linux.seccomp.listenerPath");
	sock = hk_connect_unix(s->listener_path, "linux.seccomp.listenerPath", err);
	if (sock < 0)
		return -1;
	if (hk_send_with_fd(sock, text, len, listener) != (ssize_t)len)
		return hk_fail(err, errno ? errno : EIO, "linux.seccomp.listenerPath: send to %s",
			       s->listener_path);
	return 0;
}
