"""checkpoint and restore through CRIU.

Where `criu check` passes (the VM tier, Debian's 6.1 kernel) a counting container is
checkpointed, deleted and restored, and must go on from its count: plainly, with
--leave-running, across a TCP connection on loopback (--tcp-established), on a terminal
(--shell-job) and after a pre-dump. Where it fails (this host's 6.18 kernel), checkpoint and
restore must say criu's reason in one line and change nothing."""
import json
import os
import pty
import select
import shutil
import subprocess
import time

import pytest

from husk_support import CGROUP2, HUSK, cgroup_dir, cgroup_read

CRIU = shutil.which("criu")
CRIU_CHECK = subprocess.run([CRIU, "check"], capture_output=True, text=True) if CRIU else None
CRIU_WORKS = CRIU_CHECK is not None and CRIU_CHECK.returncode == 0
needs_criu = pytest.mark.skipif(
    not CRIU_WORKS, reason="`criu check` fails on this kernel: checkpoint/restore run in the VM tier")
needs_broken_criu = pytest.mark.skipif(
    CRIU_WORKS or not CRIU, reason="criu works here: the refusal is for hosts where `criu check` fails")

COUNTER = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done"


class Lines:
    """The lines a container writes to a pipe, read with a timeout."""

    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def next(self, timeout=30):
        while b"\n" not in self.buf:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                raise AssertionError(f"no line in {timeout} s (so far: {self.buf!r})")
            chunk = os.read(self.fd, 4096)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def last_before_eof(self, timeout=30):
        last = None
        try:
            while True:
                last = self.next(timeout)
        except EOFError:
            return last

    def close(self):
        os.close(self.fd)


def husk_with_stdio(b, *args, stdin, stdout):
    """husk with stdin and stdout (and stderr) the given fds, which a detached container
    inherits: its own messages go there too."""
    return subprocess.run([HUSK, "--root", b.root, *args], stdin=stdin, stdout=stdout,
                          stderr=stdout, cwd=b.path, timeout=120).returncode


