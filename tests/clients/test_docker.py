"""docker drives husk: Debian's dockerd with a private data root, exec root, socket and config,
husk added with --add-runtime and made the default, no iptables and no bridge (containers run
with --network none), the cgroupfs driver under a cgroup parent of our own, and an image made
with `docker import` of the busybox rootfs. Everything started is stopped by its pid at the end,
and what dockerd writes outside its directories (/etc/docker/key.json, /run/docker) goes if it
was not there before."""
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from clients_support import (BUILD, HUSK, cgroups_named, kill_processes, on_a_terminal,
                             remove_tree, stop_daemon)
from make_image import rootfs_tar

# The Debian client by its path: another `docker` may come first in PATH
DOCKER, DOCKERD = "/usr/bin/docker", "/usr/sbin/dockerd"
IMAGE = "husk/busybox"
CGROUP2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
LEFT_BY_DOCKERD = ["/etc/docker/key.json", "/run/docker"]

if os.geteuid() != 0:
    pytest.skip("dockerd needs root", allow_module_level=True)
if not os.path.exists(DOCKERD) or not os.path.exists(DOCKER):
    pytest.fail("docker is missing: contrib/install-deps --vm installs docker.io")


class Docker:
    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "docker.sock")
        self.parent = "husk-docker-" + uuid.uuid4().hex[:8]

    def __call__(self, *args, timeout=60, **kw):
        return subprocess.run([DOCKER, "-H", "unix://" + self.sock, *args], capture_output=True,
                              text=True, timeout=timeout, **kw)

    def run(self, *args, opts=(), timeout=60):
        return self("run", "--rm", "--network", "none", *opts, IMAGE, *args, timeout=timeout)

    def detach(self, *args, opts=()):
        r = self("run", "-d", "--network", "none", *opts, IMAGE, *args)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def inspect(self, cid, field):
        return self("inspect", "--format", "{{" + field + "}}", cid).stdout.strip()

    def husk_roots(self):
        """The state roots the shim gives husk (under dockerd's exec root)."""
        return glob.glob(os.path.join(self.tmp, "exec", "runtime-*", "moby"))

    def husk_state(self, cid):
        """husk's own record of the container, from the root the shim gave it."""
        for root in self.husk_roots():
            r = subprocess.run([HUSK, "--root", root, "state", cid], capture_output=True,
                               text=True)
            if r.returncode == 0:
                return json.loads(r.stdout)
        return None

    def husk_ids(self):
        """Container ids in husk's root (not its .seccomp~ filter cache)."""
        return [d for root in self.husk_roots() for d in os.listdir(root) if not d.startswith(".")]


def start_dockerd(d, log):
    with open(os.path.join(d.tmp, "daemon.json"), "w") as f:
        f.write("{}\n")
    argv = [DOCKERD, "--config-file", os.path.join(d.tmp, "daemon.json"),
            "--data-root", os.path.join(d.tmp, "data"), "--exec-root", os.path.join(d.tmp, "exec"),
            "--pidfile", os.path.join(d.tmp, "docker.pid"), "-H", "unix://" + d.sock,
            "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
            "--bridge=none", "--userland-proxy=false", "--storage-driver", "overlay2",
            "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", "/" + d.parent,
            "--add-runtime", "husk=" + HUSK, "--default-runtime", "husk"]
    return subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)


def unmount_under(top):
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for point in sorted((p for p in points if p.startswith(top + "/")), key=len, reverse=True):
        # one lazy unmount each, deepest first: dockerd's own binds over its data root
        subprocess.run(["umount", "-l", point], capture_output=True)


