/* Which device nodes the container may open or create: one rule list, written as v1
 * devices.allow/deny lines or compiled into a cgroup2 BPF_PROG_TYPE_CGROUP_DEVICE program. */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hk_format.h"

/* What every container may use whatever its config says (runc's list): mknod of any node, and
 * null, zero, full, random, urandom, tty, ptmx and the pty slaves. */
static const struct hk_cg_device_rule defaults[] = {
    {true, 'c', -1, -1, "m"},	 {true, 'b', -1, -1, "m"}, {true, 'c', 1, 3, "rwm"},
    {true, 'c', 1, 5, "rwm"},	 {true, 'c', 1, 7, "rwm"}, {true, 'c', 1, 8, "rwm"},
    {true, 'c', 1, 9, "rwm"},	 {true, 'c', 5, 0, "rwm"}, {true, 'c', 5, 2, "rwm"},
    {true, 'c', 136, -1, "rwm"},
};

/* The names tables hold the letters themselves; an absent type means all. */
static char type_letter(const struct oci_opt_enum *type)
{
	return type->set ? (char)type->value : 'a';
}

int hk_cg_device_rules(const struct oci_resources *r, struct hk_cg_device_rule **rules, size_t *n,
		       struct hk_err **err)
{
	size_t nconfig = r ? r->devices.len : 0, i;
	size_t ndefaults = sizeof(defaults) / sizeof(defaults[0]);
	struct hk_cg_device_rule *out = calloc(1 + nconfig + ndefaults, sizeof(*out));

	if (out == NULL)
		return hk_fail(err, ENOMEM, "device rules");
	*n = 0;
	out[(*n)++] = (struct hk_cg_device_rule){false, 'a', -1, -1, "rwm"};
	for (i = 0; i < nconfig; i++) {
		const struct oci_device_rule *d = &r->devices.items[i];
		struct hk_cg_device_rule *o = &out[(*n)++];

		o->allow = d->allow.value;
		o->type = type_letter(&d->type);
		o->major = d->major.set ? d->major.value : -1;
		o->minor = d->minor.set ? d->minor.value : -1;
		if (hk_format(o->access, sizeof(o->access), "%s",
			      d->access && d->access[0] ? d->access : "rwm") < 0) {
			free(out);
			return hk_fail(err, EINVAL, "linux.resources.devices[%zu].access", i);
		}
	}
	memcpy(out + *n, defaults, sizeof(defaults));
	*n += ndefaults;
	*rules = out;
	return 0;
}

/* ---- cgroup2: the rules as a BPF program ---- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

static unsigned access_bits(const char *access)
{
	return (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) |
	       (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/* One rule: fall through to the next block unless it matches, then return its verdict. Allow
 * rules must grant all of the access asked for; deny rules match any part of it, so that the
 * last rule that concerns a request decides (v1's semantics, where later rules win). */
static size_t emit_rule(struct bpf_insn *p, const struct hk_cg_device_rule *r)
{
	unsigned bits = access_bits(r->access);
	size_t n = 0, i, jumps[4], nj = 0;

	if (r->type != 'a') {
		jumps[nj++] = n;
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
			      r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
	}
	if (r->major >= 0) {
		jumps[nj++] = n;
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int)r->major);
	}
	if (r->minor >= 0) {
		jumps[nj++] = n;
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int)r->minor);
	}
	if (bits != 7) {
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
		p[n++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0,
			      (int)(r->allow ? (~bits & 7) : bits));
		jumps[nj++] = n;
		p[n++] = INSN(BPF_JMP | (r->allow ? BPF_JNE : BPF_JEQ) | BPF_K, BPF_REG_1, 0, 0, 0);
	}
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (i = 0; i < nj; i++)
		p[jumps[i]].off = (short)(n - jumps[i] - 1);
	return n;
}

static bool matches_everything(const struct hk_cg_device_rule *r)
{
	return r->type == 'a' && r->major < 0 && r->minor < 0 && access_bits(r->access) == 7;
}

/* The program (malloc'ed): load the request, then the rules from the last to the first, then
 * deny. A rule for every device and access ends the walk: nothing before it can matter. */
static struct bpf_insn *compile(const struct hk_cg_device_rule *rules, size_t n, size_t *len)
{
	struct bpf_insn *p = calloc(8 + n * 9, sizeof(*p));
	size_t at = 0, i;

	if (p == NULL)
		return NULL;
	/* r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx) */
	p[at++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
	p[at++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
	p[at++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
	p[at++] = INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
	p[at++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
	p[at++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
	for (i = n; i-- > 0;) {
		at += emit_rule(p + at, &rules[i]);
		if (matches_everything(&rules[i]))
			break;
	}
	if (i == (size_t)-1) {
		p[at++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
		p[at++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	*len = at;
	return p;
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int hk_cg_bpf_devices(const struct hk_cg_dir *d, const struct hk_cg_device_rule *rules, size_t n,
		      struct hk_err **err)
{
	union bpf_attr attr;
	size_t len = 0;
	struct bpf_insn *prog = compile(rules, n, &len);
	int prog_fd, dir_fd, ret = 0;

	if (prog == NULL)
		return hk_fail(err, ENOMEM, "cgroup device program");
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (unsigned long)prog;
	attr.insn_cnt = (unsigned)len;
	attr.license = (unsigned long)"Apache-2.0";
	prog_fd = (int)bpf(BPF_PROG_LOAD, &attr);
	free(prog);
	if (prog_fd < 0)
		return hk_fail(err, errno, "cgroup device program: load");
	dir_fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		close(prog_fd);
		return hk_fail(err, errno, "cgroup %s", d->path);
	}
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (unsigned)dir_fd;
	attr.attach_bpf_fd = (unsigned)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf(BPF_PROG_ATTACH, &attr) < 0)
		ret = hk_fail(err, errno, "cgroup %s: attach the device program", d->path);
	close(dir_fd);
	close(prog_fd);
	return ret;
}
