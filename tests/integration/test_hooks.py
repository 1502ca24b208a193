"""Hooks: all six kinds in CONTRACT.md's order, namespaces and states; args, env, timeouts;
which failures fail the command (and leave nothing) and which are warnings."""
import json
import os
import time

from husk_support import assert_nothing_left

# A hook that records its kind, the state it got, its args and env, and its mount namespace.
RECORDER = """#!/bin/sh
read -r state
echo "{\\"kind\\": \\"$1\\", \\"state\\": $state, \\"extra\\": \\"$2\\", \\"env\\": \\"$HOOK_ENV\\",
 \\"mnt\\": \\"$(readlink /proc/self/ns/mnt)\\"}" >> "$LOG"
exit "${HOOK_EXIT:-0}"
"""


def recorder(bundle, tmp_path, log):
    path = tmp_path / "recorder"
    path.write_text(RECORDER)
    os.chmod(path, 0o755)
    return str(path)


def hook(path, kind, log, extra="", exit=0, timeout=None, inside=False):
    h = {"path": path, "args": [path, kind, extra],
         "env": [f"LOG={log}", "HOOK_ENV=given", f"HOOK_EXIT={exit}",
                 "PATH=/bin:/usr/bin"]}
    if timeout is not None:
        h["timeout"] = timeout
    return h


def entries(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(x) for x in f.read().replace("\n ", " ").splitlines() if x]


def setup_all(bundle, tmp_path):
    log = str(tmp_path / "hooks.log")
    rec = recorder(bundle, tmp_path, log)
    # startContainer runs inside the container: its path and log are the container's
    inside = os.path.join(bundle.rootfs, "recorder")
    with open(inside, "w") as f:
        f.write(RECORDER)
    os.chmod(inside, 0o755)
    bundle.config["hooks"] = {
        "prestart": [hook(rec, "prestart", log)],
        "createRuntime": [hook(rec, "createRuntime", log)],
        "createContainer": [hook(rec, "createContainer", log)],
        "startContainer": [hook("/recorder", "startContainer", "/inside.log")],
        "poststart": [hook(rec, "poststart", log)],
        "poststop": [hook(rec, "poststop", log)],
    }
    return log


def test_every_kind_in_order_with_its_state_and_namespace(bundle, tmp_path):
    log = setup_all(bundle, tmp_path)
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    host_mnt = os.readlink("/proc/self/ns/mnt")
    assert bundle.husk("create", "c").rc == 0
    pid = bundle.state("c")["pid"]
    got = entries(log)
    assert [e["kind"] for e in got] == ["prestart", "createRuntime", "createContainer"]
    # prestart sees "created", as with crun; createRuntime and createContainer "creating"
    assert [e["state"]["status"] for e in got] == ["created", "creating", "creating"]
    assert all(e["state"]["pid"] == pid for e in got)
    assert all(e["state"]["id"] == "c" and e["state"]["bundle"] == bundle.path for e in got)
    assert got[0]["mnt"] == got[1]["mnt"] == host_mnt, "runtime namespace"
    assert got[2]["mnt"] == os.readlink(f"/proc/{pid}/ns/mnt"), "the container's mount ns"
    assert (got[0]["extra"], got[0]["env"]) == ("", "given")
    assert bundle.husk("start", "c").rc == 0
    for _ in range(100):
        if os.path.exists(os.path.join(bundle.rootfs, "inside.log")):
            break
        time.sleep(0.02)
    (inside,) = entries(os.path.join(bundle.rootfs, "inside.log"))
    assert inside["kind"] == "startContainer" and inside["state"]["status"] == "created"
    assert inside["mnt"] == os.readlink(f"/proc/{pid}/ns/mnt"), "inside the container"
    got = entries(log)
    assert got[3]["kind"] == "poststart" and got[3]["state"]["status"] == "running"
    assert got[3]["mnt"] == host_mnt
    assert bundle.husk("delete", "--force", "c").rc == 0
    got = entries(log)
    assert got[4]["kind"] == "poststop" and got[4]["state"]["status"] == "stopped"
    assert len(got) == 5


def test_failing_creation_hook_fails_create_and_leaves_nothing(bundle, tmp_path):
    """The error, then the lifecycle at step 12 (runtime-spec 1.3): the container destroyed and
    the poststop hooks run, as with runc."""
    for kind in ["prestart", "createRuntime", "createContainer"]:
        log = str(tmp_path / f"{kind}.log")
        rec = recorder(bundle, tmp_path, log)
        bundle.config["hooks"] = {kind: [hook(rec, kind, log, exit=3)],
                                  "poststop": [hook(rec, "poststop", log)]}
        bundle.config["process"]["args"] = ["true"]
        bundle.write()
        r = bundle.husk("create", "c")
        assert r.rc == 1 and r.err.count("\n") == 1, r.err
        assert f"hooks.{kind}[0]: {rec} exited with status 3" in r.err, r.err
        assert_nothing_left(bundle, "c")
        got = [(e["kind"], e["state"]["status"]) for e in entries(log)]
        assert got == [(kind, "created" if kind == "prestart" else "creating"),
                       ("poststop", "stopped")], kind


