"""Integration fixtures: a busybox bundle with our probe, a private state root, and the checks
that a failed or finished container left nothing behind."""
import copy
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("HUSK_BUILD", os.path.join(TOP, "build"))
# HUSK=runc runs test_runc_parity.py against runc (the rest of the suite is husk's own)
HUSK = os.environ.get("HUSK", os.path.join(BUILD, "src", "cli", "husk"))
PROBE = os.path.join(BUILD, "tests", "probe")
BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "ls", "cat", "echo", "sleep", "id", "hostname", "mount", "true", "false",
           "touch", "mkdir", "ip", "kill", "wc", "head", "tr", "stat", "umount", "ps"]

if os.geteuid() != 0:
    pytest.skip("integration tests need root (they create namespaces and mounts)",
                allow_module_level=True)


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)


def host_mounts():
    with open("/proc/self/mountinfo") as f:
        return sorted(line.split(" - ")[0].split(" ", 4)[4].split(" ")[0] for line in f)


def run_to_files(cmd, **kw):
    """subprocess.run with stdout and stderr read back from files, not pipes: a created or
    detached container keeps husk's stdio open, so reading a pipe to its end would wait for it."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run(cmd, stdout=out, stderr=err, **kw)
        out.seek(0)
        err.seek(0)
        proc.stdout, proc.stderr = out.read(), err.read()
    return proc


class Bundle:
    def __init__(self, path, root):
        self.path = str(path)
        self.rootfs = os.path.join(self.path, "rootfs")
        self.root = root
        self.config = None

    def husk(self, *args, timeout=30, pass_fds=(), stdin=subprocess.DEVNULL):
        driver = ["--systemd-cgroup"] if SYSTEMD else []
        return Result(run_to_files([HUSK, "--root", self.root, *driver, *args], timeout=timeout,
                                   pass_fds=pass_fds, cwd=self.path, stdin=stdin))

    def write(self):
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)

    def run(self, cid="c", *args, **kw):
        self.write()
        return self.husk("run", *args, cid, **kw)

    def probe(self, *actions, cid="c", **kw):
        """Runs the probe as the container's process and returns what it saw."""
        self.config["process"]["args"] = ["/probe", *actions]
        r = self.run(cid, **kw)
        assert r.rc == 0, r.err
        return r.json()

    def state(self, cid):
        r = self.husk("state", cid)
        assert r.rc == 0, r.err
        return r.json()

    def leftovers(self):
        """Processes whose root directory is this bundle's rootfs (the same inode: after
        pivot_root, /proc/PID/root reads as "/")."""
        want = os.stat(self.rootfs)
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                st = os.stat(f"/proc/{pid}/root")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino):
                found.append(int(pid))
        return found


def fs_type(path):
    """The filesystem type of the mount holding path."""
    best, kind = "", None
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ")
            point = pre.split()[4]
            if (path == point or path.startswith(point.rstrip("/") + "/")) and \
                    len(point) >= len(best):
                best, kind = point, post.split()[0]
    return kind


# ---- cgroups, seen from the host ----

CGROUP2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
# The systemd tier (tests/vm/run --systemd, HUSK_SYSTEMD_CGROUP=1): every Bundle command asks for
# the systemd driver, and each container's cgroup is a transient scope.
SYSTEMD = os.environ.get("HUSK_SYSTEMD_CGROUP") == "1"


def systemctl_show(unit, *props):
    """Properties of a unit, as `systemctl show` prints them."""
    r = subprocess.run(["systemctl", "show", unit, *[f"--property={p}" for p in props]],
                       capture_output=True, text=True, check=True)
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def systemd_units(pattern):
    """The loaded units matching pattern, whatever their state."""
    r = subprocess.run(["systemctl", "list-units", "--all", "--no-legend", "--plain", pattern],
                       capture_output=True, text=True, check=True)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def cgroup_hierarchies():
    """{controller, "name=..." or "unified": (mount point, root)} for the hierarchies under
    /sys/fs/cgroup."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ")
            fields, (fstype, _, superopts) = pre.split(), post.split()
            root, point = fields[3], fields[4]
            if fstype == "cgroup2" and point in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
                found["unified"] = (point, root)
            elif fstype == "cgroup" and point.startswith("/sys/fs/cgroup/"):
                # named hierarchies too (name=systemd): husk makes the container a directory
                # there as well, which must go with it
                for opt in superopts.split(","):
                    if opt not in ("rw", "ro"):
                        found[opt] = (point, root)
    return found


def cgroup_dir(pid, controller):
    """The directory of pid's cgroup holding controller's files (the cgroup2 one on v2)."""
    want = "unified" if CGROUP2 else controller
    hier = cgroup_hierarchies()
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctls, path = line.rstrip("\n").split(":", 2)
            names = ctls.split(",") if ctls else ["unified"]
            if want in names:
                point, root = hier[want]
                rel = path[len(root):] if root != "/" and path.startswith(root) else path
                return point + rel
    raise AssertionError(f"no {controller} cgroup for pid {pid}")


def cgroup_read(pid, controller, name):
    with open(os.path.join(cgroup_dir(pid, controller), name)) as f:
        return f.read().strip()


def cgroup_children():
    """Every cgroup directory beneath husk's (the test process's) own cgroups and the roots, two
    levels deep: what a test's containers may create and must remove."""
    found = set()
    for point, root in set(cgroup_hierarchies().values()):
        for base in {point, cgroup_dir_of_self(point, root)}:
            for top, dirs, _ in os.walk(base):
                if top.count("/") - base.count("/") >= 2:
                    dirs[:] = []
                # under systemd, its own services and slices come and go (dbus.service on
                # first use, machine.slice once a scope is put there): not a test's debris
                found.update(os.path.join(top, d) for d in dirs
                             if not (SYSTEMD and d.endswith((".service", ".slice"))))
    return found


