/* denycalls ERRNO NAME[,NAME...] CMD [ARGS...]: runs CMD under a seccomp filter that fails the
 * named syscalls with ERRNO, the way a container manager's profile (or an old kernel, with
 * ENOSYS) would treat husk itself. Used to test husk's fallbacks for openat2, close_range, clone3
 * and the pidfd calls. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	int nr;
} known[] = {{"openat2", SYS_openat2},
	     {"close_range", SYS_close_range},
	     {"clone3", SYS_clone3},
	     {"pidfd_open", SYS_pidfd_open},
	     {"pidfd_send_signal", SYS_pidfd_send_signal},
	     {"mount_setattr", SYS_mount_setattr}};

int main(int argc, char **argv)
{
	struct sock_filter insns[64];
	struct sock_fprog prog = {.filter = insns};
	unsigned n = 0, errnum;
	char *names, *name;

	if (argc < 4) {
		fprintf(stderr, "usage: denycalls ERRNO NAME[,NAME...] CMD [ARGS...]\n");
		return 2;
	}
	errnum = (unsigned)atoi(argv[1]);
	insns[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						  offsetof(struct seccomp_data, nr));
	names = strdup(argv[2]);
	for (name = strtok(names, ","); name != NULL; name = strtok(NULL, ",")) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(known[i].name, name) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			fprintf(stderr, "denycalls: unknown syscall %s\n", name);
			return 2;
		}
		insns[n++] =
		    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, known[i].nr, 0, 1);
		insns[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
							  SECCOMP_RET_ERRNO | (errnum & 0xffff));
	}
	insns[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("denycalls: seccomp");
		return 2;
	}
	execvp(argv[3], argv + 3);
	perror("denycalls: exec");
	return 127;
}
