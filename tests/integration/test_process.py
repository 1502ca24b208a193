"""The process: user, groups, umask, env, cwd, capabilities, rlimits, no_new_privs, oom score,
the executable's resolution, stdio and fds, terminals."""
import array
import json
import os
import socket
import stat
import subprocess
import threading

import pytest

CAP = {"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
       "CAP_SYS_ADMIN": 21, "CAP_AUDIT_WRITE": 29}


def mask(*names):
    return sum(1 << CAP[n] for n in names)


def test_user_groups_umask(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7], "umask": 0o027}
    p = bundle.probe()
    assert (p["uid"], p["euid"], p["gid"]) == (1000, 1000, 1001)
    assert sorted(p["groups"]) == [5, 7]
    assert p["Umask"] == "0027"


def test_env_and_cwd_created(bundle):
    bundle.config["process"]["env"] = ["A=1", "PATH=/bin", "EMPTY="]
    bundle.config["process"]["cwd"] = "/work/dir"
    p = bundle.probe()
    # no HOME in process.env and no /etc/passwd in the image: "/" (runc and crun)
    assert p["env"] == ["A=1", "PATH=/bin", "EMPTY=", "HOME=/"]
    assert p["cwd"] == "/work/dir"


def test_capability_sets(bundle):
    caps = bundle.config["process"]["capabilities"] = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
        "inheritable": ["CAP_KILL"],
        "ambient": ["CAP_KILL"]}
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    p = bundle.probe()
    # as a non-root user, only the ambient set survives execve into effective and permitted
    assert int(p["CapBnd"], 16) == mask("CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW")
    assert int(p["CapInh"], 16) == mask("CAP_KILL")
    assert int(p["CapAmb"], 16) == mask("CAP_KILL")
    assert int(p["CapEff"], 16) == mask("CAP_KILL")
    del caps


def test_root_keeps_configured_caps(bundle):
    bundle.config["process"]["capabilities"] = {
        "bounding": ["CAP_CHOWN", "CAP_NET_RAW"], "effective": ["CAP_CHOWN"],
        "permitted": ["CAP_CHOWN", "CAP_NET_RAW"]}
    p = bundle.probe()
    # execve as uid 0 grants the whole bounding set (the kernel's rule for root; runc alike):
    # what the bounding set leaves out is what root cannot have
    assert int(p["CapBnd"], 16) == mask("CAP_CHOWN", "CAP_NET_RAW")
    assert int(p["CapEff"], 16) == mask("CAP_CHOWN", "CAP_NET_RAW")
    assert int(p["CapPrm"], 16) == mask("CAP_CHOWN", "CAP_NET_RAW")


def test_no_capabilities_object_means_none(bundle):
    del bundle.config["process"]["capabilities"]
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    p = bundle.probe()
    assert int(p["CapBnd"], 16) == 0 and int(p["CapEff"], 16) == 0


def test_mknod_of_an_unlisted_device_fails(bundle):
    p = bundle.probe("mknod", "/tmp/sda", "8", "0")
    assert p["mknod:/tmp/sda"] == {"error": "Operation not permitted"}


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(bundle, nnp):
    bundle.config["process"]["noNewPrivileges"] = nnp
    assert bundle.probe()["NoNewPrivs"] == ("1" if nnp else "0")


def test_rlimits(bundle):
    bundle.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 512, "soft": 256},
                                           {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}]
    p = bundle.probe()
    assert p["rlimits"]["RLIMIT_NOFILE"] == [256, 512]
    assert p["rlimits"]["RLIMIT_CORE"] == [0, 0]


def test_rlimit_above_what_the_host_allows(bundle):
    # above fs.nr_open no process may go, not even one with CAP_SYS_RESOURCE (the VM's root)
    import resource
    with open("/proc/sys/fs/nr_open") as f:
        hard = max(resource.getrlimit(resource.RLIMIT_NOFILE)[1], int(f.read()))
    bundle.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": hard + 1, "soft": 1}]
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1
    assert r.err.strip() == (f"husk: process.rlimits[0]: setrlimit RLIMIT_NOFILE soft 1 hard {hard + 1}: "
                             "operation not permitted")


