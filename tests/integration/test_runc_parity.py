"""Issue 29: what runc's and crun's users meet when they switch, one behaviour a test. Each
asserts runc's behaviour where husk follows it: `HUSK=runc pytest tests/integration/
test_runc_parity.py -m runc_parity` runs the same tests against runc (those marked
husk_only say why they cannot)."""
import json
import os
import subprocess
import time

import pytest

from husk_support import HUSK, assert_nothing_left

RUNC = os.path.basename(HUSK) == "runc"
husk_only = pytest.mark.skipif(RUNC, reason="husk's own message or flag")
# what runc does since 1.2 (or on main), where Debian's runc 1.1 still differs
newer_runc = pytest.mark.skipif(RUNC, reason="runc 1.2 or later does it; Debian's 1.1 does not")


def detach(bundle, args=("sleep", "100"), cid="c"):
    bundle.config["process"]["args"] = list(args)
    bundle.write()
    r = bundle.husk("run", "-d", cid)
    assert r.rc == 0, r.err
    return bundle.state(cid)["pid"]


def stopped(bundle, cid="c"):
    for _ in range(200):
        if bundle.state(cid)["status"] == "stopped":
            return
        time.sleep(0.02)
    raise AssertionError("did not stop")


# ---- 1. signal 0 ----

def test_signal_0_checks_that_the_container_lives(bundle):
    detach(bundle)
    assert bundle.husk("kill", "c", "0").rc == 0
    assert bundle.husk("kill", "--all", "c", "0").rc == 0
    assert bundle.state("c")["status"] == "running", "signal 0 delivers nothing"
    assert bundle.husk("kill", "c", "KILL").rc == 0
    stopped(bundle)
    r = bundle.husk("kill", "c", "0")
    assert r.rc == 1 and "container not running" in r.err, r.err


# ---- 2. ps of a stopped container ----

def test_ps_of_a_stopped_container_is_empty(bundle):
    detach(bundle, ("true",))
    stopped(bundle)
    r = bundle.husk("ps", "--format", "json", "c")
    assert r.rc == 0 and json.loads(r.out) in ([], None), r.out + r.err
    r = bundle.husk("ps", "c")
    assert r.rc == 0 and len(r.out.splitlines()) == 1 and "PID" in r.out, r.out + r.err


# ---- 3. exec into a paused container ----

