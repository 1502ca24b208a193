#include "exe.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdio.h"
#include "schema.h"

#define WANTED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;
extern const unsigned char hk_exec_stub[]; /* exec_stub_blob.c, generated */
extern const size_t hk_exec_stub_len;

bool hk_exe_sealed(void)
{
	hk_cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & WANTED_SEALS) == WANTED_SEALS;
}

/* How much of the file execve reads: up to the end of the last PT_LOAD segment. The section
 * headers and debug sections after it (three quarters of a debug build) are not copied. */
static off_t loaded_size(int fd, off_t file_size)
{
	Elf64_Ehdr eh;
	off_t end = 0;
	int i;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return file_size;
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (size_t)i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return file_size;
		if ((off_t)(ph.p_offset + ph.p_filesz) > end)
			end = (off_t)(ph.p_offset + ph.p_filesz);
	}
	return end > 0 && end <= file_size ? end : file_size;
}

/* The ELF header of the copy says it has no section headers: they were not copied. */
static int drop_section_headers(int dst)
{
	Elf64_Ehdr eh;

	if (pread(dst, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return 0;
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = 0;
	return pwrite(dst, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) ? 0 : -1;
}

static int copy_self(struct hk_err **err)
{
	hk_cleanup_close int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	hk_cleanup_close int dst = memfd_create("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	off_t done = 0, size;

	if (src < 0 || dst < 0 || fstat(src, &st) < 0)
		return hk_fail(err, errno, "copy husk's binary into a sealed memfd");
	size = loaded_size(src, st.st_size);
	while (done < size) {
		ssize_t n = sendfile(dst, src, NULL, (size_t)(size - done));

		if (n <= 0)
			return hk_fail(err, n < 0 ? errno : EIO,
				       "copy husk's binary into a sealed memfd");
		done += n;
	}
	if ((size < st.st_size && drop_section_headers(dst) < 0) ||
	    fcntl(dst, F_ADD_SEALS, WANTED_SEALS) < 0)
		return hk_fail(err, errno ? errno : EIO, "seal husk's copy");
	return hk_take_fd(&dst);
}

int hk_exe_reexec_sealed(char *const argv[], struct hk_err **err)
{
	hk_cleanup_close int fd = -1;

	if (hk_exe_sealed())
		return 0;
	fd = copy_self(err);
	if (fd < 0)
		return -1;
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	return hk_fail(err, errno, "re-execute husk from its sealed copy");
}

bool hk_exe_stub_built(void)
{
	return hk_exec_stub_len > 0;
}

int hk_exe_sealed_memfd(const char *name, const void *data, size_t len, bool cloexec)
{
	hk_cleanup_close int fd =
	    memfd_create(name, (cloexec ? MFD_CLOEXEC : 0u) | MFD_ALLOW_SEALING);

	if (fd < 0 || oci_write_all(fd, (const char *)data, len) < 0 ||
	    fcntl(fd, F_ADD_SEALS, WANTED_SEALS) < 0)
		return -1;
	return hk_take_fd(&fd);
}

int hk_exe_stub_open(struct hk_err **err)
{
	int fd = hk_exe_sealed_memfd("husk-exec", hk_exec_stub, hk_exec_stub_len, true);

	return fd < 0 ? hk_fail(err, errno, "make the exec stub's sealed memfd") : fd;
}