@pytest.fixture(scope="module")
def docker():
    had = {path: os.path.exists(path) for path in LEFT_BY_DOCKERD}
    tmp = tempfile.mkdtemp(prefix="husk-docker-")
    d = Docker(tmp)
    # overlay2 wants a filesystem it can stack on (the VM's /tmp is an overlay itself)
    os.mkdir(os.path.join(tmp, "data"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1g,mode=0700", "husk-docker",
                    os.path.join(tmp, "data")], check=True)
    log = open(os.path.join(tmp, "dockerd.log"), "w")
    daemon = start_dockerd(d, log)
    try:
        for _ in range(400):
            if os.path.exists(d.sock) and d("version").returncode == 0:
                break
            assert daemon.poll() is None, open(os.path.join(tmp, "dockerd.log")).read()[-2000:]
            time.sleep(0.05)
        rootfs = os.path.join(tmp, "rootfs.tar")
        rootfs_tar(rootfs, os.path.join(BUILD, "tests", "probe"))
        r = d("import", "-c", "ENV PATH=/bin", "-c", 'CMD ["sh"]', rootfs, IMAGE)
        assert r.returncode == 0, r.stderr
        yield d
    finally:
        ids = d("ps", "-aq").stdout.split()
        if ids:
            d("rm", "-f", *ids)
        stop_daemon(daemon, 30)
        log.close()
        kill_processes("containerd-shim-runc-v2", tmp)
        kill_processes("containerd", tmp)
        unmount_under(tmp)
        for path in cgroups_named(d.parent):
            remove_tree(path)
        shutil.rmtree(tmp, ignore_errors=True)
        for path, existed in had.items():
            if not existed:
                subprocess.run(["rm", "-rf", path])


def limit_inside(v1_file, v2_file):
    """A shell line printing a cgroup file as the container sees it, on v1 or v2."""
    return f"cat /sys/fs/cgroup/{v2_file if CGROUP2 else v1_file}"


