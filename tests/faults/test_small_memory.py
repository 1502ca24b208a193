"""Small container memory limits: what husk charges to the container's cgroup before the program
runs leaves room for `run /bin/true` under 192 KiB on a v1 host (issue 17's goal; the floor is
about 144 KiB: pid 1 joins the memory hierarchy after its mounts) and 224 KiB on v2 (about 160,
pid 1 born in the cgroup). husk needed 448 KiB while stage 1 made the namespaces inside the
cgroup (docs/design.md "Namespaces first"); crun 1.8 needs 224. Seen from outside: pid 1 waits
in a cgroup with that limit, the program exits 0, and the kernel killed nothing there.

Not 256: the kernel charges a cgroup in batches of 64 pages (256 KiB) kept per CPU. Under a
limit of exactly one batch, one CPU's batch can hold the whole limit, and a charge made on the
other CPU fails until that batch is handed back by work queued on the first CPU: the retries do
not wait for it, and the OOM killer runs with 8 KiB in use (seen in a loaded CI run). Under 64
pages no batch fits and every charge is exact."""
import os
import time

from husk_support import CGROUP2, cgroup_dir

LIMIT = (224 if CGROUP2 else 192) << 10


def oom_kills(directory):
    name = "memory.events" if CGROUP2 else "memory.oom_control"
    with open(os.path.join(directory, name)) as f:
        return int(dict(line.split() for line in f)["oom_kill"])


def test_run_true_under_a_small_limit(bundle):
    bundle.config["process"]["args"] = ["true"]
    bundle.config["linux"].setdefault("resources", {})["memory"] = {"limit": LIMIT}
    bundle.write()
    r = bundle.husk("create", "small")
    assert r.rc == 0, r.err
    try:
        pid = bundle.husk("state", "small").json()["pid"]
        memory = cgroup_dir(pid, "memory")
        with open(os.path.join(memory, "memory.max" if CGROUP2 else
                               "memory.limit_in_bytes")) as f:
            assert int(f.read()) == LIMIT
        if not CGROUP2:
            # pid 1 waits, its mounts made before it joined the memory hierarchy: the kernel
            # memory charged there is what came after (4 KiB here; 64 when it joined first)
            with open(os.path.join(memory, "memory.kmem.usage_in_bytes")) as f:
                assert int(f.read()) <= 32 << 10
        assert bundle.husk("start", "small").rc == 0
        for _ in range(200):
            if bundle.husk("state", "small").json()["status"] == "stopped":
                break
            time.sleep(0.02)
        assert bundle.husk("state", "small").json()["status"] == "stopped"
        assert oom_kills(memory) == 0
    finally:
        bundle.husk("delete", "--force", "small")
    r = bundle.husk("run", "small")
    assert r.rc == 0, f"run under {LIMIT >> 10} KiB: exit {r.rc} {r.err}"
