"""runtime-spec 1.3's process and memory fields: process.execCPUAffinity (create and exec) and
linux.memoryPolicy, checked from inside (sched_getaffinity, get_mempolicy in the probe) and from
outside (taskset, /proc/PID/status)."""
import json
import os
import platform
import subprocess
import time

import pytest

from husk_support import HUSK, assert_nothing_left, run_to_files

MPOL = {"MPOL_DEFAULT": 0, "MPOL_PREFERRED": 1, "MPOL_BIND": 2, "MPOL_INTERLEAVE": 3,
        "MPOL_LOCAL": 4, "MPOL_PREFERRED_MANY": 5, "MPOL_WEIGHTED_INTERLEAVE": 6}
FLAG = {"MPOL_F_NUMA_BALANCING": 1 << 13, "MPOL_F_RELATIVE_NODES": 1 << 14,
        "MPOL_F_STATIC_NODES": 1 << 15}


def online(kind):
    """The ids in /sys/devices/system/<kind>/online ("0-1" -> [0, 1])."""
    with open(f"/sys/devices/system/{kind}/online") as f:
        ids = []
        for part in f.read().strip().split(","):
            a, _, b = part.partition("-")
            ids += range(int(a), int(b or a) + 1)
        return ids


CPUS = online("cpu")
NODES = online("node")
needs_two_cpus = pytest.mark.skipif(len(CPUS) < 2, reason="needs two CPUs")


def kernel_at_least(major, minor):
    found = tuple(int(x) for x in platform.release().split("-")[0].split(".")[:2])
    return found >= (major, minor)


def status_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return None


@needs_two_cpus
def test_final_affinity_from_inside_and_outside(bundle):
    last = CPUS[-1]
    bundle.config["process"]["execCPUAffinity"] = {"final": str(last)}
    assert bundle.probe()["affinity"] == [last]
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    pid = bundle.state("c")["pid"]
    out = subprocess.run(["taskset", "-p", "-c", str(pid)], capture_output=True, text=True)
    assert out.stdout.strip().endswith(f": {last}"), out.stdout
    assert status_field(pid, "Cpus_allowed_list") == str(last)


