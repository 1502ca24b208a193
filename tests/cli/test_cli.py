"""The CLI skeleton as callers see it: spec, features, state, list, --version, usage errors, logs."""
import json
import os
import re
import subprocess

import pytest

from cli_support import HUSK, proc_start_time, write_record

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_version(husk):
    r = husk("--version")
    assert r.rc == 0
    lines = r.out.splitlines()
    assert re.match(r"^husk version \d+\.\d+\.\d+$", lines[0])
    assert lines[1].startswith("commit: ") and lines[1] != "commit: "
    assert lines[2] == "spec: 1.3.0"
    assert "+SECCOMP" in lines[3] and "+CAP" in lines[3] and "+YAJL" in lines[3]
    assert husk("-v").out == r.out


def test_help_lists_every_command(husk):
    r = husk("--help")
    assert r.rc == 0
    for cmd in ["create", "start", "run", "kill", "delete", "state", "list", "exec", "ps",
                "pause", "resume", "update", "events", "spec", "features", "checkpoint"]:
        assert re.search(rf"^  {cmd} ", r.out, re.M), cmd
    assert "--log-format FORMAT" in r.out


def test_command_help_comes_from_its_flag_table(husk):
    r = husk("list", "--help")
    assert r.rc == 0
    assert "-f, --format FORMAT" in r.out and "-q, --quiet" in r.out


@pytest.mark.parametrize("args,message", [
    (["frobnicate"], 'husk: unknown command "frobnicate" (see \'husk --help\')'),
    (["list", "--bogus"], "husk: list: unknown flag --bogus (see 'husk list --help')"),
    (["--bogus", "list"], "husk: husk: unknown flag --bogus (see 'husk husk --help')"),
    (["list", "--format"], "husk: list: missing value for flag --format (see 'husk list --help')"),
    (["state"], "husk: state: expected ID (see 'husk state --help')"),
    (["state", "a", "b"], "husk: state: expected ID, got more (see 'husk state --help')"),
    (["--log-format", "xml", "list"], 'husk: --log-format: expected text or json, got "xml"'),
    (["--rootless", "maybe", "list"], 'husk: --rootless: expected true, false or auto, got "maybe"'),
    ([], "husk: no command given"),
])
def test_usage_errors(husk, root, args, message):
    r = husk("--root", root, *args) if args[:1] != ["--bogus"] else husk(*args)
    assert r.rc == 1
    assert r.err.splitlines()[-1] == message


CHECKPOINT_FLAGS = ["--image-path", "--work-path", "--parent-path", "--leave-running",
                    "--tcp-established", "--ext-unix-sk", "--shell-job", "--lazy-pages",
                    "--status-fd", "--page-server", "--file-locks", "--pre-dump",
                    "--manage-cgroups-mode", "--empty-ns", "--auto-dedup"]
RESTORE_FLAGS = ["--image-path", "--work-path", "--bundle", "--detach", "--pid-file",
                 "--console-socket", "--no-pivot", "--tcp-established", "--ext-unix-sk",
                 "--shell-job", "--file-locks", "--manage-cgroups-mode", "--lsm-profile",
                 "--lsm-mount-context"]


def test_checkpoint_and_restore_help_name_runcs_flags(husk):
    # CRI-O and containerd probe `checkpoint --help`: it succeeds, as runc's does
    for cmd, flags in (("checkpoint", CHECKPOINT_FLAGS), ("restore", RESTORE_FLAGS)):
        r = husk(cmd, "--help")
        assert r.rc == 0, r.err
        for flag in flags:
            assert flag in r.out, f"{cmd} --help lacks {flag}"


def load(path):
    with open(path) as f:
        return json.load(f)


