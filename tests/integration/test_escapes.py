"""Issue 11: the escapes an attack run found. Each test performs the attack against a canary on
the host and checks that the canary is unchanged."""
import fcntl
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

from husk_support import HUSK

F_GET_SEALS = 1034
SEALS = 0x1 | 0x2 | 0x4 | 0x8  # seal, shrink, grow, write


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def canary_husk(tmp_path):
    """A copy of husk that the attacks aim at: the tests run containers with it."""
    path = str(tmp_path / "husk-canary")
    shutil.copy(HUSK, path)
    return path


def run_with(husk, bundle, *args, timeout=30, stdin=subprocess.DEVNULL):
    """Output to files: a created container keeps husk's stdio open."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run([husk, "--root", bundle.root, *args], cwd=bundle.path,
                              stdout=out, stderr=err, stdin=stdin, timeout=timeout)
        out.seek(0)
        err.seek(0)
        proc.stdout, proc.stderr = out.read(), err.read()
    return proc


def test_cve_2019_5736_exec_into_a_created_container(bundle, canary_husk):
    """A process exec'd into a created container opens pid 1's exe while pid 1 still runs
    husk's code, waits for `start` to exec the program, then writes through that fd."""
    before = digest(canary_husk)
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    r = run_with(canary_husk, bundle, "create", "c")
    assert r.returncode == 0, r.stderr
    pid1 = json.loads(run_with(canary_husk, bundle, "state", "c").stdout)["pid"]
    exe = os.readlink(f"/proc/{pid1}/exe")
    attack = ("head -c1 /proc/1/exe >/dev/null 2>&1 || { echo open-refused; exit 0; }; "
              "exec 3</proc/1/exe; "
              "while [ \"$(cat /proc/1/comm)\" != sleep ]; do :; done; "
              "echo PWNED >> /proc/self/fd/3 && echo written || echo write-refused")
    attacker = subprocess.Popen([canary_husk, "--root", bundle.root, "exec", "c", "sh", "-c",
                                 attack], cwd=bundle.path, stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    assert run_with(canary_husk, bundle, "start", "c").returncode == 0
    out, _ = attacker.communicate(timeout=20)
    assert digest(canary_husk) == before, "the container wrote into husk's binary"
    assert out.strip() in ("open-refused", "write-refused"), out
    assert "husk-canary" not in exe, "pid 1 ran husk's file"


def test_cve_2019_5736_exec_of_proc_self_exe_runs_nothing_of_husks(bundle, canary_husk):
    """exec's process comes out of the exec stub, and stage 1, which finds the program, has no pid
    in the container's pid namespace: its /proc has no "self" for it, so /proc/self/exe as the
    command is not found (with runc it is runc's sealed copy), and never husk's file."""
    before = digest(canary_husk)
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    assert run_with(canary_husk, bundle, "run", "-d", "c").returncode == 0
    r = run_with(canary_husk, bundle, "exec", "c", "/proc/self/exe", "update", "--resources",
                 "-", "x")
    assert r.returncode == 255, (r.returncode, r.stderr)
    assert r.stderr == 'husk: exec: "/proc/self/exe": no such file or directory\n', r.stderr
    assert digest(canary_husk) == before


def test_cve_2019_5736_exec_never_shows_husks_file(bundle, canary_husk):
    """The attacker holds CAP_SYS_PTRACE, so that not being dumpable does not keep it from
    /proc/PID/exe, and opens that of every process it sees while exec runs 40 times: what exec
    makes shows the stub's sealed memfd, then the program; never husk's file. (A process born in
    the container running husk's code, as exec's was before it re-executed from a sealed copy,
    shows the file for a millisecond each time.)"""
    before = digest(canary_husk)
    caps = bundle.config["process"]["capabilities"]
    for k in ("bounding", "effective", "permitted"):
        caps[k] = sorted(set(caps.get(k, [])) | {"CAP_SYS_PTRACE"})
    bundle.config["process"]["args"] = ["/probe", "exewatch", "4000"]
    bundle.write()
    attacker = subprocess.Popen([canary_husk, "--root", bundle.root, "run", "c"],
                                cwd=bundle.path, stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    # one process that lives long enough for the attacker to open its exe for sure
    assert run_with(canary_husk, bundle, "exec", "-d", "c", "sleep", "2").returncode == 0
    for _ in range(40):
        run_with(canary_husk, bundle, "exec", "c", "true")
    out, _ = attacker.communicate(timeout=30)
    seen = json.loads(out)["exewatch:4000"]
    assert seen["opened"] > 0 and seen["file"] == 0, seen
    assert digest(canary_husk) == before


def copy_libraries(binary, rootfs):
    """What the dynamic loader needs to run binary inside rootfs (an image with glibc)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    for word in out.split():
        if word.startswith("/") and os.path.exists(word):
            dest = os.path.join(rootfs, word.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(word, dest)


def sealed(path):
    """Whether the file behind path (a /proc/PID/exe) is a memfd sealed against writing."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return fcntl.fcntl(fd, F_GET_SEALS) & SEALS == SEALS
    finally:
        os.close(fd)


def test_cve_2019_5736_entrypoint_is_proc_self_exe_meets_the_stub(bundle, canary_husk):
    """The image's entrypoint is /proc/self/exe: pid 1 then executes whatever it ran last. Without
    a second start-up of husk that is the exec stub, from a sealed memfd, which refuses to run
    as a program: husk's file is never the container's to run or to hold."""
    before = digest(canary_husk)
    bundle.config["process"]["args"] = ["/proc/self/exe", "update", "--resources", "-", "x"]
    bundle.write()
    r = run_with(canary_husk, bundle, "create", "c")
    assert r.returncode == 0, r.stderr
    pid1 = json.loads(run_with(canary_husk, bundle, "state", "c").stdout)["pid"]
    waiting = os.readlink(f"/proc/{pid1}/exe")
    assert waiting.startswith("/memfd:husk-exec") and sealed(f"/proc/{pid1}/exe"), waiting
    with pytest.raises(OSError):
        os.open(f"/proc/{pid1}/exe", os.O_WRONLY)
    r = run_with(canary_husk, bundle, "run", "d")
    assert r.returncode == 127, (r.returncode, r.stderr)
    assert "the exec stub runs only as husk's last step" in r.stderr, r.stderr
    assert run_with(canary_husk, bundle, "delete", "-f", "c").returncode == 0
    assert digest(canary_husk) == before


def test_cve_2019_5736_entrypoint_is_proc_self_exe_meets_the_sealed_copy(bundle, canary_husk):
    """Where pid 1 cannot end through the stub (a startContainer hook runs husk's code after
    `start`), husk runs from a sealed copy of itself: /proc/self/exe is that copy."""
    before = digest(canary_husk)
    copy_libraries(canary_husk, bundle.rootfs)
    bundle.config["process"]["args"] = ["/proc/self/exe", "update", "--resources", "-", "x"]
    bundle.config["hooks"] = {"startContainer": [{"path": "/bin/true"}]}
    bundle.write()
    hold_r, hold_w = os.pipe()  # pid 1's stdin: husk's `update -` waits on it
    r = run_with(canary_husk, bundle, "create", "c", stdin=hold_r)
    os.close(hold_r)
    assert r.returncode == 0, r.stderr
    pid1 = json.loads(run_with(canary_husk, bundle, "state", "c").stdout)["pid"]
    assert run_with(canary_husk, bundle, "start", "c").returncode == 0
    for _ in range(200):  # until pid 1 has exec'd /proc/self/exe
        with open(f"/proc/{pid1}/cmdline") as f:
            if f.read().startswith("/proc/self/exe"):
                break
        time.sleep(0.01)
    target = os.readlink(f"/proc/{pid1}/exe")
    assert "husk-canary" not in target and target.startswith("/memfd:husk"), target
    r = run_with(canary_husk, bundle, "exec", "c", "sh", "-c",
                 "echo PWNED >> /proc/1/exe && echo written || echo refused")
    os.close(hold_w)
    assert "written" not in r.stdout, r.stdout
    assert digest(canary_husk) == before

def test_ptrace_of_created_pid_1_fails(bundle):
    """item 2: pid 1 waits on exec.fifo running husk's code; a process of the container that
    seizes it in a loop must never succeed."""
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    r = bundle.husk("exec", "c", "/probe", "attach", "1500")
    assert r.rc == 0, r.err
    seen = json.loads(r.out)["attach:1500"]
    assert seen["tries"] > 0 and seen["husk"] == 0, seen
    assert bundle.husk("start", "c").rc == 0


def test_ptrace_of_husk_during_exec_fails(bundle):
    """item 2: while `exec` joins a running container, its process is attachable between setns
    and execve unless it is not dumpable; an attacker inside seizes every pid in a loop."""
    bundle.config["process"]["args"] = ["/probe", "attach", "4000"]
    bundle.write()
    attacker = subprocess.Popen([HUSK, "--root", bundle.root, "run", "c"], cwd=bundle.path,
                                stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    for _ in range(40):
        bundle.husk("exec", "c", "true")
    out, _ = attacker.communicate(timeout=30)
    seen = json.loads(out)["attach:4000"]
    assert seen["tries"] > 0 and seen["husk"] == 0, seen


def test_device_chmod_through_a_swapped_node(bundle, tmp_path):
    """item 3: a container sharing a volume with the victim swaps the victim's new device node
    for a symlink to a host file; husk used to chmod through it (0600 became 0666)."""
    from husk_support import race
    shared = tmp_path / "volume"
    shared.mkdir()
    canary = tmp_path / "canary"
    canary.write_text("secret")
    os.chmod(canary, 0o600)
    bundle.config["mounts"].append({"destination": "/dev/shared", "type": "bind",
                                    "source": str(shared), "options": ["rbind"]})
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/shared/node", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666}]
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    results = []
    out = race(bundle, tmp_path, str(shared),
               ["/probe", "swaplink", f"/shared/node={canary}=3000"],
               lambda i: results.append(bundle.husk("run", f"v{i}")), rounds=150)
    errors = {r.err for r in results if r.rc}
    results = [r.rc for r in results]
    assert "swaplink" in out, out
    assert stat.S_IMODE(os.stat(canary).st_mode) == 0o600, "husk chmod'ed the host file"
    assert canary.read_text() == "secret"
    assert results.count(0) + results.count(1) == len(results), errors


def test_pid_file_through_a_planted_directory_symlink(bundle, tmp_path):
    """item 4: the pid file's directory, planted as a symlink to a host directory."""
    canary = tmp_path / "host-dir"
    canary.mkdir()
    os.symlink(str(canary), os.path.join(bundle.path, "piddir"))
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("create", "--pid-file", os.path.join(bundle.path, "piddir", "pid"), "c")
    assert r.rc == 1 and "pid file" in r.err, r.err
    assert os.listdir(canary) == [], "husk wrote into the host directory"
    assert not os.path.exists(os.path.join(bundle.root, "c"))


def test_pid_file_that_is_a_planted_symlink(bundle, tmp_path):
    canary = tmp_path / "canary"
    canary.write_text("secret")
    os.symlink(str(canary), os.path.join(bundle.path, "pid"))
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("create", "--pid-file", os.path.join(bundle.path, "pid"), "c")
    assert r.rc == 1 and "symlink" in r.err, r.err
    assert canary.read_text() == "secret" and os.path.islink(os.path.join(bundle.path, "pid"))


def test_exec_pid_file_with_a_fifo_planted_at_its_temporary_name(bundle):
    """item 4: exec --pid-file hung on a FIFO planted where its temporary file would go."""
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    pid_file = os.path.join(bundle.path, "exec.pid")
    os.mkfifo(pid_file + ".husk-tmp")
    r = bundle.husk("exec", "-d", "--pid-file", pid_file, "c", "sleep", "50", timeout=15)
    assert r.rc == 0, r.err
    with open(pid_file) as f:
        assert int(f.read()) > 0
    assert stat.S_ISFIFO(os.stat(pid_file + ".husk-tmp").st_mode)


def test_console_socket_through_a_planted_symlink(bundle, tmp_path):
    """item 4: the pty master must go to the socket named, not to one a link leads to."""
    import socket
    victim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    victim.bind(str(tmp_path / "host-service.sock"))
    victim.listen(1)
    victim.settimeout(0.5)
    os.symlink(str(tmp_path / "host-service.sock"), os.path.join(bundle.path, "console.sock"))
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("create", "--console-socket", os.path.join(bundle.path, "console.sock"),
                    "c")
    assert r.rc == 1 and "console socket" in r.err, r.err
    with pytest.raises(socket.timeout):
        victim.accept()
    victim.close()
    assert not os.path.exists(os.path.join(bundle.root, "c"))


def test_state_root_that_is_a_symlink_is_refused(bundle, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    os.symlink(str(target), str(tmp_path / "root-link"))
    bundle.write()
    r = subprocess.run([HUSK, "--root", str(tmp_path / "root-link"), "run", "c"],
                       cwd=bundle.path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "symlink" in r.stderr, r.stderr
    assert os.listdir(target) == []


def test_repeated_map_keys_do_not_crash(bundle):
    """item 7: timeOffsets repeating "monotonic" 40 times made stage 1 write past a buffer (a
    general protection fault). One entry per key, the last winning, as Go's encoding/json."""
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["process"]["args"] = ["true"]
    offsets = ", ".join('"monotonic": {"secs": %d, "nanosecs": 0}' % s for s in range(40))
    text = json.dumps(bundle.config)
    text = text[:-1] + ', "annotations": {"a": "1", "a": "2"}}'
    text = text.replace('"linux": {', '"linux": {"timeOffsets": {' + offsets + '}, ', 1)
    with open(os.path.join(bundle.path, "config.json"), "w") as f:
        f.write(text)
    r = bundle.husk("create", "c")
    assert r.rc == 0, r.err
    assert bundle.state("c")["annotations"] == {"a": "2"}
    pid = bundle.state("c")["pid"]
    with open(f"/proc/{pid}/timens_offsets") as f:
        lines = [line.split() for line in f.read().splitlines()]
    assert ["monotonic", "39", "0"] in lines, lines


def test_a_symlinked_rootfs_is_refused(bundle, tmp_path):
    """item 6: runc refuses a root.path whose last component is a symlink."""
    real = os.path.join(bundle.path, "rootfs-real")
    os.rename(bundle.rootfs, real)
    os.symlink(real, bundle.rootfs)
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1 and "root.path" in r.err and "symlink" in r.err, r.err


def test_rootfs_swapped_for_a_symlink_during_create(bundle, tmp_path):
    """item 6: the victim's rootfs lies on a volume an attacker's container shares; the attacker
    swaps it (RENAME_EXCHANGE, in a loop) with a symlink to a host directory while containers
    are created. husk used to make dev, proc and sys in the host directory."""
    from husk_support import make_rootfs, race
    volume = tmp_path / "volume"
    volume.mkdir()
    victim = str(volume / "rootfs")
    make_rootfs(victim)
    for d in ("proc", "sys", "dev"):  # what husk would create in the canary
        os.rmdir(os.path.join(victim, d))
    canary = tmp_path / "host-dir"
    canary.mkdir()
    os.symlink(str(canary), str(volume / "evil"))
    victim_config = json.loads(json.dumps(bundle.config))
    victim_config["root"]["path"] = victim
    victim_config["process"]["args"] = ["true"]
    vb = tmp_path / "victim"
    vb.mkdir()
    (vb / "config.json").write_text(json.dumps(victim_config))
    out = race(bundle, tmp_path, str(volume),
               ["/probe", "exchange", "/shared/rootfs=/shared/evil=3000"],
               lambda i: bundle.husk("run", "-b", str(vb), f"r{i}"), rounds=100)
    assert "exchange" in out, out
    assert os.listdir(canary) == [], "husk made entries in the host directory"


IDMAP = {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
         "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}]}


@pytest.mark.parametrize("idmap", [[], ["idmap"], ["ridmap"]])
def test_bind_source_through_a_symlink_planted_in_a_shared_volume(bundle, tmp_path, idmap):
    """item 5 (Kubernetes subPath class): the victim binds volume/sub; a container sharing the
    volume keeps replacing sub with a symlink to a host directory. With src-nofollow the victim
    either gets the real sub or fails, never the host directory; an idmapped bind (issue 27
    item 2: open_tree() on the path followed the link) opens its source the same way."""
    from husk_support import race, fs_type
    if idmap and fs_type(tmp_path) == "overlay":
        pytest.skip("/tmp is overlayfs over 9p here (the VM tier), which this kernel cannot "
                    "idmap; the host tier runs the idmapped case on ext4")
    shared = tmp_path / "volume"
    (shared / "sub").mkdir(parents=True)
    (shared / "sub" / "file").write_text("volume")
    host = tmp_path / "host-secret"
    host.mkdir()
    (host / "file").write_text("canary")
    bundle.config["mounts"].append({"destination": "/data", "type": "bind",
                                    "source": str(shared / "sub"),
                                    "options": ["rbind", "src-nofollow", *idmap],
                                    **(IDMAP if idmap else {})})
    bundle.config["process"]["args"] = ["cat", "/data/file"]
    bundle.write()
    seen = []
    out = race(bundle, tmp_path, str(shared),
               ["/probe", "swaplink", f"/shared/sub={host}=3000"],
               lambda i: seen.append(bundle.husk("run", f"v{i}")), rounds=60)
    assert "swaplink" in out, out
    leaked = [r for r in seen if "canary" in r.out]
    assert leaked == [], "the victim's mount showed the host directory"
    assert all(r.rc == 0 or "src-nofollow" in r.err or "bind source" in r.err for r in seen), \
        {r.err for r in seen}


def test_bind_source_that_is_a_symlink_is_followed_without_src_nofollow(bundle, tmp_path):
    """The rule's other half: without the option a symlinked source is followed, as runc does
    (/etc/localtime binds), and what is bound is the file opened."""
    (tmp_path / "zone").write_text("UTC\n")
    os.symlink(str(tmp_path / "zone"), str(tmp_path / "localtime"))
    bundle.config["mounts"].append({"destination": "/etc/localtime", "type": "bind",
                                    "source": str(tmp_path / "localtime"),
                                    "options": ["bind", "ro"]})
    bundle.config["process"]["args"] = ["cat", "/etc/localtime"]
    r = bundle.run()
    assert (r.rc, r.out) == (0, "UTC\n"), r.err
    bundle.config["mounts"][-1]["options"].append("src-nofollow")
    r = bundle.run()
    assert r.rc == 1 and "src-nofollow" in r.err, r.err


@pytest.mark.parametrize("idmap", [[], ["idmap"]])
def test_a_symlink_planted_before_create_is_refused_with_src_nofollow(bundle, tmp_path, idmap):
    """Issue 27 item 2, without a race: the attacker's container has already replaced the
    volume's directory with a symlink to a host directory. The victim's bind, idmapped or not,
    is refused and the host's canary stays unseen."""
    from husk_support import Attacker, fs_type
    if idmap and fs_type(tmp_path) == "overlay":
        pytest.skip("/tmp is overlayfs over 9p here (the VM tier), which this kernel cannot "
                    "idmap; the host tier runs the idmapped case on ext4")
    shared = tmp_path / "volume"
    (shared / "sub").mkdir(parents=True)
    host = tmp_path / "host-secret"
    host.mkdir()
    (host / "file").write_text("canary")
    out = Attacker(bundle, tmp_path, str(shared),
                   ["sh", "-c", f"rm -r /shared/sub && ln -s {host} /shared/sub"]).stop()
    assert os.path.islink(shared / "sub"), out
    bundle.config["mounts"].append({"destination": "/data", "type": "bind",
                                    "source": str(shared / "sub"),
                                    "options": ["rbind", "src-nofollow", *idmap],
                                    **(IDMAP if idmap else {})})
    bundle.config["process"]["args"] = ["cat", "/data/file"]
    r = bundle.run()
    assert "canary" not in r.out
    assert r.rc == 1 and r.err.strip().endswith(
        f"bind source {shared}/sub: a symlink on its path (src-nofollow): too many levels of "
        "symbolic links"), r.err


def in_private_mount_ns(setup, bundle, *husk_args, after="true"):
    """Runs husk between `setup` and `after` in a mount namespace of the test's own (the
    attacker's mounts in husk's namespace stay there)."""
    cmd = f'{setup} && "$0" "$@"; echo "husk-rc=$?"; {after}'
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", cmd, HUSK,
                           "--root", bundle.root, *husk_args], cwd=bundle.path,
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def test_sysctl_write_redirected_by_a_mount_over_proc(bundle, tmp_path):
    """GHSA-cgrx-mc8f-2prm's class: something mounted over /proc/sys in husk's namespace (here
    a tmpfs with a file where the sysctl is) must not receive the sysctl's value."""
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    fake = "/proc/sys/net/ipv4/ip_forward"
    r = in_private_mount_ns(f"mount -t tmpfs tmpfs /proc/sys && mkdir -p /proc/sys/net/ipv4 && "
                            f"echo canary > {fake}", bundle, "run", "c", after=f"cat {fake}")
    assert r.stdout.endswith("canary\n"), "the sysctl went into the file mounted over it"
    assert "husk-rc=1" in r.stdout and "mounted over" in r.stderr, (r.stdout, r.stderr)


def test_masked_path_with_a_file_mounted_over_dev_null(bundle, tmp_path):
    """GHSA-9493-h29p-rfm2's class: masked paths are bound from /dev/null; a file mounted over
    /dev/null would be bound, writable, into the container."""
    canary = tmp_path / "canary"
    canary.write_text("secret\n")
    with open(os.path.join(bundle.rootfs, "etc", "masked"), "w") as f:
        f.write("x")
    bundle.config["linux"]["maskedPaths"] = ["/etc/masked"]
    bundle.config["process"]["args"] = ["sh", "-c", "echo PWNED > /etc/masked; cat /etc/masked"]
    bundle.write()
    r = in_private_mount_ns(f"mount --bind {canary} /dev/null", bundle, "run", "c")
    assert canary.read_text() == "secret\n", "the container wrote through the masked path"
    assert "husk-rc=1" in r.stdout and "null device" in r.stderr, (r.stdout, r.stderr)


def test_dev_console_is_the_containers_own_pty(bundle, tmp_path):
    """GHSA-qw9x-cqr3-wc7r's class: /dev/console is bound from the pty's fd (TIOCGPTPEER), never
    from a /dev/pts/N path a container could swap."""
    from test_process import ConsoleSocket, read_terminal
    console = ConsoleSocket(tmp_path / "console.sock")
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["args"] = ["/probe", "stat", "/dev/console", "read",
                                        "/proc/self/stat"]
    bundle.write()
    r = bundle.husk("create", "--console-socket", console.path, "c")
    got = console.wait()
    assert r.rc == 0, r.err
    assert bundle.husk("start", "c").rc == 0
    out = read_terminal(got["fd"]).decode()
    p = json.loads(out[out.index("{"):])
    cons = p["stat:/dev/console"]
    tty_nr = int(p["read:/proc/self/stat"].rsplit(")", 1)[1].split()[4])  # its terminal
    tty = ((tty_nr >> 8) & 0xfff, (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00))
    assert (cons["major"], cons["minor"]) == tty and tty[0] == 136, (cons, tty)


def test_tmpcopyup_of_a_file_swapped_for_a_fifo_does_not_hang(bundle, tmp_path):
    """Issue 27 item 3's rule for what an image or a volume shapes: tmpcopyup copies what a
    shared volume holds under the new tmpfs; a container sharing it keeps exchanging a file
    with a FIFO (RENAME_EXCHANGE). A copy that opened the FIFO after its stat said "regular"
    blocked create for ever; now each create copies, refuses, or copies the FIFO as a FIFO,
    and returns."""
    from husk_support import race
    shared = tmp_path / "volume"
    (shared / "sub").mkdir(parents=True)
    (shared / "sub" / "f").write_text("file")
    os.mkfifo(shared / "p")
    bundle.config["mounts"] += [
        {"destination": "/data", "type": "bind", "source": str(shared), "options": ["rbind"]},
        {"destination": "/data/sub", "type": "tmpfs", "source": "tmpfs",
         "options": ["tmpcopyup"]}]
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    seen = []

    def victim(i):
        try:
            seen.append(bundle.husk("run", f"v{i}", timeout=10))
        except subprocess.TimeoutExpired:
            seen.append(None)

    out = race(bundle, tmp_path, str(shared), ["/probe", "exchange",
               "/shared/sub/f=/shared/p=4000"], victim, rounds=40)
    assert "exchange" in out, out
    assert None not in seen, "a create hung on the FIFO"
    assert all(r.rc == 0 or "tmpcopyup" in r.err for r in seen), {r.err for r in seen}
