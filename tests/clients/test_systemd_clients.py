"""Clients with systemd managing cgroups, in the systemd tier (tests/vm/run --systemd): ctr's
runc-v2 shim with the options SystemdCgroup = true and BinaryName = husk (ctr's --runc-binary and
--runc-systemd-cgroup), and podman with --cgroup-manager systemd. Limits are read back from the
scope (systemctl show) and its cgroup; an OOM kill reaches the client."""
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import pytest

from clients_support import HUSK

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from husk_support import systemctl_show, systemd_units  # noqa: E402
from test_containerd import IMAGE, containerd  # noqa: F401  (the fixture)
from test_podman import IMAGE as PODMAN_IMAGE, Podman, podman_with_image, write_containers_conf

if os.environ.get("HUSK_SYSTEMD_CGROUP") != "1":
    pytest.skip("the systemd tier runs this (tests/vm/run --systemd)", allow_module_level=True)

MIB = 1 << 20


def show(unit, prop):
    return systemctl_show(unit, prop)[prop]


def unit_listed(unit):
    return systemd_units(unit) != []


def ctr_run(c, cid, *args, opts=(), detach=False):
    return c.ctr("run", "--runc-binary", HUSK, "--runc-systemd-cgroup", "--snapshotter",
                 "native", "--cgroup", f"system.slice:husk-ctr:{cid}", *opts,
                 "-d" if detach else "--rm", IMAGE, cid, *args)


def test_ctr_memory_limit_is_the_scopes(containerd):  # noqa: F811
    r = ctr_run(containerd, "m1", "sleep", "100", opts=["--memory-limit", str(64 * MIB)],
                detach=True)
    assert r.returncode == 0, r.stderr
    try:
        pid = containerd.task_pid("m1")
        with open(f"/proc/{pid}/cgroup") as f:
            assert f.read().strip() == "0::/system.slice/husk-ctr-m1.scope"
        assert show("husk-ctr-m1.scope", "MemoryMax") == str(64 * MIB)
        with open("/sys/fs/cgroup/system.slice/husk-ctr-m1.scope/memory.max") as f:
            assert f.read().strip() == str(64 * MIB)
        # exec joins the scope (ctr's spec has no cgroup namespace: the whole path shows)
        r = containerd.ctr("task", "exec", "--exec-id", "e1", "m1", "cat", "/proc/self/cgroup")
        assert (r.returncode, r.stdout) == (0, "0::/system.slice/husk-ctr-m1.scope\n"), r.stderr
    finally:
        containerd.remove("m1")
    assert not unit_listed("husk-ctr-m1.scope")


def test_ctr_run_rm_and_exit_code(containerd):  # noqa: F811
    r = ctr_run(containerd, "r1", "sh", "-c", "echo hi; exit 3")
    assert (r.returncode, r.stdout) == (3, "hi\n"), r.stderr
    assert not unit_listed("husk-ctr-r1.scope")


def test_ctr_sees_the_oom_kill(containerd):  # noqa: F811
    events = subprocess.Popen(["ctr", "-a", containerd.sock, "-n", containerd.ns, "events"],
                              stdout=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(events.stdout), daemon=True)
    reader.start()
    try:
        # The shim (containerd 1.6) reads memory.events again on each inotify event and drops
        # the watch when the read fails; with the systemd driver, systemd removes the scope's
        # cgroup as soon as its last process is gone, which can come before the shim reads
        # the oom_kill count (the kernel delays the notification by up to 10 ms): an OOM that
        # kills pid 1 itself is then lost, for runc as for husk (CI saw it twice). Here pid 1
        # (sh) outlives the killed allocator a second, after the shim has started watching.
        r = ctr_run(containerd, "oom", "sh", "-c",
                    "sleep 1; /probe alloc 64; rc=$?; sleep 1; exit $rc",
                    opts=["--memory-limit", str(16 * MIB)])
        assert r.returncode == 137, (r.returncode, r.stderr)
    finally:
        events.terminate()
        reader.join(timeout=10)
    assert any("/tasks/oom" in line for line in lines), (lines, oom_diagnosis(containerd))


def oom_diagnosis(c):
    """What a lost OOM event leaves to read: containerd's lines about OOM or inotify, and how
    many inotify instances the host holds (the shim needs one per watched cgroup)."""
    with open(os.path.join(c.tmp, "containerd.log")) as f:
        said = [ln for ln in f if "oom" in ln.lower() or "inotify" in ln.lower()]
    instances = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                instances += os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify"
            except OSError:
                pass
    with open("/proc/sys/fs/inotify/max_user_instances") as f:
        limit = f.read().strip()
    return said[-20:], f"inotify instances {instances} (limit per user {limit})"


@pytest.fixture(scope="module")
def podman_systemd():
    tmp = tempfile.mkdtemp(prefix="husk-pds-")  # podman wants a runroot under 50 characters
    p = Podman(tmp)
    p.base[p.base.index("cgroupfs")] = "systemd"
    write_containers_conf(p.conf, ulimits=["nofile=1024:1024", "nproc=4096:4096"])
    try:
        with podman_with_image(p, tmp, PODMAN_IMAGE):
            yield p
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_podman_with_the_systemd_cgroup_manager(podman_systemd):
    p = podman_systemd
    pid = p.detach("s1", "sleep", "100", opts=["--memory", "64m", "--pids-limit", "30"])
    try:
        full = p("inspect", "--format", "{{.Id}}", "s1").stdout.strip()
        unit = f"libpod-{full}.scope"
        with open(f"/proc/{pid}/cgroup") as f:
            assert f.read().strip() == f"0::/machine.slice/{unit}"
        assert (show(unit, "MemoryMax"), show(unit, "TasksMax")) == (str(64 * MIB), "30")
        r = p("exec", "s1", "cat", "/sys/fs/cgroup/memory.max")
        assert (r.returncode, r.stdout.strip()) == (0, str(64 * MIB)), r.stderr
    finally:
        p.remove("s1")
    assert not unit_listed(unit)
    r = p.run("sh", "-c", "echo ok; exit 4")
    assert (r.returncode, r.stdout) == (4, "ok\n"), r.stderr