def test_spec_writes_runc_like_default(husk, tmp_path):
    r = husk("spec", cwd=tmp_path)
    assert r.rc == 0 and r.out == "" and r.err == ""
    text = (tmp_path / "config.json").read_text()
    assert text.endswith("}\n") and not text.endswith("\n\n") and "\t" in text
    c = json.loads(text)
    assert c["ociVersion"] == "1.3.0"
    assert c["root"] == {"path": "rootfs", "readonly": True}
    assert c["process"]["args"] == ["sh"] and c["process"]["cwd"] == "/"
    # a cgroup namespace only on cgroup v2, as runc's spec (issue 29 item 14)
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    assert {n["type"] for n in c["linux"]["namespaces"]} == {
        "pid", "network", "ipc", "uts", "mount"} | ({"cgroup"} if v2 else set())
    assert [m["destination"] for m in c["mounts"]] == [
        "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"]
    assert "/proc/kcore" in c["linux"]["maskedPaths"]
    assert "/proc/sys" in c["linux"]["readonlyPaths"]
    assert c["process"]["capabilities"]["bounding"] == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


@pytest.mark.skipif(subprocess.run(["which", "runc"], capture_output=True).returncode != 0,
                    reason="runc is not installed: no reference spec to compare with")
def test_spec_matches_runc_where_it_matters(husk, tmp_path):
    (tmp_path / "h").mkdir()
    (tmp_path / "r").mkdir()
    assert husk("spec", "--bundle", str(tmp_path / "h")).rc == 0
    subprocess.run(["runc", "spec", "--bundle", str(tmp_path / "r")], check=True)
    h, r = load(tmp_path / "h" / "config.json"), load(tmp_path / "r" / "config.json")
    assert h["mounts"] == r["mounts"]
    # runc 1.2 added the cgroup namespace to its default; Debian's runc 1.1 lacks it
    cgroup = {"type": "cgroup"}
    assert [n for n in h["linux"]["namespaces"] if n != cgroup] == \
        [n for n in r["linux"]["namespaces"] if n != cgroup]
    # husk also masks /sys/devices/virtual/powercap (runc 1.2 does, for CVE-2020-8694)
    assert set(r["linux"]["maskedPaths"]) <= set(h["linux"]["maskedPaths"])
    assert h["linux"]["readonlyPaths"] == r["linux"]["readonlyPaths"]
    assert h["process"]["capabilities"] == r["process"]["capabilities"]
    assert h["process"]["rlimits"] == r["process"]["rlimits"]


def test_spec_rootless(husk, tmp_path):
    r = husk("spec", "--rootless", "-b", str(tmp_path))
    assert r.rc == 0
    c = load(tmp_path / "config.json")
    assert {"type": "user"} in c["linux"]["namespaces"]
    assert c["linux"]["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert c["linux"]["gidMappings"] == [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    assert not any(o.startswith("gid=") for m in c["mounts"] for o in m.get("options", []))
    sys_mount = next(m for m in c["mounts"] if m["destination"] == "/sys")
    assert sys_mount["source"] == "/sys" and "rbind" in sys_mount["options"]
    assert "resources" not in c["linux"]


@pytest.mark.parametrize("form", [["--bundle", "{}"], ["--bundle={}"], ["-bundle", "{}"], ["-b", "{}"]])
def test_flag_forms(husk, tmp_path, form):
    r = husk("spec", *[a.format(tmp_path) for a in form])
    assert r.rc == 0
    assert (tmp_path / "config.json").exists()


def test_spec_refuses_to_overwrite(husk, tmp_path):
    (tmp_path / "config.json").write_text("mine")
    r = husk("spec", "--bundle", str(tmp_path))
    assert r.rc == 1
    assert r.err.strip() == f"husk: {tmp_path}/config.json already exists: remove it first"
    assert (tmp_path / "config.json").read_text() == "mine"


def test_features(husk):
    r = husk("features")
    assert r.rc == 0 and r.err == ""
    f = r.json()
    assert f["ociVersionMin"] == "1.0.0" and f["ociVersionMax"].startswith("1.3")
    assert f["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer",
                          "poststart", "poststop"]
    for opt in ["ro", "rbind", "rro", "rnosuid", "idmap", "ridmap", "tmpcopyup", "rprivate"]:
        assert opt in f["mountOptions"]
    assert f["linux"]["namespaces"] == ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]
    assert len(f["linux"]["capabilities"]) == 41 and "CAP_CHECKPOINT_RESTORE" in f["linux"]["capabilities"]
    sc = f["linux"]["seccomp"]
    assert sc["enabled"] is True
    assert "SCMP_ACT_NOTIFY" in sc["actions"] and "SCMP_CMP_MASKED_EQ" in sc["operators"]
    assert "SCMP_ARCH_X86_64" in sc["archs"]
    assert set(sc["supportedFlags"]) <= set(sc["knownFlags"])
    assert "SECCOMP_FILTER_FLAG_TSYNC" in sc["supportedFlags"]
    assert re.match(r"^\d+\.\d+\.\d+$", f["annotations"]["io.github.seccomp.libseccomp.version"])
    assert f["linux"]["cgroup"] == {"v1": True, "v2": True, "systemd": True,
                                    "systemdUser": False, "rdma": True}
    assert f["linux"]["apparmor"] == {"enabled": True} and f["linux"]["selinux"] == {"enabled": True}