def test_oom_score_adj(bundle):
    bundle.config["process"]["oomScoreAdj"] = 500
    assert bundle.probe()["/proc/self/oom_score_adj"].strip() == "500"


def test_personality(bundle):
    bundle.config["linux"]["personality"] = {"domain": "LINUX32"}
    assert bundle.probe()["personality"] & 0xff == 8


@pytest.mark.parametrize("args,message", [
    (["nope"], 'exec: "nope": executable file not found in $PATH'),
    (["/bin/nope"], 'exec: "/bin/nope": no such file or directory'),
    (["/etc"], 'exec: "/etc" is a directory: permission denied'),
])
def test_missing_executable_fails_create(bundle, args, message):
    bundle.config["process"]["args"] = args
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1 and r.err.strip() == f"husk: {message}"
    assert not os.path.exists(os.path.join(bundle.root, "c"))


def test_not_executable(bundle):
    with open(os.path.join(bundle.rootfs, "script"), "w") as f:
        f.write("#!/bin/sh\n")
    bundle.config["process"]["args"] = ["/script"]
    r = bundle.run()
    assert r.rc == 1 and r.err.strip() == 'husk: exec: "/script": permission denied'


def test_path_from_process_env(bundle):
    os.makedirs(os.path.join(bundle.rootfs, "opt", "bin"))
    os.link(os.path.join(bundle.rootfs, "probe"), os.path.join(bundle.rootfs, "opt", "bin", "myprobe"))
    bundle.config["process"]["env"] = ["PATH=/opt/bin"]
    bundle.config["process"]["args"] = ["myprobe"]
    r = bundle.run()
    assert r.rc == 0, r.err
    assert json.loads(r.out)["uid"] == 0


def test_only_stdio_reaches_the_process(bundle):
    leak = os.open("/etc/hostname", os.O_RDONLY)  # not close-on-exec, like a caller's socket
    os.set_inheritable(leak, True)
    try:
        bundle.config["process"]["args"] = ["/probe"]
        r = bundle.run(pass_fds=(leak,))
    finally:
        os.close(leak)
    assert r.rc == 0, r.err
    assert sorted(json.loads(r.out)["fds"]) == ["0", "1", "2"]


