"""Real-world configs (issue 10): seccomp profiles other tools write, the syscalls husk itself
may not have, root propagation, and the specs runc, crun, ctr and podman generate."""
import json
import os
import subprocess

import pytest

from husk_support import BUILD, HUSK, host_mounts
import real_configs as rc

DENYCALLS = os.path.join(BUILD, "tests", "denycalls")
CAP_NUMBERS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_FSETID": 4,
               "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
               "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13, "CAP_SYS_CHROOT": 18,
               "CAP_MKNOD": 27, "CAP_AUDIT_WRITE": 29, "CAP_SETFCAP": 31}


def cap_mask(caps):
    return sum(1 << CAP_NUMBERS[c] for c in caps)


def run_probe_under(bundle, profile, caps, nnp):
    bundle.config["linux"]["seccomp"] = profile
    bundle.config["process"]["noNewPrivileges"] = nnp
    rc.set_caps(bundle.config, caps)
    p = bundle.probe()
    assert p["Seccomp"] == "2", p  # the filter is on the program
    assert int(p["CapEff"], 16) == cap_mask(caps), p
    assert int(p["CapBnd"], 16) == cap_mask(caps), p
    assert p["NoNewPrivs"] == ("1" if nnp else "0"), p
    return p


@pytest.mark.parametrize("nnp", [False, True])
@pytest.mark.parametrize("name,profile,caps", [
    ("docker", rc.docker_profile, rc.DOCKER_CAPS),
    ("containers-common", rc.containers_common_profile, rc.PODMAN_CAPS),
    ("runtime-tools", rc.runtime_tools_profile, rc.DOCKER_CAPS),
])
def test_default_profiles_of_other_tools(bundle, name, profile, caps, nnp):
    """docker's and podman's defaults, and the runtime-tools generator's deny-by-default list
    that has no openat2 or close_range: husk's own steps never run under the filter."""
    bundle.config["process"]["cwd"] = "/work/dir"  # made by create, entered before the filter
    p = run_probe_under(bundle, profile(), caps, nnp)
    assert p["cwd"] == "/work/dir"


@pytest.mark.parametrize("nnp", [False, True])
def test_allow_list_of_only_what_busybox_needs(bundle, nnp):
    """Only the program's own syscalls and execve; without no_new_privs the kernel wants
    CAP_SYS_ADMIN for the load, so the one capset that drops it comes after (docs/design.md)."""
    names = rc.BUSYBOX_ALLOW + ([] if nnp else ["capset"])
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "syscalls": [{"names": names, "action": "SCMP_ACT_ALLOW"}]}
    bundle.config["process"]["noNewPrivileges"] = nnp
    bundle.config["process"]["args"] = ["sh", "-c", "echo hello; mkdir /x || echo refused"]
    r = bundle.run()
    assert (r.rc, r.out) == (0, "hello\nrefused\n"), r.err


def test_without_capset_a_filter_without_nnp_fails_rather_than_keep_caps(bundle):
    """The capabilities must drop: when the filter forbids the capset that comes after it, the
    container fails instead of running with husk's capabilities."""
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["capset"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["process"]["args"] = ["sh", "-c", "echo ran"]
    r = bundle.run()
    assert r.rc != 0 and "ran" not in r.out, (r.rc, r.out, r.err)
    assert "capabilities" in r.out + r.err, r.err


@pytest.mark.parametrize("errno_ret", [1, 38])  # EPERM, ENOSYS
@pytest.mark.parametrize("nnp", [False, True])
def test_profile_denying_new_syscalls(bundle, errno_ret, nnp):
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["openat2", "close_range", "clone3", "pidfd_open"],
                      "action": "SCMP_ACT_ERRNO", "errnoRet": errno_ret}]}
    bundle.config["process"]["noNewPrivileges"] = nnp
    bundle.config["process"]["cwd"] = "/made/here"
    p = bundle.probe()
    assert p["Seccomp"] == "2" and p["cwd"] == "/made/here"


