"""A container whose state.json is damaged or missing (a killed husk, a full or damaged state
root): `list` still shows it (status unknown, the reason on stderr), `state` and `kill` fail in
one line, and `delete --force` removes what can be found without the record (the pid 1 holding
exec.fifo, every process in the cgroup its saved config names) and the directory, as runc's rule
asks. The bundle fixture then checks that no process, cgroup or mount is left."""
import json
import os

import pytest

from husk_support import CGROUP2, HUSK, cgroup_dir, cgroup_hierarchies

DAMAGE = {
    "truncated": lambda text: text[: len(text) // 2],
    "garbage": lambda text: "\x00\x01 not json at all {{{",
    "wrong types": lambda text: json.dumps(dict(json.loads(text), pid="one", started=3)),
    "empty": lambda text: "",
    "missing": None,
}


def damage(bundle, cid, how):
    path = os.path.join(bundle.root, cid, "state.json")
    if DAMAGE[how] is None:
        os.unlink(path)
        return
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(DAMAGE[how](text))


def container_pids(bundle):
    return bundle.leftovers()


@pytest.mark.parametrize("how", list(DAMAGE))
@pytest.mark.parametrize("started", [False, True], ids=["created", "running"])
def test_damaged_record_is_listed_and_delete_force_removes_everything(bundle, how, started):
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 0, r.err
    if started:
        assert bundle.husk("start", "c").rc == 0
        # a second process in the cgroup, which only the cgroup can find
        bundle.husk("exec", "-d", "c", "sleep", "1000")
    assert container_pids(bundle), "the container runs"
    damage(bundle, "c", how)

    r = bundle.husk("list")
    assert r.rc == 0
    row = [line.split() for line in r.out.splitlines()[1:]]
    assert row == [["c", "0", "unknown"]], r.out
    assert r.err.startswith("husk: list: container \"c\"") and len(r.err.splitlines()) == 1
    r = bundle.husk("list", "--format", "json")
    assert r.rc == 0 and r.json() == [{"id": "c", "pid": 0, "status": "unknown"}], r.out
    for args in (["state", "c"], ["kill", "c", "KILL"], ["delete", "c"]):
        r = bundle.husk(*args)
        assert r.rc == 1 and len(r.err.splitlines()) == 1 and '"c"' in r.err, r.err
    assert container_pids(bundle), "a failed command killed nothing"

    r = bundle.husk("delete", "--force", "c")
    assert r.rc == 0, r.err
    assert not os.path.exists(os.path.join(bundle.root, "c"))
    assert container_pids(bundle) == []
    assert bundle.husk("list", "-q").out == ""
    # and again: nothing there is success
    assert bundle.husk("delete", "--force", "c").rc == 0


def test_lost_record_of_a_container_with_its_own_cgroups_path(bundle):
    """The cgroup comes from the config saved beside the record. Only the leaf goes: without the
    record husk cannot know which parents it made (this test removes its own)."""
    bundle.config["linux"]["cgroupsPath"] = "/husk-lost-test/inner"
    bundle.config["process"]["args"] = ["sleep", "1000"]
    r = bundle.run("c", "-d")
    assert r.rc == 0, r.err
    # where the kernel says pid 1 is, in every hierarchy (on a host whose memory hierarchy
    # delegates below its root, husk's absolute path lands under the caller's own cgroup there)
    pid = bundle.state("c")["pid"]
    leaves = sorted({cgroup_dir(pid, key) for key in cgroup_hierarchies()} if not CGROUP2
                    else {cgroup_dir(pid, "memory")})
    leaves = [d for d in leaves if d.endswith("/husk-lost-test/inner")]
    assert leaves and all(os.path.isdir(d) for d in leaves)
    damage(bundle, "c", "garbage")
    assert bundle.husk("delete", "--force", "c").rc == 0
    assert container_pids(bundle) == []
    assert not any(os.path.isdir(d) for d in leaves)
    for d in leaves:
        os.rmdir(os.path.dirname(d))
