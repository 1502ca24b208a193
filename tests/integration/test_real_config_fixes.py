"""Issue 10, items 3 to 16: what configs written by other tools met in husk, each checked from
inside the container and from outside."""
import json
import os
import stat
import subprocess
import time

import pytest

from husk_support import HUSK, assert_nothing_left


def running(bundle, **process):
    bundle.config["process"].update(args=["sleep", "100"], **process)
    bundle.write()
    r = bundle.husk("run", "-d", "c")
    assert r.rc == 0, r.err


def test_exec_cap_on_empty_capabilities_does_not_crash(bundle):
    """item 3: `"capabilities": {}` and exec --cap used to segfault."""
    running(bundle, capabilities={})
    r = bundle.husk("exec", "--cap", "CAP_KILL", "c", "/probe")
    assert r.rc == 0, r.err
    assert int(json.loads(r.out)["CapEff"], 16) == 1 << 5  # CAP_KILL alone
    r = bundle.husk("exec", "-c", "CAP_CHOWN", "c", "/probe")
    assert r.rc == 0 and int(json.loads(r.out)["CapBnd"], 16) == 1, r.err


def test_home_from_the_containers_passwd(bundle):
    """item 4: no HOME in process.env: the user's home from the image's /etc/passwd, for create
    and exec; "/" for a uid it does not list; a HOME that is set stays."""
    with open(os.path.join(bundle.rootfs, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/srv/web:/bin/sh\n")
    bundle.config["process"]["env"] = ["PATH=/bin"]
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    assert "HOME=/srv/web" in bundle.probe()["env"]
    bundle.config["process"]["user"] = {"uid": 4242, "gid": 4242}
    assert "HOME=/" in bundle.probe()["env"]
    bundle.config["process"]["env"] = ["PATH=/bin", "HOME=/given"]
    env = bundle.probe()["env"]
    assert "HOME=/given" in env and len([e for e in env if e.startswith("HOME=")]) == 1
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    running(bundle, env=["PATH=/bin"])
    r = bundle.husk("exec", "c", "/probe")
    assert r.rc == 0 and "HOME=/root" in json.loads(r.out)["env"], r.err


def test_home_from_a_passwd_that_is_a_fifo_does_not_hang(bundle):
    os.mkfifo(os.path.join(bundle.rootfs, "etc", "passwd"))
    bundle.config["process"]["env"] = ["PATH=/bin"]
    assert "HOME=/" in bundle.probe(timeout=10)["env"]


def test_missing_cwd_on_a_readonly_rootfs(bundle):
    """item 5: made before the rootfs turns read-only, as runc and crun do; exec --cwd of a
    missing directory fails with the kernel's words, as runc's does."""
    bundle.config["root"]["readonly"] = True
    bundle.config["process"]["cwd"] = "/no/such/dir"
    p = bundle.probe()
    assert p["cwd"] == "/no/such/dir"
    assert any(m["point"] == "/" and m["options"].startswith("ro") for m in p["mounts"])
    running(bundle, cwd="/no/such/dir")
    r = bundle.husk("exec", "--cwd", "/x/y", "c", "true")
    assert r.rc == 255 and "no such file or directory" in r.err, r.err
    assert not os.path.exists(os.path.join(bundle.rootfs, "x"))


def test_preserve_fds_beyond_what_is_open_does_not_hang(bundle):
    """item 6: husk's own fds took numbers in the preserved range; the flock'ed state directory
    then blocked start. A range beyond what is open is now refused at once (issue 29 item 24);
    within it, the container sees the caller's fd 3 and none of husk's."""
    r_fd, w_fd = os.pipe()
    try:
        bundle.config["process"]["args"] = ["/probe"]
        bundle.write()
        # the pipe becomes the caller's fd 3; fds 4 .. 102 are not open
        proc = subprocess.run(["sh", "-c", 'exec "$@" 3<&0 </dev/null', "sh", HUSK, "--root",
                               bundle.root, "run", "--preserve-fds", "100", "c"],
                              stdin=r_fd, capture_output=True, text=True, timeout=15,
                              cwd=bundle.path)
        assert proc.returncode == 1 and "fd 4 is not open" in proc.stderr, proc.stderr
        proc = subprocess.run(["sh", "-c", 'exec "$@" 3<&0 </dev/null', "sh", HUSK, "--root",
                               bundle.root, "run", "--preserve-fds", "1", "c"],
                              stdin=r_fd, capture_output=True, text=True, timeout=15,
                              cwd=bundle.path)
        assert proc.returncode == 0, proc.stderr
        fds = json.loads(proc.stdout)["fds"]
        assert fds["3"].startswith("pipe:"), fds
        assert not [t for fd, t in fds.items() if int(fd) > 3 and "husk" in t], fds
        assert len(fds) <= 5, fds  # 0, 1, 2, 3 and the probe's own directory fd
    finally:
        os.close(r_fd)
        os.close(w_fd)


@pytest.mark.parametrize("listening", [False, True])
def test_listener_path_without_a_notify_rule_does_not_hang(bundle, tmp_path, listening):
    """item 6: no SCMP_ACT_NOTIFY rule, so there is no listener to send."""
    import socket
    path = str(tmp_path / "agent.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if listening:
        srv.bind(path)
        srv.listen(1)
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": path,
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.config["process"]["args"] = ["sh", "-c", "mkdir /x || echo refused"]
    r = bundle.run(timeout=15)
    srv.close()
    assert (r.rc, r.out) == (0, "refused\n"), r.err


def test_hook_without_env_gets_the_runtimes(bundle, tmp_path):
    """item 11: runc and crun hand such a hook their own environment."""
    out = tmp_path / "env.out"
    script = tmp_path / "hook"
    script.write_text(f"#!/bin/sh\necho \"$HUSK_TEST_MARK\" > {out}\n")
    os.chmod(script, 0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(script)}]}
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    env = dict(os.environ, HUSK_TEST_MARK="from-husk")
    proc = subprocess.run([HUSK, "--root", bundle.root, "run", "c"], env=env, cwd=bundle.path,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == "from-husk\n"


def test_tmpfs_without_mode_takes_the_directorys(bundle):
    """item 12: runc gives such a tmpfs the mode of the directory it covers, not 1777."""
    os.makedirs(os.path.join(bundle.rootfs, "data"))
    os.chmod(os.path.join(bundle.rootfs, "data"), 0o750)
    bundle.config["mounts"] += [
        {"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/given", "type": "tmpfs", "source": "tmpfs", "options": ["mode=711"]}]
    p = bundle.probe("stat", "/data", "stat", "/given")
    assert stat.S_IMODE(p["stat:/data"]["mode"]) == 0o750
    assert stat.S_IMODE(p["stat:/given"]["mode"]) == 0o711


def test_hostname_sysctl_is_refused(bundle):
    """item 13: the hostname field owns it (kernel.domainname: test_runc_parity.py)."""
    bundle.config["linux"]["sysctl"] = {"kernel.hostname": "evil"}
    r = bundle.run()
    assert r.rc == 1 and "kernel.hostname" in r.err and "instead" in r.err, r.err
    assert_nothing_left(bundle, "c")


@pytest.mark.parametrize("cid", [".x", ".seccomp~", ".hidden"])
def test_ids_starting_with_a_dot_are_refused(bundle, cid):
    r = bundle.run(cid)
    assert r.rc == 1 and "invalid container id" in r.err, r.err
    assert not os.path.exists(os.path.join(bundle.root, cid))


def test_a_rootfs_whose_dev_is_a_symlink_is_refused(bundle, tmp_path):
    """item 13: runc's CVE-2026-41579 / crun's CVE-2026-47766 class. The canary is where the
    link points: no device node may be made or removed there."""
    canary = tmp_path / "hostdir"
    canary.mkdir()
    (canary / "null").write_text("canary")
    os.rmdir(os.path.join(bundle.rootfs, "dev"))
    os.symlink(str(canary), os.path.join(bundle.rootfs, "dev"))
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if not m["destination"].startswith("/dev")]
    r = bundle.run()
    assert r.rc == 1 and "/dev is a symlink" in r.err, r.err
    assert (canary / "null").read_text() == "canary" and os.listdir(canary) == ["null"]
    assert_nothing_left(bundle, "c")


def test_device_path_with_a_trailing_slash_is_cleaned(bundle):
    """item 14: runc cleans the path."""
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/mynull/", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666},
        {"path": "/dev//myzero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o640}]
    p = bundle.probe("stat", "/dev/mynull", "stat", "/dev/myzero")
    assert (p["stat:/dev/mynull"]["major"], p["stat:/dev/mynull"]["minor"]) == (1, 3)
    assert stat.S_IMODE(p["stat:/dev/myzero"]["mode"]) == 0o640


def test_update_resources_from_a_pipe_as_docker_sends_it(bundle):
    """item 15: docker 20.10 (through containerd) writes runc's LinuxResources to a pipe."""
    bundle.config["linux"]["resources"] = {"memory": {"limit": 128 << 20}}
    running(bundle)
    doc = {"devices": None, "memory": {"limit": 64 << 20, "reservation": 0, "swap": 0,
                                       "kernel": 0, "kernelTCP": 0, "swappiness": None,
                                       "disableOOMKiller": False},
           "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0,
                   "realtimePeriod": 0, "cpus": "", "mems": ""},
           "pids": {"limit": 0}, "blockIO": {"weight": 0, "weightDevice": None},
           "hugepageLimits": None, "network": None}
    proc = subprocess.run([HUSK, "--root", bundle.root, "update", "--resources", "-", "c"],
                          input=json.dumps(doc), capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    from husk_support import cgroup_read
    limit = cgroup_read(bundle.state("c")["pid"], "memory",
                        "memory.max" if os.path.exists("/sys/fs/cgroup/cgroup.controllers")
                        else "memory.limit_in_bytes")
    assert int(limit) == 64 << 20
    proc = subprocess.run([HUSK, "--root", bundle.root, "update", "-r", "-", "c"],
                          input="{", capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "stdin" in proc.stderr and proc.stderr.strip() != "husk:"


def test_personality_flags_are_refused(bundle):
    bundle.config["linux"]["personality"] = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}
    r = bundle.run()
    assert r.rc == 1 and "linux.personality.flags" in r.err, r.err


V2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
LIMITS = {"memory": {"limit": 100 << 20}, "pids": {"limit": 50}}


def cgroup_script():
    if V2:
        return ("cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; "
                "ls -d /sys/fs/cgroup/*/ 2>/dev/null | wc -l")
    return ("cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; "
            "ls -d /sys/fs/cgroup/memory/*/ /sys/fs/cgroup/pids/*/ 2>/dev/null | wc -l")


@pytest.mark.parametrize("cgroupns", [False, True])
def test_cgroup_mount_shows_the_containers_own_cgroup(bundle, cgroupns):
    """item 9: docker on v1 without a cgroup namespace saw the host's whole tree: the root's
    memory limit, no pids.max. Now each hierarchy is the container's own directory, read-only
    as the mount asks, with no sibling visible."""
    ns = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "cgroup"]
    bundle.config["linux"]["namespaces"] = ns + ([{"type": "cgroup"}] if cgroupns else [])
    bundle.config["linux"]["resources"] = LIMITS
    bundle.config["process"]["args"] = ["sh", "-c", cgroup_script() +
                                        "; touch /sys/fs/cgroup/x 2>/dev/null || echo ro"]
    r = bundle.run()
    assert r.rc == 0, r.err
    memory, pids, subdirs, ro = r.out.split()
    assert int(memory) == (100 << 20) and pids == "50", r.out
    assert subdirs == "0", "a sibling or the host's tree is visible"
    assert ro == "ro"


@pytest.mark.parametrize("cgroupns", [False, True])
def test_cgroup_mount_in_a_user_namespace(bundle, cgroupns):
    """item 8: mounting v1 hierarchies in a user namespace without a cgroup namespace of its own
    fails with EPERM; binding works."""
    ns = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "cgroup"]
    bundle.config["linux"]["namespaces"] = ns + [{"type": "user"}] + (
        [{"type": "cgroup"}] if cgroupns else [])
    for key in ("uidMappings", "gidMappings"):
        bundle.config["linux"][key] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    os.chown(bundle.rootfs, 100000, 100000)
    path = bundle.path
    while path != "/tmp":
        os.chmod(path, 0o755)
        path = os.path.dirname(path)
    bundle.config["linux"]["resources"] = LIMITS
    bundle.config["process"]["args"] = ["sh", "-c", cgroup_script()]
    r = bundle.run()
    assert r.rc == 0, r.err
    memory, pids, subdirs = r.out.split()
    assert int(memory) == (100 << 20) and pids == "50" and subdirs == "0", r.out