@pytest.mark.parametrize("errno_ret", [1, 38])
def test_husk_itself_without_openat2_close_range_clone3(bundle, errno_ret):
    """husk run under a filter (a container manager's profile, or an old kernel) that refuses
    openat2, close_range, clone3 and mount_setattr: the fallbacks resolve paths inside the
    rootfs and close every fd, so the container is the same."""
    leak = os.open("/dev/null", os.O_RDONLY)
    try:
        bundle.config["process"]["args"] = ["/probe", "read", "/etc/hostname"]
        bundle.config["process"]["cwd"] = "/a/b"
        os.symlink("/../../../../etc", os.path.join(bundle.rootfs, "etc2"))
        bundle.config["mounts"].append({"destination": "/etc2/inside", "type": "tmpfs",
                                        "source": "tmpfs"})
        bundle.write()
        r = bundle.husk("run", "c")
        assert r.rc == 0, r.err
        expected = r.json()
        with open(os.path.join(bundle.rootfs, "etc", "hostname"), "w") as f:
            f.write("canary\n")
        cmd = [DENYCALLS, str(errno_ret), "openat2,close_range,clone3,mount_setattr", HUSK,
               "--root", bundle.root, "run", "c"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                             pass_fds=(leak,), cwd=bundle.path)
        assert out.returncode == 0, out.stderr
        p = json.loads(out.stdout)
        assert p["cwd"] == "/a/b"
        assert sorted(p["fds"]) == sorted(expected["fds"]), "an fd of husk's caller leaked"
        assert "/etc/inside" in [m["point"] for m in p["mounts"]]
        assert not os.path.ismount("/etc/inside")
        assert p["read:/etc/hostname"] == "canary\n"
    finally:
        os.close(leak)


def host_mount_tags(path):
    """The optional fields (shared:N ...) of the host's mount that holds path."""
    best, tags = "", ""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre = line.split(" - ")[0].split()
            point = pre[4]
            if (path == point or path.startswith(point.rstrip("/") + "/")) and \
                    len(point) >= len(best):
                best, tags = point, " ".join(pre[6:])
    return tags


@pytest.mark.parametrize("propagation", ["shared", "rshared", "slave", "rslave", "private",
                                         "rprivate", "unbindable", "runbindable"])
def test_rootfs_propagation(bundle, propagation):
    bundle.config["linux"]["rootfsPropagation"] = propagation
    p = bundle.probe()
    tags = {m["point"]: m["tags"] for m in p["mounts"]}
    root, proc = tags["/"], tags["/proc"]
    recursive = propagation.startswith("r")
    kind = propagation[1:] if recursive else propagation
    if kind == "shared":
        assert "shared:" in root, tags
        assert ("shared:" in proc) == recursive, tags
    elif kind == "slave":
        assert "shared:" not in root and "shared:" not in proc, tags
        host_shared = "shared:" in host_mount_tags(os.path.realpath(bundle.rootfs))
        assert ("master:" in root) == host_shared, tags
    elif kind == "private":
        assert "shared:" not in root and "master:" not in root, tags
        assert "shared:" not in proc and "master:" not in proc, tags
    else:
        assert "unbindable" in root, tags
        assert ("unbindable" in proc) == recursive, tags


def check_from_inside(p, config):
    """What a config asks for, seen by the probe."""
    proc = config["process"]
    user = proc.get("user", {})
    assert (p["uid"], p["gid"]) == (user.get("uid", 0), user.get("gid", 0)), p
    caps = proc.get("capabilities", {})
    bnd, inh = rc.caps_mask(caps.get("bounding")), rc.caps_mask(caps.get("inheritable"))
    amb = rc.caps_mask(caps.get("ambient")) & inh & rc.caps_mask(caps.get("permitted"))
    # what execve leaves: root gets its bounding and inheritable sets, others the ambient one
    assert int(p["CapEff"], 16) == ((bnd | inh) if user.get("uid", 0) == 0 else amb), p
    assert int(p["CapBnd"], 16) == rc.caps_mask(caps.get("bounding")), p
    assert p["NoNewPrivs"] == ("1" if proc.get("noNewPrivileges") else "0"), p
    assert p["Seccomp"] == ("2" if config["linux"].get("seccomp") else "0"), p
    assert p["cwd"] == proc.get("cwd", "/")
    for var in proc.get("env", []):
        assert var in p["env"], var
    if config.get("hostname"):
        assert p["hostname"] == config["hostname"]
    root = [m for m in p["mounts"] if m["point"] == "/"][-1]
    assert root["options"].split(",")[0] == ("ro" if config["root"].get("readonly") else "rw")
    points = {m["point"] for m in p["mounts"]}
    for m in config.get("mounts", []):
        assert m["destination"] in points or m["destination"] in config["linux"].get(
            "maskedPaths", []), m["destination"]