def test_exec_into_a_paused_container(bundle):
    detach(bundle)
    assert bundle.husk("pause", "c").rc == 0
    r = bundle.husk("exec", "c", "true")
    assert r.rc != 0 and "cannot exec in a paused container" in r.err, r.err
    marker = os.path.join(bundle.rootfs, "ran")
    proc = subprocess.Popen([HUSK, "--root", bundle.root, "exec", "--ignore-paused", "c",
                             "touch", "/ran"], cwd=bundle.path, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    time.sleep(0.5)
    assert not os.path.exists(marker), "the process starts frozen"
    assert bundle.husk("resume", "c").rc == 0
    assert proc.wait(timeout=30) == 0, proc.stderr.read()
    assert os.path.exists(marker)


# ---- 4. exec --process from a pipe ----

def test_exec_process_from_a_pipe(bundle):
    detach(bundle)
    process = json.dumps({"args": ["sh", "-c", "echo from-a-pipe"], "cwd": "/",
                          "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}})
    r = subprocess.run(["bash", "-c", f'"$0" --root "$1" exec -p <(printf %s "$2") c', HUSK,
                        bundle.root, process], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, "from-a-pipe\n"), r.stderr


# ---- 5. exec --cgroup ----

def hierarchy_dirs(pid):
    """Each hierarchy's name (its controllers, "name=systemd", "unified") -> the directory of
    pid's cgroup there."""
    from husk_support import cgroup_hierarchies
    hier, dirs = cgroup_hierarchies(), {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctls, path = line.rstrip("\n").split(":", 2)
            key = ctls or "unified"
            point, root = hier[key.split(",")[0]]
            rel = path[len(root):] if root != "/" and path.startswith(root) else path
            dirs[key] = point + rel
    return dirs


def fill_cpuset(parent, name):
    """What a user does for runc 1.1 on v1 before it joins a cpuset cgroup it made (husk fills
    an empty one itself: test_an_empty_cpuset_parent_made_beforehand)."""
    for f in ("cpuset.cpus", "cpuset.mems"):
        if not CGROUP2_ONLY and os.path.exists(os.path.join(parent, f)):
            with open(os.path.join(parent, f)) as src, \
                    open(os.path.join(parent, name, f), "w") as dst:
                dst.write(src.read())


CGROUP2_ONLY = os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def test_exec_into_a_sub_cgroup(bundle, tmp_path):
    """runc's --cgroup NAME (every hierarchy) and, on v1, CONTROLLER:NAME (that one alone);
    ".." is refused."""
    pid = detach(bundle)
    dirs = hierarchy_dirs(pid)
    for d in dirs.values():
        os.mkdir(os.path.join(d, "sub"))
        fill_cpuset(d, "sub")
    pidfile = tmp_path / "exec.pid"
    r = bundle.husk("exec", "-d", "--pid-file", str(pidfile), "--cgroup", "sub", "c",
                    "sleep", "100")
    assert r.rc == 0, r.err
    assert hierarchy_dirs(int(pidfile.read_text())) == {
        k: os.path.join(v, "sub") for k, v in dirs.items()}
    if not CGROUP2_ONLY:
        mem = [k for k in dirs if "memory" in k.split(",")][0]
        os.mkdir(os.path.join(dirs[mem], "only"))  # memory has no cpuset to fill
        pidfile.unlink()
        r = bundle.husk("exec", "-d", "--pid-file", str(pidfile), "--cgroup", "memory:only",
                        "c", "sleep", "100")
        assert r.rc == 0, r.err
        got = hierarchy_dirs(int(pidfile.read_text()))
        assert got == {k: os.path.join(v, "only") if k == mem else v for k, v in dirs.items()}
    r = bundle.husk("exec", "--cgroup", "../escape", "c", "true")
    assert r.rc != 0 and "is not a sub cgroup path" in r.err, r.err


# ---- 14. a cpuset parent made beforehand and left empty (v1) ----

@pytest.mark.skipif(CGROUP2_ONLY, reason="v1's cpuset: a new cgroup2 cpuset inherits by itself")
def test_an_empty_cpuset_parent_made_beforehand(bundle):
    parent = "husk-parity-" + os.urandom(4).hex()
    made = f"/sys/fs/cgroup/cpuset/{parent}"
    os.mkdir(made)
    try:
        with open(f"{made}/cpuset.cpus") as f:
            assert f.read().strip() == "", "a new v1 cpuset starts empty"
        bundle.config["linux"]["cgroupsPath"] = f"/{parent}/c"
        pid = detach(bundle)
        with open("/sys/fs/cgroup/cpuset/cpuset.cpus") as f:
            root = f.read().strip()
        with open(f"{made}/c/cpuset.cpus") as f:
            assert f.read().strip() == root
        assert hierarchy_dirs(pid)["cpuset"] == f"{made}/c"
        assert bundle.husk("delete", "--force", "c").rc == 0
    finally:  # the parent the runtime made in the other hierarchies too
        for h in os.listdir("/sys/fs/cgroup"):
            for d in (f"/sys/fs/cgroup/{h}/{parent}/c", f"/sys/fs/cgroup/{h}/{parent}"):
                if os.path.isdir(d):
                    os.rmdir(d)


# ---- 6. options after the id, list order, checkpoint's flags first, events' OOM ----

def test_options_after_the_id(bundle):
    bundle.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}}
    detach(bundle)
    r = bundle.husk("update", "c", "--pids-limit", "55")
    assert r.rc == 0, r.err
    from husk_support import cgroup_read
    assert cgroup_read(bundle.state("c")["pid"], "pids", "pids.max") == "55"


def test_list_is_sorted_by_id(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    ids = ["m", "b", "z", "a", "k"]
    for cid in ids:
        assert bundle.husk("create", cid).rc == 0
    r = bundle.husk("list", "-q")
    assert r.out.split() == sorted(ids), r.out
    for cid in ids:
        bundle.husk("delete", "--force", cid)


@husk_only
def test_checkpoint_checks_its_flags_first(bundle):
    r = bundle.husk("checkpoint", "--parent-path", "/abs", "nosuch")
    assert r.rc == 1 and r.err == "husk: checkpoint: --parent-path must be relative\n", r.err


def test_events_reports_an_oom_kill_while_the_container_runs(bundle):
    bundle.config["linux"]["resources"] = {"memory": {"limit": 32 << 20, "swap": 32 << 20}}
    detach(bundle, ("sh", "-c", "sleep 0.5; /probe alloc 200; sleep 100"))
    out = open(os.path.join(bundle.path, "events.out"), "w+")
    events = subprocess.Popen([HUSK, "--root", bundle.root, "events", "--interval", "60s", "c"],
                              stdout=out, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            out.seek(0)
            if any(json.loads(line)["type"] == "oom" for line in out if line.strip()):
                break
            time.sleep(0.1)
        out.seek(0)
        kinds = [json.loads(line)["type"] for line in out if line.strip()]
        assert "oom" in kinds, kinds
        assert bundle.state("c")["status"] == "running", "pid 1 (sh) survived its child's kill"
    finally:
        events.kill()
        events.wait()
        out.close()


# ---- 7. masked directories ----

def test_a_masked_directory_lists_empty(bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["args"] = ["sh", "-c", "ls -a /sys/firmware && echo listed; "
                                        "touch /sys/firmware/x 2>&1"]
    assert "/sys/firmware" in bundle.config["linux"]["maskedPaths"]
    r = bundle.run()
    lines = r.out.splitlines()
    assert lines[:3] == [".", "..", "listed"], (r.out, r.err)
    assert lines[3:] == ["touch: /sys/firmware/x: Read-only file system"], r.out


# ---- 8. a read-only /dev ----

def test_a_read_only_dev(bundle):
    dev = [m for m in bundle.config["mounts"] if m["destination"] == "/dev"][0]
    dev["options"] = dev["options"] + ["ro"]
    bundle.config["process"]["args"] = ["sh", "-c", "grep -E ' /dev(/pts|/shm)? ' /proc/self/mountinfo; "
                                        "echo x > /dev/null && echo null-ok; touch /dev/new"]
    r = bundle.run()
    points = {l.split()[4]: l.split()[5] for l in r.out.splitlines() if l.count(" ") > 5}
    assert points["/dev"].startswith("ro") and points["/dev/pts"].startswith("rw"), r.out + r.err
    assert "null-ok" in r.out and "Read-only file system" in r.err, (r.out, r.err)


# ---- 9. a cwd only root can enter ----

def test_a_cwd_only_root_can_enter(bundle):
    os.makedirs(os.path.join(bundle.rootfs, "root"), exist_ok=True)
    os.chmod(os.path.join(bundle.rootfs, "root"), 0o700)
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["cwd"] = "/root"
    bundle.config["process"]["args"] = ["sh", "-c", "pwd; ls . 2>&1 | head -1"]
    r = bundle.run()
    assert r.rc == 0 and r.out.splitlines()[0] == "/root", (r.out, r.err)
    assert "Permission denied" in r.out, "the program itself may not read it"


# ---- 10. the terminal's owner ----

def on_a_terminal(bundle, *args):
    """husk (or runc) with a pty as its stdio, running args; what the terminal showed."""
    master, slave = os.openpty()
    proc = subprocess.Popen([HUSK, "--root", bundle.root, *args], cwd=bundle.path, stdin=slave,
                            stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=30), out.decode(errors="replace")


def test_the_terminal_belongs_to_the_process_user(bundle):
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["args"] = ["sh", "-c", "stat -c owner=%u $(tty)"]
    bundle.write()
    rc, out = on_a_terminal(bundle, "run", "c")
    assert rc == 0 and "owner=1000" in out, out
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.config["process"]["terminal"] = False
    bundle.write()
    assert bundle.husk("run", "-d", "d").rc == 0
    rc, out = on_a_terminal(bundle, "exec", "-t", "--user", "1000:1000", "d", "sh", "-c",
                            "stat -c owner=%u $(tty)")
    assert rc == 0 and "owner=1000" in out, out


# ---- 12. a startContainer hook runs under the container's filter (runc's and crun's rule) ----

def test_a_start_container_hook_runs_under_the_filter(bundle):
    bundle.config["root"]["readonly"] = False
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    bundle.config["hooks"] = {"startContainer": [
        {"path": "/bin/mkdir", "args": ["mkdir", "/tmp/from-the-hook"]}]}
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc != 0, "the hook's mkdir was denied, so start failed"
    assert not os.path.exists(os.path.join(bundle.rootfs, "tmp", "from-the-hook"))


# ---- 16. kernel.domainname ----

def test_the_domainname_sysctl(bundle):
    bundle.config["linux"]["sysctl"] = {"kernel.domainname": "example.org"}
    bundle.config["process"]["args"] = ["cat", "/proc/sys/kernel/domainname"]
    r = bundle.run()
    assert (r.rc, r.out) == (0, "example.org\n"), r.err
    bundle.config["domainname"] = "example.org"
    r = bundle.run("c2")
    assert (r.rc, r.out) == (0, "example.org\n"), r.err


@husk_only  # runc 1.1 runs it, the sysctl winning: husk refuses the contradiction

def test_a_domainname_sysctl_that_disagrees_is_one_line(bundle):
    bundle.config["linux"]["sysctl"] = {"kernel.domainname": "example.org"}
    bundle.config["domainname"] = "other.org"
    r = bundle.run()
    assert r.err == ('husk: linux.sysctl["kernel.domainname"]: "example.org" disagrees with '
                     'domainname "other.org"\n'), r.err
    assert_nothing_left(bundle, "c")


# ---- 20. user.* sysctls in a user namespace of the container's own ----

def userns(bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    os.chown(bundle.rootfs, 100000, 100000)
    path = bundle.path
    while path != "/tmp":
        os.chmod(path, 0o755)
        path = os.path.dirname(path)


@newer_runc
def test_user_sysctls_in_a_user_namespace(bundle):
    userns(bundle)
    bundle.config["linux"]["sysctl"] = {"user.max_user_namespaces": "7"}
    bundle.config["process"]["args"] = ["cat", "/proc/sys/user/max_user_namespaces"]
    r = bundle.run()
    assert (r.rc, r.out) == (0, "7\n"), r.err
    with open("/proc/sys/user/max_user_namespaces") as f:
        assert f.read().strip() != "7", "the host's own count is untouched"


# ---- 21. pids.limit 0 ----

@newer_runc
def test_a_pids_limit_of_0_lets_nothing_fork(bundle):
    bundle.config["linux"]["resources"] = {"pids": {"limit": 0}}
    made = bundle.probe("forks", "5")["forks:5"]
    assert made["made"] == 0 and made["error"] == "Resource temporarily unavailable", made
    pid = detach(bundle, ("sleep", "100"), cid="d")
    from husk_support import cgroup_read
    assert cgroup_read(pid, "pids", "pids.max") == "0"


# ---- 24. --preserve-fds with fewer fds open ----

@husk_only  # runc's open issue 5474 asks for it; runc 1.1 runs silently
def test_preserve_fds_names_the_missing_fd(bundle):
    bundle.config["process"]["args"] = ["true"]
    bundle.write()

    def run_with(fds, n):
        return subprocess.run(["sh", "-c", f'exec "$@" {fds}', "sh", HUSK, "--root", bundle.root,
                               "run", "--preserve-fds", str(n), "c"], cwd=bundle.path,
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)

    r = run_with("", 2)
    assert r.returncode == 1 and r.stderr == "husk: run: --preserve-fds 2: fd 3 is not open\n", \
        r.stderr
    assert_nothing_left(bundle, "c")
    r = run_with("3</dev/null", 2)
    assert r.returncode == 1 and "fd 4 is not open" in r.stderr, r.stderr
    r = run_with("3</dev/null 4</dev/null", 2)
    assert r.returncode == 0, r.stderr


# ---- 22. --pidfd-socket ----

def receive_fd(path, got):
    from husk_support import recv_with_fd, serve_one
    return serve_one(path, lambda conn: got.update(fd=recv_with_fd(conn, 4096)[1]))


def pid_of_pidfd(fd):
    with open(f"/proc/self/fdinfo/{fd}") as f:
        return int([l for l in f if l.startswith("Pid:")][0].split()[1])


@newer_runc
@pytest.mark.parametrize("command", ["run", "exec"])
def test_pidfd_socket(bundle, tmp_path, command):
    got = {}
    sock = str(tmp_path / "pidfd.sock")
    if command == "exec":
        detach(bundle)
    t = receive_fd(sock, got)
    if command == "run":
        bundle.config["process"]["args"] = ["sleep", "100"]
        bundle.write()
        r = bundle.husk("run", "-d", "--pidfd-socket", sock, "c")
        want = lambda: bundle.state("c")["pid"]  # noqa: E731
    else:
        pidfile = tmp_path / "exec.pid"
        r = bundle.husk("exec", "-d", "--pidfd-socket", sock, "--pid-file", str(pidfile), "c",
                        "sleep", "100")
        want = lambda: int(pidfile.read_text())  # noqa: E731
    assert r.rc == 0, r.err
    t.join(10)
    assert got["fd"] is not None and pid_of_pidfd(got["fd"]) == want()
    os.close(got["fd"])


# ---- 17. a createContainer hook's working directory ----

def test_a_create_container_hook_runs_in_the_root_as_mounted(bundle):
    bundle.config["root"]["readonly"] = False
    bundle.config["hooks"] = {"createContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", "ls dev > tmp/hook-saw"]}]}
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 0, r.err
    with open(os.path.join(bundle.rootfs, "tmp", "hook-saw")) as f:
        assert "null" in f.read().split(), "the container's /dev, not the empty one below it"


# ---- 13. --no-pivot and a fresh procfs ----

def test_no_pivot_keeps_a_fresh_procfs_out(bundle):
    """The kernel lets a user namespace mount a new procfs only while a fully visible one is in
    its mount namespace. A process of the container that makes a user, mount and pid namespace
    of its own finds its container's /proc masked (the masks are locked in its copy), but with
    --no-pivot the host's /proc was still there beneath the chroot, unmasked (runc's
    integration test "runc run --no-pivot must not expose bare /proc")."""
    bundle.config["process"]["args"] = [
        "busybox", "unshare", "-mrpf", "sh", "-c", "mount -t proc none /proc && echo mounted"]
    caps = bundle.config["process"]["capabilities"]
    for kind in ("bounding", "permitted", "effective"):  # root mapped as root: 5.12's rule
        caps[kind] = caps[kind] + ["CAP_SETFCAP"]
    bundle.write()
    r = bundle.husk("run", "c")
    if "mounted" in r.out:
        pytest.skip("this kernel lets a nested user namespace mount procfs even over the "
                    "container's masked /proc (seen on the VM's 6.1): nothing for --no-pivot "
                    "to keep out here; the host tier's 6.18 refuses it")
    r = bundle.husk("run", "--no-pivot", "c2")
    # EPERM, in busybox's words
    assert "mounted" not in r.out and "mount: permission denied" in r.err, (r.out, r.err)


# ---- 15. a cgroup frozen beforehand ----

def test_a_cgroup_frozen_beforehand_is_refused_and_stays_frozen(bundle):
    name = "husk-frozen-" + os.urandom(4).hex()
    if CGROUP2_ONLY:
        made = [f"/sys/fs/cgroup/{name}"]
        freeze = (f"/sys/fs/cgroup/{name}/cgroup.freeze", "1")
    else:
        made = [f"/sys/fs/cgroup/freezer/{name}"]
        freeze = (f"/sys/fs/cgroup/freezer/{name}/freezer.state", "FROZEN")
    for d in made:
        os.mkdir(d)
    try:
        with open(freeze[0], "w") as f:
            f.write(freeze[1])
        bundle.config["linux"]["cgroupsPath"] = f"/{name}"
        bundle.config["process"]["args"] = ["true"]
        bundle.write()
        r = bundle.husk("create", "c", timeout=20)
        assert r.rc != 0, "a frozen cgroup is refused, not thawed"
        with open(freeze[0]) as f:
            assert f.read().strip() == freeze[1], "the freeze husk did not make stays"
    finally:
        bundle.husk("delete", "--force", "c")
        with open(freeze[0], "w") as f:
            f.write("0" if CGROUP2_ONLY else "THAWED")
        for h in os.listdir("/sys/fs/cgroup"):
            d = f"/sys/fs/cgroup/{h}/{name}"
            if os.path.isdir(d):
                os.rmdir(d)
        if os.path.isdir(f"/sys/fs/cgroup/{name}"):
            os.rmdir(f"/sys/fs/cgroup/{name}")


# ---- 23. CPU and NUMA node ids past 1024 ----

@newer_runc  # runc's main has it; 1.1 uses glibc's fixed 1024-CPU set
def test_cpu_ids_past_1024(bundle):
    """No fixed-size set: a list naming CPU 1500 (a machine may have it) is taken, and the
    kernel keeps what is online: CPU 0 here."""
    bundle.config["process"]["execCPUAffinity"] = {"initial": "0,1500", "final": "0,1500"}
    p = bundle.probe()
    assert p["affinity"] == [0]


@husk_only
def test_numa_nodes_past_the_kernels_are_one_line(bundle):
    """The mask is sized to the list; the kernel (MAX_NUMNODES, 1024 at most) refuses node 1500
    and says so in one line naming the field."""
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0,1500"}
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1 and len(r.err.splitlines()) == 1 and "linux.memoryPolicy" in r.err, r.err
    assert_nothing_left(bundle, "c")


# ---- 11. a system call newer than the profile gets ENOSYS ----

def test_a_call_newer_than_the_profile_gets_enosys(bundle):
    """runc's rule: a call numbered above every call the profile names gets ENOSYS (so that a
    newer libc falls back, clone3 to clone), a named or older one the default action."""
    import errno
    import real_configs
    bundle.config["linux"]["seccomp"] = real_configs.docker_profile()
    assert bundle.config["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    # 1000: past every x86_64 call; 246: kexec_load, older than the newest the profile names
    p = bundle.probe("syscall", "1000", "syscall", "246")
    assert p["syscall:1000"] == errno.ENOSYS, p
    assert p["syscall:246"] == errno.EPERM, p


# ---- 18. a bind source only host root can reach, in a user namespace ----

def test_a_bind_source_under_a_0700_directory_in_a_user_namespace(bundle, tmp_path):
    """containerd keeps task and volume directories under 0700 ones: the container's root (uid
    100000 on the host) cannot walk there, husk's parent can: it clones the tree."""
    userns(bundle)
    private = tmp_path / "private"
    (private / "vol").mkdir(parents=True)
    (private / "vol" / "file").write_text("reached\n")
    os.chmod(private, 0o700)
    os.chmod(private / "vol", 0o755)
    os.chmod(private / "vol" / "file", 0o644)
    bundle.config["mounts"].append({"destination": "/vol", "type": "bind",
                                    "source": str(private / "vol"), "options": ["bind", "ro"]})
    bundle.config["process"]["args"] = ["cat", "/vol/file"]
    r = bundle.run()
    assert (r.rc, r.out) == (0, "reached\n"), r.err


def test_a_recursive_bind_with_submounts_stays_locked_in_a_user_namespace(bundle, tmp_path):
    """What the kernel's lock protects: a submount of a recursive bind, which a container's root
    must not unmount to see the directory it covers. Such a bind stays the stage's."""
    userns(bundle)
    vol = tmp_path / "vol"
    (vol / "sub").mkdir(parents=True)
    (vol / "sub" / "under").write_text("covered\n")
    os.chmod(vol, 0o755)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=755", "tmpfs", str(vol / "sub")],
                   check=True)
    try:
        caps = bundle.config["process"]["capabilities"]
        for kind in caps:
            caps[kind] = caps[kind] + ["CAP_SYS_ADMIN"]
        bundle.config["mounts"].append({"destination": "/vol", "type": "bind",
                                        "source": str(vol), "options": ["rbind"]})
        bundle.config["process"]["args"] = ["sh", "-c", "umount /vol/sub; cat /vol/sub/under"]
        r = bundle.run()
        assert "covered" not in r.out, "a submount the kernel locks came off"
    finally:
        subprocess.run(["umount", str(vol / "sub")], check=True)


# ---- 19. a device the host lacks, in a user namespace ----

@husk_only  # crun's behaviour (runc 1.1 fails as husk did)
def test_a_device_the_host_lacks_in_a_user_namespace(bundle):
    """A user namespace cannot make device nodes, so the host's are bound; one the host lacks is
    made on the host side (as crun does), cloned, and attached."""
    userns(bundle)
    path = "/dev/husk-parity-null"
    assert not os.path.exists(path)
    bundle.config["linux"]["devices"] = [
        {"path": path, "type": "c", "major": 1, "minor": 3, "fileMode": 0o666}]
    bundle.config["process"]["args"] = ["sh", "-c", f"stat -c '%t:%T' {path}; "
                                        f"echo x > {path} && echo wrote"]
    r = bundle.run()
    assert (r.rc, r.out) == (0, "1:3\nwrote\n"), r.err
    assert not os.path.exists(path), "nothing was made in the host's /dev"
    assert not [e for e in os.listdir("/dev/shm") if e.startswith("husk-node-")]
