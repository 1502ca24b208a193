"""exec: a new process inside a running container: its namespaces, cgroup, root, the process
settings and flags, process.json (CRI-O's way), terminals, detach, and failures (exit 255)."""
import json
import os
import subprocess

import pytest

from husk_support import CGROUP2, HUSK, cgroup_dir

from test_process import ConsoleSocket, read_terminal


@pytest.fixture
def running(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.config["process"]["env"] = ["PATH=/bin", "FROM=config"]
    bundle.write()
    r = bundle.husk("run", "-d", "c")
    assert r.rc == 0, r.err
    return bundle


def probe(b, *args, **kw):
    r = b.husk("exec", *args, **kw)
    assert r.rc == 0, r.err
    return json.loads(r.out)


def test_exec_joins_every_namespace_the_cgroup_and_the_root(running):
    b = running
    init = b.state("c")["pid"]
    p = probe(b, "c", "/probe")
    assert 1 < p["pid"] < 100, "a pid of the container's pid namespace"
    for ns, link in p["ns"].items():
        assert link == os.readlink(f"/proc/{init}/ns/{ns}"), ns
    assert p["cwd"] == "/"
    assert any(m["point"] == "/" for m in p["mounts"])
    assert "FROM=config" in p["env"]
    # its host pid: the one process of the container that is not init or the probe's parent
    with open(os.path.join(cgroup_dir(init, "pids"), "cgroup.procs")) as f:
        assert len(f.read().split()) == 1, "the exec'd process has left the cgroup"


def test_exec_is_in_the_containers_cgroup(running, tmp_path):
    b = running
    init = b.state("c")["pid"]
    r = b.husk("exec", "c", "sh", "-c", "cat /proc/self/cgroup; echo --; cat /proc/1/cgroup")
    mine, inits = r.out.split("--\n")
    assert r.rc == 0 and mine == inits, r.out
    if {"type": "cgroup"} in b.config["linux"]["namespaces"]:  # husk spec's on v2 only
        assert "0::/\n" in mine, "the container's cgroup namespace"
    pid_file = tmp_path / "pid"
    assert b.husk("exec", "-d", "--pid-file", str(pid_file), "c", "sleep", "30").rc == 0
    with open(f"/proc/{int(pid_file.read_text())}/cgroup") as f, open(f"/proc/{init}/cgroup") as g:
        assert f.read() == g.read(), "seen from the host: the same cgroup as pid 1"


def test_exit_status_and_signals(running):
    assert running.husk("exec", "c", "sh", "-c", "exit 7").rc == 7
    assert running.husk("exec", "c", "sh", "-c", "kill -KILL $$").rc == 128 + 9


def test_flags_on_top_of_the_containers_process(running):
    p = probe(running, "-e", "FOO=bar", "-e", "FROM=flag", "--cwd", "/tmp", "-u", "1000:1001",
              "-g", "7", "-g", "8", "--no-new-privs", "c", "/probe")
    assert (p["uid"], p["gid"], p["groups"]) == (1000, 1001, [7, 8])
    assert p["cwd"] == "/tmp"
    assert "FOO=bar" in p["env"] and "FROM=flag" in p["env"] and "FROM=config" not in p["env"]
    assert p["NoNewPrivs"] == "1"
    p = probe(running, "--cap", "CAP_NET_RAW", "c", "/probe")
    assert int(p["CapEff"], 16) & (1 << 13), "CAP_NET_RAW"
    assert int(p["CapBnd"], 16) & (1 << 13)
    p = probe(running, "c", "/probe")
    assert not int(p["CapEff"], 16) & (1 << 13), "the container's own set lacks it"


def test_process_json_in_the_foreground_passes_stdio(running, tmp_path):
    proc = {"args": ["sh", "-c", "read line; echo got $line; echo err >&2; exit 4"],
            "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc))
    with open(tmp_path / "in", "w+") as stdin:
        stdin.write("hello\n")
        stdin.seek(0)
        r = running.husk("exec", "--process", str(f), "c", stdin=stdin)
    assert (r.rc, r.out, r.err) == (4, "got hello\n", "err\n")


@pytest.mark.parametrize("doc,words", [
    ('{"args": ["true"], "cwd": "relative"}', ["invalid process", "cwd", "relative"]),
    ('{"args": [], "cwd": "/"}', ["invalid process", "args"]),
    ('{"cwd": "/", "args": ["true"], "user": {"uid": "root"}}', ["invalid process", "user.uid"]),
    ("not json", ["invalid process", "invalid JSON"]),
])
def test_invalid_process_json(running, tmp_path, doc, words):
    f = tmp_path / "process.json"
    f.write_text(doc)
    r = running.husk("exec", "--process", str(f), "c")
    assert r.rc == 255 and r.err.count("\n") == 1, r.err
    for w in words:
        assert w in r.err, r.err


def test_detach_and_pid_file(running, tmp_path):
    pid_file = tmp_path / "pid"
    r = running.husk("exec", "-d", "--pid-file", str(pid_file), "c", "sleep", "50")
    assert r.rc == 0, r.err
    pid = int(pid_file.read_text())
    with open(f"/proc/{pid}/cmdline") as f:
        assert f.read().split("\0")[0] == "sleep"
    assert os.readlink(f"/proc/{pid}/ns/pid") == \
        os.readlink(f"/proc/{running.state('c')['pid']}/ns/pid")


def test_no_husk_fd_reaches_the_exec_process(running):
    p = probe(running, "c", "/probe")
    assert sorted(p["fds"]) == ["0", "1", "2"], p["fds"]


def test_failures_exit_255_with_the_contracts_words(running, tmp_path):
    r = running.husk("exec", "nosuch", "true")
    assert r.rc == 255 and "does not exist" in r.err
    r = running.husk("exec", "c", "nosuch-program")
    assert r.rc == 255 and "executable file not found" in r.err, r.err
    r = running.husk("exec", "c")
    assert r.rc == 255 and "give a command" in r.err
    r = running.husk("exec", "--cap", "CAP_NOPE", "c", "true")
    assert r.rc == 255 and "CAP_NOPE" in r.err
    assert running.husk("kill", "c", "KILL").rc == 0
    for _ in range(100):
        if running.state("c")["status"] == "stopped":
            break
    r = running.husk("exec", "c", "true")
    assert r.rc == 255 and "container not running" in r.err, r.err


def test_exec_into_a_paused_container_is_refused(running):
    assert running.husk("pause", "c").rc == 0
    r = running.husk("exec", "c", "true")
    assert r.rc == 255 and r.err == ("husk: cannot exec in a paused container (use "
                                     "--ignore-paused to override)\n"), r.err
    assert running.husk("resume", "c").rc == 0


def test_exec_runs_under_the_containers_seccomp_filter_from_the_cache(bundle):
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    r = bundle.husk("--debug", "exec", "c", "sh", "-c", "mkdir /tmp/x; echo rc=$?")
    assert r.rc == 0 and r.out == "rc=1\n", r.err
    assert "from the cache" in r.err


STUB_LINE = "exec stub: the process cloned, in the cgroup, exec'd"


@pytest.mark.parametrize("profile, stub", [
    ("docker", True),  # clone allowed only without namespace flags: the stub's flags pass
    ("setsid-denied", False), ("clone-parent-denied", False), ("exit-group-traced", False)])
def test_exec_takes_the_stub_only_where_the_filter_lets_its_calls_pass(bundle, profile, stub):
    """The compiled filter is run on each call the stub makes, with the arguments it makes it
    with (plan.c): where one would not pass, exec re-executes from its sealed copy instead,
    and either way the process runs under the filter."""
    import real_configs
    if profile == "docker":
        seccomp = real_configs.docker_profile()
    else:
        name, action, args = {
            "setsid-denied": ("setsid", "SCMP_ACT_ERRNO", []),
            # a fork passes, a clone with CLONE_PARENT (the stub's) does not
            "clone-parent-denied": ("clone", "SCMP_ACT_ERRNO", [
                {"index": 0, "value": 0x8000, "valueTwo": 0x8000, "op": "SCMP_CMP_MASKED_EQ"}]),
            "exit-group-traced": ("exit_group", "SCMP_ACT_TRACE", [])}[profile]
        seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": [name], "action": action, "args": args}]}
    bundle.config["linux"]["seccomp"] = seccomp
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    r = bundle.husk("--debug", "exec", "c", "sh", "-c",
                    'while read -r k v; do [ "$k" = Seccomp: ] && echo "seccomp=$v"; done '
                    '< /proc/self/status; true')
    assert r.rc == 0 and r.out == "seccomp=2\n", (r.out, r.err)
    assert (STUB_LINE in r.err) == stub, r.err


def test_exec_with_a_terminal_over_the_console_socket(running, tmp_path):
    console = ConsoleSocket(tmp_path / "console.sock")
    r = running.husk("exec", "-d", "-t", "--console-socket", console.path, "c", "sh", "-c",
                     "[ -t 0 ] && echo tty-$((40+2))")
    got = console.wait()
    assert r.rc == 0, r.err
    assert "tty-42" in read_terminal(got["fd"]).decode()


def test_exec_in_the_foreground_proxies_its_terminal(running):
    master, slave = os.openpty()
    proc = subprocess.Popen([HUSK, "--root", running.root, "exec", "-t", "c", "sh"],
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    os.write(master, b"[ -t 0 ] && echo tty-$((40+2)); exit 3\n")
    text = read_terminal(master).decode(errors="replace")
    assert proc.wait(timeout=20) == 3
    assert "tty-42" in text


def test_exec_with_a_terminal_leads_its_session_and_leaves_dev_console_alone(running, tmp_path):
    """The process is a session leader whose controlling terminal is its pty (the exec stub
    makes it so in the child it clones); the container's /dev/console stays as create left it,
    as runc leaves it (husk bound every exec's pty over it before)."""
    init = running.state("c")["pid"]

    def consoles():
        with open(f"/proc/{init}/mountinfo") as f:
            return sum(line.split()[4] == "/dev/console" for line in f)
    before = consoles()
    for i in range(2):
        console = ConsoleSocket(tmp_path / f"console{i}.sock")
        r = running.husk("exec", "-d", "-t", "--console-socket", console.path, "c", "sh", "-c",
                         'read -r s < /proc/self/stat; echo "stat=$s"')
        got = console.wait()
        assert r.rc == 0, r.err
        text = read_terminal(got["fd"]).decode()
    fields = text.split("stat=", 1)[1]
    pid, rest = int(fields.split()[0]), fields.rsplit(")", 1)[1].split()
    pgrp, session, tty_nr, tpgid = int(rest[2]), int(rest[3]), int(rest[4]), int(rest[5])
    assert session == pid == pgrp, text
    assert tty_nr != 0 and tpgid == pgrp, "the pty is its controlling terminal: " + text
    assert consoles() == before


@pytest.mark.parametrize("limit", [1, 2])
def test_exec_into_a_container_at_its_pids_limit(bundle, limit):
    """The process moves into the cgroup (as runc's does) rather than being forked there: a
    container at pids.max, or one below it, still takes an exec, and the process is in its
    cgroup. On cgroup v2 one below is the case where stage 1, born in the cgroup2 directory,
    takes the last pid and the stub's clone is refused: exec goes on from the sealed copy."""
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.config["linux"].setdefault("resources", {})["pids"] = {"limit": limit}
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    init = bundle.state("c")["pid"]
    pid_file = os.path.join(bundle.path, "exec.pid")
    r = bundle.husk("--debug", "exec", "-d", "--pid-file", pid_file, "c", "sleep", "30")
    assert r.rc == 0, r.err
    with open(pid_file) as p:
        pid = int(p.read())
    with open(f"/proc/{pid}/cgroup") as f, open(f"/proc/{init}/cgroup") as g:
        assert f.read() == g.read(), "seen from the host: the same cgroup as pid 1"
    if CGROUP2 and limit == 2:
        assert "again from the sealed copy" in r.err, r.err


@pytest.mark.parametrize("how", ["pipe", "stdin"])
def test_exec_process_read_once_reaches_the_sealed_copy(bundle, how):
    """Where the stub does not fit (a filter that refuses setsid), exec re-executes from its
    sealed copy once it has read --process: text from a pipe or stdin, which the copy could not
    read again, is handed over to it."""
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["setsid"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    process = json.dumps({"args": ["sh", "-c", "echo from-$0", how], "cwd": "/",
                          "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}})
    if how == "pipe":
        r = subprocess.run(["bash", "-c", f'"$0" --debug --root "$1" exec -p <(printf %s "$2") c',
                            HUSK, bundle.root, process], capture_output=True, text=True,
                           timeout=30)
    else:
        r = subprocess.run([HUSK, "--debug", "--root", bundle.root, "exec", "-p", "-", "c"],
                           input=process, capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, f"from-{how}\n"), r.stderr
    assert STUB_LINE not in r.stderr and "exec: begin" in r.stderr


def test_detached_terminal_needs_a_console_socket(running):
    r = running.husk("exec", "-d", "-t", "c", "true")
    assert r.rc == 255 and "--console-socket" in r.err


def test_sub_cgroup(running):
    """cgroup v2; v1's forms are test_runc_parity.py's."""
    if not CGROUP2:
        pytest.skip("v1: test_runc_parity.py::test_exec_into_a_sub_cgroup")
    init = running.state("c")["pid"]
    sub = os.path.join(cgroup_dir(init, "pids"), "sub")
    os.mkdir(sub)
    r = running.husk("exec", "--cgroup", "sub", "c", "sh", "-c", "cat /proc/self/cgroup")
    assert r.rc == 0 and r.out.strip() == "0::/sub", (r.out, r.err)
