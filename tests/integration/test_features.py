"""`husk features` against what a container gets: every namespace, capability and mount option it
claims is applied by a real container, recursive attributes reach submounts, and --version names
the spec version features says."""
import json
import shutil
import os
import subprocess

import pytest

from husk_support import HUSK

FEATURES = json.loads(subprocess.run([HUSK, "features"], capture_output=True, text=True,
                                     check=True).stdout)
NS_LINK = {"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts",
           "user": "user", "cgroup": "cgroup", "time": "time"}


def cap_last():
    with open("/proc/sys/kernel/cap_last_cap") as f:
        return int(f.read())


def test_version_names_the_spec_features_says():
    out = subprocess.run([HUSK, "--version"], capture_output=True, text=True, check=True).stdout
    assert f"spec: {FEATURES['ociVersionMax']}" in out.splitlines()


def test_every_namespace_claimed_is_the_containers_own(bundle):
    bundle.config["linux"]["namespaces"] = [{"type": t} for t in FEATURES["linux"]["namespaces"]]
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    got = bundle.probe()["ns"]
    for t in FEATURES["linux"]["namespaces"]:
        link = NS_LINK[t]
        assert got[link] != os.readlink(f"/proc/self/ns/{link}"), t


def own_bounding():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1], 16) for line in f if line.startswith("CapBnd:"))


def test_every_capability_claimed_reaches_the_bounding_set(bundle):
    """Each name in features, in its kernel number order, that this kernel and husk's own
    bounding set have (this machine's lacks CAP_SYS_RESOURCE): the container holds them all."""
    names = FEATURES["linux"]["capabilities"]
    have = own_bounding()
    assert len(names) >= cap_last() + 1
    wanted = [n for bit, n in enumerate(names) if have >> bit & 1]
    caps = bundle.config["process"]["capabilities"]
    for kind in ("bounding", "effective", "permitted"):
        caps[kind] = wanted
    assert int(bundle.probe()["CapBnd"], 16) == have


# Options that need something else than a plain mount: tested where that is (idmap with
# mappings in test_rootfs, tmpcopyup in test_rootfs, src-nofollow in test_escapes).
SPECIAL = {"idmap", "ridmap", "tmpcopyup", "src-nofollow", "remount"}


@pytest.mark.parametrize("option", [o for o in FEATURES["mountOptions"] if o not in SPECIAL])
def test_every_mount_option_claimed_is_accepted_by_a_container(bundle, tmp_path, option):
    src = tmp_path / "src"
    src.mkdir()
    bundle.config["mounts"].append({"destination": "/opt", "type": "bind", "source": str(src),
                                    "options": ["rbind", option]})
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 0, r.err


def test_recursive_read_only_reaches_submounts(bundle, tmp_path):
    """rro is mount_setattr(AT_RECURSIVE): a mount under the bound directory is read-only too
    (CRI gates recursive read-only mounts on "rro" in features)."""
    assert "rro" in FEATURES["mountOptions"]
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(src / "sub")], check=True)
    try:
        bundle.config["mounts"].append({"destination": "/opt", "type": "bind",
                                        "source": str(src), "options": ["rbind", "rro"]})
        bundle.config["process"]["args"] = ["sh", "-c", "touch /opt/sub/x; echo $?"]
        r = bundle.run()
        assert r.rc == 0 and r.out.strip() == "1", r.err
        assert not (src / "sub" / "x").exists()
    finally:
        subprocess.run(["umount", str(src / "sub")], check=True)


def test_every_memory_policy_mode_claimed_is_known():
    from test_spec13 import MPOL, FLAG
    assert FEATURES["linux"]["memoryPolicy"]["modes"] == list(MPOL)
    assert FEATURES["linux"]["memoryPolicy"]["flags"] == list(FLAG)


def test_the_claims_of_this_build():
    linux = FEATURES["linux"]
    assert linux["netDevices"] == {"enabled": True}          # test_spec13: moved in and back
    assert linux["intelRdt"] == {"enabled": True, "schemata": True, "monitoring": True}
    assert linux["mountExtensions"]["idmap"]["enabled"] is True
    assert FEATURES["potentiallyUnsafeConfigAnnotations"] == []
    # what CRI-O and podman read: CRIU's verdict on this host
    criu = shutil.which("criu")
    works = bool(criu) and subprocess.run([criu, "check"], capture_output=True).returncode == 0
    assert FEATURES["annotations"]["org.opencontainers.runc.checkpoint.enabled"] == \
        ("true" if works else "false")
