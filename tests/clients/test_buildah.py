"""buildah drives husk with --runtime: its storage (vfs) and run root in a temporary directory, the
busybox OCI archive as the base image, no network. husk is reached through a wrapper that
records each command buildah gives it, so that the tests see husk did the work."""
import os
import shutil
import subprocess
import tempfile

import pytest

from clients_support import BUILD, HUSK, make_image

if os.geteuid() != 0:
    pytest.skip("buildah's storage here needs root", allow_module_level=True)
if shutil.which("buildah") is None:
    pytest.fail("buildah is missing: contrib/install-deps --vm installs it")


COMMANDS = {"create", "start", "delete", "kill", "state", "run", "exec", "features"}


class Buildah:
    def __init__(self, tmp):
        self.tmp = tmp
        self.runtime = os.path.join(tmp, "husk-logged")
        self.log = os.path.join(tmp, "husk.log")
        with open(self.runtime, "w") as f:
            f.write(f'#!/bin/sh\necho "$*" >> {self.log}\nexec {HUSK} "$@"\n')
        os.chmod(self.runtime, 0o755)

    def __call__(self, *args, timeout=120):
        return subprocess.run(["buildah", "--root", os.path.join(self.tmp, "root"), "--runroot",
                               os.path.join(self.tmp, "run"), "--storage-driver", "vfs", *args],
                              capture_output=True, text=True, timeout=timeout)

    def run(self, container, *argv):
        return self("run", "--runtime", self.runtime, "--network", "none", container, "--",
                    *argv)

    def husk_commands(self):
        """The husk commands run since the last call (unknown lines whole)."""
        try:
            with open(self.log) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        os.unlink(self.log)
        return [next((w for w in line.split() if w in COMMANDS), line) for line in lines]


@pytest.fixture(scope="module")
def buildah():
    tmp = tempfile.mkdtemp(prefix="husk-buildah-")
    b = Buildah(tmp)
    try:
        make_image(os.path.join(tmp, "busybox.tar"), "localhost/husk/busybox")
        yield b
    finally:
        b("rm", "--all")
        b("rmi", "--all", "--force")
        subprocess.run(["umount", "-R", os.path.join(tmp, "root")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_from_an_oci_archive_run_and_commit(buildah):
    r = buildah("from", "--quiet", "--pull-never", "oci-archive:" + buildah.tmp + "/busybox.tar")
    assert r.returncode == 0, r.stderr
    container = r.stdout.strip()
    r = buildah.run(container, "sh", "-c", "echo made > /made; id -u; cat /made")
    assert (r.returncode, r.stdout) == (0, "0\nmade\n"), r.stderr
    commands = buildah.husk_commands()
    assert "create" in commands and "start" in commands and "delete" in commands, commands
    r = buildah.run(container, "sh", "-c", "exit 6")
    assert r.returncode != 0 and "exit status 6" in r.stderr, r.stderr
    r = buildah("commit", "--quiet", container, "localhost/husk/made")
    assert r.returncode == 0, r.stderr
    r = buildah("from", "--quiet", "--pull-never", "localhost/husk/made")
    assert r.returncode == 0, r.stderr
    r = buildah.run(r.stdout.strip(), "cat", "/made")
    assert (r.returncode, r.stdout) == (0, "made\n"), r.stderr


def test_build_with_three_run_steps(buildah, tmp_path):
    (tmp_path / "Containerfile").write_text(
        "FROM localhost/husk/busybox\n"
        "RUN echo one > /one\n"
        "RUN cat /one > /two && echo two >> /two\n"
        "RUN cat /two && wc -l < /two > /lines\n")
    buildah.husk_commands()
    r = buildah("build", "--runtime", buildah.runtime, "--network", "none", "--pull-never",
                "-t", "localhost/husk/three", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "one\ntwo\n" in r.stdout
    assert buildah.husk_commands().count("create") == 3
    r = buildah("from", "--quiet", "--pull-never", "localhost/husk/three")
    assert r.returncode == 0, r.stderr
    r = buildah.run(r.stdout.strip(), "sh", "-c", "cat /two /lines")
    assert (r.returncode, r.stdout) == (0, "one\ntwo\n2\n"), r.stderr
