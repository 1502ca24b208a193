"""A full (ENOSPC) or read-only (EROFS) state root at each write husk makes there: commands
fail in one line, and afterwards the record is either whole or absent, and `delete --force`
(once there is room again) leaves nothing. The root is a tmpfs of 256 KiB made for the test."""
import contextlib
import os
import subprocess
import time

import pytest

from husk_support import host_mounts

PAGE = 4096


@contextlib.contextmanager
def small_tmpfs(path):
    os.makedirs(path)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", path],
                   check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path], check=True)


def fill(root, free_pages):
    """Leaves free_pages pages free on the tmpfs at root (a filler file takes the rest)."""
    filler = os.path.join(root, ".filler")
    if os.path.exists(filler):
        os.unlink(filler)
    st = os.statvfs(root)
    take = (st.f_bavail - free_pages) * PAGE
    with open(filler, "wb") as f:
        if take > 0:
            f.write(b"\0" * take)
    return filler


def whole_or_absent(b, cid):
    r = b.husk("state", cid)
    if r.rc == 0:
        assert r.json()["id"] == cid
    else:
        assert len(r.err.splitlines()) == 1, r.err


@pytest.mark.parametrize("free", range(0, 8))
def test_full_state_root_at_each_write(bundle, tmp_path, free):
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    mounts = host_mounts()
    with small_tmpfs(str(tmp_path / "root")) as root:
        bundle.root = root
        # the root's own directory first, so that `free` counts what the container needs
        os.makedirs(os.path.join(root, "husk"), exist_ok=True)
        bundle.root = os.path.join(root, "husk")
        filler = fill(root, free)
        r = bundle.husk("create", "c")
        assert r.rc == 0 or len(r.err.splitlines()) == 1, r.err
        if r.rc == 0:
            r = bundle.husk("start", "c")
            assert r.rc == 0 or len(r.err.splitlines()) == 1, r.err
        whole_or_absent(bundle, "c")
        os.unlink(filler)
        r = bundle.husk("delete", "--force", "c")
        assert r.rc == 0, r.err
        assert os.listdir(bundle.root) in ([], [".seccomp~"])
        assert bundle.leftovers() == []
    assert host_mounts() == mounts


def test_read_only_state_root(bundle, tmp_path):
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    with small_tmpfs(str(tmp_path / "root")) as root:
        bundle.root = os.path.join(root, "husk")
        assert bundle.husk("create", "c").rc == 0
        subprocess.run(["mount", "-o", "remount,ro", root], check=True)
        for args in (["start", "c"], ["delete", "--force", "c"], ["create", "d"]):
            r = bundle.husk(*args)
            assert r.rc == 1 and len(r.err.splitlines()) == 1, (args, r.err)
            assert "read-only file system" in r.err, r.err
        whole_or_absent(bundle, "c")
        subprocess.run(["mount", "-o", "remount,rw", root], check=True)
        assert bundle.husk("delete", "--force", "c").rc == 0
        assert os.listdir(bundle.root) in ([], [".seccomp~"])
        assert bundle.leftovers() == []


def test_start_on_a_full_state_root_releases_nothing(bundle, tmp_path):
    """Issue 27 item 7: start released pid 1 and only then saved the record, so on ENOSPC it
    failed while the program ran and `state` said created. Now a save that fails releases
    nothing: the program has not run, the record says created, and a later start works."""
    marker = os.path.join(bundle.rootfs, "ran")
    bundle.config["process"]["args"] = ["sh", "-c", "touch /ran; exec sleep 1000"]
    bundle.write()
    with small_tmpfs(str(tmp_path / "root")) as root:
        bundle.root = os.path.join(root, "husk")
        r = bundle.husk("create", "c")
        assert r.rc == 0, r.err
        filler = os.path.join(root, ".filler")
        try:
            try:
                with open(filler, "wb") as f:  # every last byte
                    while True:
                        f.write(b"\0" * PAGE)
                        f.flush()
            except OSError:
                pass
            r = bundle.husk("start", "c")
            assert r.rc == 1 and r.err.splitlines() == [
                'husk: cannot start container "c": write state of c: no space left on '
                'device'], r.err
            time.sleep(0.3)
            assert not os.path.exists(marker), "the program ran although start failed"
            assert bundle.state("c")["status"] == "created"
            os.unlink(filler)
            assert bundle.husk("start", "c").rc == 0
            for _ in range(100):
                if os.path.exists(marker):
                    break
                time.sleep(0.02)
            assert os.path.exists(marker) and bundle.state("c")["status"] == "running"
        finally:
            if os.path.exists(filler):
                os.unlink(filler)
            assert bundle.husk("delete", "--force", "c").rc == 0
        assert bundle.leftovers() == []
