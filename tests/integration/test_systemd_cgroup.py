"""--systemd-cgroup, in the systemd tier (tests/vm/run --systemd, HUSK_SYSTEMD_CGROUP=1): the
container's cgroup is a transient scope; its name and slice come from "slice:prefix:name"; each
resource is read back from `systemctl show` and from the scope's cgroup; update reaches both and
outlives a daemon-reload; delete, and delete --force after a killed husk, leave no unit."""
import json
import os
import signal
import subprocess
import time

import pytest

from husk_support import (HUSK, SYSTEMD, assert_nothing_left, cgroup_dir, systemctl_show as show,
                          systemd_units as units)

if not SYSTEMD:
    pytest.skip("the systemd tier runs this (tests/vm/run --systemd)", allow_module_level=True)

MIB = 1 << 20


def detach(bundle, cid="c", args=("sleep", "100")):
    bundle.config["process"]["args"] = list(args)
    bundle.write()
    r = bundle.husk("run", "-d", cid)
    assert r.rc == 0, r.err
    return bundle.state(cid)["pid"]


@pytest.mark.parametrize("path,unit,slice_dir", [
    ("", "husk-c.scope", "/system.slice"),
    ("system.slice:cri-containerd:c", "cri-containerd-c.scope", "/system.slice"),
    ("machine.slice:libpod:c", "libpod-c.scope", "/machine.slice"),
    ("kubepods-burstable.slice:crio:c", "crio-c.scope",
     "/kubepods.slice/kubepods-burstable.slice"),
    (":husk:c", "husk-c.scope", "/system.slice"),
])
def test_the_scope_and_its_slice(bundle, path, unit, slice_dir):
    bundle.config["linux"]["cgroupsPath"] = path
    pid = detach(bundle)
    assert cgroup_dir(pid, "pids") == f"/sys/fs/cgroup{slice_dir}/{unit}"
    props = show(unit, "ActiveState", "Delegate", "Slice")
    assert props == {"ActiveState": "active", "Delegate": "yes",
                     "Slice": os.path.basename(slice_dir)}, props
    assert bundle.husk("delete", "--force", "c").rc == 0
    assert units(unit) == [], "the scope outlived delete"
    assert not os.path.exists(f"/sys/fs/cgroup{slice_dir}/{unit}")


def test_each_resource_from_systemctl_show_and_the_files(bundle):
    bundle.config["linux"]["resources"] = {
        "memory": {"limit": 64 * MIB, "reservation": 8 * MIB, "swap": 96 * MIB},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
        "pids": {"limit": 40},
        "blockIO": {"weight": 500}}
    pid = detach(bundle)
    props = show("husk-c.scope", "MemoryMax", "MemoryLow", "MemorySwapMax", "CPUWeight",
                 "CPUQuotaPerSecUSec", "CPUQuotaPeriodUSec", "AllowedCPUs",
                 "AllowedMemoryNodes", "TasksMax", "IOWeight")
    assert props == {"MemoryMax": str(64 * MIB), "MemoryLow": str(8 * MIB),
                     "MemorySwapMax": str(32 * MIB), "CPUWeight": "20",
                     "CPUQuotaPerSecUSec": "500ms", "CPUQuotaPeriodUSec": "100ms",
                     "AllowedCPUs": "0", "AllowedMemoryNodes": "0", "TasksMax": "40",
                     "IOWeight": "4950"}, props
    d = cgroup_dir(pid, "memory")
    files = {}
    for name in ["memory.max", "memory.low", "memory.swap.max", "cpu.weight", "cpu.max",
                 "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight"]:
        with open(os.path.join(d, name)) as f:
            files[name] = f.read().strip()
    assert files == {"memory.max": str(64 * MIB), "memory.low": str(8 * MIB),
                     "memory.swap.max": str(32 * MIB), "cpu.weight": "20",
                     "cpu.max": "50000 100000", "cpuset.cpus": "0", "cpuset.mems": "0",
                     "pids.max": "40", "io.weight": "default 4950"}, files


def test_update_sets_the_properties_too_and_survives_daemon_reload(bundle):
    bundle.config["linux"]["resources"] = {"memory": {"limit": 64 * MIB}, "pids": {"limit": 40}}
    pid = detach(bundle)
    r = bundle.husk("update", "--memory", str(32 * MIB), "--pids-limit", "20", "c")
    assert r.rc == 0, r.err
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    assert show("husk-c.scope", "MemoryMax", "TasksMax") == {"MemoryMax": str(32 * MIB),
                                                             "TasksMax": "20"}
    with open(os.path.join(cgroup_dir(pid, "memory"), "memory.max")) as f:
        assert f.read().strip() == str(32 * MIB), "daemon-reload put the old limit back"