def test_features_is_valid_for_jq(husk):
    r = subprocess.run(f"{os.path.abspath(HUSK)} features | jq -e .linux.namespaces",
                       shell=True, capture_output=True, text=True)
    assert r.returncode == 0


def test_state_of_missing_container(husk, root):
    r = husk("--root", root, "state", "nope")
    assert r.rc == 1 and r.out == ""
    assert r.err.strip() == 'husk: container "nope" does not exist'


def test_state_refuses_bad_ids_before_touching_paths(husk, root):
    r = husk("--root", root, "state", "../../etc")
    assert r.rc == 1
    assert 'invalid container id "../../etc"' in r.err


@pytest.fixture
def sleeper():
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    proc.kill()
    proc.wait()


def test_state_created_running_stopped(husk, root, sleeper):
    start = proc_start_time(sleeper.pid)
    write_record(root, "c1", pid=sleeper.pid, pidStartTime=start,
                 annotations={"org.example": "yes"})
    r = husk("--root", root, "state", "c1")
    assert r.rc == 0 and r.err == ""
    s = r.json()
    assert s["status"] == "created" and s["pid"] == sleeper.pid
    assert s["id"] == "c1" and s["bundle"] == "/bundles/c1" and s["rootfs"] == "/bundles/c1/rootfs"
    assert RFC3339.match(s["created"]) and s["owner"] == "root"
    assert s["annotations"] == {"org.example": "yes"} and s["ociVersion"] == "1.2.1"

    write_record(root, "c1", pid=sleeper.pid, pidStartTime=start, started=True)
    assert husk("--root", root, "state", "c1").json()["status"] == "running"

    write_record(root, "c1", pid=sleeper.pid, pidStartTime=start + 1, started=True)
    s = husk("--root", root, "state", "c1").json()
    assert s["status"] == "stopped" and s["pid"] == 0, "a reused pid is not the container"

    write_record(root, "c1", pid=sleeper.pid, pidStartTime=start, started=True)
    sleeper.kill()
    sleeper.wait()
    s = husk("--root", root, "state", "c1").json()
    assert s["status"] == "stopped" and s["pid"] == 0


def test_state_with_damaged_record(husk, root):
    os.makedirs(os.path.join(root, "bad"))
    with open(os.path.join(root, "bad", "state.json"), "w") as f:
        f.write('{"id": "bad", "pid": "x"}')
    r = husk("--root", root, "state", "bad")
    assert r.rc == 1
    assert r.err.strip() == ('husk: container "bad" has a damaged state: state.json: pid: '
                             'expected an integer, got "x"')


def test_list_empty_and_missing_root(husk, root):
    r = husk("--root", root, "list")
    assert r.rc == 0
    assert r.out.split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert husk("--root", root, "list", "--format", "json").json() == []
    assert not os.path.exists(root), "listing creates nothing"


