/* The classic BPF the kernel runs for seccomp (seccomp_check_filter lists what it takes): loads
 * of 32-bit words of struct seccomp_data, the scratch memory, ALU, forward jumps, returns. */
#include "seccomp_eval.h"

#include <linux/seccomp.h>
#include <stddef.h>

struct machine {
	const struct hk_seccomp_call *call;
	uint32_t a, x, mem[BPF_MEMWORDS];
};

/* The word at off of struct seccomp_data, if the call's caller knows it. */
static int load_word(const struct machine *m, uint32_t off, uint32_t *out)
{
	size_t arg;
	uint64_t v;

	if (off & 3)
		return -1;
	if (off == offsetof(struct seccomp_data, nr)) {
		*out = (uint32_t)m->call->nr;
		return 0;
	}
	if (off == offsetof(struct seccomp_data, arch)) {
		*out = m->call->arch;
		return 0;
	}
	if (off < offsetof(struct seccomp_data, args) || off >= sizeof(struct seccomp_data))
		return -1; /* the instruction pointer, or beyond */
	arg = (off - offsetof(struct seccomp_data, args)) / 8;
	if (!(m->call->known & (1u << arg)))
		return -1;
	v = m->call->args[arg];
	/* a 64-bit argument's low word first on a little-endian machine, as the kernel lays it */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	*out = (off - offsetof(struct seccomp_data, args)) % 8 ? (uint32_t)(v >> 32) : (uint32_t)v;
#else
	*out = (off - offsetof(struct seccomp_data, args)) % 8 ? (uint32_t)v : (uint32_t)(v >> 32);
#endif
	return 0;
}

static int alu(struct machine *m, const struct sock_filter *f)
{
	uint32_t v = BPF_SRC(f->code) == BPF_X ? m->x : f->k;

	switch (BPF_OP(f->code)) {
	case BPF_ADD:
		m->a += v;
		return 0;
	case BPF_SUB:
		m->a -= v;
		return 0;
	case BPF_MUL:
		m->a *= v;
		return 0;
	case BPF_DIV:
		if (v == 0)
			return -1;
		m->a /= v;
		return 0;
	case BPF_MOD:
		if (v == 0)
			return -1;
		m->a %= v;
		return 0;
	case BPF_AND:
		m->a &= v;
		return 0;
	case BPF_OR:
		m->a |= v;
		return 0;
	case BPF_XOR:
		m->a ^= v;
		return 0;
	case BPF_LSH:
		m->a = v < 32 ? m->a << v : 0;
		return 0;
	case BPF_RSH:
		m->a = v < 32 ? m->a >> v : 0;
		return 0;
	case BPF_NEG:
		m->a = -m->a;
		return 0;
	default:
		return -1;
	}
}

/* The next pc after a jump at pc, or -1. */
static long jump(const struct machine *m, const struct sock_filter *f, size_t pc)
{
	uint32_t v = BPF_SRC(f->code) == BPF_X ? m->x : f->k;
	bool taken;

	switch (BPF_OP(f->code)) {
	case BPF_JA:
		return (long)(pc + 1 + f->k);
	case BPF_JEQ:
		taken = m->a == v;
		break;
	case BPF_JGT:
		taken = m->a > v;
		break;
	case BPF_JGE:
		taken = m->a >= v;
		break;
	case BPF_JSET:
		taken = (m->a & v) != 0;
		break;
	default:
		return -1;
	}
	return (long)(pc + 1 + (taken ? f->jt : f->jf));
}

/* One instruction that neither jumps nor returns; -1 for what the kernel would refuse. */
static int step(struct machine *m, const struct sock_filter *f)
{
	switch (f->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		return load_word(m, f->k, &m->a);
	case BPF_LD | BPF_W | BPF_LEN:
		m->a = sizeof(struct seccomp_data);
		return 0;
	case BPF_LDX | BPF_W | BPF_LEN:
		m->x = sizeof(struct seccomp_data);
		return 0;
	case BPF_LD | BPF_IMM:
		m->a = f->k;
		return 0;
	case BPF_LDX | BPF_IMM:
		m->x = f->k;
		return 0;
	case BPF_MISC | BPF_TAX:
		m->x = m->a;
		return 0;
	case BPF_MISC | BPF_TXA:
		m->a = m->x;
		return 0;
	default:
		break;
	}
	if (f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM) || f->code == BPF_ST ||
	    f->code == BPF_STX) {
		if (f->k >= BPF_MEMWORDS)
			return -1;
		if (f->code == (BPF_LD | BPF_MEM))
			m->a = m->mem[f->k];
		else if (f->code == (BPF_LDX | BPF_MEM))
			m->x = m->mem[f->k];
		else
			m->mem[f->k] = f->code == BPF_ST ? m->a : m->x;
		return 0;
	}
	return BPF_CLASS(f->code) == BPF_ALU ? alu(m, f) : -1;
}

int hk_seccomp_eval(const struct sock_filter *insns, size_t len, const struct hk_seccomp_call *call,
		    uint32_t *action)
{
	struct machine m = {.call = call};
	size_t pc = 0;

	/* every jump goes forward, so the run ends within len steps */
	while (pc < len) {
		const struct sock_filter *f = &insns[pc];
		long next;

		if (BPF_CLASS(f->code) == BPF_RET) {
			if (BPF_RVAL(f->code) != BPF_K && BPF_RVAL(f->code) != BPF_A)
				return -1;
			*action = BPF_RVAL(f->code) == BPF_K ? f->k : m.a;
			return 0;
		}
		if (BPF_CLASS(f->code) == BPF_JMP) {
			if ((next = jump(&m, f, pc)) < 0)
				return -1;
			pc = (size_t)next;
			continue;
		}
		if (step(&m, f) < 0)
			return -1;
		pc++;
	}
	return -1;
}

bool hk_seccomp_allows_all(const struct sock_filter *insns, size_t len,
			   const struct hk_seccomp_call *calls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t action;

		if (hk_seccomp_eval(insns, len, &calls[i], &action) < 0)
			return false;
		action &= SECCOMP_RET_ACTION_FULL;
		if (action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG)
			return false;
	}
	return true;
}
