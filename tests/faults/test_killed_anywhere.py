"""husk killed at any instant of create, start, exec or delete: afterwards `delete --force`
leaves no process, cgroup, mount or state directory (the bundle fixture checks the first three
after each test; each step checks them too).

Not random instants: a first strace run counts husk's system calls by name (its own process,
not its stages: they must notice that it is gone); then, for each name S and each k up to its
count, strace kills husk at its kth call of S (`-e inject=S:signal=KILL:when=k`), so that every
system call husk makes is one case. HUSK_FAULT_STRIDE=n takes every nth case (the VM tier,
where each case is ten times slower)."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from husk_support import HUSK, cgroup_children, cgroup_dir, host_mounts

STRACE = shutil.which("strace")
if STRACE is None:
    pytest.fail("strace is missing: contrib/install-deps installs it")


STRIDE = int(os.environ.get("HUSK_FAULT_STRIDE", "1"))


def husk_under_strace(b, strace_args, args):
    # stdio goes nowhere: a created container's pid 1 keeps it open
    return subprocess.run([STRACE, "-qq", *strace_args, HUSK, "--root", b.root, *args],
                          cwd=b.path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=60).returncode


def syscall_counts(b, args):
    """{name: calls} of one whole run of husk's own process."""
    with tempfile.NamedTemporaryFile("r") as out:
        assert husk_under_strace(b, ["-c", "-o", out.name], args) == 0
        counts = {}
        for line in out.read().splitlines():
            cells = line.split()
            if len(cells) >= 5 and cells[0][0].isdigit() and cells[-1] != "total":
                counts[cells[-1]] = int(cells[3])
        return counts


def killed_at(b, name, k, *args):
    """Runs husk killed at its kth call of the system call name; True when it was."""
    return husk_under_strace(b, ["-o", "/dev/null", "-e",
                                 f"inject={name}:signal=KILL:when={k}"], args) != 0


def assert_clean(b, cid, mounts, cgroups):
    r = b.husk("delete", "--force", cid)
    assert r.rc == 0, r.err
    assert not os.path.exists(os.path.join(b.root, cid)), "state directory left"
    if os.path.isdir(b.root):
        assert [n for n in os.listdir(b.root) if n.startswith(".new-")] == [], \
            "a creation's directory left"
    assert b.leftovers() == [], "process left"
    assert host_mounts() == mounts, "mount left"
    assert cgroup_children() - cgroups == set(), "cgroup left"


def cases(b, prepare, args):
    """(name, k) for every system call of one run of `husk args`, every STRIDE-th."""
    prepare()
    counts = syscall_counts(b, args)
    b.husk("delete", "--force", "c")
    every = [(name, k) for name, n in sorted(counts.items()) for k in range(1, n + 1)]
    return every[::STRIDE]


def sweep(b, prepare, args):
    """Kills `husk args` at each of its system calls in turn; after each, delete --force."""
    mounts, cgroups = host_mounts(), cgroup_children()
    todo = cases(b, prepare, args)
    for name, k in todo:
        prepare()
        killed_at(b, name, k, *args)
        try:
            assert_clean(b, "c", mounts, cgroups)
        except AssertionError as e:
            raise AssertionError(f"husk {args[0]} killed at its call {k} of {name}: {e}") \
                from None
    return len(todo)


@pytest.fixture
def sleeper(bundle):
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    return bundle


def test_create_killed_at_every_system_call(sleeper):
    assert sweep(sleeper, lambda: None, ["create", "c"]) > 100 // STRIDE


def test_start_killed_at_every_system_call(sleeper):
    sweep(sleeper, lambda: sleeper.husk("create", "c"), ["start", "c"])


def test_delete_killed_at_every_system_call(sleeper):
    def prepare():
        assert sleeper.husk("run", "-d", "c").rc == 0

    sweep(sleeper, prepare, ["delete", "--force", "c"])


def test_exec_killed_at_every_system_call(sleeper):
    def prepare():
        if sleeper.husk("state", "c").rc != 0:
            assert sleeper.husk("run", "-d", "c").rc == 0

    mounts, cgroups = host_mounts(), cgroup_children()
    for name, k in cases(sleeper, prepare, ["exec", "c", "true"]):
        prepare()
        killed_at(sleeper, name, k, "exec", "c", "true")
        # the container stays; an exec killed half-way leaves no process of its own, in the
        # container's root or in its cgroup
        pid = sleeper.state("c")["pid"]
        # killed after it let the process go, `true` may still be on its way (the exec stub
        # clones it, it joins the cgroup, execs, exits): a second for that, no more
        for _ in range(100):
            with open(os.path.join(cgroup_dir(pid, "pids"), "cgroup.procs")) as f:
                procs = [int(p) for p in f.read().split()]
            if (sleeper.leftovers(), procs) == ([pid], [pid]):
                break
            time.sleep(0.01)
        assert (sleeper.leftovers(), procs) == ([pid], [pid]), \
            f"exec killed at its call {k} of {name} left a process"
    assert_clean(sleeper, "c", mounts, cgroups)