def mounts_under(path, pid="self"):
    with open(f"/proc/{pid}/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path)]


def without_mount_ns(bundle, path=None):
    ns = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "mount"]
    bundle.config["linux"]["namespaces"] = ns + ([{"type": "mount", "path": path}] if path else [])


def test_no_mount_namespace_chroots_and_delete_detaches(bundle):
    """item 10: the spec allows sharing husk's mount namespace. The container's mounts then sit
    on the host under one private bind of the rootfs, while it lives; delete detaches it."""
    without_mount_ns(bundle)
    bundle.config["root"]["readonly"] = True
    running(bundle)
    rootfs = os.path.realpath(bundle.rootfs)
    assert rootfs in mounts_under(rootfs) and rootfs + "/proc" in mounts_under(rootfs)
    r = bundle.husk("exec", "c", "sh", "-c", "ls /probe && touch /x 2>/dev/null || echo ro")
    assert (r.rc, r.out) == (0, "/probe\nro\n"), r.err
    r = bundle.husk("exec", "c", "/probe")
    assert r.rc == 0 and json.loads(r.out)["ns"]["mnt"] == os.readlink("/proc/self/ns/mnt")
    assert bundle.husk("delete", "--force", "c").rc == 0
    assert mounts_under(rootfs) == [], "a mount of the container's stayed on the host"