def detached(b, cmd, cid, *args, expect=0):
    """Runs `husk run -d` or `husk restore -d` with fresh pipes as the container's stdio;
    returns (Lines of its stdout and stderr, the write end of its stdin)."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    try:
        rc = husk_with_stdio(b, cmd, "-d", *args, cid, stdin=in_r, stdout=out_w)
    finally:
        os.close(in_r)
        os.close(out_w)
    lines = Lines(out_r)
    if rc != expect:
        raise AssertionError(f"husk {cmd}: exit {rc}: {lines.next(5)}")
    return lines, in_w


def counting(b, cid="c", args=None, resources=True):
    b.config["process"]["args"] = ["sh", "-c", args or COUNTER]
    if resources:
        b.config["linux"].setdefault("resources", {})["memory"] = {"limit": 64 << 20}
        b.config["linux"]["resources"]["pids"] = {"limit": 40}
    b.write()
    return detached(b, "run", cid)


def checkpoint(b, cid, image, *args):
    return b.husk("checkpoint", "--image-path", str(image), *args, cid, timeout=120)


def checkpointed(b, image):
    """A counting container, checkpointed (which ends it): its last count."""
    out, stdin = counting(b)
    out.next()
    r = checkpoint(b, "c", image)
    assert r.rc == 0, r.err
    last = int(out.last_before_eof())
    os.close(stdin)
    out.close()
    return last


def assert_limits(pid):
    if CGROUP2:
        assert cgroup_read(pid, "memory", "memory.max") == str(64 << 20)
        assert cgroup_read(pid, "pids", "pids.max") == "40"
    else:
        assert cgroup_read(pid, "memory", "memory.limit_in_bytes") == str(64 << 20)


@needs_broken_criu
def test_checkpoint_refused_with_criu_reason_and_container_untouched(bundle, tmp_path):
    out, stdin = counting(bundle)
    before = bundle.state("c")
    first = out.next()
    r = checkpoint(bundle, "c", tmp_path / "img")
    assert r.rc == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "criu cannot work on this host: " in lines[0], r.err
    reason = [l for l in CRIU_CHECK.stdout.splitlines() + CRIU_CHECK.stderr.splitlines()
              if "Error (" in l][0].split("): ", 1)[1]
    assert lines[0].endswith(reason)
    assert bundle.state("c") == before  # still running, same pid, same record
    assert int(out.next()) > int(first)  # and still counting
    r = bundle.husk("features")
    assert r.json()["annotations"]["org.opencontainers.runc.checkpoint.enabled"] == "false"
    os.close(stdin)
    out.close()


def test_what_this_libcriu_lacks_is_refused_in_one_line(bundle, tmp_path):
    out, stdin = counting(bundle)
    before = bundle.state("c")
    for args, message in (
            (["--lazy-pages"], "checkpoint: --lazy-pages: this libcriu has no lazy-pages option"),
            (["--empty-ns", "network"], "checkpoint: --empty-ns: this libcriu has no empty-ns"),
            (["--status-fd", "1"], "checkpoint: --status-fd needs --lazy-pages")):
        r = checkpoint(bundle, "c", tmp_path / "img", *args)
        assert r.rc == 1 and len(r.err.splitlines()) == 1 and message in r.err, r.err
    r = checkpoint(bundle, "c", tmp_path / "img", "--manage-cgroups-mode", "hard")
    assert r.rc == 1 and '"hard" is not one of soft, full, strict, ignore' in r.err, r.err
    assert bundle.state("c") == before
    os.close(stdin)
    out.close()


def criu_that_passes_check(tmp_path):
    """PATH for husk: the real criu where it works (the VM tier), else a stand-in whose `criu
    check` passes, so that restore goes on to read the image (its first step, before any RPC)."""
    path = os.environ["PATH"]
    if CRIU_WORKS:
        return path
    if CRIU is None:
        pytest.skip("no criu (its libcriu.so.2 is what husk loads)")
    d = tmp_path / "criu-bin"
    d.mkdir()
    (d / "criu").write_text('#!/bin/sh\n[ "$1" = check ] && exit 0\nexit 1\n')
    os.chmod(d / "criu", 0o755)
    return f"{d}:{path}"


def make_hostile(image, kind):
    target = image / "descriptors.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        os.symlink("/dev/zero", target)
    elif kind == "huge":
        with open(target, "w") as f:
            f.write("[" + '"pipe:[1]",' * 10000 + '"pipe:[1]"]')
    elif kind == "directory":
        os.mkdir(target)


@pytest.mark.parametrize("kind,why", [
    ("fifo", "descriptors.json: not a regular file"),
    ("device", "open descriptors.json: too many levels of symbolic links"),
    ("huge", "descriptors.json: larger than 24576 bytes"),
    ("directory", "descriptors.json: not a regular file"),
])
def test_restore_of_a_hostile_image_fails_at_once(bundle, tmp_path, kind, why):
    """Issue 27 item 3: the image is the user's (or an imported archive's) to shape. A FIFO as
    descriptors.json hung `husk restore` for ever; a link to a device, a huge file or a
    directory there must be refused too, in one line, leaving nothing."""
    env = dict(os.environ, PATH=criu_that_passes_check(tmp_path))
    bundle.write()
    image = tmp_path / "img"
    image.mkdir()
    make_hostile(image, kind)
    try:
        r = subprocess.run([HUSK, "--root", bundle.root, "restore", "-d", "--image-path",
                            str(image), "r"], cwd=bundle.path, env=env, capture_output=True,
                           text=True, timeout=20, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail("husk restore hung on the image's descriptors.json")
    assert r.returncode == 1
    assert r.stderr == f"husk: restore: {image}: {why}\n"
    assert not os.path.exists(os.path.join(bundle.root, "r"))
    assert bundle.leftovers() == []


@needs_broken_criu
def test_restore_refused_leaves_nothing(bundle, tmp_path):
    bundle.write()
    os.mkdir(tmp_path / "img")
    r = bundle.husk("restore", "-d", "--image-path", str(tmp_path / "img"), "r")
    assert r.rc == 1 and "criu cannot work on this host" in r.err
    assert not os.path.exists(os.path.join(bundle.root, "r"))


@needs_criu
def test_checkpoint_delete_restore_continues_the_count(bundle, tmp_path):
    out, stdin = counting(bundle)
    for _ in range(5):
        out.next()
    r = checkpoint(bundle, "c", tmp_path / "img")
    assert r.rc == 0, r.err
    last = int(out.last_before_eof())  # CRIU killed the tree: the pipe closes
    assert bundle.husk("state", "c").rc == 1  # checkpoint deleted the container
    with open(tmp_path / "img" / "descriptors.json") as f:
        assert [d.split("[")[0] for d in json.load(f)] == ["pipe:", "pipe:", "pipe:"]
    os.close(stdin)
    out.close()

    out, stdin = detached(bundle, "restore", "c", "--image-path", str(tmp_path / "img"))
    assert int(out.next()) == last + 1
    assert int(out.next()) == last + 2
    st = bundle.state("c")
    assert st["status"] == "running"
    pid = st["pid"]
    with open(f"/proc/{pid}/cmdline") as f:
        assert f.read().split("\0")[:2] == ["sh", "-c"]
    assert_limits(pid)
    # exec joins it: same cgroup, same pid namespace (it sees the counter as pid 1)
    r = bundle.husk("exec", "c", "cat", "/proc/1/cmdline")
    assert r.rc == 0 and r.out.split("\0")[:2] == ["sh", "-c"], r.err
    r = bundle.husk("exec", "c", "sh", "-c", "cat /proc/self/cgroup")
    assert r.rc == 0, r.err
    cg = cgroup_dir(pid, "pids")
    assert bundle.husk("kill", "c", "KILL").rc == 0
    out.last_before_eof()  # the pipe closes: it died (a timeout fails the test)
    assert bundle.husk("delete", "c").rc == 0
    assert not os.path.exists(cg)
    os.close(stdin)
    out.close()


@needs_criu
def test_leave_running_then_restore_a_second_copy(bundle, tmp_path):
    out, stdin = counting(bundle)
    at = int(out.next())
    r = checkpoint(bundle, "c", tmp_path / "img", "--leave-running")
    assert r.rc == 0, r.err
    after = int(out.next())  # the original goes on
    assert bundle.state("c")["status"] == "running"
    assert bundle.husk("delete", "--force", "c").rc == 0
    # the original's last count, after the dump: the copy goes on from at most this
    last = int(out.last_before_eof())
    os.close(stdin)
    out.close()

    out, stdin = detached(bundle, "restore", "c", "--image-path", str(tmp_path / "img"))
    first = int(out.next())
    assert at < first <= max(after, last) + 1, (at, after, last, first)  # from the dump
    assert int(out.next()) == first + 1
    assert bundle.husk("delete", "--force", "c").rc == 0
    os.close(stdin)
    out.close()


@needs_criu
def test_tcp_connection_on_loopback(bundle, tmp_path):
    # a server and a client in the container's own network namespace, the count crossing
    # one established connection; the server prints what it receives
    os.symlink("busybox", os.path.join(bundle.rootfs, "bin", "nc"))
    bundle.config["process"]["args"] = ["sh", "-c", "ip link set lo up; sleep 100000 | nc -l -p 5000 & "
                                        f"sleep 0.5; ({COUNTER}) | nc 127.0.0.1 5000"]
    bundle.write()
    out, stdin = detached(bundle, "run", "c")
    for _ in range(3):
        out.next()
    r = checkpoint(bundle, "c", tmp_path / "plain")
    assert r.rc == 1 and "criu failed" in r.err  # an established connection needs the flag
    assert bundle.state("c")["status"] == "running"
    n = int(out.next())
    r = checkpoint(bundle, "c", tmp_path / "img", "--tcp-established")
    assert r.rc == 0, r.err
    last = int(out.last_before_eof())
    assert last >= n
    os.close(stdin)
    out.close()
    out, stdin = detached(bundle, "restore", "c", "--tcp-established", "--image-path",
                          str(tmp_path / "img"))
    assert int(out.next()) == last + 1
    assert bundle.husk("delete", "--force", "c").rc == 0
    os.close(stdin)
    out.close()


@needs_criu
def test_shell_job_on_a_terminal(bundle, tmp_path):
    """The container's stdio is a terminal from outside (a pty whose master the test holds)."""
    bundle.config["process"]["args"] = ["sh", "-c", COUNTER]
    bundle.write()
    master, slave = pty.openpty()
    assert husk_with_stdio(bundle, "run", "-d", "c", stdin=slave, stdout=slave) == 0
    os.close(slave)
    tty = Lines(master)
    for _ in range(3):
        tty.next()
    r = checkpoint(bundle, "c", tmp_path / "img")
    assert r.rc == 1  # a terminal from outside needs --shell-job
    r = checkpoint(bundle, "c", tmp_path / "img2", "--shell-job")
    assert r.rc == 0, r.err
    last = int(_drain(tty))
    os.close(master)

    master, slave = pty.openpty()
    rc = husk_with_stdio(bundle, "restore", "-d", "--shell-job", "--image-path",
                         str(tmp_path / "img2"), "c", stdin=slave, stdout=slave)
    os.close(slave)
    tty = Lines(master)
    assert rc == 0, tty.next(5)
    assert int(tty.next().strip()) == last + 1
    assert bundle.husk("delete", "--force", "c").rc == 0
    os.close(master)


