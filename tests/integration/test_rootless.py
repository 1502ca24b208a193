"""husk as an unprivileged user (a test user this module creates, removed after): `spec
--rootless`, a single-id mapping written by husk itself (setgroups denied first, as the kernel
demands), wider mappings through newuidmap/newgidmap, the lifecycle, the default state root
under $XDG_RUNTIME_DIR, and what such a container cannot do to the host."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from husk_support import BUSYBOX, CGROUP2, HUSK, PROBE, run_to_files
from users import PlainUser, delegated_cgroup

USER = "husk-rootless"
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"
SUBID_START, SUBID_COUNT = 400000, 65536


@pytest.fixture(scope="module")
def user():
    if shutil.which("useradd") is None:
        pytest.skip("no useradd to make the test user")
    with PlainUser(USER, f"{SUBID_START}:{SUBID_COUNT}") as pw:
        yield pw


class UserBundle:
    """A bundle, state root and $XDG_RUNTIME_DIR the user owns, in a directory it can reach."""

    def __init__(self, pw):
        self.pw = pw
        self.top = tempfile.mkdtemp(prefix="husk-rl-")
        os.chmod(self.top, 0o755)
        self.path = os.path.join(self.top, "bundle")
        self.rootfs = os.path.join(self.path, "rootfs")
        self.xdg = os.path.join(self.top, "xdg")
        self.root = os.path.join(self.xdg, "husk")
        os.makedirs(os.path.join(self.rootfs, "bin"))
        shutil.copy(BUSYBOX, os.path.join(self.rootfs, "bin", "busybox"))
        for applet in ["sh", "cat", "id", "sleep", "true", "ps", "touch", "echo"]:
            os.symlink("busybox", os.path.join(self.rootfs, "bin", applet))
        shutil.copy(PROBE, os.path.join(self.rootfs, "probe"))
        for d in ["proc", "sys", "dev", "tmp", "etc"]:
            os.makedirs(os.path.join(self.rootfs, d))
        os.makedirs(self.xdg, mode=0o700)
        subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", self.top], check=True)
        r = self.husk("spec", "--rootless", "--bundle", self.path)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(self.path, "config.json")) as f:
            self.config = json.load(f)
        self.config["process"]["terminal"] = False

    def husk(self, *args, env=None):
        e = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "XDG_RUNTIME_DIR": self.xdg,
             "HOME": self.top}
        e.update(env or {})
        return run_to_files([SETPRIV, f"--reuid={self.pw.pw_uid}", f"--regid={self.pw.pw_gid}",
                             "--init-groups", HUSK, *args],
                            stdin=subprocess.DEVNULL, env=e, cwd=self.path, timeout=30)

    def write(self):
        path = os.path.join(self.path, "config.json")
        with open(path, "w") as f:
            json.dump(self.config, f)
        os.chown(path, self.pw.pw_uid, self.pw.pw_gid)

    def probe(self, *actions):
        self.config["process"]["args"] = ["/probe", *actions]
        self.write()
        r = self.husk("run", "c")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def cleanup(self):
        if os.path.isdir(self.root):
            for cid in os.listdir(self.root):
                if not cid.startswith("."):
                    self.husk("delete", "--force", cid)
        shutil.rmtree(self.top, ignore_errors=True)


@pytest.fixture
def ub(user):
    b = UserBundle(user)
    try:
        yield b
    finally:
        b.cleanup()


def read(path):
    with open(path) as f:
        return f.read()


def test_spec_rootless_maps_the_callers_own_ids(ub):
    uid, gid = ub.pw.pw_uid, ub.pw.pw_gid
    assert ub.config["linux"]["uidMappings"] == [{"containerID": 0, "hostID": uid, "size": 1}]
    assert ub.config["linux"]["gidMappings"] == [{"containerID": 0, "hostID": gid, "size": 1}]
    p = ub.probe("read", "/proc/self/uid_map", "read", "/proc/self/gid_map",
                 "read", "/proc/self/setgroups")
    assert p["uid"] == 0 and p["gid"] == 0
    assert p["read:/proc/self/uid_map"].split() == ["0", str(uid), "1"]
    assert p["read:/proc/self/gid_map"].split() == ["0", str(gid), "1"]
    assert p["read:/proc/self/setgroups"].strip() == "deny", "gid_map needs setgroups denied"


def test_the_lifecycle_as_the_user(ub):
    ub.config["process"]["args"] = ["sleep", "100"]
    ub.write()
    r = ub.husk("run", "-d", "c")  # no --root: $XDG_RUNTIME_DIR/husk, as runc's
    assert r.returncode == 0, r.stderr
    assert os.path.isdir(os.path.join(ub.root, "c"))
    state = json.loads(ub.husk("state", "c").stdout)
    assert state["status"] == "running" and state["owner"] == USER
    status = read(f"/proc/{state['pid']}/status")
    uid_line = next(x for x in status.splitlines() if x.startswith("Uid:"))
    assert uid_line.split()[1:] == [str(ub.pw.pw_uid)] * 4, "the user on the host, root inside"
    r = ub.husk("exec", "c", "id", "-u")
    assert r.returncode == 0 and r.stdout.strip() == "0", r.stderr
    r = ub.husk("kill", "c", "KILL")
    assert r.returncode == 0, r.stderr
    r = ub.husk("delete", "--force", "c")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(ub.root, "c"))


def test_limits_without_a_cgroup_are_one_line(ub):
    """Without a delegated cgroup (cgroup v1 has none for a user; on v2 none was delegated
    here), limits are refused plainly."""
    ub.config["linux"]["resources"] = {"pids": {"limit": 10}}
    ub.write()
    r = ub.husk("create", "c")
    assert r.returncode == 1
    why = ("no cgroup v2 subtree is delegated to this user" if CGROUP2
           else "husk manages cgroups only when run as root")
    assert r.stderr.strip() == f"husk: config.json: linux.resources: {why}"
    assert not os.path.exists(os.path.join(ub.root, "c"))


@pytest.fixture
def delegated(ub):
    if not CGROUP2:
        pytest.skip("cgroup v1 delegates nothing to a user: the cgroup v2 VM tier runs this")
    with delegated_cgroup(ub.pw, "husk-rootless") as top:
        yield top


def test_limits_in_a_delegated_cgroup_v2_subtree(ub, delegated):
    ub.config["linux"]["resources"] = {"pids": {"limit": 10},
                                       "memory": {"limit": 64 << 20}}
    ub.config["process"]["args"] = ["sleep", "100"]
    ub.write()
    # the user's husk starts in the subtree's leaf, where its login would be
    r = run_to_files(["sh", "-c", f"echo $$ > {delegated}/shell/cgroup.procs && "
                      'exec "$@"', "sh", SETPRIV, f"--reuid={ub.pw.pw_uid}",
                      f"--regid={ub.pw.pw_gid}", "--init-groups", HUSK, "run", "-d", "c"],
                     env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": ub.xdg},
                     cwd=ub.path, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    pid = json.loads(ub.husk("state", "c").stdout)["pid"]
    cg = f"{delegated}/c"
    assert read(f"/proc/{pid}/cgroup").strip() == f"0::{cg[len('/sys/fs/cgroup'):]}"
    assert read(f"{cg}/pids.max").strip() == "10"
    assert read(f"{cg}/memory.max").strip() == str(64 << 20)
    assert ub.husk("delete", "--force", "c").returncode == 0
    assert not os.path.exists(cg)


@pytest.mark.skipif(shutil.which("newuidmap") is None, reason="no newuidmap (uidmap package)")
def test_subordinate_ranges_through_newuidmap(ub):
    uid, gid = ub.pw.pw_uid, ub.pw.pw_gid
    ub.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1},
                                         {"containerID": 1, "hostID": SUBID_START,
                                          "size": SUBID_COUNT}]
    ub.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1},
                                         {"containerID": 1, "hostID": SUBID_START,
                                          "size": SUBID_COUNT}]
    p = ub.probe("read", "/proc/self/uid_map", "read", "/proc/self/setgroups")
    lines = [x.split() for x in p["read:/proc/self/uid_map"].strip().splitlines()]
    assert lines == [["0", str(uid), "1"], ["1", str(SUBID_START), str(SUBID_COUNT)]]
    assert p["read:/proc/self/setgroups"].strip() == "allow", "newgidmap leaves setgroups"


def test_a_missing_helper_is_one_line_and_no_debris(ub, tmp_path):
    ub.config["linux"]["uidMappings"].append({"containerID": 1, "hostID": SUBID_START,
                                              "size": 10})
    ub.write()
    empty = tempfile.mkdtemp()
    os.chmod(empty, 0o755)
    try:
        r = ub.husk("create", "c", env={"PATH": empty})
    finally:
        os.rmdir(empty)
    assert r.returncode == 1
    assert r.stderr.strip() == ("husk: linux.uidMappings: newuidmap not found on PATH "
                                "(Debian's uidmap package): needed for a mapping other than "
                                "your own id")
    assert not os.path.exists(os.path.join(ub.root, "c"))


def test_a_range_the_user_does_not_own_is_refused(ub):
    ub.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    ub.write()
    r = ub.husk("create", "c")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("husk: linux.uidMappings: newuidmap refused the mapping "
                               "(/etc/subuid, /etc/subgid): newuidmap: "), r.stderr
    assert not os.path.exists(os.path.join(ub.root, "c"))


def test_root_inside_cannot_write_what_the_user_cannot(ub):
    """A root-owned canary bound into the container read-write: root in the container is the
    user outside, and the kernel says no."""
    canary = os.path.join(ub.top, "canary")
    with open(canary, "w") as f:
        f.write("canary\n")
    os.chmod(canary, 0o644)
    ub.config["mounts"].append({"destination": "/canary", "type": "bind", "source": canary,
                                "options": ["rbind", "rw"]})
    ub.config["process"]["args"] = ["sh", "-c", "echo pwned > /canary; echo $?"]
    ub.write()
    r = ub.husk("run", "c")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() != "0"
    assert read(canary) == "canary\n"


def test_other_processes_stay_unseen(ub):
    ub.config["process"]["args"] = ["ps", "-o", "pid"]
    ub.write()
    r = ub.husk("run", "c")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[1:] == ["1"], "only its own pid 1 in its pid namespace"


def test_sysfs_without_a_network_namespace_of_its_own_is_the_hosts_bound(ub):
    """The kernel refuses a sysfs mount to a user namespace that does not own the network
    namespace: the host's /sys is bound instead, with the mount's ro, nosuid, nodev, noexec."""
    ub.config["linux"]["namespaces"] = [n for n in ub.config["linux"]["namespaces"]
                                        if n["type"] != "network"]
    ub.config["mounts"] = [m for m in ub.config["mounts"] if m["destination"] != "/sys"]
    ub.config["mounts"].append({"destination": "/sys", "type": "sysfs", "source": "sysfs",
                                "options": ["nosuid", "noexec", "nodev", "ro"]})
    p = ub.probe("read", "/sys/devices/system/cpu/online")
    sys = next(m for m in p["mounts"] if m["point"] == "/sys")
    assert "ro" in sys["options"].split(","), sys
    with open("/sys/devices/system/cpu/online") as f:
        assert p["read:/sys/devices/system/cpu/online"] == f.read()


def test_the_cgroup_tree_inside_is_not_the_hosts_to_write(ub):
    """CVE-2023-25809's class: a rootless container whose cgroup mount asks for rw still cannot
    write a cgroup file it could not write outside; what it sees is its own cgroup (none on v1:
    the one husk runs in), bound, never the host's whole tree. (On v1 the hierarchies sit on a
    tmpfs of the container's own, where a directory is no cgroup: only cgroup directories
    count.)"""
    for m in ub.config["mounts"]:
        if m["type"] == "cgroup":
            m["options"] = [o for o in m["options"] if o != "ro"]
    ub.config["process"]["args"] = ["sh", "-c",
                                    "for f in /sys/fs/cgroup/cgroup.procs "
                                    "/sys/fs/cgroup/*/cgroup.procs /sys/fs/cgroup/*/tasks; do "
                                    "[ -e $f ] && echo 1 > $f 2>/dev/null && echo wrote $f; "
                                    "done; for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do "
                                    "[ -e $d/cgroup.procs ] && mkdir $d/husk-x 2>/dev/null && "
                                    "echo made $d; done; true"]
    ub.write()
    r = ub.husk("run", "c")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "", r.stdout


def test_locked_flags_of_a_host_mount_are_kept_rather_than_failing(ub):
    """A host mount with nosuid, nodev, noexec and noatime, bound read-only: in a user namespace
    the kernel refuses a remount that drops any of them, so husk keeps them, as it must."""
    host = os.path.join(ub.top, "locked")
    os.mkdir(host)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "nosuid,nodev,noexec,noatime,size=1m",
                    "husk-locked", host], check=True)
    try:
        os.chmod(host, 0o777)
        ub.config["mounts"].append({"destination": "/locked", "type": "bind", "source": host,
                                    "options": ["rbind", "ro"]})
        p = ub.probe("write", "/locked/x")
        point = next(m for m in p["mounts"] if m["point"] == "/locked")
        assert set(point["options"].split(",")) >= {"ro", "nosuid", "nodev", "noexec",
                                                     "noatime"}, point
        assert p["write:/locked/x"] != "ok"
    finally:
        subprocess.run(["umount", host], check=True)
