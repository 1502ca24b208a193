/* A compiled seccomp filter run in user space on one system call whose number and some of whose
 * arguments are known: what the kernel would answer, or that the answer hangs on something not
 * known (an argument the caller cannot tell in advance, the instruction pointer). husk asks it
 * whether the exec stub's own calls pass the container's filter (plan.c). No syscalls. */
#ifndef HUSK_SECCOMP_EVAL_H
#define HUSK_SECCOMP_EVAL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hk_seccomp_call {
	int nr;
	uint32_t arch;	  /* AUDIT_ARCH_* */
	uint64_t args[6]; /* those whose bit is set in known */
	unsigned known;	  /* bit i: args[i] is what the call will pass */
};

/* 0 with *action (SECCOMP_RET_* with its data) when the filter's answer follows from what is
 * known; -1 when it reads something unknown, or is not a program the kernel would run. */
int hk_seccomp_eval(const struct sock_filter *insns, size_t len, const struct hk_seccomp_call *call,
		    uint32_t *action);

/* Whether every call passes (SECCOMP_RET_ALLOW or SECCOMP_RET_LOG), all known to. */
bool hk_seccomp_allows_all(const struct sock_filter *insns, size_t len,
			   const struct hk_seccomp_call *calls, size_t n);

#endif
