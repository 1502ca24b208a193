"""Shared fixtures: the husk binary, a private state root, and a helper to run husk."""
import json
import os
import subprocess

import pytest

HUSK = os.environ.get("HUSK", os.path.join(os.path.dirname(__file__), "..", "..", "build", "src", "cli", "husk"))


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)


def run_husk(*args, cwd=None, env=None):
    proc = subprocess.run([os.path.abspath(HUSK), *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)
    return Result(proc)


@pytest.fixture
def husk():
    return run_husk


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "state"
    return str(path)


def proc_start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return int(text[text.rindex(")") + 2:].split()[19])


def write_record(root, cid, **fields):
    """A record as husk's create writes it (docs/state.md describes the format)."""
    record = {"ociVersion": "1.2.1", "id": cid, "bundle": f"/bundles/{cid}",
              "rootfs": f"/bundles/{cid}/rootfs", "created": "2026-11-22T08:00:00.000000001Z",
              "owner": "root"}
    record.update(fields)
    os.makedirs(os.path.join(root, cid), exist_ok=True)
    with open(os.path.join(root, cid, "state.json"), "w") as f:
        json.dump(record, f)
