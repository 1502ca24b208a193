"""A plain user for the rootless tiers, made as root and removed after: its name, its
subordinate id range in /etc/subuid and /etc/subgid, and at the end every process it still has
(the test started them all: podman's pause process above all)."""
import contextlib
import os
import pwd
import subprocess
import time


class PlainUser:
    def __init__(self, name, subids):
        self.name = name
        self.subids = subids  # "START:COUNT"

    def _edit_subids(self, add):
        for path in ("/etc/subuid", "/etc/subgid"):
            lines = []
            if os.path.exists(path):
                with open(path) as f:
                    lines = [x for x in f.read().splitlines()
                             if not x.startswith(self.name + ":")]
            if add:
                lines.append(f"{self.name}:{self.subids}")
            with open(path, "w") as f:
                f.write("".join(x + "\n" for x in lines))

    def __enter__(self):
        made = subprocess.run(["useradd", "--no-create-home", "--user-group", "--shell",
                               "/usr/sbin/nologin", self.name], capture_output=True, text=True)
        assert made.returncode in (0, 9), made.stderr  # 9: left by an interrupted run
        self._edit_subids(True)
        return pwd.getpwnam(self.name)

    def __exit__(self, *exc):
        uid = pwd.getpwnam(self.name).pw_uid
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/status") as f:
                    owner = next(x for x in f if x.startswith("Uid:")).split()[1]
                if owner == str(uid):
                    os.kill(int(pid), 9)
            except (OSError, StopIteration):
                pass
        self._edit_subids(False)
        subprocess.run(["userdel", self.name], capture_output=True)


@contextlib.contextmanager
def delegated_cgroup(pw, name):
    """A cgroup v2 subtree given to the user the way systemd's Delegate=yes does: the directory
    and its cgroup.procs, cgroup.subtree_control and cgroup.threads chowned, the controllers on
    in its parent, and a leaf `shell` for the user's own processes. Removed after, leaves first."""
    top = f"/sys/fs/cgroup/{name}-{os.getpid()}"
    with open("/sys/fs/cgroup/cgroup.subtree_control", "w") as f:
        f.write("+memory +pids")
    os.mkdir(top)
    os.mkdir(f"{top}/shell")
    for path in [top, f"{top}/shell"]:
        for entry in ["", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"]:
            os.chown(os.path.join(path, entry) if entry else path, pw.pw_uid, pw.pw_gid)
    try:
        yield top
    finally:
        # what the test's user left running there (a conmon, podman's pause process) goes first
        with open(f"{top}/cgroup.kill", "w") as f:
            f.write("1")
        for _ in range(100):
            for d in sorted((d for d, _, _ in os.walk(top)), key=len, reverse=True):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            if not os.path.exists(top):
                break
            time.sleep(0.05)