def test_list_formats(husk, root, sleeper):
    start = proc_start_time(sleeper.pid)
    write_record(root, "alpha", pid=sleeper.pid, pidStartTime=start, started=True)
    write_record(root, "beta", pid=999999, pidStartTime=1, started=True)
    write_record(root, "gamma", pid=sleeper.pid, pidStartTime=start)
    os.makedirs(os.path.join(root, ".new-abcdef"))  # a creation in progress is not listed

    table = husk("--root", root, "list")
    assert table.rc == 0
    rows = [line.split() for line in table.out.splitlines()]
    assert rows[0] == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {"alpha", "beta", "gamma"}
    assert by_id["alpha"][1:3] == [str(sleeper.pid), "running"]
    assert by_id["beta"][1:3] == ["0", "stopped"]
    assert by_id["gamma"][1:3] == [str(sleeper.pid), "created"]
    widths = {line.index("STATUS") for line in table.out.splitlines()[:1]}
    assert all(line[list(widths)[0]:].split()[0] in ("STATUS", "running", "stopped", "created")
               for line in table.out.splitlines()), "columns are aligned"

    assert sorted(husk("--root", root, "list", "-q").out.split()) == ["alpha", "beta", "gamma"]
    js = husk("--root", root, "list", "--format=json").json()
    assert {c["id"]: c["status"] for c in js} == {"alpha": "running", "beta": "stopped", "gamma": "created"}
    assert husk("--root", root, "list", "-f", "yaml").rc == 1


def test_list_thousand_containers(husk, root):
    for i in range(1000):
        write_record(root, f"c{i:04d}", pid=999999, pidStartTime=1, started=True)
    r = husk("--root", root, "list", "--format", "json")
    assert r.rc == 0
    assert len(r.json()) == 1000


def test_json_log_gets_exactly_one_error_line(husk, root, tmp_path):
    log = tmp_path / "husk.log"
    r = husk("--root", root, "--log", str(log), "--log-format", "json", "state", "ghost")
    assert r.rc == 1
    assert r.err.strip() == 'husk: container "ghost" does not exist'
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "error"
    assert entry["msg"] == 'container "ghost" does not exist'
    assert RFC3339.match(entry["time"])


def test_json_log_to_stderr_without_log_file(husk, root):
    r = husk("--root", root, "--log-format=json", "state", "ghost")
    assert r.rc == 1
    entry = json.loads(r.err.strip())
    assert entry["level"] == "error" and "does not exist" in entry["msg"]


def test_text_log_file(husk, root, tmp_path):
    log = tmp_path / "husk.log"
    r = husk("--root", root, "--log", str(log), "state", "ghost")
    assert r.rc == 1
    line = log.read_text().strip()
    assert re.match(r'^time="[^"]+" level=error msg="container \\"ghost\\" does not exist"$', line)


def test_success_prints_nothing_on_stderr(husk, root, tmp_path):
    log = tmp_path / "husk.log"
    r = husk("--root", root, "--log", str(log), "--log-format", "json", "list")
    assert r.rc == 0 and r.err == ""
    assert not log.exists() or log.read_text() == ""


@pytest.mark.parametrize("args,words", [
    (["events", "--interval", "5x", "c"], ["--interval", '"5x"']),
    (["events", "--interval", "-1s", "c"], ["--interval", '"-1s"']),
    (["update", "--memory", "1q", "c"], ["--memory", '"1q"']),
    (["update", "--pids-limit", "many", "c"], ["--pids-limit", '"many"']),
    (["update", "--blkio-weight", "70000", "c"], ["--blkio-weight", '"70000"']),
    (["ps", "--format", "yaml", "c"], ["--format", '"yaml"']),
])
def test_cgroup_commands_check_their_flags_first(husk, root, args, words):
    r = husk("--root", root, *args)
    assert r.rc == 1 and r.out == ""
    for w in words:
        assert w in r.err, r.err


@pytest.mark.parametrize("cmd", ["pause", "resume", "ps", "update", "events"])
def test_cgroup_commands_on_a_missing_container(husk, root, cmd):
    r = husk("--root", root, cmd, "nope")
    assert r.rc == 1 and r.err.strip() == 'husk: container "nope" does not exist', r.err
