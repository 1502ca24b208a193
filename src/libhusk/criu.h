/* libcriu, the client of CRIU's RPC ("criu swrk", a child of the caller), for checkpoint and
 * restore.
 *
 * libcriu.so.2 is dlopen'ed on first use: a husk that never checkpoints maps neither it nor
 * protobuf-c at start-up, and a host without CRIU still runs containers. */
#ifndef HUSK_CRIU_H
#define HUSK_CRIU_H

#include <stdbool.h>

#include "hk_error.h"

#if HUSK_HAVE_CRIU
#include <criu/criu.h>

/* The libcriu functions husk calls, looked up once; their types come from criu.h, so a
 * mismatch is a compile error. */
#define HK_CRIU_FUNCS(X)                                                                           \
	X(criu_local_init_opts)                                                                    \
	X(criu_local_free_opts)                                                                    \
	X(criu_local_set_pid)                                                                      \
	X(criu_local_set_images_dir_fd)                                                            \
	X(criu_local_set_work_dir_fd)                                                              \
	X(criu_local_set_parent_images)                                                            \
	X(criu_local_set_log_file)                                                                 \
	X(criu_local_set_log_level)                                                                \
	X(criu_local_set_root)                                                                     \
	X(criu_local_set_leave_running)                                                            \
	X(criu_local_set_tcp_established)                                                          \
	X(criu_local_set_ext_unix_sk)                                                              \
	X(criu_local_set_shell_job)                                                                \
	X(criu_local_set_file_locks)                                                               \
	X(criu_local_set_auto_dedup)                                                               \
	X(criu_local_set_track_mem)                                                                \
	X(criu_local_set_orphan_pts_master)                                                        \
	X(criu_local_set_evasive_devices)                                                          \
	X(criu_local_set_manage_cgroups)                                                           \
	X(criu_local_set_manage_cgroups_mode)                                                      \
	X(criu_local_set_freeze_cgroup)                                                            \
	X(criu_local_set_lsm_profile)                                                              \
	X(criu_local_set_lsm_mount_context)                                                        \
	X(criu_local_set_page_server_address_port)                                                 \
	X(criu_local_set_notify_cb)                                                                \
	X(criu_local_add_ext_mount)                                                                \
	X(criu_local_add_external)                                                                 \
	X(criu_local_add_inherit_fd)                                                               \
	X(criu_local_add_cg_root)                                                                  \
	X(criu_local_join_ns_add)                                                                  \
	X(criu_local_check)                                                                        \
	X(criu_local_dump)                                                                         \
	X(criu_local_pre_dump)                                                                     \
	X(criu_local_restore_child)                                                                \
	X(criu_local_get_version)                                                                  \
	X(criu_get_orphan_pts_master_fd)                                                           \
	X(criu_notify_pid)

struct hk_criu_lib {
#define HK_CRIU_FIELD(f) __typeof__(f) *f;
	HK_CRIU_FUNCS(HK_CRIU_FIELD)
#undef HK_CRIU_FIELD
};
extern struct hk_criu_lib hk_criu;

/* Loads libcriu and makes options that log at level 4 to log_name in work_dirfd (which CRIU
 * uses as its working directory). `what` ("checkpoint") names the command in messages. */
int hk_criu_open(criu_opts **opts, int work_dirfd, const char *log_name, const char *what,
		 struct hk_err **err);
#endif

/* CRIU's verdict on this host ("criu check"): 0, or -1 with criu's first error line as the
 * reason, e.g. "vdso: Unexpected rt vDSO area bounds". */
int hk_criu_check(const char *what, struct hk_err **err);
/* Whether checkpoint and restore can work here (hk_criu_check passes). */
bool hk_criu_usable(void);

/* A failed CRIU call (ret < 0, as libcriu returns it) as one error: what failed, criu's first
 * error line from log_name in work_dirfd, and where the whole log is. */
int hk_criu_failed(int ret, const char *what, int work_dirfd, const char *work_path,
		   const char *log_name, struct hk_err **err);

#endif
