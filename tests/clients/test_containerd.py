"""containerd drives husk: a containerd of our own (config, root, state and socket in a temporary
directory), a busybox image built here and imported with `ctr images import`, and ctr's runc-v2
shim told to use husk with --runc-binary. Everything started is stopped by its pid at the end."""
import json
import os
import shutil
import sys
import subprocess
import tempfile
import time
import uuid

import pytest

from clients_support import HUSK, kill_processes, make_image, on_a_terminal, stop_daemon

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from husk_support import fs_type  # noqa: E402

IMAGE = "docker.io/husk/busybox:latest"

if os.geteuid() != 0:
    pytest.skip("containerd needs root", allow_module_level=True)
if shutil.which("containerd") is None or shutil.which("ctr") is None:
    pytest.fail("containerd is missing: contrib/install-deps --vm installs it")


class Containerd:
    def __init__(self, tmp):
        self.tmp = tmp
        self.ns = "husk-" + uuid.uuid4().hex[:8]
        self.sock = os.path.join(tmp, "containerd.sock")

    def ctr(self, *args, timeout=60, **kw):
        return subprocess.run(["ctr", "-a", self.sock, "-n", self.ns, *args],
                              capture_output=True, text=True, timeout=timeout, **kw)

    def run(self, cid, *args, opts=(), timeout=60):
        """ctr run --rm of the image, with husk as the runtime and the cgroup under ours."""
        return self.ctr("run", "--runc-binary", HUSK, "--snapshotter", "native",
                        "--cgroup", f"{self.ns}/{cid}", *opts, "--rm", IMAGE, cid, *args,
                        timeout=timeout)

    def detach(self, cid, *args, opts=()):
        r = self.ctr("run", "--runc-binary", HUSK, "--snapshotter", "native",
                     "--cgroup", f"{self.ns}/{cid}", *opts, "-d", IMAGE, cid, *args)
        assert r.returncode == 0, r.stderr
        return self.task_pid(cid)

    def task_pid(self, cid):
        for line in self.ctr("task", "ls").stdout.splitlines()[1:]:
            name, pid, _ = line.split()
            if name == cid:
                return int(pid)
        raise AssertionError(f"no task {cid}")

    def remove(self, cid):
        self.ctr("task", "kill", "-s", "KILL", cid)
        for _ in range(100):
            if self.ctr("task", "delete", cid).returncode == 0:
                break
            time.sleep(0.05)
        self.ctr("container", "delete", cid)