@pytest.mark.parametrize("name", ["podman-run-readonly-user.json", "podman-run-detached.json",
                                  "ctr-run-seccomp.json", "ctr-run-user-cgroupns.json"])
def test_client_written_specs(bundle, tmp_path, name):
    config = rc.adapt(rc.captured(name), bundle.path, bundle.rootfs, str(tmp_path))
    bundle.config = config
    r = bundle.run()
    assert r.rc == 0, r.err
    check_from_inside(json.loads(r.out), config)


@pytest.mark.parametrize("tool", ["runc", "crun"])
def test_spec_of_runc_and_crun(bundle, tmp_path, tool):
    """`runc spec` and `crun spec` as they stand, bar the terminal and the command."""
    d = tmp_path / tool
    d.mkdir()
    subprocess.run([tool, "spec"], cwd=d, check=True, capture_output=True)
    with open(d / "config.json") as f:
        config = json.load(f)
    bundle.config = rc.adapt(config, bundle.path, bundle.rootfs, str(tmp_path))
    r = bundle.run()
    assert r.rc == 0, r.err
    check_from_inside(json.loads(r.out), config)


@pytest.mark.parametrize("errno_ret", [1, 38])
def test_husk_without_pidfd_fails_kill_plainly(bundle, errno_ret):
    """No fallback for pidfd_open: signalling a pid number races with its reuse. Without the
    call, kill says why instead of calling a running container stopped."""
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    out = subprocess.run([DENYCALLS, str(errno_ret), "pidfd_open", HUSK, "--root", bundle.root,
                          "kill", "c", "KILL"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "pidfd_open" in out.stderr, out.stderr
    assert "not running" not in out.stderr
    assert bundle.state("c")["status"] == "running"


def test_a_bidirectional_bind_reaches_the_host(bundle, tmp_path):
    """Kubernetes' Bidirectional volume as containerd's CRI writes it (rbind,rshared on a host
    directory that is a shared mount, rootfsPropagation rshared): what the container mounts
    under it appears on the host. The container's copy of the tree is made a slave first, so
    the bind is cloned from the host's namespace (found by tests/clients/test_cri.py: the
    mount stayed inside). Nothing else the container mounts reaches the host."""
    vol = tmp_path / "vol"
    vol.mkdir()
    subprocess.run(["mount", "--bind", str(vol), str(vol)], check=True)
    subprocess.run(["mount", "--make-shared", str(vol)], check=True)
    try:
        bundle.config["linux"]["rootfsPropagation"] = "rshared"
        bundle.config["mounts"].append({"destination": "/vol", "type": "bind",
                                        "source": str(vol), "options": ["rbind", "rshared"]})
        caps = bundle.config["process"]["capabilities"]
        for kind in caps:
            caps[kind] = caps[kind] + ["CAP_SYS_ADMIN"]
        bundle.config["process"]["args"] = [
            "sh", "-c", "mkdir /vol/inner && mount -t tmpfs tmpfs /vol/inner && "
            "echo from-inside > /vol/inner/mark && mount -t tmpfs tmpfs /tmp"]
        before = host_mounts()
        r = bundle.run()
        assert r.rc == 0, r.err
        assert (vol / "inner" / "mark").read_text() == "from-inside\n"
        gained = [m for m in host_mounts() if m not in before]
        assert [m for m in gained if "/vol/inner" in m] and len(gained) == 1, gained
    finally:
        subprocess.run(["umount", "-R", str(vol)], check=True)