def test_a_create_that_fails_before_pid_1_runs_no_hook(bundle, tmp_path):
    log = str(tmp_path / "hooks.log")
    rec = recorder(bundle, tmp_path, log)
    bundle.config["hooks"] = {"poststop": [hook(rec, "poststop", log)]}
    for ns in bundle.config["linux"]["namespaces"]:
        if ns["type"] == "ipc":
            ns["path"] = "/nonexistent"
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1 and "/nonexistent" in r.err
    assert entries(log) == [], "no container was made, so none is destroyed"
    assert_nothing_left(bundle, "c")


def test_timeout_kills_the_hook_and_fails_the_step(bundle, tmp_path):
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    os.chmod(slow, 0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(slow), "timeout": 1}]}
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    started = time.monotonic()
    r = bundle.husk("create", "c")
    assert time.monotonic() - started < 10
    assert r.rc == 1 and f"hooks.createRuntime[0]: {slow} timed out after 1 s" in r.err, r.err
    assert_nothing_left(bundle, "c")


def gone_or_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_failing_poststart_hook_stops_the_container(bundle, tmp_path):
    """runtime-spec 1.3: an error, the container stopped, the later poststart hooks not run;
    delete then destroys it and runs poststop, whose failures stay warnings."""
    log = str(tmp_path / "hooks.log")
    rec = recorder(bundle, tmp_path, log)
    bundle.config["hooks"] = {
        "poststart": [hook(rec, "poststart", log, exit=2), hook(rec, "poststart", log, "2nd")],
        "poststop": [hook(rec, "poststop", log, exit=2), hook(rec, "poststop", log, "2nd")]}
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    pid = bundle.state("c")["pid"]
    r = bundle.husk("start", "c")
    assert r.rc == 1 and r.err.startswith('husk: cannot start container "c": stopped it: '
                                          "hooks.poststart[0]"), r.err
    assert "exited with status 2" in r.err and r.err.count("\n") == 1
    assert bundle.state("c")["status"] == "stopped"
    assert gone_or_zombie(pid)
    r = bundle.husk("delete", "c")
    assert r.rc == 0 and "hooks.poststop[0]" in r.err, r.err
    assert [(e["kind"], e["extra"]) for e in entries(log)] == [
        ("poststart", ""), ("poststop", ""), ("poststop", "2nd")]
    assert_nothing_left(bundle, "c")


def test_run_runs_them_all(bundle, tmp_path):
    log = setup_all(bundle, tmp_path)
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 0, r.err
    assert [e["kind"] for e in entries(log)] == ["prestart", "createRuntime", "createContainer",
                                                "poststart", "poststop"]


def test_hook_with_a_missing_program(bundle, tmp_path):
    bundle.config["hooks"] = {"prestart": [{"path": str(tmp_path / "nope")}]}
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1 and "hooks.prestart[0]" in r.err and "exited with status 127" in r.err
    assert f"exec {tmp_path}/nope: no such file or directory" in r.err
    assert_nothing_left(bundle, "c")


def test_failing_start_container_hook_fails_start(bundle, tmp_path):
    inside = os.path.join(bundle.rootfs, "fail")
    with open(inside, "w") as f:
        f.write("#!/bin/sh\necho broken\nexit 5\n")
    os.chmod(inside, 0o755)
    bundle.config["hooks"] = {"startContainer": [{"path": "/fail"}]}
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    r = bundle.husk("start", "c")
    assert r.rc == 1, r.err
    assert "hooks.startContainer[0]: /fail exited with status 5: broken" in r.err, r.err
    for _ in range(100):
        if bundle.state("c")["status"] == "stopped":
            break
        time.sleep(0.02)
    assert bundle.state("c")["status"] == "stopped", "torn down"
    assert bundle.husk("delete", "c").rc == 0
    assert_nothing_left(bundle, "c")


def test_start_container_hook_success_lets_start_return(bundle, tmp_path):
    inside = os.path.join(bundle.rootfs, "ok")
    with open(inside, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(inside, 0o755)
    bundle.config["hooks"] = {"startContainer": [{"path": "/ok"}]}
    bundle.config["process"]["args"] = ["sh", "-c", "echo ran"]
    r = bundle.run()
    assert (r.rc, r.out) == (0, "ran\n"), r.err
