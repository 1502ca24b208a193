"""linux.seccomp: every action, argument conditions, flags, architectures, unknown syscalls,
the notify listener, when the filter is loaded, and the compiled-filter cache."""
import json
import os

import pytest

from husk_support import TOP, assert_nothing_left, recv_with_fd, serve_one

PODMAN = os.path.join(TOP, "tests", "unit", "good", "podman-seccomp.json")


def seccomp(bundle, default="SCMP_ACT_ALLOW", **extra):
    bundle.config["linux"]["seccomp"] = {"defaultAction": default, "syscalls": [], **extra}
    return bundle.config["linux"]["seccomp"]


def rule(names, action, **extra):
    return {"names": names, "action": action, **extra}


def sh(bundle, script):
    bundle.config["process"]["args"] = ["sh", "-c", script]
    return bundle.run()


def test_errno_with_errno_ret_and_unknown_names_skipped(bundle):
    seccomp(bundle)["syscalls"] = [rule(["mkdir", "mkdirat", "no_such_syscall_at_all"],
                                        "SCMP_ACT_ERRNO", errnoRet=28)]
    bundle.config["process"]["args"] = ["sh", "-c", "mkdir /x; echo rc=$?"]
    bundle.write()
    r = bundle.husk("--debug", "run", "c")
    assert r.rc == 0, r.err
    assert "No space left on device" in r.err and r.out == "rc=1\n", (r.out, r.err)
    assert "syscall no_such_syscall_at_all unknown to libseccomp: skipped" in r.err


def test_default_action_errno_with_default_errno_ret(bundle):
    s = seccomp(bundle, "SCMP_ACT_ERRNO", defaultErrnoRet=38)  # ENOSYS
    # allow what the probe needs by taking podman's allow list, minus personality
    allowed = [x["names"][0] for x in json.load(open(PODMAN))["linux"]["seccomp"]["syscalls"]
               if x["action"] == "SCMP_ACT_ALLOW" and not x.get("args")]
    s["syscalls"] = [rule([n for n in allowed if n != "personality"], "SCMP_ACT_ALLOW")]
    p = bundle.probe()
    assert p["personality"] == -1  # ENOSYS: the default action, with defaultErrnoRet


@pytest.mark.parametrize("action,status", [("SCMP_ACT_KILL_PROCESS", 128 + 31),
                                           ("SCMP_ACT_KILL", 128 + 31),
                                           ("SCMP_ACT_KILL_THREAD", 128 + 31),
                                           ("SCMP_ACT_TRAP", 128 + 31)])
def test_actions_that_end_the_process(bundle, action, status):
    seccomp(bundle)["syscalls"] = [rule(["mkdir", "mkdirat"], action)]
    r = sh(bundle, "exec mkdir /x")
    assert r.rc == status, (r.rc, r.err)


def test_log_and_allow_let_the_call_through(bundle):
    seccomp(bundle, flags=["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                           "SECCOMP_FILTER_FLAG_TSYNC"])["syscalls"] = [
        rule(["mkdir", "mkdirat"], "SCMP_ACT_LOG"), rule(["getpid"], "SCMP_ACT_ALLOW")]
    r = sh(bundle, "mkdir /x && echo made")
    assert (r.rc, r.out) == (0, "made\n"), r.err


def test_argument_conditions(bundle):
    # personality(0xffffffff) is how the probe reads its personality: refuse exactly that call
    seccomp(bundle)["syscalls"] = [
        rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=1,
             args=[{"index": 0, "value": 0xffffffff, "op": "SCMP_CMP_EQ"}])]
    assert bundle.probe()["personality"] == -1
    seccomp(bundle)["syscalls"] = [
        rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=1,
             args=[{"index": 0, "value": 0xffffffff, "op": "SCMP_CMP_NE"}])]
    assert bundle.probe()["personality"] != -1
    # masked: value is the mask, valueTwo what the masked argument must equal
    seccomp(bundle)["syscalls"] = [
        rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=1,
             args=[{"index": 0, "value": 0xff, "valueTwo": 0xff, "op": "SCMP_CMP_MASKED_EQ"}])]
    assert bundle.probe()["personality"] == -1