def test_run_rm_output_and_exit_codes(docker):
    r = docker.run("sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    # docker maps husk's exec errors to 127 and 126 by their words (CONTRACT.md)
    r = docker.run("no-such-program")
    assert r.returncode == 127, r.stderr
    assert 'exec: "no-such-program": executable file not found in $PATH' in r.stderr
    r = docker.run("/etc/passwd")
    assert r.returncode == 126 and "permission denied" in r.stderr, r.stderr


def test_detach_exec_stop_rm(docker):
    cid = docker.detach("sleep", "100")
    try:
        state = docker.husk_state(cid)
        assert state["status"] == "running" and state["pid"] == int(docker.inspect(cid,
                                                                                   ".State.Pid"))
        r = docker("exec", cid, "sh", "-c", "echo in $(cat /proc/1/comm); exit 4")
        assert (r.returncode, r.stdout) == (4, "in sleep\n"), r.stderr
        # sleep as pid 1 ignores SIGTERM: stop kills it after the timeout
        assert docker("stop", "-t", "1", cid).returncode == 0
        assert docker.inspect(cid, ".State.Status") == "exited"
        assert docker.inspect(cid, ".State.ExitCode") == "137"
        assert docker("rm", cid).returncode == 0
        assert docker.husk_state(cid) is None and cid not in docker.husk_ids()
    finally:
        docker("rm", "-f", cid)


def test_read_only_caps_and_user(docker):
    r = docker.run("sh", "-c", "grep -E 'CapEff|CapBnd' /proc/self/status; touch /x; echo t=$?",
                   opts=["--read-only", "--cap-drop", "ALL", "--cap-add", "CHOWN"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["CapEff:", "0000000000000001", "CapBnd:", "0000000000000001",
                                "t=1"]
    # docker gives a user other than root its capabilities in the bounding set only
    r = docker.run("sh", "-c", "id -u; grep -E 'CapEff|CapBnd' /proc/self/status",
                   opts=["--cap-drop", "ALL", "--cap-add", "CHOWN", "-u", "1000:1000"])
    assert r.stdout.split() == ["1000", "CapEff:", "0000000000000000", "CapBnd:",
                                "0000000000000001"], r.stderr


def test_memory_and_pids_limits_from_inside_and_update(docker):
    shell = (limit_inside("memory/memory.limit_in_bytes", "memory.max") + "; " +
             limit_inside("pids/pids.max", "pids.max"))
    r = docker.run("sh", "-c", shell, opts=["--memory", "64m", "--pids-limit", "33"])
    assert (r.returncode, r.stdout.split()) == (0, [str(64 << 20), "33"]), r.stderr
    cid = docker.detach("sleep", "100", opts=["--memory", "64m"])
    try:
        r = docker("update", "--memory", "100m", "--memory-swap", "200m", cid)
        assert r.returncode == 0, r.stderr
        r = docker("exec", cid, "sh", "-c", limit_inside("memory/memory.limit_in_bytes",
                                                         "memory.max"))
        assert r.stdout.split() == [str(100 << 20)], r.stderr
        pid = docker.inspect(cid, ".State.Pid")
        assert docker.parent in open(f"/proc/{pid}/cgroup").read()
    finally:
        docker("rm", "-f", cid)


def test_terminal_run_and_exec(docker):
    base = [DOCKER, "-H", "unix://" + docker.sock]
    status, out = on_a_terminal([*base, "run", "--rm", "-it", "--network", "none", IMAGE, "sh"],
                                b"[ -t 0 ] && echo tty-$((40+2)); exit 5\n")
    assert "tty-42" in out and status == 5, out
    cid = docker.detach("sleep", "100")
    try:
        status, out = on_a_terminal([*base, "exec", "-it", cid, "sh"],
                                    b"[ -t 0 ] && echo tty-$((40+3)); exit 6\n")
        assert "tty-43" in out and status == 6, out
    finally:
        docker("rm", "-f", cid)


def test_pause_unpause_top_and_stats(docker):
    cid = docker.detach("sleep", "100")
    try:
        pid = docker.inspect(cid, ".State.Pid")
        assert docker("pause", cid).returncode == 0
        assert docker.inspect(cid, ".State.Status") == "paused"
        assert docker.husk_state(cid)["status"] == "paused"
        assert docker("unpause", cid).returncode == 0
        assert docker.husk_state(cid)["status"] == "running"
        # top asks husk (`ps --format json`) for the container's pids
        r = docker("top", cid)
        assert r.returncode == 0, r.stderr
        rows = [line.split() for line in r.stdout.splitlines()[1:]]
        assert [(row[1], row[-2:]) for row in rows] == [(pid, ["sleep", "100"])], r.stdout
        r = docker("stats", "--no-stream", "--format", "{{.PIDs}} {{.MemUsage}}", cid)
        pids, usage = r.stdout.split()[:2]
        assert pids == "1" and not usage.startswith("0B"), r.stdout + r.stderr
    finally:
        docker("rm", "-f", cid)


def test_restart_policy(docker):
    cid = docker.detach("sh", "-c", "exit 7", opts=["--restart", "on-failure:2"])
    try:
        for _ in range(300):
            if (docker.inspect(cid, ".RestartCount") == "2" and
                    docker.inspect(cid, ".State.Status") == "exited"):
                break
            time.sleep(0.05)
        assert docker.inspect(cid, ".RestartCount") == "2"
        assert docker.inspect(cid, ".State.Status") == "exited"
        assert docker.inspect(cid, ".State.ExitCode") == "7"
    finally:
        docker("rm", "-f", cid)


def test_init(docker):
    r = docker.run("sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; ps -o comm | wc -l",
                   opts=["--init"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("/sbin/docker-init -- sh"), r.stdout


def test_twenty_in_parallel_leave_nothing(docker):
    # a docker run takes seconds in the VM (dockerd's own work; runc's the same): 20 of them on
    # its two CPUs take minutes
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda i: docker.run("sh", "-c", f"echo {i}", timeout=600),
                                range(20)))
    assert [(r.returncode, r.stdout) for r in results] == [(0, f"{i}\n") for i in range(20)], \
        [r.stderr for r in results if r.returncode != 0]
    assert docker("ps", "-aq").stdout.split() == []
    assert docker.husk_ids() == []
    for path in cgroups_named(docker.parent):
        assert [e for e in os.listdir(path) if os.path.isdir(os.path.join(path, e))] == [], path
