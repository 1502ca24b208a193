"""Configs and seccomp profiles written the way other tools write them: docker's and
containers-common's default profiles resolved as their generators resolve them, the OCI
runtime-tools generator's deny-by-default list, and the specs runc, crun, ctr and podman write."""
import json
import os

HERE = os.path.dirname(__file__)
CONFIGS = os.path.join(HERE, "configs")
CONTAINERS_COMMON = "/usr/share/containers/seccomp.json"

DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
PODMAN_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
               "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
               "CAP_SETUID", "CAP_SYS_CHROOT"]

# The OCI runtime-tools generator's default profile (generate/seccomp/seccomp_default.go): an
# allow-list from the Docker 1.x era, with no openat2, close_range, clone3 or pidfd calls.
RUNTIME_TOOLS_ALLOW = """accept accept4 access alarm bind brk capget capset chdir chmod chown chown32
clock_getres clock_gettime clock_nanosleep close connect copy_file_range creat dup dup2 dup3
epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_wait epoll_wait_old eventfd
eventfd2 execve execveat exit exit_group faccessat fadvise64 fadvise64_64 fallocate fanotify_mark
fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock
fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64
futex futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid
getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid
getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr
inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy
io_getevents ioprio_get ioprio_set io_setup io_submit ipc kill lchown lchown32 lgetxattr link
linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
memfd_create mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect
mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink mremap msgctl msgget msgrcv
msgsnd msync munlock munlockall munmap nanosleep newfstatat _newselect open openat pause pipe pipe2
poll ppoll prctl pread64 preadv prlimit64 pselect6 pwrite64 pwritev read readahead readlink
readlinkat readv recv recvfrom recvmmsg recvmsg remap_file_pages removexattr rename renameat
renameat2 restart_syscall rmdir rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo sched_getaffinity sched_getattr
sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield
seccomp select semctl semget semop semtimedop send sendfile sendfile64 sendmmsg sendmsg sendto
setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32
setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32
setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigreturn socket
socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync
sync_file_range syncfs sysinfo syslog tee tgkill time timer_create timer_delete timerfd_create
timerfd_gettime timerfd_settime timer_getoverrun timer_gettime timer_settime times tkill truncate
truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimes vfork vmsplice wait4
waitid waitpid write writev arch_prctl modify_ldt""".split()

# What a static busybox shell and the probe call, and nothing of husk's: the tightest profile a
# user could write for them. execve is there because the program has to start.
BUSYBOX_ALLOW = """execve arch_prctl set_tid_address brk mmap munmap mprotect read write writev
close exit exit_group getpid getppid getuid geteuid getgid getegid getgroups getcwd uname
personality ioprio_get sched_getscheduler keyctl open openat newfstatat fstat lseek getdents64
readlink readlinkat rt_sigaction rt_sigprocmask rt_sigreturn getrlimit prlimit64 ioctl
gethostname getdomainname fcntl dup2 wait4 clone fork vfork stat lstat access faccessat
statx getpgrp setpgid getrandom""".split()


def runtime_tools_profile():
    return {"defaultAction": "SCMP_ACT_ERRNO",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": RUNTIME_TOOLS_ALLOW, "action": "SCMP_ACT_ALLOW"},
                         *({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                            "args": [{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}]}
                           for v in (0, 8, 0xffffffff)),
                         {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                          "args": [{"index": 0, "value": 0x7e020000, "valueTwo": 0,
                                    "op": "SCMP_CMP_MASKED_EQ"}]}]}


def resolve_source_profile(path, caps, arch="amd64"):
    """A profile in docker's source form (includes/excludes by caps and arch, archMap), resolved
    as docker and containers-common do before they write config.json."""
    with open(path) as f:
        src = json.load(f)
    out = {"defaultAction": src["defaultAction"], "syscalls": []}
    if "defaultErrnoRet" in src:
        out["defaultErrnoRet"] = int(src["defaultErrnoRet"])
    for entry in src.get("archMap") or []:
        if entry["architecture"] == "SCMP_ARCH_X86_64":
            out["architectures"] = [entry["architecture"], *(entry["subArchitectures"] or [])]
    for rule in src["syscalls"]:
        inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
        if inc.get("caps") and not all(c in caps for c in inc["caps"]):
            continue
        if inc.get("arches") and arch not in inc["arches"]:
            continue
        if exc.get("caps") and any(c in caps for c in exc["caps"]):
            continue
        if exc.get("arches") and arch in exc["arches"]:
            continue
        out["syscalls"].append({k: rule[k] for k in ("names", "action", "args", "errnoRet")
                                if rule.get(k) not in (None, [], "")})
    return out


def docker_profile():
    return resolve_source_profile(os.path.join(CONFIGS, "docker-default-seccomp.json"),
                                  DOCKER_CAPS)


def containers_common_profile():
    return resolve_source_profile(CONTAINERS_COMMON, PODMAN_CAPS)


def set_caps(config, caps):
    config["process"]["capabilities"] = {k: list(caps) for k in
                                         ("bounding", "effective", "permitted")}


CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]


def caps_mask(names):
    return sum(1 << CAPS.index(n) for n in names or [] if n in CAPS)


def captured(name):
    """A config.json a client wrote, captured through a wrapper runtime (see configs/README)."""
    with open(os.path.join(CONFIGS, name)) as f:
        return json.load(f)


def adapt(config, bundle_path, rootfs, tmp):
    """What must change for a captured config to run here, and nothing else: the rootfs, bind
    sources that lived in the client's own storage (recreated empty), a cgroupsPath under the
    client's parent (made relative so that the test's cgroup check holds) and the process, which
    becomes the probe."""
    config["root"]["path"] = rootfs
    config["process"]["terminal"] = False
    config["process"]["args"] = ["/probe"]
    if config.get("linux", {}).get("cgroupsPath"):
        config["linux"]["cgroupsPath"] = "husk-tier-" + os.path.basename(tmp)
    for m in config.get("mounts", []):
        src = m.get("source", "")
        if "bind" in (m.get("options") or []) or "rbind" in (m.get("options") or []):
            if src.startswith("/") and not os.path.exists(src):
                fake = os.path.join(tmp, src.strip("/").replace("/", "_"))
                if m["destination"] in ("/dev/shm",):
                    os.makedirs(fake, exist_ok=True)
                else:
                    open(fake, "a").close()
                m["source"] = fake
    return config