def test_exec_pause_and_the_scope_ending_with_the_container(bundle):
    pid = detach(bundle)
    r = bundle.husk("exec", "c", "cat", "/proc/self/cgroup")
    assert (r.rc, r.out) == (0, "0::/\n"), r.err
    assert bundle.husk("pause", "c").rc == 0
    assert bundle.state("c")["status"] == "paused"
    assert bundle.husk("resume", "c").rc == 0
    os.kill(pid, signal.SIGKILL)
    for _ in range(200):
        if units("husk-c.scope") == []:
            break
        time.sleep(0.02)
    assert bundle.state("c")["status"] == "stopped"
    assert bundle.husk("delete", "c").rc == 0, "an emptied scope that systemd removed"
    assert_nothing_left(bundle, "c")


def test_delete_force_after_husk_was_killed_in_create(bundle, tmp_path):
    """husk killed while its createRuntime hook runs: the scope exists with the container's
    processes in it; delete --force stops it and leaves no unit."""
    mark = tmp_path / "hook-ran"
    bundle.config["hooks"] = {"createRuntime": [
        {"path": "/bin/sh", "args": ["sh", "-c", f"echo $$ > {mark}; exec sleep 100"]}]}
    bundle.write()
    proc = subprocess.Popen([HUSK, "--root", bundle.root,
                             "--systemd-cgroup", "create", "c"], cwd=bundle.path,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(500):
        if mark.exists() and mark.read_text().strip():
            break
        time.sleep(0.01)
    assert units("husk-c.scope") == ["husk-c.scope"]
    proc.kill()
    proc.wait()
    os.kill(int(mark.read_text()), signal.SIGKILL)  # the hook, in husk's own cgroup
    r = bundle.husk("delete", "--force", "c")
    assert r.rc == 0, r.err
    assert units("husk-c.scope") == []
    assert_nothing_left(bundle, "c")


@pytest.mark.parametrize("path,why", [
    ("system.slice/c", 'is "slice:prefix:name"'),
    ("a:b:c:d", 'is "slice:prefix:name"'),
    ("machine:libpod:c", "is not a slice"),
    ("system.slice:husk:", "no unit name"),
    ("system.slice:husk:pod.slice", "a slice as the container's own unit"),
    # issue 27 item 6: values that would reach another unit, a path or a second line
    ("system.slice:husk:a\nb", "a unit name takes"),
    ("system.slice:husk:..", "no leading dot"),
    ("system.slice:..:c", "no leading dot"),
    ("..slice:husk:c", "no leading dot"),
    ("system.slice:husk:getty@tty1", "a unit name takes"),
    ("user-1000.slice:session:c d", "a unit name takes"),
    ("system.slice:husk:" + "x" * 300, "too long"),
    ("system.slice:husk:" + "x" * 246, "too long"),
])
def test_a_bad_cgroups_path_is_one_line(bundle, path, why):
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1 and r.err.count("\n") == 1, r.err
    assert "linux.cgroupsPath" in r.err and why in r.err, r.err
    assert_nothing_left(bundle, "c")


def test_a_unit_that_exists_is_refused_and_kept(bundle):
    pid = detach(bundle, "c")
    try:
        bundle.config["linux"]["cgroupsPath"] = "system.slice:husk:c"
        bundle.write()
        r = bundle.husk("create", "d")
        assert r.rc == 1, r.err
        assert r.err == ("husk: cgroup: systemd: start husk-c.scope: the unit already "
                         "exists\n"), r.err
        assert not os.path.exists(os.path.join(bundle.root, "d"))
        assert show("husk-c.scope", "ActiveState") == {"ActiveState": "active"}
        with open(f"/proc/{pid}/cgroup") as f:
            assert f.read().strip() == "0::/system.slice/husk-c.scope"
    finally:
        bundle.husk("delete", "--force", "c")


def test_state_and_the_record_say_systemd(bundle):
    detach(bundle)
    with open(os.path.join(bundle.root, "c", "state.json")) as f:
        assert json.load(f)["systemdCgroup"] is True


def test_husk_run_as_a_type_notify_service(bundle):
    """systemd-run of a Type=notify unit running `husk run` returns once the service inside said
    READY=1: the unit is active, its status text is the container's, its main pid pid 1."""
    bundle.config["process"]["args"] = [
        "sh", "-c", "/probe notify STATUS=warming >/dev/null; sleep 0.5; "
        "/probe notify READY=1 >/dev/null; exec sleep 100"]
    bundle.write()
    unit = "husk-notify-test.service"
    r = subprocess.run(["systemd-run", f"--unit={unit}", "--property=Type=notify",
                        f"--working-directory={bundle.path}", HUSK, "--root", bundle.root,
                        "--systemd-cgroup", "run", "c"], capture_output=True, text=True,
                       timeout=60)
    try:
        assert r.returncode == 0, r.stderr
        props = show(unit, "ActiveState", "StatusText", "MainPID")
        assert props["ActiveState"] == "active" and props["StatusText"] == "warming", props
        assert props["MainPID"] == str(bundle.state("c")["pid"]), props
    finally:
        subprocess.run(["systemctl", "stop", unit], capture_output=True)
        subprocess.run(["systemctl", "reset-failed", unit], capture_output=True)
        bundle.husk("delete", "--force", "c")
    assert units("husk-c.scope") == []