def test_no_mount_namespace_failed_create_leaves_no_mount(bundle):
    without_mount_ns(bundle)
    bundle.config["mounts"].append({"destination": "/bad", "type": "nosuchfs", "source": "x"})
    r = bundle.run()
    assert r.rc == 1 and "mounts[" in r.err, r.err
    assert mounts_under(os.path.realpath(bundle.rootfs)) == []
    assert_nothing_left(bundle, "c")


def test_mount_namespace_joined_by_path(bundle):
    """item 10: the rootfs is built in the joined namespace, and delete cleans it there."""
    holder = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sleep", "60"])
    try:
        for _ in range(100):
            if os.readlink(f"/proc/{holder.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt"):
                break
            time.sleep(0.01)
        without_mount_ns(bundle, f"/proc/{holder.pid}/ns/mnt")
        running(bundle)
        rootfs = os.path.realpath(bundle.rootfs)
        assert mounts_under(rootfs) == [], "the mounts belong in the joined namespace"
        assert rootfs + "/proc" in mounts_under(rootfs, holder.pid)
        r = bundle.husk("exec", "c", "ls", "/probe")
        assert (r.rc, r.out) == (0, "/probe\n"), r.err
        assert bundle.husk("delete", "--force", "c").rc == 0
        assert mounts_under(rootfs, holder.pid) == []
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("policy,number", [("SCHED_FIFO", 1), ("SCHED_RR", 2)])
def test_realtime_scheduler_without_realtime_runtime(bundle, policy, number):
    """item 7: on v1 with RT group scheduling a new cgroup has cpu.rt_runtime_us 0, so the
    policy failed with EPERM; the container's cpu cgroup now gets what its parent has left."""
    bundle.config["process"]["scheduler"] = {"policy": policy, "priority": 10}
    bundle.config["process"]["args"] = ["sh", "-c", "/probe; sleep 100"]
    running(bundle)
    pid = bundle.state("c")["pid"]
    with open(f"/proc/{pid}/sched") as f:
        assert any(line.split()[0] == "policy" and line.split()[-1] == str(number)
                   for line in f), "pid 1 is not realtime"
    from husk_support import cgroup_dir
    rt = os.path.join(cgroup_dir(pid, "cpu"), "cpu.rt_runtime_us")
    if os.path.exists(rt):
        with open(rt) as f:
            assert int(f.read()) > 0


def test_realtime_scheduler_with_realtime_runtime_given(bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_FIFO", "priority": 5}
    bundle.config["linux"]["resources"] = {"cpu": {"realtimeRuntime": 10000,
                                                   "realtimePeriod": 1000000}}
    if V2:
        bundle.config["linux"]["resources"] = {}
    assert bundle.probe()["sched_policy"] == 1
