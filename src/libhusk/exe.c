#include "exe.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WANTED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool hk_exe_sealed(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	close(fd);
	return seals >= 0 && (seals & WANTED_SEALS) == WANTED_SEALS;
}

static int copy_self(struct hk_err **err)
{
	int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int dst = memfd_create("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	off_t done = 0;

	if (src < 0 || dst < 0 || fstat(src, &st) < 0)
		goto fail;
	while (done < st.st_size) {
		ssize_t n = sendfile(dst, src, NULL, (size_t)(st.st_size - done));

		if (n <= 0)
			goto fail;
		done += n;
	}
	if (fcntl(dst, F_ADD_SEALS, WANTED_SEALS) < 0)
		goto fail;
	close(src);
	return dst;
fail:
	hk_fail(err, errno ? errno : EIO, "copy husk's binary into a sealed memfd");
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	return -1;
}

int hk_exe_reexec_sealed(char *const argv[], struct hk_err **err)
{
	int fd;

	if (hk_exe_sealed())
		return 0;
	fd = copy_self(err);
	if (fd < 0)
		return -1;
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	close(fd);
	return hk_fail(err, errno, "re-execute husk from its sealed copy");
}
