"""Rootless podman, as a plain user this module creates (removed after), drives husk: podman runs
the runtime inside a user namespace of its own, where husk is uid 0 of a namespace that maps a
few ids (`--rootless auto` takes it for rootless: state under $XDG_RUNTIME_DIR/husk, no cgroup,
the host's device nodes bound). run, exit codes, detach, exec, stop, rm, -it, --userns=keep-id."""
import os
import sys
import shutil
import subprocess
import tempfile
import uuid

import pytest

from clients_support import HUSK, on_a_terminal, podman_with_image, write_containers_conf

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from users import PlainUser, delegated_cgroup  # noqa: E402

IMAGE = "localhost/husk/busybox:latest"
USER = "husk-podman"
SUBIDS = "700000:65536"

if os.geteuid() != 0:
    pytest.skip("the test creates its user as root", allow_module_level=True)
if shutil.which("podman") is None or shutil.which("newuidmap") is None:
    pytest.fail("podman or uidmap is missing: contrib/install-deps --vm installs them")


class RootlessPodman:
    def __init__(self, pw, top):
        self.pw = pw
        self.top = top
        self.conf = os.path.join(top, "containers.conf")
        self.owner = (pw.pw_uid, pw.pw_gid)
        self.env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": top,
                    "XDG_RUNTIME_DIR": os.path.join(top, "xdg"), "CONTAINERS_CONF": self.conf}
        self.base = [shutil.which("setpriv"), f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                     "--init-groups", "podman", "--root", f"{top}/root", "--runroot",
                     f"{top}/runroot", "--storage-driver", "vfs", "--tmpdir", f"{top}/tmp",
                     "--runtime", HUSK, "--cgroup-manager", "cgroupfs", "--events-backend",
                     "file"]

    def __call__(self, *args, timeout=90, cgroup=None, **kw):
        """podman as the user; with cgroup, from that cgroup (a login's leaf, say)."""
        enter = ["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$@"', "sh"] if cgroup else []
        return subprocess.run([*enter, *self.base, *args], capture_output=True, text=True,
                              timeout=timeout, env=self.env, cwd=self.top, **kw)

    def run(self, *args, opts=()):
        return self("run", "--rm", "--network", "none", *opts, IMAGE, *args)


@pytest.fixture(scope="module")
def podman():
    with PlainUser(USER, SUBIDS) as pw:
        top = tempfile.mkdtemp(prefix="husk-podman-rootless-")
        os.chmod(top, 0o755)
        os.makedirs(os.path.join(top, "xdg"), mode=0o700)
        p = RootlessPodman(pw, top)
        write_containers_conf(p.conf, ulimits=[])
        subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", top], check=True)
        try:
            with podman_with_image(p, top, IMAGE):
                yield p
        finally:
            shutil.rmtree(top, ignore_errors=True)


def test_run_rm_echo_and_exit_codes(podman):
    r = podman.run("sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    r = podman.run("sh", "-c", "id -u; cat /proc/self/uid_map | wc -l")
    assert r.returncode == 0 and r.stdout.split()[0] == "0", r.stderr


def test_detach_exec_stop_rm(podman):
    name = "d" + uuid.uuid4().hex[:6]
    r = podman("run", "-d", "--name", name, "--network", "none", IMAGE, "sleep", "100")
    assert r.returncode == 0, r.stderr
    try:
        pid = int(podman("inspect", "--format", "{{.State.Pid}}", name).stdout)
        with open(f"/proc/{pid}/status") as f:
            uid = next(x for x in f if x.startswith("Uid:")).split()[1]
        assert uid == str(podman.pw.pw_uid), "root inside is the user outside"
        r = podman("exec", name, "sh", "-c", "echo pid $$; exit 4")
        assert (r.returncode, r.stdout) == (4, "pid 2\n"), r.stderr
        assert podman("stop", "-t", "1", name).returncode == 0
        assert podman("rm", name).returncode == 0
    finally:
        podman("rm", "-f", "-t", "0", name)


def test_keep_id(podman):
    r = podman.run("id", "-u", opts=["--userns=keep-id"])
    assert r.returncode == 0 and r.stdout.strip() == str(podman.pw.pw_uid), r.stderr


def test_run_it(podman):
    status, out = on_a_terminal([*podman.base, "run", "--rm", "-it", "--network", "none", IMAGE,
                                 "sh"], b"[ -t 0 ] && echo tty-$((40+2)); exit 4\n", podman.env)
    assert "tty-42" in out and status == 4, out


def test_memory_limit_in_a_delegated_cgroup_v2_subtree(podman):
    """On cgroup v2 with a subtree delegated to the user (what systemd gives a login), podman's
    --memory and --pids-limit land in the container's cgroup inside that subtree."""
    if not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        pytest.skip("cgroup v1 delegates nothing to a user: the cgroup v2 VM tier runs this")
    with delegated_cgroup(podman.pw, "husk-podman") as top:
        name = "m" + uuid.uuid4().hex[:6]
        r = podman("run", "-d", "--name", name, "--network", "none", "--memory", "64m",
                   "--pids-limit", "20", IMAGE, "sleep", "100", cgroup=f"{top}/shell")
        assert r.returncode == 0, r.stderr
        try:
            pid = int(podman("inspect", "--format", "{{.State.Pid}}", name).stdout)
            with open(f"/proc/{pid}/cgroup") as f:
                rel = f.read().strip().split("::", 1)[1]
            cg = "/sys/fs/cgroup" + rel
            assert cg.startswith(top + "/") and cg != top + "/shell", cg
            with open(f"{cg}/memory.max") as f:
                assert f.read().strip() == str(64 << 20)
            with open(f"{cg}/pids.max") as f:
                assert f.read().strip() == "20"
            # exec from inside the subtree joins the container's cgroup
            r = podman("exec", name, "sh", "-c", "cat /proc/self/cgroup /sys/fs/cgroup/memory.max",
                       cgroup=f"{top}/shell")
            assert (r.returncode, r.stdout.split()) == (0, ["0::/", str(64 << 20)]), r.stderr
            # from outside it the kernel refuses the move: the process runs where its caller
            # is, as with runc, rather than failing
            r = podman("exec", name, "cat", "/proc/self/cgroup")
            assert r.returncode == 0, r.stderr
            assert r.stdout.strip() != "0::/", r.stdout
        finally:
            podman("rm", "-f", "-t", "0", name)
        assert not os.path.exists(cg)