@needs_two_cpus
def test_the_callers_affinity_is_not_inherited(bundle):
    """husk run under `taskset -c 0`: the container gets every CPU its cgroup allows, as runc."""
    bundle.config["process"]["args"] = ["/probe"]
    bundle.write()
    r = subprocess.run(["taskset", "-c", str(CPUS[0]), HUSK, "--root", bundle.root, "run", "c"],
                       cwd=bundle.path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["affinity"] == CPUS


@needs_two_cpus
def test_initial_affinity_holds_only_before_the_cgroup(bundle, tmp_path):
    log = tmp_path / "log"
    bundle.config["process"]["execCPUAffinity"] = {"initial": str(CPUS[-1])}
    bundle.config["process"]["args"] = ["/probe"]
    bundle.write()
    r = bundle.husk("--debug", "--log", str(log), "run", "c")
    assert r.rc == 0, r.err
    assert f"process.execCPUAffinity.initial: stage 1 forked on CPUs {CPUS[-1]}" in \
        log.read_text()
    assert json.loads(r.out)["affinity"] == CPUS, "initial is not the process's final affinity"


@needs_two_cpus
def test_exec_takes_its_own_affinity(bundle, tmp_path):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    process = {"args": ["/probe"], "cwd": "/", "env": ["PATH=/bin"],
               "execCPUAffinity": {"initial": str(CPUS[0]), "final": str(CPUS[-1])}}
    (tmp_path / "p.json").write_text(json.dumps(process))
    r = bundle.husk("exec", "--process", str(tmp_path / "p.json"), "c")
    assert r.rc == 0, r.err
    assert json.loads(r.out)["affinity"] == [CPUS[-1]]
    r = bundle.husk("exec", "c", "/probe")
    assert r.rc == 0 and json.loads(r.out)["affinity"] == CPUS


def policies():
    node = str(NODES[0])
    cases = [("MPOL_DEFAULT", None, []), ("MPOL_LOCAL", None, []),
             ("MPOL_BIND", node, []), ("MPOL_PREFERRED", node, []),
             ("MPOL_INTERLEAVE", node, ["MPOL_F_STATIC_NODES"]),
             ("MPOL_BIND", node, ["MPOL_F_RELATIVE_NODES"]),
             ("MPOL_BIND", node, ["MPOL_F_NUMA_BALANCING"]),
             ("MPOL_PREFERRED_MANY", node, [])]
    if kernel_at_least(6, 9):
        cases.append(("MPOL_WEIGHTED_INTERLEAVE", node, []))
    if len(NODES) > 1:
        both = f"{NODES[0]}-{NODES[1]}"
        cases += [("MPOL_INTERLEAVE", both, []), ("MPOL_BIND", both, ["MPOL_F_STATIC_NODES"])]
    return cases


def mask_of(nodes):
    if nodes is None:
        return 0
    a, _, b = nodes.partition("-")
    return sum(1 << n for n in range(int(a), int(b or a) + 1))


@pytest.mark.parametrize("mode,nodes,flags", policies())
def test_memory_policy_from_inside(bundle, mode, nodes, flags):
    policy = {"mode": mode, "flags": flags}
    if nodes is not None:
        policy["nodes"] = nodes
    bundle.config["linux"]["memoryPolicy"] = policy
    got = bundle.probe()["mempolicy"]
    want_mode = MPOL[mode] | sum(FLAG[f] for f in flags)
    assert got["mode"] == want_mode
    if mode in ("MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_PREFERRED", "MPOL_PREFERRED_MANY",
                "MPOL_WEIGHTED_INTERLEAVE") and not flags:
        assert got["nodes"] == mask_of(nodes)


def test_memory_policy_holds_for_exec_too(bundle):
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": str(NODES[0])}
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    r = bundle.husk("exec", "c", "/probe")
    assert r.rc == 0 and json.loads(r.out)["mempolicy"]["mode"] == MPOL["MPOL_BIND"]


@pytest.mark.parametrize("where,field,value,message", [
    ("process", "execCPUAffinity", {"final": "1-0"},
     'config.json: process.execCPUAffinity.final: "1-0" is not a list like 0-3,7'),
    ("process", "execCPUAffinity", {"initial": "x"},
     'config.json: process.execCPUAffinity.initial: "x" is not a list like 0-3,7'),
    ("process", "execCPUAffinity", {"final": "999"},
     'process.execCPUAffinity.final: no CPU of "999" is online and in the container\'s cpuset'),
    ("linux", "memoryPolicy", {"mode": "MPOL_DEFAULT", "nodes": "0"},
     "config.json: linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes"),
    ("linux", "memoryPolicy", {"mode": "MPOL_BIND", "nodes": "0,"},
     'config.json: linux.memoryPolicy.nodes: "0," ends with a comma'),
    ("linux", "memoryPolicy", {"mode": "MPOL_BIND", "nodes": "1000"},
     'linux.memoryPolicy: set_mempolicy MPOL_BIND "1000": invalid argument'),
])
def test_bad_values_are_one_line_and_no_debris(bundle, where, field, value, message):
    bundle.config[where][field] = value
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1 and r.err.strip() == f"husk: {message}"
    assert_nothing_left(bundle, "c")


class NetNs:
    """A network namespace of the test's own, held by a sleeping process (no /run/netns mount
    on the host), holding veth0 (10.55.0.2/24, up; its peer veth1) and tap0."""

    def __init__(self):
        self.holder = subprocess.Popen(["unshare", "--net", "sleep", "1000"])
        self.path = f"/proc/{self.holder.pid}/ns/net"
        for _ in range(200):  # until unshare has exec'd sleep in the new namespace
            if os.readlink(self.path) != os.readlink("/proc/self/ns/net"):
                break
            time.sleep(0.01)
        try:
            if not os.path.exists("/dev/net/tun"):  # the VM tier loads its modules on demand
                subprocess.run(["modprobe", "tun"], capture_output=True)
            if not os.path.exists("/dev/net/tun"):
                pytest.skip("no /dev/net/tun (the tun module) for a tap device")
            self.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
            self.ip("addr", "add", "10.55.0.2/24", "dev", "veth0")
            self.ip("link", "set", "veth0", "up")
            self.ip("tuntap", "add", "dev", "tap0", "mode", "tap")
        except BaseException:
            self.stop()
            raise

    def run(self, *cmd, **kw):
        return run_to_files(["nsenter", f"--net={self.path}", *cmd],
                            stdin=subprocess.DEVNULL, timeout=30, **kw)

    def ip(self, *args):
        r = self.run("ip", *args)
        assert r.returncode == 0, r.stderr

    def stop(self):
        self.holder.kill()
        self.holder.wait()


def links(netns_path):
    """name -> (flags, [address/prefix]) in the network namespace at netns_path."""
    r = subprocess.run(["nsenter", f"--net={netns_path}", "ip", "-j", "addr"],
                       capture_output=True, text=True, check=True)
    return {i["ifname"]: (i["flags"], [f'{a["local"]}/{a["prefixlen"]}' for a in i["addr_info"]])
            for i in json.loads(r.stdout)}


@pytest.fixture
def netns(bundle):
    ns = NetNs()
    try:
        yield ns
    finally:
        # delete here, inside: the bundle fixture's own delete would return them to the host's
        for cid in os.listdir(bundle.root) if os.path.isdir(bundle.root) else []:
            if not cid.startswith("."):
                husk_in(bundle, ns, "delete", "--force", cid)
        ns.stop()


def husk_in(bundle, ns, *args):
    return ns.run(HUSK, "--root", bundle.root, *args, cwd=bundle.path)


def test_net_devices_move_in_and_back(bundle, netns):
    bundle.config["linux"]["netDevices"] = {"veth0": {"name": "eth1"}, "tap0": {}}
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    r = husk_in(bundle, netns, "run", "-d", "c")
    assert r.returncode == 0, r.stderr
    pid = bundle.state("c")["pid"]
    inside = links(f"/proc/{pid}/ns/net")
    assert "UP" in inside["eth1"][0] and inside["eth1"][1] == ["10.55.0.2/24"]
    assert "tap0" in inside and "veth0" not in inside
    assert "veth0" not in links(netns.path) and "tap0" not in links(netns.path)
    r = bundle.husk("exec", "c", "ip", "addr", "show", "eth1")
    assert r.rc == 0 and "inet 10.55.0.2/24" in r.out and "UP" in r.out, r.out + r.err
    r = husk_in(bundle, netns, "delete", "--force", "c")
    assert r.returncode == 0, r.stderr
    back = links(netns.path)
    assert "UP" in back["veth0"][0] and back["veth0"][1] == ["10.55.0.2/24"]
    assert "tap0" in back and "eth1" not in back


def test_a_failed_move_returns_what_went_in(bundle, netns):
    bundle.config["linux"]["netDevices"] = {"veth0": {"name": "eth1"}, "nope0": {}}
    bundle.write()
    r = husk_in(bundle, netns, "create", "c")
    assert r.returncode == 1
    assert r.stderr.strip() == ('husk: linux.netDevices: nope0: no interface "nope0" here (none, '
                                'or one in another network namespace): no such device')
    assert_nothing_left(bundle, "c")
    assert links(netns.path)["veth0"][1] == ["10.55.0.2/24"], "veth0 came back with its address"


def test_a_device_of_another_namespace_is_refused(bundle, netns):
    """veth1 is in the namespace of the test, husk runs in the host's: it is not husk's."""
    bundle.config["linux"]["netDevices"] = {"veth1": {}}
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1 and 'no interface "veth1" here' in r.err
    assert_nothing_left(bundle, "c")
    assert "veth1" in links(netns.path)


@pytest.mark.parametrize("devices,shared,message", [
    ({"lo": {}}, False, '"lo": the loopback interface cannot move'),
    ({"veth0": {"name": "lo"}}, False, '"veth0": the loopback interface cannot move'),
    ({"veth0": {"name": "x"}, "tap0": {"name": "x"}}, False,
     'two devices named "x" in the container'),
    ({"veth0": {"name": "a/b"}}, False, '"a/b": not an interface name'),
    ({"veth0": {}}, True, "needs a new network namespace"),
])
def test_bad_net_devices_are_refused(bundle, netns, devices, shared, message):
    bundle.config["linux"]["netDevices"] = devices
    if shared:
        bundle.config["linux"]["namespaces"] = [
            n for n in bundle.config["linux"]["namespaces"] if n["type"] != "network"]
    bundle.write()
    r = husk_in(bundle, netns, "create", "c")
    assert r.returncode == 1
    assert r.stderr.strip() == f"husk: config.json: linux.netDevices: {message}"
    assert_nothing_left(bundle, "c")
    assert links(netns.path)["veth0"][1] == ["10.55.0.2/24"]


def link_details(netns_path):
    """name -> `ip -d -j link` entry in the network namespace at netns_path."""
    r = subprocess.run(["nsenter", f"--net={netns_path}", "ip", "-d", "-j", "link"],
                       capture_output=True, text=True, check=True)
    return {i["ifname"]: i for i in json.loads(r.stdout)}


def start_with_net_admin(bundle, netns):
    """A container given veth0 as eth1 that holds CAP_NET_ADMIN in its network namespace."""
    bundle.config["linux"]["netDevices"] = {"veth0": {"name": "eth1"}}
    bundle.config["process"]["args"] = ["sleep", "100"]
    for kind in ("bounding", "effective", "permitted"):
        bundle.config["process"]["capabilities"][kind].append("CAP_NET_ADMIN")
    bundle.write()
    host = link_details(netns.path)["veth0"]
    r = husk_in(bundle, netns, "run", "-d", "c")
    assert r.returncode == 0, r.stderr
    return bundle.state("c")["pid"], host


def in_container(bundle, script):
    r = bundle.husk("exec", "c", "sh", "-c", script)
    assert r.rc == 0, r.err


def test_addresses_added_inside_stay_inside(bundle, netns):
    """Attack: the container adds addresses to its device; delete must give the host's device
    the host's addresses, not configure the host's network with the container's."""
    pid, _ = start_with_net_admin(bundle, netns)
    in_container(bundle, "ip addr add 10.66.6.6/24 dev eth1 && ip addr add 10.77.7.7/16 dev eth1")
    assert "10.66.6.6/24" in links(f"/proc/{pid}/ns/net")["eth1"][1]
    r = husk_in(bundle, netns, "delete", "--force", "c")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert links(netns.path)["veth0"][1] == ["10.55.0.2/24"]


def test_a_device_made_under_the_configured_name_is_not_moved_out(bundle, netns):
    """Attack: the container renames its device and makes another (a veth pair of its own, as
    an ifb or dummy would do) under the configured name; the host must get its own veth back
    (the same MAC, its peer still veth1), and the container's device must die with its
    namespace. (Not an ifb here: loading that module makes ifb0 and ifb1 in the host's
    namespace.)"""
    pid, host = start_with_net_admin(bundle, netns)
    in_container(bundle, "ip link set eth1 down && ip link set eth1 name kept && "
                         "ip link add eth1 type veth peer name theirs")
    made = link_details(f"/proc/{pid}/ns/net")["eth1"]
    assert made["address"] != host["address"]
    r = husk_in(bundle, netns, "delete", "--force", "c")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    back = link_details(netns.path)
    assert back["veth0"]["address"] == host["address"] and back["veth0"]["link"] == "veth1"
    assert links(netns.path)["veth0"][1] == ["10.55.0.2/24"]
    assert made["address"] not in {i.get("address") for i in back.values()}


def test_a_bridge_under_the_configured_name_does_not_block_delete(bundle, netns):
    """Attack: a bridge (which cannot change namespace) under the configured name. delete
    --force must still kill pid 1 and remove the container, and return the real device."""
    start_with_net_admin(bundle, netns)
    in_container(bundle, "ip link set eth1 down && ip link set eth1 name kept && "
                         "ip link add eth1 type bridge")
    r = husk_in(bundle, netns, "delete", "--force", "c")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert_nothing_left(bundle, "c")
    assert link_details(netns.path)["veth0"]["linkinfo"]["info_kind"] == "veth"


def test_a_forged_device_at_the_same_index_stays_behind(bundle, netns):
    """Attack: the container deletes its veth and makes another veth with the same ifindex and
    MAC whose peer it keeps. Moved out, it would give the container a link into the host's
    namespace: it is not the device that went in (its peer lives inside), so it stays, with
    one warning line, and delete still removes everything."""
    pid, host = start_with_net_admin(bundle, netns)
    inside = f"/proc/{pid}/ns/net"
    index = link_details(inside)["eth1"]["ifindex"]
    in_container(bundle, "ip link del eth1")
    r = subprocess.run(["nsenter", f"--net={inside}", "ip", "link", "add", "eth1", "index",
                        str(index), "address", host["address"], "type", "veth", "peer", "name",
                        "mine"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = husk_in(bundle, netns, "delete", "--force", "c")
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == (f"husk: warning: linux.netDevices: veth0 not returned: the "
                                f"container's device at its ifindex {index} has its peer in "
                                "another namespace"), r.stderr
    assert_nothing_left(bundle, "c")
    assert "veth0" not in links(netns.path)


def resctrl_mounted():
    with open("/proc/self/mountinfo") as f:
        return any(" - resctrl " in line for line in f)


@pytest.mark.skipif(resctrl_mounted(), reason="this host has resctrl: the writer's tests "
                    "(tests/unit/test_rdt.c) and a real group would apply")
def test_intel_rdt_without_resctrl_is_one_line_and_no_debris(bundle):
    """The writer itself is tested against a resctrl-shaped tree in tests/unit/test_rdt.c."""
    bundle.config["linux"]["intelRdt"] = {"closID": "gold", "l3CacheSchema": "L3:0=7f0"}
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1
    assert r.err.strip() == "husk: linux.intelRdt: no resctrl filesystem is mounted on this host"
    assert_nothing_left(bundle, "c")


def test_the_fields_together(bundle, netns):
    """Every 1.3 field this host can apply in one container (intelRdt needs resctrl, which this
    host lacks: tests/unit/test_rdt.c), checked from inside."""
    bundle.config["linux"]["netDevices"] = {"veth0": {"name": "eth1"}}
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": str(NODES[0]),
                                              "flags": ["MPOL_F_STATIC_NODES"]}
    bundle.config["linux"]["personality"] = {"domain": "LINUX32", "flags": []}
    bundle.config["process"]["execCPUAffinity"] = {"initial": str(CPUS[0]),
                                                   "final": str(CPUS[-1])}
    bundle.config["process"]["args"] = ["/probe", "cat", "/sys/class/net/eth1/address"]
    bundle.write()
    r = husk_in(bundle, netns, "run", "c")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["affinity"] == [CPUS[-1]]
    assert got["mempolicy"]["mode"] == MPOL["MPOL_BIND"] | FLAG["MPOL_F_STATIC_NODES"]
    assert got["personality"] & 0xff == 8
    # pid 1 exited: its namespace went, and the kernel destroyed the veth with it (a physical
    # device would have returned to the initial namespace); delete had nothing left to move
    # (the kernel tears a namespace down in a worker: give it a moment)
    for _ in range(100):
        if "veth0" not in links(netns.path) and "veth1" not in links(netns.path):
            break
        time.sleep(0.05)
    assert "veth0" not in links(netns.path) and "veth1" not in links(netns.path)


def test_a_failure_after_the_move_is_one_line(bundle, netns):
    """The devices went in, then stage 2 failed and pid 1 exited: the undo finds the namespace
    gone (or going) and must report the stage's failure, not crash."""
    bundle.config["linux"]["netDevices"] = {"veth0": {"name": "eth1"}}
    bundle.config["process"]["args"] = ["no-such-program"]
    bundle.write()
    for _ in range(5):
        r = husk_in(bundle, netns, "create", "c")
        assert r.returncode == 1, r.stderr
        assert r.stderr.strip() == ('husk: exec: "no-such-program": executable file not found '
                                    "in $PATH")
        assert_nothing_left(bundle, "c")
        if "veth0" not in links(netns.path):  # destroyed with the namespace: recreate it
            # once its peer is gone too: the kernel tears a namespace down asynchronously
            for _ in range(500):
                if "veth1" not in links(netns.path):
                    break
                time.sleep(0.01)
            netns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
