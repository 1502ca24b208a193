"""podman drives husk through conmon: its own --root, --runroot and containers.conf (husk as
the runtime, in runtime_supports_json so that podman passes --log-format=json), the cgroupfs
manager, file events, the vfs storage driver, and the busybox image built here and loaded."""
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from clients_support import (HUSK, cgroups_named, on_a_terminal, podman_with_image,
                             remove_tree, write_containers_conf)

IMAGE = "localhost/husk/busybox:latest"
CGROUP2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")

if os.geteuid() != 0:
    pytest.skip("rootful podman needs root", allow_module_level=True)
if shutil.which("podman") is None or shutil.which("conmon") is None:
    pytest.fail("podman is missing: contrib/install-deps --vm installs it")


class Podman:
    def __init__(self, tmp):
        self.tmp = tmp
        self.conf = os.path.join(tmp, "containers.conf")
        self.base = ["podman", "--root", f"{tmp}/root", "--runroot", f"{tmp}/runroot",
                     "--storage-driver", "vfs", "--tmpdir", f"{tmp}/tmp",
                     "--runtime", HUSK, "--cgroup-manager", "cgroupfs",
                     "--events-backend", "file"]
        self.env = dict(os.environ, CONTAINERS_CONF=self.conf)
        self.owner = None

    def __call__(self, *args, timeout=90, **kw):
        return subprocess.run([*self.base, *args], capture_output=True, text=True,
                              timeout=timeout, env=self.env, **kw)

    def run(self, *args, opts=()):
        return self("run", "--rm", "--network", "none", *opts, IMAGE, *args)

    def detach(self, name, *args, opts=()):
        r = self("run", "-d", "--name", name, "--network", "none", *opts, IMAGE, *args)
        assert r.returncode == 0, r.stderr
        return int(self("inspect", "--format", "{{.State.Pid}}", name).stdout)

    def remove(self, name):
        self("rm", "-f", "-t", "0", name)


@pytest.fixture(scope="module")
def podman():
    # podman's cgroupfs manager puts containers and conmon under /libpod_parent, and husk's
    # default root is /run/husk (podman passes no --root): what the tests made there goes after
    had_parent = set(cgroups_named("libpod_parent"))
    had_root = os.path.exists("/run/husk")
    tmp = tempfile.mkdtemp(prefix="husk-podman-")
    p = Podman(tmp)
    # root here lacks CAP_SYS_RESOURCE: podman's default rlimits (nofile and nproc raised to
    # the maximum) cannot be set, so the config asks for values under the host's
    write_containers_conf(p.conf, ulimits=["nofile=1024:1024", "nproc=4096:4096"])
    try:
        with podman_with_image(p, tmp, IMAGE):
            yield p
    finally:
        subprocess.run(["umount", "-R", f"{tmp}/root"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        for path in set(cgroups_named("libpod_parent")) - had_parent:
            remove_tree(path)
        if not had_root:
            shutil.rmtree("/run/husk", ignore_errors=True)


def test_run_rm_echo_and_exit_codes(podman):
    r = podman.run("sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    assert podman.run("true").returncode == 0


def test_detach_exec_stop_rm(podman):
    name = "d" + uuid.uuid4().hex[:6]
    podman.detach(name, "sleep", "100")
    try:
        r = podman("exec", name, "sh", "-c", "echo pid $$; exit 4")
        assert (r.returncode, r.stdout) == (4, "pid 2\n"), r.stderr
        assert podman("stop", "-t", "1", name).returncode == 0
        state = podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
        assert state == "exited"
        assert podman("rm", name).returncode == 0
    finally:
        podman.remove(name)


def test_pause_unpause(podman):
    name = "p" + uuid.uuid4().hex[:6]
    podman.detach(name, "sleep", "100")
    try:
        assert podman("pause", name).returncode == 0
        assert podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "paused"
        assert podman("unpause", name).returncode == 0
        assert podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "running"
    finally:
        podman.remove(name)


def test_read_only_caps_user_env_workdir(podman):
    r = podman.run("sh", "-c", "echo $FOO; pwd; id -u; grep CapEff /proc/self/status; "
                   "touch /x; echo t=$?",
                   opts=["--read-only", "--cap-drop=ALL", "--cap-add=CHOWN", "-u", "1000:1000",
                         "-e", "FOO=bar", "-w", "/tmp"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["bar", "/tmp", "1000", "CapEff:", "0000000000000001", "t=1"]
    r = podman.run("grep", "CapEff", "/proc/self/status", opts=["--cap-drop=ALL"])
    assert r.stdout.split() == ["CapEff:", "0000000000000000"], r.stderr


def cgroup_file(pid, controller, v1_name, v2_name):
    with open(f"/proc/{pid}/cgroup") as f:
        lines = f.read().splitlines()
    if CGROUP2:
        rel = [x for x in lines if x.startswith("0::")][0][3:]
        return open(f"/sys/fs/cgroup{rel}/{v2_name}").read().strip()
    rel = [x for x in lines if f":{controller}:" in x][0].split(":", 2)[2]
    return open(f"/sys/fs/cgroup/{controller}{rel}/{v1_name}").read().strip()


def test_pids_limit_and_memory(podman):
    name = "m" + uuid.uuid4().hex[:6]
    pid = podman.detach(name, "sleep", "100", opts=["--pids-limit", "50", "--memory", "64m"])
    try:
        assert cgroup_file(pid, "pids", "pids.max", "pids.max") == "50"
        assert cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(64 << 20)
    finally:
        podman.remove(name)


def test_stdin_and_loopback(podman):
    r = podman("run", "--rm", "-i", "--network", "none", IMAGE, "sh", "-c",
               "read line; echo got $line; ip addr show lo | grep -q UP && "
               "ping -c 1 -W 2 127.0.0.1 >/dev/null && echo up", input="hello\n")
    assert (r.returncode, r.stdout) == (0, "got hello\nup\n"), r.stderr


def test_run_t_and_exec_it(podman):
    status, out = on_a_terminal([*podman.base, "run", "--rm", "-it", "--network", "none", IMAGE,
                                 "sh"], b"[ -t 0 ] && echo tty-$((40+2)); exit 4\n", podman.env)
    assert "tty-42" in out and status == 4, out
    name = "t" + uuid.uuid4().hex[:6]
    podman.detach(name, "sleep", "100")
    try:
        status, out = on_a_terminal([*podman.base, "exec", "-it", name, "sh"],
                                    b"[ -t 0 ] && echo tty-$((40+3)); exit 5\n", podman.env)
        assert "tty-43" in out and status == 5, out
    finally:
        podman.remove(name)


def test_husks_own_error_reaches_podman(podman):
    r = podman.run("no-such-program")
    assert r.returncode != 0
    assert 'exec: "no-such-program": executable file not found in $PATH' in r.stderr, r.stderr
