"""Shared by the client tests: where husk is, the image, a terminal driver, stopping by pid."""
import contextlib
import os
import pty
import select
import shutil
import signal
import subprocess
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("HUSK_BUILD", os.path.join(TOP, "build"))
HUSK = os.environ.get("HUSK", os.path.join(BUILD, "src", "cli", "husk"))


def write_containers_conf(path, ulimits):
    """podman's containers.conf: husk as the runtime, taking --log-format=json, the cgroupfs
    manager, file events, the given default ulimits."""
    with open(path, "w") as f:
        f.write(f"[containers]\ndefault_ulimits = {ulimits!r}\n[engine]\nruntime = \"husk\"\n"
                'runtime_supports_json = ["husk"]\ncgroup_manager = "cgroupfs"\n'
                f'events_logger = "file"\n[engine.runtimes]\nhusk = ["{HUSK}"]\n')


@contextlib.contextmanager
def podman_with_image(podman, top, name):
    """podman (a callable running it) with the image loaded; everything it made removed after."""
    image = os.path.join(top, "busybox.tar")
    make_image(image, name)
    if podman.owner is not None:
        os.chown(image, *podman.owner)
    try:
        r = podman("load", "-i", image)
        assert r.returncode == 0, r.stderr
        yield podman
    finally:
        podman("rm", "-a", "-f", "-t", "0")
        kill_processes("conmon", top)
        podman("system", "reset", "--force")


def make_image(path, name):
    """The busybox + probe OCI archive (make_image.py), named name."""
    subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tests", "clients", "make_image.py"),
                    path, name, os.path.join(BUILD, "tests", "probe")], check=True)


def on_a_terminal(argv, script, env=None):
    """Runs argv with a pty as its stdio, types script, returns (status, what it printed)."""
    pid, master = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env if env is not None else os.environ)
    os.write(master, script)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(master)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def kill_processes(program, marker):
    """SIGKILL, by pid, every process running `program` with `marker` in its arguments: what a
    client started for this test run and left behind (shims, conmons)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(program.encode()) and any(marker.encode() in a for a in argv):
            os.kill(int(pid), signal.SIGKILL)


def criu_works():
    """Whether `criu check` passes here (it fails on the host's 6.18 kernel, passes in the VM)."""
    criu = shutil.which("criu")
    return bool(criu) and subprocess.run([criu, "check"], capture_output=True).returncode == 0


def cgroups_named(name):
    """The directories called name right under each cgroup hierarchy's root."""
    found = []
    for point in os.listdir("/sys/fs/cgroup"):
        path = os.path.join("/sys/fs/cgroup", point, name)
        if os.path.isdir(path):
            found.append(path)
    if os.path.isdir(os.path.join("/sys/fs/cgroup", name)):
        found.append(os.path.join("/sys/fs/cgroup", name))
    return found


def remove_tree(path):
    """rmdir of a cgroup tree, leaves first (cgroup directories cannot be removed recursively)."""
    for top, _, _ in sorted(os.walk(path), key=lambda t: -len(t[0])):
        try:
            os.rmdir(top)
        except OSError:
            pass


def stop_daemon(daemon, timeout):
    """SIGTERM to a daemon the tests started (a Popen), SIGKILL if it is not gone in time."""
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