def cgroup_dir_of_self(point, root):
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctls, path = line.rstrip("\n").split(":", 2)
            names = ctls.split(",") if ctls else ["unified"]
            if any(cgroup_hierarchies().get(n, (None,))[0] == point for n in names):
                rel = path[len(root):] if root != "/" and path.startswith(root) else path
                return point + rel
    return point


def make_rootfs(rootfs):
    os.makedirs(os.path.join(rootfs, "bin"))
    shutil.copy(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
    for applet in APPLETS:
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    shutil.copy(PROBE, os.path.join(rootfs, "probe"))
    for d in ["proc", "sys", "dev", "tmp", "etc"]:
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)


_spec_cache = {}


def default_spec(tmp_path_factory):
    if "spec" not in _spec_cache:
        d = tmp_path_factory.mktemp("spec")
        subprocess.run([HUSK, "spec", "--bundle", str(d)], check=True)
        with open(d / "config.json") as f:
            _spec_cache["spec"] = json.load(f)
    return copy.deepcopy(_spec_cache["spec"])


@pytest.fixture
def bundle(tmp_path, tmp_path_factory):
    if not os.path.exists(BUSYBOX):
        pytest.fail("busybox-static is missing: contrib/install-deps installs it")
    b = Bundle(tmp_path / "bundle", str(tmp_path / "state"))
    make_rootfs(b.rootfs)
    b.config = default_spec(tmp_path_factory)
    b.config["process"]["terminal"] = False
    b.config["root"]["readonly"] = False
    mounts_before = host_mounts()
    cgroups_before = cgroup_children()
    yield b
    if os.path.isdir(b.root):
        for cid in os.listdir(b.root):
            if not cid.startswith("."):
                subprocess.run([HUSK, "--root", b.root, "delete", "--force", cid],
                               capture_output=True)
    assert b.leftovers() == [], "a container process outlived its test"
    assert host_mounts() == mounts_before, "a mount leaked onto the host"
    assert cgroup_children() - cgroups_before == set(), "a cgroup outlived its test"
    # 3 MB of binaries a test: the VM tier's /tmp is a tmpfs of a share of its memory
    shutil.rmtree(b.rootfs, ignore_errors=True)


def assert_nothing_left(b, cid):
    assert not os.path.exists(os.path.join(b.root, cid)), "state directory left behind"
    assert b.leftovers() == [], "process left behind"


class Attacker:
    """A container of the attacker's beside the victim's: the same rootfs, its own id and bundle,
    and a host directory both bind ("the shared volume"). Started detached with the given
    process; `stop()` kills and deletes it and returns what it printed."""

    def __init__(self, bundle, tmp_path, shared, args, inside="/shared"):
        self.bundle = bundle
        self.path = str(tmp_path / "attacker")
        os.makedirs(self.path)
        config = copy.deepcopy(bundle.config)
        config["root"]["path"] = bundle.rootfs
        config["process"]["args"] = args
        config["mounts"].append({"destination": inside, "type": "bind", "source": shared,
                                 "options": ["rbind"]})
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(config, f)
        self.out = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([HUSK, "--root", bundle.root, "run", "-b", self.path,
                                      "attacker"], stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def stop(self):
        try:
            self.proc.wait(timeout=30)
        finally:
            subprocess.run([HUSK, "--root", self.bundle.root, "delete", "--force", "attacker"],
                           capture_output=True)
        self.out.seek(0)
        return self.out.read()


def recv_with_fd(conn, size=65536):
    """One message and the fd it carries by SCM_RIGHTS (None: none), from a unix socket."""
    import array
    import socket
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(size, socket.CMSG_LEN(4 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    return msg, (fds[0] if fds else None)


def serve_one(path, handle):
    """A unix socket at path whose first connection goes to handle(conn), in a thread."""
    import socket
    import threading
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        try:
            handle(conn)
        finally:
            conn.close()
            srv.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


def race(bundle, tmp_path, shared, attacker_args, victim, rounds):
    """Runs victim() `rounds` times while the attacker's container works on the shared volume.
    The caller checks its canary afterwards."""
    attacker = Attacker(bundle, tmp_path, shared, attacker_args)
    try:
        time.sleep(0.2)
        for i in range(rounds):
            victim(i)
    finally:
        out = attacker.stop()
    return out
