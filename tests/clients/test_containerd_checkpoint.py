"""containerd's checkpoint and restore through its runc-v2 shim with husk (in the VM tier, where
`criu check` passes): `ctr task checkpoint` to a directory, and `ctr container checkpoint --task`
to an image that `ctr container restore --live` makes a running container from again."""
import os
import time

import pytest

from clients_support import criu_works
from test_containerd import containerd, husk_state  # noqa: F401  (fixture)

if not criu_works():
    pytest.skip("`criu check` fails on this kernel: ctr checkpoint runs in the VM tier",
                allow_module_level=True)

# the count goes to a file in the container: the shim's stdio fifos are not the test's to read
COUNTER = "i=0; while true; do echo $i > /count; i=$((i+1)); sleep 0.1; done"


def count(containerd, cid):
    r = containerd.ctr("task", "exec", "--exec-id", f"e{time.monotonic_ns()}", cid,
                       "cat", "/count")
    return int(r.stdout) if r.returncode == 0 and r.stdout.strip() else -1


def wait_count(containerd, cid, above, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        n = count(containerd, cid)
        if n > above:
            return n
        time.sleep(0.2)
    raise AssertionError(f"{cid} did not count past {above}")


def test_task_checkpoint_leaves_it_running_with_images(containerd, tmp_path):
    containerd.detach("tk", "sh", "-c", COUNTER)
    try:
        n = wait_count(containerd, "tk", 3)
        r = containerd.ctr("task", "checkpoint", "--image-path", str(tmp_path / "img"), "tk",
                           timeout=180)
        assert r.returncode == 0, r.stderr
        assert os.path.exists(tmp_path / "img" / "descriptors.json")
        assert any(f.startswith("pages-") for f in os.listdir(tmp_path / "img"))
        wait_count(containerd, "tk", n)  # the shim asked for --leave-running
    finally:
        containerd.remove("tk")


def test_container_checkpoint_and_live_restore(containerd):
    containerd.detach("cr", "sh", "-c", COUNTER)
    try:
        at = wait_count(containerd, "cr", 3)
        r = containerd.ctr("container", "checkpoint", "--task", "cr", "husk/ckpt:cr",
                           timeout=180)
        assert r.returncode == 0, r.stderr
        at = max(at, count(containerd, "cr"))
    finally:
        containerd.remove("cr")
    try:
        r = containerd.ctr("container", "restore", "--live", "cr", "husk/ckpt:cr", timeout=180)
        assert r.returncode == 0, r.stderr
        assert "RUNNING" in containerd.ctr("task", "ls").stdout
        # husk made it: its own record, running, with the restored pid
        st = husk_state(containerd, "cr")
        assert st["status"] == "running" and st["pid"] == containerd.task_pid("cr")
        # the restored process goes on from its count; a new one would start again at 0
        assert wait_count(containerd, "cr", at) > at
    finally:
        containerd.remove("cr")
        containerd.ctr("images", "rm", "husk/ckpt:cr")
