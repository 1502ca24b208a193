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
    # issue 27 item 8: delete --force failed on every try with "is a directory"
    "a directory": "dir",
}


def damage(bundle, cid, how):
    path = os.path.join(bundle.root, cid, "state.json")
    if DAMAGE[how] is None:
        os.unlink(path)
        return
    if DAMAGE[how] == "dir":
        os.unlink(path)
        os.makedirs(os.path.join(path, "deeper", "and deeper"))
        with open(os.path.join(path, "deeper", "and deeper", "f"), "w") as f:
            f.write("x")
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


def test_a_state_directory_replaced_by_a_symlink_is_never_followed(bundle, tmp_path):
    """Issue 27 item 9: <root>/<id> replaced by a symlink (here to a copy of the record, which
    husk must not act on). Every command named it "does not exist", delete --force exited 0
    and left pid 1 and its cgroups, and create of the id said it existed. Now the commands say
    the state is damaged, delete --force kills what the id names and removes the link, and the
    id can be created again."""
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    moved = os.path.join(bundle.root, ".elsewhere")
    os.rename(os.path.join(bundle.root, "c"), moved)
    os.symlink(moved, os.path.join(bundle.root, "c"))
    for args in (["state", "c"], ["kill", "c", "KILL"], ["delete", "c"]):
        r = bundle.husk(*args)
        assert r.rc == 1 and r.err.splitlines() == [
            f'husk: container "c" has a damaged state: {bundle.root}/c is not a directory'], r.err
    assert container_pids(bundle), "a failed command killed nothing"
    r = bundle.husk("delete", "--force", "c")
    assert r.rc == 0, r.err
    assert container_pids(bundle) == []
    assert not os.path.lexists(os.path.join(bundle.root, "c"))
    assert os.path.exists(os.path.join(moved, "state.json")), "the link was not followed"
    assert bundle.husk("run", "-d", "c").rc == 0
    assert bundle.husk("delete", "--force", "c").rc == 0
    import shutil
    shutil.rmtree(moved)
