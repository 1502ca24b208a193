"""What keeps a container in: capabilities husk cannot give, LSM labels, and husk's own hardening,
each with a test that attacks it (CVE numbers in the names)."""
import fcntl
import os
import subprocess
import threading
import time

import pytest

from husk_support import HUSK, assert_nothing_left

F_GET_SEALS = 1034
SEALS = 0x1 | 0x2 | 0x4 | 0x8  # F_SEAL_SEAL, SHRINK, GROW, WRITE
APPARMOR = os.path.exists("/sys/module/apparmor/parameters/enabled") and \
    open("/sys/module/apparmor/parameters/enabled").read().strip() == "Y"


def test_capability_outside_husks_bounding_set_is_refused(bundle):
    bundle.config["process"]["capabilities"]["bounding"].append("CAP_SYS_TIME")
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = subprocess.run(["setpriv", "--bounding-set", "-sys_time", HUSK, "--root", bundle.root,
                        "run", "c"], cwd=bundle.path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert r.stderr.strip() == ("husk: config.json: process.capabilities.bounding[3]: "
                                "CAP_SYS_TIME is not in husk's own bounding set, so the "
                                "container cannot have it"), r.stderr
    assert_nothing_left(bundle, "c")


def join_a_pod(bundle):
    """Runs a "pod" container and makes the bundle's next container join its pid namespace."""
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "pod").rc == 0
    pod = bundle.state("pod")["pid"]
    for ns in bundle.config["linux"]["namespaces"]:
        if ns["type"] == "pid":
            ns["path"] = f"/proc/{pod}/ns/pid"
    return pod


def test_cve_2019_5736_husks_binary_is_out_of_reach(bundle):
    """In a joined pid namespace (a pod's), the waiting pid 1 of a new container is visible to
    the processes already there: its exe must be a sealed copy of husk, not the binary."""
    pod = join_a_pod(bundle)
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    with open(HUSK, "rb") as f:
        before = f.read()
    assert bundle.husk("create", "c").rc == 0
    pid = bundle.state("c")["pid"]
    # seen from inside the pod, as the pod's processes see it
    inside = subprocess.run(["nsenter", "-t", str(pod), "-p", "-m", "sh", "-c",
                             "for p in /proc/[0-9]*; do readlink $p/exe; done"],
                            capture_output=True, text=True, timeout=10)
    assert any(line.startswith("/memfd:husk") for line in inside.stdout.split()), inside
    assert os.readlink(f"/proc/{pid}/exe").startswith("/memfd:husk")
    fd = os.open(f"/proc/{pid}/exe", os.O_RDONLY)
    try:
        assert fcntl.fcntl(fd, F_GET_SEALS) & SEALS == SEALS
    finally:
        os.close(fd)
    with pytest.raises(OSError):
        os.open(f"/proc/{pid}/exe", os.O_WRONLY)
    with open(HUSK, "rb") as f:
        assert f.read() == before


def test_a_container_with_its_own_pid_namespace_runs_from_the_copy_too(bundle):
    """A process exec'd into a created container sees pid 1 (test_escapes.py attacks it): even
    with a pid namespace of its own, pid 1 runs from the sealed copy, never husk's file."""
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    exe = os.readlink(f"/proc/{bundle.state('c')['pid']}/exe")
    assert exe != os.path.realpath(HUSK) and exe.startswith("/memfd:husk"), exe


def test_cve_2024_21626_cwd_through_a_proc_magic_link_is_refused(bundle):
    for cwd in ["/proc/self/cwd", "/proc/self/root/tmp", "/proc/1/cwd/x"]:
        bundle.config["process"]["cwd"] = cwd
        bundle.config["process"]["args"] = ["true"]
        r = bundle.run()
        assert r.rc == 1, cwd
        assert "process.cwd" in r.err and "magic link" in r.err, r.err
        assert_nothing_left(bundle, "c")


