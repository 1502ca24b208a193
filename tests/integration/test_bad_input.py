"""Bad input: one clear line naming the file, field or path, exit 1, and nothing left behind (the
fixture also checks that no process or host mount remains)."""
import json
import os

import pytest

from husk_support import assert_nothing_left

V2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")  # husk spec's cgroup namespace: v2 only

# Off on this host; on in the VM tier's Debian kernel.
APPARMOR = open("/sys/module/apparmor/parameters/enabled").read().strip() == "Y" \
    if os.path.exists("/sys/module/apparmor/parameters/enabled") else False


def tmpfs(dest, *options, type="tmpfs"):
    return {"destination": dest, "type": type, "source": "tmpfs", "options": list(options)}


CASES = {
    "bad tmpfs option": (lambda c: c["mounts"].append(tmpfs("/x", "size=lots")),
                         'husk: mounts[7]: mount "tmpfs" on "/x": mount: invalid argument'),
    "unknown filesystem": (lambda c: c["mounts"].append(tmpfs("/x", type="nosuchfs")),
                           'husk: mounts[7]: mount "tmpfs" on "/x": mount: no such device'),
    "missing bind source": (lambda c: c["mounts"].append(
        {"destination": "/x", "type": "bind", "source": "/nonexistent/dir", "options": ["bind"]}),
        'husk: mounts[7]: mount "/nonexistent/dir" on "/x": bind source /nonexistent/dir: '
        'no such file or directory'),
    "idmap on a tmpfs": (lambda c: c["mounts"].append(tmpfs("/x", "idmap")),
                         'husk: mounts[7]: mount "tmpfs" on "/x": idmap needs uidMappings and '
                         'gidMappings on the mount or a user namespace with mappings'),
    "tmpcopyup on a bind": (lambda c: c["mounts"].append(
        {"destination": "/x", "type": "bind", "source": "/tmp", "options": ["bind", "tmpcopyup"]}),
        'husk: mounts[7]: mount "/tmp" on "/x": tmpcopyup is for tmpfs mounts: invalid argument'),
    "no process": (lambda c: c.pop("process"),
                   "husk: config.json: process: required to create a container"),
    "hostname without uts": (lambda c: c["linux"].update(namespaces=[{"type": "mount"}]),
                             "husk: config.json: hostname: needs a UTS namespace of the container's own"),
    "unknown namespace": (lambda c: c["linux"]["namespaces"].append({"type": "pidd"}),
                          f'husk: config.json: linux.namespaces[{6 if V2 else 5}].type: unknown '
                          'namespace type "pidd"'),
    "user namespace without maps": (lambda c: c["linux"]["namespaces"].append({"type": "user"}),
                                    "husk: config.json: linux.uidMappings: a new user namespace "
                                    "needs uid and gid mappings"),
    "relative cwd": (lambda c: c["process"].update(cwd="work"),
                     'husk: config.json: process.cwd: must be an absolute path, got "work"'),
    "memory limit as a string": (lambda c: c["linux"].update(resources={"memory": {"limit": "1G"}}),
                                 'husk: config.json: linux.resources.memory.limit: expected an '
                                 'integer, got "1G"'),
    "missing rootfs": (lambda c: c["root"].update(path="nope"), None),
    # the kernel kills pid 1 (or refuses it a charge) while it is set up; the stages alone
    # could only say "container init exited before it was set up"
    "memory limit too low to set up": (
        lambda c: c["linux"].update(resources={"memory": {"limit": 4096}}),
        "husk: linux.resources.memory.limit: 4096 bytes is too low to set the container up: "
        "the kernel's OOM killer killed its init before it was ready"),
    "a failure under an ample memory limit keeps its words": (
        lambda c: (c["linux"].update(resources={"memory": {"limit": 64 << 20}}),
                   c["mounts"].append({"destination": "/x", "type": "bind",
                                       "source": "/nonexistent/dir", "options": ["bind"]})),
        'husk: mounts[7]: mount "/nonexistent/dir" on "/x": bind source /nonexistent/dir: '
        'no such file or directory'),
    "apparmor profile": (
        lambda c: c["process"].update(apparmorProfile="husk-test"),
        'husk: config.json: process.apparmorProfile: AppArmor has no profile "husk-test" loaded'
        if APPARMOR else
        'husk: config.json: process.apparmorProfile: "husk-test" requested, but AppArmor is not '
        'enabled on this host'),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config(bundle, name):
    change, message = CASES[name]
    bundle.config["process"]["args"] = ["true"]
    change(bundle.config)
    bundle.write()
    log = os.path.join(bundle.path, "log.json")
    r = bundle.husk("--log", log, "--log-format", "json", "create", "c")
    assert r.rc == 1
    lines = r.err.splitlines()
    assert len(lines) == 1, "one line"
    if message is None:
        message = (f"husk: config.json: root.path: {bundle.path}/nope: no such file or directory")
    assert lines[0] == message
    logged = [json.loads(line) for line in open(log)]
    assert len(logged) == 1 and logged[0]["level"] == "error"
    assert "husk: " + logged[0]["msg"] == message
    assert_nothing_left(bundle, "c")
    assert not os.path.exists(bundle.root) or os.listdir(bundle.root) == []


def test_invalid_json(bundle):
    with open(os.path.join(bundle.path, "config.json"), "w") as f:
        f.write('{"ociVersion": "1.2.0",\n "root": {"path": "rootfs"},,\n}')
    r = bundle.husk("create", "c")
    assert r.rc == 1
    assert r.err.strip() == ("husk: config.json: line 2, column 29: invalid JSON: "
                             "invalid object key (must be a string)")


def test_missing_config(bundle):
    r = bundle.husk("create", "--bundle", "/nonexistent-bundle", "c")
    assert r.rc == 1
    assert r.err.strip() == "husk: bundle /nonexistent-bundle: no such file or directory"
    r = bundle.husk("create", "--bundle", bundle.path, "c")
    assert r.rc == 1
    assert r.err.strip() == (f"husk: {bundle.path}/config.json: no such file or directory (a "
                             f"bundle holds a config.json: `husk spec --bundle {bundle.path}` "
                             "writes one)")


def test_a_fifo_as_config_json_does_not_hang(bundle):
    """A bundle's config.json that is a FIFO: the open itself blocked until a writer came."""
    os.mkfifo(os.path.join(bundle.path, "config.json"))
    r = bundle.husk("create", "c", timeout=10)
    assert r.rc == 1
    assert r.err.strip() == "husk: ./config.json: not a regular file"
    assert_nothing_left(bundle, "c")


def test_invalid_id(bundle):
    bundle.write()
    r = bundle.husk("create", "../escape")
    assert r.rc == 1 and 'invalid container id "../escape"' in r.err
    assert not os.path.exists(os.path.join(os.path.dirname(bundle.root), "escape"))


def test_start_of_missing_container(bundle):
    r = bundle.husk("start", "ghost")
    assert r.rc == 1 and r.err.strip() == 'husk: container "ghost" does not exist'


def test_a_sysctl_key_too_long_for_its_path_is_named_never_cut(bundle):
    """Issue 31: paths are built by checked joins. A key longer than its /proc/sys path may be was
    cut to a prefix before (which could name another sysctl); now it is refused by name."""
    key = "net.ipv4.conf." + "a" * 600 + ".forwarding"
    bundle.config["linux"]["sysctl"] = {key: "1"}
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('husk: linux.sysctl["net.ipv4.conf.aaa'), r.err
    assert lines[0].endswith("file name too long") and "/proc/sys" not in lines[0], r.err
    assert_nothing_left(bundle, "c")