def _drain(lines):
    """The last line a terminal showed before its writer went (a pty reads EIO, not EOF)."""
    last = None
    while True:
        try:
            last = lines.next(timeout=2).strip()
        except (EOFError, OSError, AssertionError):
            return last


@needs_criu
def test_pre_dump_then_dump_with_parent(bundle, tmp_path):
    out, stdin = counting(bundle)
    out.next()
    r = checkpoint(bundle, "c", tmp_path / "pre", "--pre-dump")
    assert r.rc == 0, r.err
    assert bundle.state("c")["status"] == "running"  # a pre-dump leaves it running
    assert any(n.startswith("pages-") for n in os.listdir(tmp_path / "pre"))
    out.next()
    r = checkpoint(bundle, "c", tmp_path / "img", "--parent-path", "../pre")
    assert r.rc == 0, r.err
    assert os.readlink(tmp_path / "img" / "parent") == "../pre"
    last = int(out.last_before_eof())
    os.close(stdin)
    out.close()
    out, stdin = detached(bundle, "restore", "c", "--image-path", str(tmp_path / "img"))
    assert int(out.next()) == last + 1
    assert bundle.husk("delete", "--force", "c").rc == 0
    os.close(stdin)
    out.close()


@needs_criu
def test_failed_checkpoint_leaves_the_container_running(bundle, tmp_path):
    # stdout on a host file outside the container's mounts: CRIU cannot dump it
    bundle.config["process"]["args"] = ["sh", "-c", COUNTER]
    bundle.write()
    log = tmp_path / "out"
    with open(log, "w") as f:
        assert husk_with_stdio(bundle, "run", "-d", "c", stdin=subprocess.DEVNULL,
                               stdout=f) == 0
    before = bundle.state("c")
    r = checkpoint(bundle, "c", tmp_path / "img")
    assert r.rc == 1 and "criu failed" in r.err and "dump.log" in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1
    assert bundle.state("c") == before
    size = os.path.getsize(log)
    for _ in range(50):
        if os.path.getsize(log) > size:
            break
        select.select([], [], [], 0.1)
    assert os.path.getsize(log) > size  # still counting: CRIU let it go


