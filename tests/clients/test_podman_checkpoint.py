"""podman container checkpoint and restore with husk as the runtime (in the VM tier, where
`criu check` passes): the container's count goes on after a restore, in place and from an
exported tarball under a new name."""
import re
import time

import pytest

from clients_support import criu_works
from test_podman import IMAGE, podman  # noqa: F401  (fixture)

if not criu_works():
    pytest.skip("`criu check` fails on this kernel: podman checkpoint runs in the VM tier",
                allow_module_level=True)

COUNTER = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done"


def last_count(podman, name):
    out = podman("logs", name).stdout.split()
    return int(out[-1]) if out else -1


def wait_count(podman, name, above, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        n = last_count(podman, name)
        if n > above:
            return n
        time.sleep(0.2)
    raise AssertionError(f"{name} did not count past {above}: {podman('logs', name).stdout!r}")


def test_checkpoint_restore_in_place(podman):
    podman.detach("ck", "sh", "-c", COUNTER)
    try:
        wait_count(podman, "ck", 3)
        r = podman("container", "checkpoint", "ck", timeout=180)
        assert r.returncode == 0, r.stderr
        assert podman("inspect", "--format", "{{.State.Status}}", "ck").stdout.strip() == \
            "exited"
        at = last_count(podman, "ck")
        r = podman("container", "restore", "ck", timeout=180)
        assert r.returncode == 0, r.stderr
        assert podman("inspect", "--format", "{{.State.Status}}", "ck").stdout.strip() == \
            "running"
        wait_count(podman, "ck", at)
        counts = [int(x) for x in podman("logs", "ck").stdout.split()]
        # one run of numbers: the restored process went on from where it was dumped
        assert counts == list(range(len(counts))), counts
        r = podman("exec", "ck", "cat", "/proc/1/cmdline")
        assert r.returncode == 0 and r.stdout.startswith("sh"), r.stderr
    finally:
        podman.remove("ck")


def test_export_and_import_under_a_new_name(podman, tmp_path):
    podman.detach("ex", "sh", "-c", COUNTER)
    archive = tmp_path / "ex.tar.gz"
    try:
        wait_count(podman, "ex", 3)
        r = podman("container", "checkpoint", "--export", str(archive), "ex", timeout=180)
        assert r.returncode == 0, r.stderr
        at = int(re.findall(r"\d+", podman("logs", "ex").stdout)[-1])
        r = podman("container", "restore", "--import", str(archive), "--name", "ex2",
                   timeout=180)
        assert r.returncode == 0, r.stderr
        n = wait_count(podman, "ex2", at)
        assert n > at
        r = podman("exec", "ex2", "cat", "/proc/1/cmdline")
        assert r.returncode == 0 and r.stdout.startswith("sh"), r.stderr
    finally:
        podman.remove("ex2")
        podman.remove("ex")
