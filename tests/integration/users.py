"""A plain user for the rootless tiers, made as root and removed after: its name, its
subordinate id range in /etc/subuid and /etc/subgid, and at the end every process it still has
(the test started them all: podman's pause process above all)."""
import os
import pwd
import subprocess


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