@needs_criu
def test_failed_restore_leaves_nothing(bundle, tmp_path):
    checkpointed(bundle, tmp_path / "img")
    # the image's pid 1 runs busybox: a rootfs without it cannot take the process back
    os.unlink(os.path.join(bundle.rootfs, "bin", "busybox"))
    out, stdin = detached(bundle, "restore", "c", "--image-path", str(tmp_path / "img"),
                          expect=1)
    message = out.next(5)
    assert message.startswith("husk: restore: criu failed: ") and "restore.log" in message
    os.close(stdin)
    out.close()
    assert not os.path.exists(os.path.join(bundle.root, "c"))
    # the bundle fixture then checks that no process, cgroup or mount is left


def test_a_callers_dev_null_becomes_the_containers_own(bundle):
    # as runc does: stdio that is the host's /dev/null is reopened from the container's /dev,
    # read-write, so that the process holds nothing of a host mount (and CRIU can dump it)
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    with open("/dev/null") as null:
        host_mnt = [l for l in open(f"/proc/self/fdinfo/{null.fileno()}")
                    if l.startswith("mnt_id:")][0]
        r = subprocess.run([HUSK, "--root", bundle.root, "run", "-d", "n"], stdin=null,
                           stdout=null, stderr=null, cwd=bundle.path)
    assert r.returncode == 0
    pid = bundle.state("n")["pid"]
    for fd in (0, 1, 2):
        with open(f"/proc/{pid}/fdinfo/{fd}") as f:
            info = f.read()
        assert host_mnt not in info.splitlines(keepends=True)
        flags = int([l for l in info.splitlines() if l.startswith("flags:")][0].split()[1], 8)
        assert flags & os.O_ACCMODE == os.O_RDWR
        assert os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/null"
    assert bundle.husk("delete", "--force", "n").rc == 0