@pytest.fixture(scope="module")
def containerd():
    tmp = tempfile.mkdtemp(prefix="husk-containerd-")
    c = Containerd(tmp)
    with open(os.path.join(tmp, "config.toml"), "w") as f:
        f.write(f'version = 2\nroot = "{tmp}/root"\nstate = "{tmp}/state"\n'
                f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                f'[grpc]\n  address = "{c.sock}"\n')
    # ctr's --uidmap/--gidmap send task options of their own (the io uid and gid), which replace
    # the container's --runc-binary: the shim then runs "runc" from its PATH. That runc is husk.
    os.mkdir(os.path.join(tmp, "bin"))
    os.symlink(HUSK, os.path.join(tmp, "bin", "runc"))
    env = dict(os.environ, PATH=os.path.join(tmp, "bin") + ":" + os.environ["PATH"])
    log = open(os.path.join(tmp, "containerd.log"), "w")
    daemon = subprocess.Popen(["containerd", "--config", os.path.join(tmp, "config.toml")],
                              stdout=log, stderr=log, start_new_session=True, env=env)
    try:
        for _ in range(200):
            if os.path.exists(c.sock) and c.ctr("version").returncode == 0:
                break
            time.sleep(0.05)
        image = os.path.join(tmp, "busybox.tar")
        make_image(image, IMAGE)
        r = c.ctr("images", "import", "--snapshotter", "native", image)
        assert r.returncode == 0, r.stderr
        yield c
    finally:
        for line in c.ctr("container", "ls", "-q").stdout.split():
            c.remove(line)
        kill_processes("containerd-shim-runc-v2", c.ns)
        stop_daemon(daemon, 20)
        log.close()
        remove_cgroups(c.ns)
        shutil.rmtree(f"/run/containerd/runc/{c.ns}", ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def remove_cgroups(ns):
    """The cgroup directory the tests' --cgroup NS/ID paths made under our own cgroups."""
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        if os.path.basename(top) == ns:
            dirs[:] = []
            try:
                os.rmdir(top)
            except OSError:
                pass
        elif top.count("/") > 6:
            dirs[:] = []


def test_exit_codes_stdout_and_stderr(containerd):
    r = containerd.run("exit", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    assert containerd.run("ok", "true").returncode == 0


def test_detach_exec_ps_kill_delete(containerd):
    pid = containerd.detach("d1", "sleep", "100")
    r = containerd.ctr("task", "exec", "--exec-id", "e1", "d1", "sh", "-c", "echo pid $$")
    assert (r.returncode, r.stdout) == (0, "pid 2\n"), r.stderr
    r = containerd.ctr("task", "exec", "--exec-id", "e2", "d1", "sh", "-c", "exit 5")
    assert r.returncode == 5
    assert containerd.ctr("task", "exec", "-d", "--exec-id", "e3", "d1", "sleep", "50").returncode == 0
    r = containerd.ctr("task", "ps", "d1")
    pids = [int(x.split()[0]) for x in r.stdout.splitlines()[1:]]
    assert pid in pids and len(pids) == 2, r.stdout
    assert containerd.ctr("task", "kill", "-s", "KILL", "d1").returncode == 0
    for _ in range(100):
        if "STOPPED" in containerd.ctr("task", "ls").stdout:
            break
        time.sleep(0.05)
    assert containerd.ctr("task", "delete", "d1").returncode == 0
    assert containerd.ctr("container", "delete", "d1").returncode == 0
    assert not os.path.exists(f"/run/containerd/runc/{containerd.ns}/d1")


def test_pause_and_resume(containerd):
    containerd.detach("p1", "sleep", "100")
    try:
        assert containerd.ctr("task", "pause", "p1").returncode == 0
        assert "PAUSED" in containerd.ctr("task", "ls").stdout
        assert containerd.ctr("task", "resume", "p1").returncode == 0
        assert "RUNNING" in containerd.ctr("task", "ls").stdout
    finally:
        containerd.remove("p1")


def test_memory_limit_is_in_the_cgroup(containerd):
    pid = containerd.detach("m1", "sleep", "100", opts=["--memory-limit", str(64 << 20)])
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            lines = f.read().splitlines()
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            path = "/sys/fs/cgroup" + [x for x in lines if x.startswith("0::")][0][3:]
            limit = open(path + "/memory.max").read().strip()
        else:
            rel = [x for x in lines if ":memory:" in x][0].split(":", 2)[2]
            limit = open(f"/sys/fs/cgroup/memory{rel}/memory.limit_in_bytes").read().strip()
        assert limit == str(64 << 20)
    finally:
        containerd.remove("m1")


def test_env_cwd_and_a_client_supplied_spec_with_a_user(containerd, tmp_path):
    r = containerd.run("env", "sh", "-c", "echo $FOO; pwd", opts=["--env", "FOO=bar",
                                                                   "--cwd", "/tmp"])
    assert (r.returncode, r.stdout) == (0, "bar\n/tmp\n"), r.stderr
    rootfs = tmp_path / "rootfs"
    os.makedirs(rootfs / "bin")
    shutil.copy("/bin/busybox", rootfs / "bin" / "busybox")
    for a in ["sh", "id", "pwd"]:
        os.symlink("busybox", rootfs / "bin" / a)
    for d in ["proc", "sys", "dev", "tmp"]:
        (rootfs / d).mkdir()
    subprocess.run([HUSK, "spec", "--bundle", str(tmp_path)], check=True)
    spec = json.loads((tmp_path / "config.json").read_text())
    spec["root"] = {"path": str(rootfs), "readonly": True}
    spec["process"].update(terminal=False, cwd="/tmp", env=["PATH=/bin", "FOO=spec"],
                           user={"uid": 65534, "gid": 65534, "additionalGids": [7]},
                           args=["sh", "-c", "id; pwd; echo $FOO"])
    spec["linux"]["cgroupsPath"] = f"{containerd.ns}/spec"
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = containerd.ctr("run", "--runc-binary", HUSK, "--rm", "--config",
                       str(tmp_path / "spec.json"), "spec")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "uid=65534 gid=65534 groups=7\n/tmp\nspec\n"


def test_loopback_networking(containerd):
    r = containerd.run("net", "sh", "-c", "ip addr show lo | grep -q UP && "
                       "ping -c 1 -W 2 127.0.0.1 >/dev/null && echo up")
    assert (r.returncode, r.stdout) == (0, "up\n"), r.stderr


def test_default_seccomp_profile(containerd):
    r = containerd.run("sec", "sh", "-c", "grep Seccomp: /proc/self/status", opts=["--seccomp"])
    assert (r.returncode, r.stdout.split()) == (0, ["Seccomp:", "2"]), r.stderr


def test_tty(containerd):
    argv = ["ctr", "-a", containerd.sock, "-n", containerd.ns, "run", "--runc-binary", HUSK,
            "--snapshotter", "native", "--cgroup", f"{containerd.ns}/tty", "-t", "--rm", IMAGE,
            "tty", "sh"]
    status, out = on_a_terminal(argv, b"[ -t 0 ] && echo tty-$((40+2)); exit 4\n")
    assert "tty-42" in out and status == 4, out


def test_exec_tty(containerd):
    containerd.detach("x1", "sleep", "100")
    try:
        argv = ["ctr", "-a", containerd.sock, "-n", containerd.ns, "task", "exec", "-t",
                "--exec-id", "t1", "x1", "sh"]
        status, out = on_a_terminal(argv, b"[ -t 0 ] && echo tty-$((40+2)); exit 6\n")
        assert "tty-42" in out and status == 6, out
    finally:
        containerd.remove("x1")


def test_husks_own_error_reaches_ctr(containerd):
    r = containerd.run("bad", "no-such-program")
    assert r.returncode != 0
    assert 'exec: "no-such-program": executable file not found in $PATH' in r.stderr, r.stderr



def husk_state(containerd, cid):
    """husk's own record of a task, read with husk from the shim's state root."""
    r = subprocess.run([HUSK, "--root", f"/run/containerd/runc/{containerd.ns}", "state", cid],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_user_namespace_from_uidmap_and_gidmap(containerd):
    """Kubernetes' hostUsers: false as ctr asks for it: a snapshot chowned to the mapped range
    and the mappings, with containerd's state under a directory only host root may enter."""
    assert os.stat(containerd.tmp).st_mode & 0o777 == 0o700
    pid = containerd.detach("userns", "sleep", "100",
                            opts=["--uidmap", "0:300000:65536", "--gidmap", "0:310000:65536"])
    try:
        assert husk_state(containerd, "userns")["status"] == "running"
        with open(f"/proc/{pid}/uid_map") as f:
            assert f.read().split() == ["0", "300000", "65536"]
        with open(f"/proc/{pid}/gid_map") as f:
            assert f.read().split() == ["0", "310000", "65536"]
        assert os.readlink(f"/proc/{pid}/ns/user") != os.readlink("/proc/self/ns/user")
        r = containerd.ctr("task", "exec", "--exec-id", "e1", "userns", "sh", "-c",
                           "id -u; id -g; echo hi > /root/made; stat -c '%u %g' /root/made; "
                           "grep CapEff /proc/self/status")
        assert r.returncode == 0, r.stderr
        uid, gid, owner, caps = r.stdout.splitlines()
        assert (uid, gid, owner) == ("0", "0", "0 0")
        assert caps.split()[1] != "0000000000000000"
        st = os.stat(f"/proc/{pid}/root/root/made")
        assert (st.st_uid, st.st_gid) == (300000, 310000)
    finally:
        containerd.remove("userns")


def test_idmapped_volume_in_a_user_namespaced_client_spec(containerd, tmp_path):
    """A volume owned by host ids, bind-mounted with the container's mappings (runtime-spec
    mounts[].uidMappings, as containerd 2 writes for hostUsers: false), is the container's own.
    No idmap option: the mappings alone ask for it, as runc reads them."""
    if fs_type(tmp_path) == "overlay":
        pytest.skip("/tmp is overlayfs over 9p here (the VM tier), which this kernel cannot "
                    "idmap; the host tier runs this test on ext4")
    rootfs = tmp_path / "rootfs"
    os.makedirs(rootfs / "bin")
    shutil.copy("/bin/busybox", rootfs / "bin" / "busybox")
    for a in ["sh", "stat", "id", "cat"]:
        os.symlink("busybox", rootfs / "bin" / a)
    for d in ["proc", "sys", "dev", "tmp", "vol"]:
        (rootfs / d).mkdir()
    subprocess.run(["chown", "-R", "300000:300000", str(rootfs)], check=True)
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "data").write_text("host data\n")
    subprocess.run([HUSK, "spec", "--bundle", str(tmp_path)], check=True)
    spec = json.loads((tmp_path / "config.json").read_text())
    maps = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    spec["root"] = {"path": str(rootfs)}
    spec["process"].update(terminal=False, env=["PATH=/bin"],
                           args=["sh", "-c", "stat -c '%u %g' /vol/data; cat /vol/data; id -u"])
    spec["linux"].update(uidMappings=maps, gidMappings=maps,
                         cgroupsPath=f"{containerd.ns}/idvol")
    spec["linux"]["namespaces"].append({"type": "user"})
    spec["mounts"].append({"destination": "/vol", "type": "bind", "source": str(volume),
                           "options": ["rbind", "rw"], "uidMappings": maps, "gidMappings": maps})
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = containerd.ctr("run", "--runc-binary", HUSK, "--rm", "--config",
                       str(tmp_path / "spec.json"), "idvol")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "0 0\nhost data\n0\n"
    st = os.stat(volume / "data")
    assert (st.st_uid, st.st_gid) == (0, 0)
