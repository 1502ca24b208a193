"""Issue 29: what runc's and crun's users meet when they switch, one behaviour a test. Each
asserts runc's behaviour where husk follows it: `HUSK=runc pytest tests/integration/
test_runc_parity.py -m runc_parity` runs the same tests against runc (those marked
husk_only say why they cannot)."""
import json
import os
import subprocess
import time

import pytest

from husk_support import HUSK, assert_nothing_left

RUNC = os.path.basename(HUSK) == "runc"
husk_only = pytest.mark.skipif(RUNC, reason="husk's own message or flag")


def detach(bundle, args=("sleep", "100"), cid="c"):
    bundle.config["process"]["args"] = list(args)
    bundle.write()
    r = bundle.husk("run", "-d", cid)
    assert r.rc == 0, r.err
    return bundle.state(cid)["pid"]


def stopped(bundle, cid="c"):
    for _ in range(200):
        if bundle.state(cid)["status"] == "stopped":
            return
        time.sleep(0.02)
    raise AssertionError("did not stop")


# ---- 1. signal 0 ----

def test_signal_0_checks_that_the_container_lives(bundle):
    detach(bundle)
    assert bundle.husk("kill", "c", "0").rc == 0
    assert bundle.husk("kill", "--all", "c", "0").rc == 0
    assert bundle.state("c")["status"] == "running", "signal 0 delivers nothing"
    assert bundle.husk("kill", "c", "KILL").rc == 0
    stopped(bundle)
    r = bundle.husk("kill", "c", "0")
    assert r.rc == 1 and "container not running" in r.err, r.err


# ---- 2. ps of a stopped container ----

def test_ps_of_a_stopped_container_is_empty(bundle):
    detach(bundle, ("true",))
    stopped(bundle)
    r = bundle.husk("ps", "--format", "json", "c")
    assert r.rc == 0 and json.loads(r.out) in ([], None), r.out + r.err
    r = bundle.husk("ps", "c")
    assert r.rc == 0 and len(r.out.splitlines()) == 1 and "PID" in r.out, r.out + r.err


# ---- 3. exec into a paused container ----

def test_exec_into_a_paused_container(bundle):
    detach(bundle)
    assert bundle.husk("pause", "c").rc == 0
    r = bundle.husk("exec", "c", "true")
    assert r.rc != 0 and "cannot exec in a paused container" in r.err, r.err
    marker = os.path.join(bundle.rootfs, "ran")
    proc = subprocess.Popen([HUSK, "--root", bundle.root, "exec", "--ignore-paused", "c",
                             "touch", "/ran"], cwd=bundle.path, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    time.sleep(0.5)
    assert not os.path.exists(marker), "the process starts frozen"
    assert bundle.husk("resume", "c").rc == 0
    assert proc.wait(timeout=30) == 0, proc.stderr.read()
    assert os.path.exists(marker)


# ---- 4. exec --process from a pipe ----

def test_exec_process_from_a_pipe(bundle):
    detach(bundle)
    process = json.dumps({"args": ["sh", "-c", "echo from-a-pipe"], "cwd": "/",
                          "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}})
    r = subprocess.run(["bash", "-c", f'"$0" --root "$1" exec -p <(printf %s "$2") c', HUSK,
                        bundle.root, process], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, "from-a-pipe\n"), r.stderr
