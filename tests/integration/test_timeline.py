"""--debug prints the create and delete timeline: one line per stage with its duration and the
time since the command began; a failed create says after which stage it failed; --log-format
json makes each a JSON line."""
import json
import re

LINE = re.compile(r"^husk: debug: timeline: (.+) (\d+\.\d\d) ms \(at (\d+\.\d\d) ms\)$")
CREATE = ["begin", "parse and check config.json", "state", "seccomp filter", "cgroup",
          "stage 1", "stage 2: pivot_root", "ready"]


def stages(err):
    found = [LINE.match(l) for l in err.splitlines() if "timeline:" in l]
    assert all(found), err
    return [(m.group(1), float(m.group(2)), float(m.group(3))) for m in found]


def test_run_prints_the_create_and_delete_timeline(bundle):
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("--debug", "run", "c")
    assert r.rc == 0, r.err
    got = stages(r.err)
    names = [n for n, _, _ in got]
    for want, name in zip(CREATE, names):
        assert name.startswith(want), (want, names)
    assert [n for n in names if n.startswith("delete:")] == [
        "delete: record read and locked", "delete: processes killed and gone",
        "delete: cgroup removed", "delete: state removed"]
    at = [a for _, _, a in got[:len(CREATE)]]
    assert at == sorted(at)  # the create's clock only moves forward


def test_without_debug_there_is_no_timeline(bundle):
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = bundle.husk("run", "c")
    assert r.rc == 0 and "timeline" not in r.err


def test_a_failed_create_names_the_stage_it_failed_after(bundle):
    bundle.config["mounts"].append({"destination": "/x", "type": "bind",
                                    "source": "/nonexistent-husk-source", "options": ["bind"]})
    bundle.write()
    r = bundle.husk("--debug", "create", "c")
    assert r.rc == 1
    lines = [l for l in r.err.splitlines() if "timeline:" in l]
    assert lines[-1].startswith("husk: debug: timeline: create failed after the stage above")
    assert "cgroup" in lines[-2] or "stage 1" in lines[-2], lines
    assert r.err.splitlines()[-1].startswith("husk: ") and "nonexistent-husk-source" in r.err


def test_json_log_lines(bundle, tmp_path):
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    log = tmp_path / "log.json"
    r = bundle.husk("--debug", "--log", str(log), "--log-format", "json", "run", "c")
    assert r.rc == 0, r.err
    entries = [json.loads(l) for l in log.read_text().splitlines()]
    timeline = [e for e in entries if e.get("msg", "").startswith("timeline: ")]
    assert len(timeline) >= len(CREATE) and all(e["level"] == "debug" for e in timeline)


def test_start_and_exec_print_their_timelines(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    try:
        r = bundle.husk("--debug", "start", "c")
        assert r.rc == 0, r.err
        assert [n for n, _, _ in stages(r.err)] == [
            "start: begin", "start: record read and locked",
            "start: record saved", "start: pid 1 released (exec.fifo), its outcome read",
            "start: poststart hooks"]
        r = bundle.husk("--debug", "exec", "c", "true")
        assert r.rc == 0, r.err
        names = [n for n, _, _ in stages(r.err)]
        # husk runs once, from its file: stage 1 takes every step in husk's pid namespace and
        # the exec stub clones the process (spawn.c, HK_STEP_STUB_CLONES)
        assert names == ["exec: begin (husk started)",
                         "exec: record and saved config read",
                         "exec: the process (process.json or the command line)",
                         "exec: cgroup and seccomp filter",
                         "stage 1: namespaces, process, capabilities, seccomp",
                         "exec stub: the process cloned, in the cgroup, exec'd"], names
    finally:
        bundle.husk("delete", "--force", "c")