def test_terminal_container_is_not_lost_to_a_checkpoint_it_cannot_come_back_from(bundle,
                                                                               tmp_path):
    """process.terminal: CRIU 3.17 dumps the pty but cannot restore it here ("Don't have tty
    to inherit session from"), so a checkpoint that would end the container is refused before
    anything happens; --leave-running still dumps it (in the VM)."""
    from test_process import ConsoleSocket

    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["args"] = ["sh", "-c", COUNTER]
    bundle.write()
    console = ConsoleSocket(tmp_path / "c1.sock")
    r = bundle.husk("run", "-d", "--console-socket", console.path, "c")
    assert r.rc == 0, r.err
    tty = Lines(console.wait()["fd"])
    tty.next()
    before = bundle.state("c")
    r = checkpoint(bundle, "c", tmp_path / "img")
    assert r.rc == 1 and len(r.err.splitlines()) == 1, r.err
    assert "process.terminal" in r.err and "--leave-running" in r.err
    assert not os.path.exists(tmp_path / "img")
    assert bundle.state("c") == before
    tty.next()  # still counting on its terminal
    if CRIU_WORKS:
        r = checkpoint(bundle, "c", tmp_path / "img", "--leave-running")
        assert r.rc == 0, r.err
        assert bundle.state("c") == before
    os.close(tty.fd)


@needs_criu
def test_damaged_descriptors_refused_in_one_line_and_nothing_left(bundle, tmp_path):
    checkpointed(bundle, tmp_path / "img")
    for text in (b'{"a": 1}', b'["pipe:[1]", 7]', b'["x", "y", "z", "w"]', b"[\"a\\u0000b\"]",
                 b"[" * 100):
        (tmp_path / "img" / "descriptors.json").write_bytes(text)
        r = bundle.husk("restore", "-d", "--image-path", str(tmp_path / "img"), "c")
        assert r.rc == 1 and len(r.err.splitlines()) == 1, r.err
        assert r.err.startswith("husk: restore: descriptors.json"), r.err
        assert not os.path.exists(os.path.join(bundle.root, "c"))


@needs_criu
def test_restore_in_the_foreground_waits_exits_with_its_status_and_deletes(bundle, tmp_path):
    last = checkpointed(bundle, tmp_path / "img")
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    p = subprocess.Popen([HUSK, "--root", bundle.root, "restore", "--pid-file",
                          str(tmp_path / "pid"), "--image-path", str(tmp_path / "img"), "c"],
                         stdin=in_r, stdout=out_w, stderr=out_w, cwd=bundle.path)
    os.close(in_r)
    os.close(out_w)
    out = Lines(out_r)
    assert int(out.next()) == last + 1
    # the restored process runs once CRIU resumes it, before husk has written the pid file
    for _ in range(500):
        if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text():
            break
        time.sleep(0.02)
    with open(tmp_path / "pid") as f:
        assert int(f.read()) == bundle.state("c")["pid"]
    assert bundle.husk("kill", "c", "KILL").rc == 0
    assert p.wait(timeout=60) == 128 + 9
    assert not os.path.exists(os.path.join(bundle.root, "c"))
    os.close(in_w)
    out.close()