def test_two_conditions_on_one_argument_mean_either(bundle):
    seccomp(bundle)["syscalls"] = [
        rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=1,
             args=[{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                   {"index": 0, "value": 0xffffffff, "op": "SCMP_CMP_EQ"}])]
    assert bundle.probe()["personality"] == -1


def test_architectures_are_added(bundle):
    seccomp(bundle, architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    r = sh(bundle, "echo fine")
    assert (r.rc, r.out) == (0, "fine\n"), r.err


@pytest.mark.parametrize("field,value,words", [
    ("defaultAction", "SCMP_ACT_NOPE", ["linux.seccomp.defaultAction", "SCMP_ACT_NOPE"]),
    ("architectures", ["SCMP_ARCH_PDP11"], ["linux.seccomp.architectures[0]", "SCMP_ARCH_PDP11"]),
    ("flags", ["SECCOMP_FILTER_FLAG_NOPE"], ["linux.seccomp.flags[0]"]),
    ("syscalls", [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                   "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}],
     ["linux.seccomp.syscalls[0].args[0].op", "SCMP_CMP_ALMOST"]),
])
def test_bad_profiles_name_the_path(bundle, field, value, words):
    seccomp(bundle)[field] = value
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1 and r.err.count("\n") == 1, r.err
    for w in words:
        assert w in r.err, r.err
    assert_nothing_left(bundle, "c")


def test_with_no_new_privileges_husk_itself_runs_nothing_under_the_filter(bundle):
    """Denying what husk's own last steps use (read of exec.fifo, close, sigprocmask, getcwd)
    must hurt only the program: the filter is loaded just before execve."""
    bundle.config["process"]["noNewPrivileges"] = True
    seccomp(bundle)["syscalls"] = [rule(["read", "close", "rt_sigprocmask", "getcwd", "fcntl",
                                         "openat", "newfstatat", "close_range"],
                                        "SCMP_ACT_ERRNO", errnoRet=1)]
    out = bundle.probe()
    assert out["cwd"] == ""  # the program's own getcwd is refused: the filter is in force


def test_podman_profile_under_a_small_memory_limit(bundle):
    """Compiled in husk, not in the container: a 437-rule profile loads in a 6 MiB cgroup."""
    bundle.config["linux"]["seccomp"] = json.load(open(PODMAN))["linux"]["seccomp"]
    bundle.config["linux"].setdefault("resources", {})["memory"] = {"limit": 6 << 20}
    r = sh(bundle, "echo fine; mkdir /x && echo made")
    assert (r.rc, r.out) == (0, "fine\nmade\n"), r.err


def test_the_compiled_filter_is_cached_and_a_bad_cache_is_ignored(bundle):
    bundle.config["linux"]["seccomp"] = json.load(open(PODMAN))["linux"]["seccomp"]
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("--debug", "run", "c")
    assert r.rc == 0 and "compiled to" in r.err, r.err
    r = bundle.husk("--debug", "run", "c")
    assert r.rc == 0 and "from the cache" in r.err, r.err
    cache = os.path.join(bundle.root, ".seccomp~")
    (name,) = os.listdir(cache)
    with open(os.path.join(cache, name), "ab") as f:
        f.write(b"xyz")  # no longer whole instructions
    r = bundle.husk("--debug", "run", "c")
    assert r.rc == 0 and "compiled to" in r.err, r.err
    assert bundle.husk("list", "-q").out == ""  # the cache is not a container


def listener(path, got):
    def handle(conn):
        msg, fd = recv_with_fd(conn)
        got["doc"] = json.loads(msg)
        got["fd"] = os.readlink(f"/proc/self/fd/{fd}")
        os.close(fd)  # closed: the notified syscall fails with ENOSYS
    return serve_one(path, handle)


def test_notify_sends_the_listener_with_the_state(bundle, tmp_path):
    path = str(tmp_path / "agent.sock")
    got = {}
    t = listener(path, got)
    seccomp(bundle, listenerPath=path, listenerMetadata="hello \"agent\"")["syscalls"] = [
        rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY")]
    bundle.config["process"]["args"] = ["sh", "-c", "mkdir /x; echo rc=$?"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    t.join(10)
    doc = got["doc"]
    assert doc["fds"] == ["seccompFd"] and doc["metadata"] == "hello \"agent\""
    assert doc["pid"] == bundle.state("c")["pid"] == doc["state"]["pid"]
    assert doc["state"]["id"] == "c" and doc["state"]["status"] == "creating"
    assert got["fd"] == "anon_inode:seccomp notify"
    assert bundle.husk("start", "c").rc == 0


def test_notify_without_an_agent_fails_create(bundle, tmp_path):
    seccomp(bundle, listenerPath=str(tmp_path / "nobody.sock"))["syscalls"] = [
        rule(["mkdir"], "SCMP_ACT_NOTIFY")]
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1 and "linux.seccomp.listenerPath: connect" in r.err, r.err
    assert_nothing_left(bundle, "c")


def test_without_no_new_privileges_the_filter_is_loaded_before_caps_drop(bundle):
    """Loading a filter without no_new_privs needs CAP_SYS_ADMIN, which the container's
    process does not keep: husk loads it while it still has it."""
    bundle.config["process"]["noNewPrivileges"] = False
    seccomp(bundle)["syscalls"] = [rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=1)]
    p = bundle.probe("write", "/tmp/f")
    assert p["NoNewPrivs"] == "0" and p["Seccomp"] == "2"
    assert int(p["CapEff"], 16) & (1 << 21) == 0  # no CAP_SYS_ADMIN left
    r = sh(bundle, "mkdir /x; echo rc=$?")
    assert r.out == "rc=1\n", r.err


def test_notify_with_wait_killable_recv(bundle, tmp_path):
    path = str(tmp_path / "agent.sock")
    got = {}
    t = listener(path, got)
    seccomp(bundle, listenerPath=path,
            flags=["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])["syscalls"] = [
        rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY")]
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 0, r.err
    t.join(10)
    assert got["fd"] == "anon_inode:seccomp notify"


NOTIF_RECV, NOTIF_SEND = 0xC0502100, 0xC0182101  # _IOWR('!', 0 and 1, notif 80, resp 24 bytes)
USER_NOTIF_FLAG_CONTINUE = 1


class ContinuingAgent:
    """A seccomp agent that lets every notified call through (SECCOMP_USER_NOTIF_FLAG_CONTINUE),
    as a real one does for the calls it has nothing to say about. Counts what it saw."""

    def __init__(self, path):
        self.seen, self.stop = 0, False
        self.thread = serve_one(path, lambda conn: self.answer(recv_with_fd(conn)[1]))

    def answer(self, fd):
        import fcntl
        import select
        while not self.stop:
            if not select.select([fd], [], [], 0.2)[0]:
                continue
            buf = bytearray(80)
            try:
                fcntl.ioctl(fd, NOTIF_RECV, buf)
            except OSError:
                break  # the filter's last user is gone
            resp = bytearray(24)
            resp[0:8] = buf[0:8]  # the id
            resp[20:24] = USER_NOTIF_FLAG_CONTINUE.to_bytes(4, "little")
            try:
                fcntl.ioctl(fd, NOTIF_SEND, resp)
            except OSError:
                pass  # the caller went meanwhile
            self.seen += 1
        os.close(fd)

    def close(self):
        self.stop = True
        self.thread.join(10)


@pytest.mark.parametrize("call", ["close", "read", "openat"])
def test_notify_of_calls_husk_makes_itself_does_not_hang(bundle, tmp_path, call):
    """Issue 29 item 12: with close (or read, openat) sent to the agent, the stage's own close of
    its copy of the listener (and its read of exec.fifo) waited on an agent that had no
    listener yet: run hung for ever. runc runs the same profile with its agent."""
    path = str(tmp_path / "agent.sock")
    agent = ContinuingAgent(path)
    try:
        seccomp(bundle, listenerPath=path)["syscalls"] = [rule([call], "SCMP_ACT_NOTIFY")]
        bundle.config["process"]["args"] = ["sh", "-c", "cat /etc/passwd >/dev/null; echo ran"]
        bundle.write()
        r = bundle.husk("run", "c", timeout=30)
        assert (r.rc, r.out) == (0, "ran\n"), r.err
        assert agent.seen > 0, "the calls went through the agent"
    finally:
        agent.close()
    assert_nothing_left(bundle, "c")
