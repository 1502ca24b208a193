"""NOTIFY_SOCKET, as runc handles it (systemd Type=notify units, podman --sdnotify=container): the
container gets husk's socket at /run/notify/notify.sock and the env naming it; `start` (and `run`)
relays what the container sends to the caller's socket until READY=1, which carries MAINPID."""
import json
import os
import socket

import pytest

from husk_support import HUSK, SYSTEMD, assert_nothing_left, run_to_files


@pytest.fixture
def host_socket(tmp_path):
    path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(10)
    yield path, s
    s.close()


def husk(bundle, notify, *args):
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    if notify:
        env["NOTIFY_SOCKET"] = notify
    driver = ["--systemd-cgroup"] if SYSTEMD else []
    return run_to_files([HUSK, "--root", bundle.root, *driver, *args], env=env, cwd=bundle.path,
                        timeout=30)


def test_run_detached_relays_until_ready_with_mainpid(bundle, host_socket):
    path, s = host_socket
    bundle.config["process"]["args"] = [
        "sh", "-c", "/probe notify STATUS=warming >/dev/null; sleep 0.3; "
        "/probe notify READY=1 >/dev/null; exec sleep 100"]
    bundle.write()
    r = husk(bundle, path, "run", "-d", "c")
    assert r.returncode == 0, r.stderr
    pid = bundle.state("c")["pid"]
    # run -d returns once READY=1 went out: both datagrams are waiting already
    s.setblocking(False)
    assert s.recv(4096) == b"STATUS=warming"
    assert s.recv(4096) == f"READY=1\nMAINPID={pid}".encode()
    assert bundle.husk("delete", "--force", "c").rc == 0
    assert_nothing_left(bundle, "c")


def test_create_then_start_relays(bundle, host_socket):
    path, s = host_socket
    bundle.config["process"]["args"] = ["sh", "-c", "/probe notify READY=1 >/dev/null; sleep 100"]
    bundle.write()
    assert husk(bundle, path, "create", "c").returncode == 0
    r = husk(bundle, path, "start", "c")
    assert r.returncode == 0, r.stderr
    s.setblocking(False)
    assert s.recv(4096) == f"READY=1\nMAINPID={bundle.state('c')['pid']}".encode()
    assert bundle.husk("delete", "--force", "c").rc == 0
    assert_nothing_left(bundle, "c")


def test_a_container_that_ends_without_ready_ends_the_relay(bundle, host_socket):
    path, s = host_socket
    bundle.config["process"]["args"] = ["sh", "-c", "/probe notify STATUS=bye >/dev/null"]
    bundle.write()
    r = husk(bundle, path, "run", "c")
    assert r.returncode == 0, r.stderr
    s.setblocking(False)
    assert s.recv(4096) == b"STATUS=bye"
    assert_nothing_left(bundle, "c")


def test_the_socket_as_the_container_sees_it(bundle, host_socket):
    path, _ = host_socket
    bundle.config["process"]["args"] = ["/probe", "read", "/proc/self/environ"]
    bundle.write()
    r = husk(bundle, path, "run", "c")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert "NOTIFY_SOCKET=/run/notify/notify.sock" in p["env"]
    point = next(m for m in p["mounts"] if m["point"] == "/run/notify")
    assert set(point["options"].split(",")) >= {"ro", "nosuid", "nodev", "noexec"}, point
    assert_nothing_left(bundle, "c")


def test_without_notify_socket_nothing_is_added(bundle):
    bundle.config["process"]["args"] = ["/probe"]
    bundle.write()
    r = husk(bundle, None, "run", "c")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert not any(e.startswith("NOTIFY_SOCKET=") for e in p["env"])
    assert not any(m["point"] == "/run/notify" for m in p["mounts"])


def test_a_container_cannot_name_the_main_pid_or_use_the_fd_store(bundle, host_socket):
    """Attack: the container sends MAINPID of a host process (systemd reads the first MAINPID,
    and from root accepts any pid: `systemctl stop` would then signal that process) and fd
    store requests. Only the state lines pass, and MAINPID is pid 1's."""
    path, s = host_socket
    bundle.config["process"]["args"] = [
        "sh", "-c", '/probe notify "$(printf "MAINPID=1\\nFDSTORE=1\\nNOTIFYACCESS=all\\n'
        'STATUS=x\\nREADY=1\\nBARRIER=1")" >/dev/null; exec sleep 100']
    bundle.write()
    r = husk(bundle, path, "run", "-d", "c")
    assert r.returncode == 0, r.stderr
    pid = bundle.state("c")["pid"]
    s.setblocking(False)
    assert s.recv(4096) == f"STATUS=x\nREADY=1\nMAINPID={pid}".encode()
    assert bundle.husk("delete", "--force", "c").rc == 0


def test_a_flood_from_a_process_that_outlives_pid_1_does_not_hold_run(bundle, host_socket):
    """Issue 27 item 6: without a pid namespace of its own, a process of the container outlives
    pid 1 and floods the notify socket. husk's relay ends with pid 1 (what pid 1 queued still
    goes out) instead of relaying the flood for ever, and a manager whose queue is full (this
    test reads nothing until run ends) does not block it."""
    path, s = host_socket
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    bundle.config["process"]["args"] = [
        "sh", "-c", "(while /probe notify STATUS=flood >/dev/null; do :; done) & "
        "sleep 0.5; /probe notify STATUS=bye >/dev/null"]
    bundle.write()
    try:
        r = husk(bundle, path, "run", "c")
        assert r.returncode == 0, r.stderr
    finally:
        # the flooder lives in the container's cgroup: delete --force kills it
        husk(bundle, None, "delete", "--force", "c")
    s.setblocking(False)
    got = []
    try:
        while True:
            got.append(s.recv(4096))
    except BlockingIOError:
        pass
    assert got and set(got) <= {b"STATUS=flood", b"STATUS=bye"}, got[:5]
    assert_nothing_left(bundle, "c")
