/* checkpoint and restore through CRIU (criu.h): a running container's process tree saved to an
 * image directory, and a container made again from one. */
#ifndef HUSK_CHECKPOINT_H
#define HUSK_CHECKPOINT_H

#include <stdbool.h>
#include <sys/types.h>

#include "hk_error.h"

/* What runc's checkpoint and restore flags ask; shared by both (each ignores the others'). */
struct hk_criu_flags {
	const char *image_path, *work_path;
	const char *manage_cgroups_mode; /* soft (the default), full, strict, ignore */
	bool tcp_established, ext_unix_sk, shell_job, file_locks;
};

struct hk_checkpoint_opts {
	const char *root, *id;
	struct hk_criu_flags criu;
	const char *parent_path; /* a pre-dump's image directory, relative to image_path */
	const char *page_server; /* ADDRESS:PORT */
	bool leave_running, pre_dump, auto_dedup, lazy_pages;
	int status_fd;	   /* --status-fd (with --lazy-pages), -1: none */
	unsigned empty_ns; /* CLONE_NEW* flags of namespaces CRIU should not restore */
};

/* Dumps the container; without leave_running or pre_dump it is then deleted (as runc does).
 * A failure leaves it running and unchanged. */
int hk_container_checkpoint(const struct hk_checkpoint_opts *o, struct hk_err **err);

struct hk_restore_opts {
	const char *root, *id, *bundle, *pid_file, *console_socket;
	const char *lsm_profile, *lsm_mount_context;
	struct hk_criu_flags criu;
	bool detach, no_pivot, systemd_cgroup;
};

/* Makes the container from the images: its record (running), its cgroup with the config's
 * limits, its processes restored by CRIU. *pid: the restored pid 1 (a child of the caller when
 * not detached). A failure leaves no record, cgroup, mount or process. */
int hk_container_restore(const struct hk_restore_opts *o, pid_t *pid, struct hk_err **err);

#endif
