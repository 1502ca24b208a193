"""create, start, run, state, kill, delete as runc's callers use them."""
import os
import signal
import subprocess
import time

from husk_support import HUSK, assert_nothing_left


def test_run_prints_and_exits_with_the_status(bundle):
    bundle.config["process"]["args"] = ["sh", "-c", "echo hello; echo oops >&2; exit 7"]
    r = bundle.run("c")
    assert (r.rc, r.out, r.err) == (7, "hello\n", "oops\n")
    assert_nothing_left(bundle, "c")


def test_run_exit_status_of_a_signal(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    proc = subprocess.Popen([HUSK, "--root", bundle.root, "run", "c"], cwd=bundle.path)
    for _ in range(100):
        if os.path.exists(os.path.join(bundle.root, "c")) and bundle.husk("state", "c").rc == 0 \
                and bundle.state("c")["status"] == "running":
            break
        time.sleep(0.05)
    assert bundle.husk("kill", "c", "KILL").rc == 0
    assert proc.wait(timeout=10) == 128 + 9


def test_run_forwards_signals(bundle):
    # /ready once the trap is set: pid 1 of a pid namespace ignores a TERM it has no handler for,
    # so a signal sent earlier (a slow VM) would be lost, not forwarded wrongly
    bundle.config["process"]["args"] = ["sh", "-c", "trap 'exit 42' TERM; touch /ready; "
                                        "while true; do sleep 0.1; done"]
    bundle.write()
    proc = subprocess.Popen([HUSK, "--root", bundle.root, "run", "c"], cwd=bundle.path)
    ready = os.path.join(bundle.rootfs, "ready")
    for _ in range(300):
        if os.path.exists(ready):
            break
        time.sleep(0.05)
    assert os.path.exists(ready), "the container never got to its trap"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 42


def test_create_start_state_kill_delete(bundle):
    bundle.config["process"]["args"] = ["sh", "-c", "touch /started; exec sleep 100"]
    bundle.config["annotations"] = {"org.example.tier": "test"}
    bundle.write()
    pid_file = os.path.join(bundle.path, "pid")
    r = bundle.husk("create", "--pid-file", pid_file, "--bundle", bundle.path, "c1")
    assert (r.rc, r.out, r.err) == (0, "", "")
    text = open(pid_file).read()
    assert text.isdigit(), "pid file: decimal, no newline"
    pid = int(text)
    s = bundle.state("c1")
    assert s["status"] == "created" and s["pid"] == pid
    assert s["bundle"] == bundle.path and s["rootfs"] == bundle.rootfs
    assert s["annotations"] == {"org.example.tier": "test"}
    assert not os.path.exists(os.path.join(bundle.rootfs, "started")), "args ran before start"
    assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")

    assert bundle.husk("start", "c1").rc == 0
    for _ in range(100):
        if os.path.exists(os.path.join(bundle.rootfs, "started")):
            break
        time.sleep(0.02)
    assert os.path.exists(os.path.join(bundle.rootfs, "started"))
    assert bundle.state("c1")["status"] == "running"
    r = bundle.husk("start", "c1")
    assert r.rc == 1 and "not created" in r.err

    r = bundle.husk("delete", "c1")
    assert r.rc == 1 and "use --force" in r.err
    assert bundle.husk("kill", "c1", "SIGKILL").rc == 0
    for _ in range(100):
        if bundle.state("c1")["status"] == "stopped":
            break
        time.sleep(0.02)
    s = bundle.state("c1")
    assert s["status"] == "stopped" and s["pid"] == 0
    r = bundle.husk("kill", "c1")
    assert r.rc == 1 and "container not running" in r.err
    assert bundle.husk("delete", "c1").rc == 0
    assert_nothing_left(bundle, "c1")
    r = bundle.husk("delete", "c1")
    assert r.rc == 1 and "does not exist" in r.err
    assert bundle.husk("delete", "--force", "c1").rc == 0


def test_delete_of_created_container_kills_it(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    pid = bundle.state("c")["pid"]
    assert os.path.exists(f"/proc/{pid}")
    assert bundle.husk("delete", "c").rc == 0
    assert_nothing_left(bundle, "c")


def test_delete_force_of_running_container(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "--detach", "c").rc == 0
    assert bundle.state("c")["status"] == "running"
    assert bundle.husk("delete", "--force", "c").rc == 0
    assert_nothing_left(bundle, "c")


def test_kill_all_reaches_every_process(bundle):
    bundle.config["process"]["args"] = ["sh", "-c", "trap '' TERM; sleep 100 & sleep 100 & wait"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    time.sleep(0.3)
    assert len(bundle.leftovers()) == 3
    assert bundle.husk("kill", "--all", "c", "9").rc == 0
    for _ in range(100):
        if not bundle.leftovers():
            break
        time.sleep(0.02)
    assert bundle.leftovers() == []


def test_signal_names_and_numbers(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    r = bundle.husk("kill", "c", "SIGNOPE")
    assert r.rc == 1 and 'unknown signal "SIGNOPE"' in r.err
    huge = "RTMIN+" + "9" * 19  # found by the fuzzer: overflowed before it was refused
    r = bundle.husk("kill", "c", huge)
    assert r.rc == 1 and f'unknown signal "{huge}"' in r.err
    for sig in ["CONT", "SIGCONT", "18", "SIGRTMIN+1", "rtmin+2"]:
        assert bundle.husk("kill", "c", sig).rc == 0


def test_duplicate_id_fails_and_changes_nothing(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    pid = bundle.state("c")["pid"]
    r = bundle.husk("create", "c")
    assert r.rc == 1 and r.err.strip() == 'husk: container "c" already exists'
    assert bundle.state("c")["pid"] == pid


def test_config_edits_after_create_change_nothing(bundle):
    bundle.config["process"]["args"] = ["sh", "-c", "echo original >/out"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    bundle.config["process"]["args"] = ["sh", "-c", "echo edited >/out"]
    bundle.config["hostname"] = "edited"
    bundle.write()
    assert bundle.husk("start", "c").rc == 0
    out = os.path.join(bundle.rootfs, "out")
    for _ in range(200):
        if os.path.exists(out) and open(out).read():
            break
        time.sleep(0.02)
    assert open(out).read() == "original\n"


def test_process_survives_husk_exit_and_is_a_child_of_the_caller(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    r = subprocess.run(["/usr/bin/python3", "-c", f"""
import ctypes, os, subprocess, sys
libc = ctypes.CDLL(None)
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: act as conmon or the shim would
subprocess.run(["{HUSK}", "--root", "{bundle.root}", "create", "c"], cwd="{bundle.path}", check=True)
import json
pid = json.loads(subprocess.run(["{HUSK}", "--root", "{bundle.root}", "state", "c"], capture_output=True).stdout)["pid"]
ppid = [l.split()[1] for l in open(f"/proc/{{pid}}/status") if l.startswith("PPid")][0]
print(int(ppid) == os.getpid())
subprocess.run(["{HUSK}", "--root", "{bundle.root}", "delete", "--force", "c"], check=True)
"""], capture_output=True, text=True)
    assert r.stdout.strip() == "True", r.stderr


def test_husk_killed_in_create_leaves_what_delete_force_cleans(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    pid_file = os.path.join(bundle.path, "pid")
    os.mkfifo(pid_file + ".husk-tmp")  # the pid file write blocks: husk is caught mid-create
    proc = subprocess.Popen([HUSK, "--root", bundle.root, "create", "--pid-file", pid_file, "c"],
                            cwd=bundle.path)
    for _ in range(200):
        if bundle.leftovers():
            break
        time.sleep(0.02)
    time.sleep(0.2)
    proc.kill()
    proc.wait()
    assert bundle.husk("delete", "--force", "c").rc == 0
    assert_nothing_left(bundle, "c")


def test_ready_before_the_pid_still_records_the_pid(bundle):
    """Stage 1 sends pid 1's pid and pid 1 sends READY, two processes on one socket. strace
    holds stage 1 in the return from clone, so READY arrives first; create must still wait for
    the pid (it once returned without it, and `run` then left an orphaned container)."""
    bundle.config["process"]["args"] = ["sh", "-c", "echo ran"]
    bundle.write()
    r = subprocess.run(["strace", "-f", "-o", "/dev/null", "-e", "trace=clone",
                        "-e", "inject=clone:delay_exit=300000", HUSK, "--root", bundle.root,
                        "run", "c"], cwd=bundle.path, capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (0, "ran\n"), r.stderr
    assert_nothing_left(bundle, "c")