def test_preserve_fds(bundle, tmp_path):
    from husk_support import HUSK
    bundle.config["process"]["args"] = ["/probe"]
    bundle.write()
    passed, out = tmp_path / "passed", tmp_path / "out"
    # the caller's fd 3 is passed; its fd 4 is not (it is beyond --preserve-fds 1)
    r = subprocess.run(["sh", "-c", f'exec 3>"{passed}" 4</etc/hostname; '
                        f'exec {HUSK} --root {bundle.root} run --preserve-fds 1 c >"{out}"'],
                       cwd=bundle.path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    fds = json.loads(out.read_text())["fds"]
    assert sorted(fds) == ["0", "1", "2", "3"]
    assert fds["3"] == str(passed)


def test_stdio_passes_through(bundle):
    bundle.config["process"]["args"] = ["sh", "-c", "read line; echo got $line"]
    bundle.write()
    r = subprocess.run([bundle_husk(bundle), "--root", bundle.root, "run", "c"], cwd=bundle.path,
                       input="hello\n", capture_output=True, text=True, timeout=30)
    assert r.stdout == "got hello\n"


def bundle_husk(bundle):
    from husk_support import HUSK
    return HUSK


def read_terminal(master):
    """Everything the terminal says until its last holder closes it; closes the master."""
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out


def receive_pty(server, got):
    server.settimeout(20)
    conn, _ = server.accept()
    conn.settimeout(20)
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    got["name"] = msg
    got["fd"] = fds[0] if fds else None
    conn.close()


class ConsoleSocket:
    """A --console-socket listener: after wait(), got["fd"] is the pty master husk sent."""
    def __init__(self, path):
        self.path = str(path)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(1)
        self.got = {}
        self.thread = threading.Thread(target=receive_pty, args=(self.server, self.got),
                                       daemon=True)
        self.thread.start()

    def wait(self):
        self.thread.join(timeout=10)
        self.server.close()
        return self.got


def test_terminal_over_console_socket(bundle, tmp_path):
    console = ConsoleSocket(tmp_path / "console.sock")
    path = console.path
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["consoleSize"] = {"height": 33, "width": 101}
    bundle.config["process"]["args"] = ["sh", "-c", "/probe stat /dev/console; stty size"]
    bundle.write()
    r = bundle.husk("create", "--console-socket", path, "c")
    got = console.wait()
    assert r.rc == 0, r.err
    assert got["name"] and got["fd"] is not None
    master = got["fd"]
    assert os.isatty(master)
    assert bundle.husk("start", "c").rc == 0
    text = read_terminal(master).decode().replace("\r", "")
    p = json.loads(text.splitlines()[0])
    assert p["isatty"] is True
    assert stat.S_ISCHR(p["stat:/dev/console"]["mode"])
    assert p["stat:/dev/console"]["major"] == 136
    assert "33 101" in text


def test_terminal_without_console_socket_is_refused(bundle):
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1 and r.err.strip() == "husk: config.json: process.terminal needs --console-socket"


def test_listen_fds_are_passed_first(bundle, tmp_path):
    from husk_support import HUSK
    bundle.config["process"]["args"] = ["/probe"]
    bundle.config["process"]["env"] = ["PATH=/bin", "LISTEN_FDS=9"]
    bundle.write()
    out = tmp_path / "out"
    r = subprocess.run(["sh", "-c", f'exec 3</etc/hostname; LISTEN_FDS=1 exec {HUSK} '
                        f'--root {bundle.root} run c >"{out}"'],
                       cwd=bundle.path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    p = json.loads(out.read_text())
    assert sorted(p["fds"]) == ["0", "1", "2", "3"]
    assert p["fds"]["3"] == "/etc/hostname"
    assert "LISTEN_FDS=1" in p["env"] and "LISTEN_PID=1" in p["env"]
    assert "LISTEN_FDS=9" not in p["env"]


def test_stdio_files_belong_to_the_process_user(bundle, tmp_path):
    from husk_support import HUSK
    bundle.config["process"]["user"] = {"uid": 1234, "gid": 1234}
    bundle.config["process"]["args"] = ["sh", "-c", "echo written >/proc/self/fd/1"]
    bundle.write()
    out = tmp_path / "out"
    with open(out, "w") as f:
        r = subprocess.run([HUSK, "--root", bundle.root, "run", "c"], cwd=bundle.path, stdout=f,
                           stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    st = os.stat(out)
    assert (st.st_uid, st.st_gid) == (1234, 1234)
    assert out.read_text() == "written\n", "reopening its stdout works for the unprivileged user"


def test_run_proxies_the_terminal(bundle):
    import fcntl
    import struct
    import termios
    from husk_support import HUSK
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["args"] = ["sh"]
    bundle.write()
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([HUSK, "--root", bundle.root, "run", "c"], cwd=bundle.path,
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    os.write(master, b"/probe | head -c 300 >/dev/null; [ -t 0 ] && echo tty-$((40+2)); stty size; exit 3\n")
    text = read_terminal(master).decode(errors="replace")
    assert proc.wait(timeout=20) == 3
    assert "tty-42" in text
    assert "40 120" in text, "the window size of husk's terminal reached the container's"


def test_io_priority_and_scheduler(bundle):
    bundle.config["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 3}
    p = bundle.probe()
    assert p["ioprio"] == (2 << 13) | 6
    assert p["sched_policy"] == 3  # SCHED_BATCH


@pytest.mark.parametrize("flag,same", [([], False), (["--no-new-keyring"], True)])
def test_session_keyring(bundle, flag, same):
    import ctypes
    bundle.config["process"]["args"] = ["/probe"]
    bundle.write()
    r = bundle.husk("run", *flag, "c")
    assert r.rc == 0, r.err
    inside = json.loads(r.out)["session_keyring"]
    libc = ctypes.CDLL(None, use_errno=True)
    ours = libc.syscall(250, 0, -3, 0)  # keyctl(KEYCTL_GET_KEYRING_ID, session)
    assert (inside == ours) == same


def test_confinement_that_is_off_on_this_host_is_accepted_when_harmless(bundle):
    bundle.config["process"]["apparmorProfile"] = "unconfined"
    bundle.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"
    assert os.path.exists("/sys/fs/selinux/enforce") is False
    p = bundle.probe()
    assert p["uid"] == 0