def test_cve_2021_30465_symlink_swapped_during_create_stays_inside(bundle, tmp_path):
    """A process outside flips a mount destination between a directory and a symlink to the
    host while containers are created: every mount must land inside the rootfs."""
    outside = tmp_path / "host-target"
    outside.mkdir()
    target = os.path.join(bundle.rootfs, "flip")
    bundle.config["mounts"].append({"destination": "/flip/m", "type": "tmpfs",
                                    "source": "tmpfs"})
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    stop = threading.Event()

    def flipper():
        while not stop.is_set():
            for make in (lambda: os.makedirs(target + "/m", exist_ok=True),
                         lambda: os.symlink(str(outside), target)):
                try:
                    if os.path.islink(target):
                        os.unlink(target)
                    elif os.path.isdir(target):
                        subprocess.run(["rm", "-rf", target], check=False)
                    make()
                except OSError:
                    pass
    t = threading.Thread(target=flipper)
    t.start()
    try:
        for i in range(30):
            subprocess.run([HUSK, "--root", bundle.root, "run", f"r{i}"], cwd=bundle.path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    finally:
        stop.set()
        t.join()
    assert os.listdir(outside) in ([], ["m"]), os.listdir(outside)
    assert not os.path.ismount(outside / "m"), "a mount landed on the host"


def test_masked_and_readonly_paths_hold_against_root(bundle):
    bundle.config["process"]["args"] = [
        "sh", "-c", "umount /proc/keys; echo u=$?; mount -o remount,rw /proc/sys; echo r=$?; "
                    "umount /proc/sys; echo s=$?; cat /proc/keys | wc -c; touch /proc/sys/x; "
                    "echo t=$?"]
    r = bundle.run()
    assert r.out.split() == ["u=1", "r=1", "s=1", "0", "t=1"], (r.out, r.err)


def test_selinux_labels_are_skipped_when_selinux_is_off(bundle):
    if os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("SELinux is on here")
    bundle.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"
    bundle.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    bundle.config["process"]["args"] = ["sh", "-c", "grep ' /dev/shm ' /proc/self/mountinfo"]
    bundle.write()
    r = bundle.husk("--debug", "run", "c")
    assert r.rc == 0, r.err
    assert "context=" not in r.out
    assert "linux.mountLabel: SELinux is off on this host, not passed to mount" in r.err
    assert "process.selinuxLabel: SELinux is off on this host, label skipped" in r.err


PROFILE = """
profile husk-test flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  mount,
  umount,
  pivot_root,
  signal,
  ptrace,
  unix,
  deny /etc/hostname r,
}
"""


@pytest.fixture
def apparmor_profile(tmp_path):
    if not APPARMOR:
        pytest.skip("AppArmor is off on this host: tested in the VM tier (tests/vm/run), "
                    "whose Debian kernel has it on")
    path = tmp_path / "husk-test"
    path.write_text(PROFILE)
    subprocess.run(["apparmor_parser", "-r", "-W", str(path)], check=True, capture_output=True)
    yield "husk-test"
    subprocess.run(["apparmor_parser", "-R", str(path)], capture_output=True)


def test_apparmor_profile_is_in_force(bundle, apparmor_profile):
    with open(os.path.join(bundle.rootfs, "etc", "hostname"), "w") as f:
        f.write("secret\n")
    bundle.config["process"]["apparmorProfile"] = apparmor_profile
    p = bundle.probe("read", "/proc/self/attr/current", "read", "/etc/hostname")
    assert p["read:/proc/self/attr/current"].strip() == "husk-test (enforce)"
    assert p["read:/etc/hostname"] == {"error": "Permission denied"}


def test_apparmor_profile_is_applied_by_the_exec_stub(bundle, apparmor_profile):
    """Issue 30: pid 1 waits as the exec stub (from its sealed memfd), unconfined, and the stub
    applies the profile at the program's execve, as husk did when it made that call itself."""
    bundle.config["process"]["apparmorProfile"] = apparmor_profile
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    pid = bundle.state("c")["pid"]
    assert os.readlink(f"/proc/{pid}/exe").startswith("/memfd:husk-exec")
    with open(f"/proc/{pid}/attr/current") as f:
        assert f.read().strip() == "unconfined"
    assert bundle.husk("start", "c").rc == 0
    for _ in range(200):
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() == "sleep":
                break
        time.sleep(0.01)
    with open(f"/proc/{pid}/attr/current") as f:
        assert f.read().strip() == "husk-test (enforce)"
    assert bundle.husk("delete", "-f", "c").rc == 0


def test_apparmor_profile_holds_for_exec_through_the_stub(bundle, apparmor_profile):
    """Issue 30: exec's process comes out of the exec stub, which stage 1 became in husk's own pid
    namespace; the stub writes the profile for its own next execve, the clone inherits it
    (AppArmor copies it at fork), and the program runs under it. A profile AppArmor lacks is
    named as husk names it, and nothing of that exec is left."""
    from husk_support import cgroup_dir
    bundle.config["process"]["apparmorProfile"] = apparmor_profile
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    r = bundle.husk("--debug", "exec", "c", "cat", "/proc/self/attr/current")
    assert r.rc == 0 and r.out.strip() == "husk-test (enforce)", (r.out, r.err)
    assert "exec stub: the process cloned" in r.err, r.err
    r = bundle.husk("exec", "--apparmor", "husk-no-such-profile", "c", "true")
    assert r.rc == 255
    assert r.err.strip() == ('husk: config.json: process.apparmorProfile: AppArmor has no '
                             'profile "husk-no-such-profile" loaded'), r.err
    with open(os.path.join(cgroup_dir(bundle.state("c")["pid"], "pids"), "cgroup.procs")) as f:
        assert len(f.read().split()) == 1, "only pid 1"


def test_apparmor_profile_not_loaded_is_named(bundle):
    if not APPARMOR:
        pytest.skip("AppArmor is off on this host: tested in the VM tier (tests/vm/run)")
    bundle.config["process"]["apparmorProfile"] = "husk-no-such-profile"
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1
    assert r.err.strip() == ('husk: config.json: process.apparmorProfile: AppArmor has no '
                             'profile "husk-no-such-profile" loaded'), r.err
    assert_nothing_left(bundle, "c")


def test_husk_survives_its_binary_being_replaced_while_a_container_waits(bundle, tmp_path):
    """A pod member's waiting pid 1 runs the sealed copy: replacing husk's file on disk
    changes nothing."""
    copy = tmp_path / "husk"
    copy.write_bytes(open(HUSK, "rb").read())
    os.chmod(copy, 0o755)
    join_a_pod(bundle)
    bundle.config["process"]["args"] = ["sh", "-c", "echo started"]
    bundle.write()
    # files, not pipes: the created container keeps its stdio open
    r = subprocess.run([str(copy), "--root", bundle.root, "create", "c"], cwd=bundle.path,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert r.returncode == 0
    os.unlink(copy)
    copy.write_bytes(b"#!/bin/sh\nexit 99\n")
    time.sleep(0.05)
    assert bundle.husk("start", "c").rc == 0
