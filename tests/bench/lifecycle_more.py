"""The parts of tests/bench/lifecycle that hyperfine cannot time: called by it with the work
directory, the bundle, the number of runs and each runtime's command (husk, crun, runc).

- paired: back-to-back `run /bin/true`, husk and crun taking turns (A B A B), the ratio of each
  pair, its median: what the machine's load does to one it does to the other;
- parallel: 2 streams of N/2 runs at once against 1 stream of N, each runtime;
- memfloor: the smallest memory limit of the container under which `run /bin/true` still works
  (bisected on a 4 KiB grid between 64 KiB and 4 MiB, each step tried twice);
- callerfloor: the smallest memory limit of the caller's own cgroup (the runtime in it, the
  container's cgroup elsewhere) under which `run /bin/true` still works;
- many: `run`, `state`, `list` and `list -q` with MANY created containers in the root against
  none.
Prints one line per figure and writes more.json for the table."""
import json
import os
import statistics
import subprocess
import sys
import time

work, bundle, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmds = dict(zip(["husk", "crun", "runc"], (c.split() for c in sys.argv[4:7])))
many = int(os.environ.get("HUSK_BENCH_MANY", "1000"))
quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
out = {}


def timed(argv, **kw):
    t = time.perf_counter()
    r = subprocess.run(argv, cwd=bundle, **quiet, **kw)
    return (time.perf_counter() - t) * 1000, r.returncode


def config(**edits):
    """The bundle's config with resources edited, and no fixed cgroupsPath: each container gets
    the default cgroup of its own id, so that several can exist at once."""
    with open(os.path.join(bundle, "config.json")) as f:
        c = json.load(f)
    c["linux"].pop("cgroupsPath", None)
    for k, v in edits.items():
        c["linux"]["resources"][k] = v
    return c


def with_config(c, fn):
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        saved = f.read()
    with open(path, "w") as f:
        json.dump(c, f)
    try:
        return fn()
    finally:
        with open(path, "w") as f:
            f.write(saved)


def paired():
    ratios, took = [], {"husk": [], "crun": []}
    for i in range(runs * 2):
        pair = {}
        for name in (("husk", "crun") if i % 2 == 0 else ("crun", "husk")):
            ms, rc = timed(cmds[name] + ["run", "pair"])
            assert rc == 0, name
            pair[name] = ms
            took[name].append(ms)
        ratios.append(pair["husk"] / pair["crun"])
    out["paired"] = {"husk": statistics.median(took["husk"]),
                     "crun": statistics.median(took["crun"]),
                     "ratio": statistics.median(ratios)}
    print(f"paired  husk {out['paired']['husk']:8.2f} ms  crun {out['paired']['crun']:8.2f} ms"
          f"  median of the {len(ratios)} pairs' husk/crun {out['paired']['ratio']:.2f}")


def stream(cmd, prefix, n):
    return subprocess.Popen(["sh", "-c", f'i=0; while [ $i -lt {n} ]; do {" ".join(cmd)} run '
                             f'{prefix}$i >/dev/null 2>&1 || exit 1; i=$((i+1)); done'],
                            cwd=bundle)


def parallel():
    n = max(runs * 2, 20) // 2 * 2
    out["parallel"] = {}
    for name, cmd in cmds.items():
        t = time.perf_counter()
        assert stream(cmd, "one", n).wait() == 0
        one = time.perf_counter() - t
        t = time.perf_counter()
        pair = [stream(cmd, "a", n // 2), stream(cmd, "b", n // 2)]
        assert [p.wait() for p in pair] == [0, 0]
        two = time.perf_counter() - t
        out["parallel"][name] = {"one": one, "two": two, "ratio": two / one}
        print(f"parallel {name}: 1 stream of {n} {one:.2f} s, 2 streams of {n // 2} {two:.2f} s"
              f"  two/one {two / one:.2f}")


def runs_twice(cmd, cid, **kw):
    """`run /bin/true` twice as cid, each from a clean slate; kw goes to subprocess.run."""
    ok = True
    for _ in range(2):
        subprocess.run(cmd + ["delete", "-f", cid], cwd=bundle, **quiet)
        ok = ok and timed(cmd + ["run", cid], **kw)[1] == 0
    subprocess.run(cmd + ["delete", "-f", cid], cwd=bundle, **quiet)
    return ok


def runs_under(cmd, limit):
    return with_config(config(memory={"limit": limit}), lambda: runs_twice(cmd, "mem"))


def smallest(works, lo, hi):
    """The smallest step in lo..hi for which works(step) holds, or None if not even hi."""
    if not works(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if works(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def memfloor():
    out["memfloor"] = {}
    for name, cmd in cmds.items():
        # in 4 KiB pages: 64 KiB .. 4 MiB
        pages = smallest(lambda n: runs_under(cmd, n * 4096), 16, 1024)
        out["memfloor"][name] = pages * 4 if pages else None
        print(f"memfloor {name}: " +
              (f"runs under {pages * 4} KiB" if pages else "fails even under 4 MiB"))


def caller_cgroup():
    """A memory cgroup of the bench's own for the runtime itself: on v2 under the root (a cgroup
    with processes cannot enable controllers for its children), on v1 under the bench's own."""
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "/sys/fs/cgroup/husk-bench-caller", "memory.max", "memory.swap.max"
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if "memory" in controllers.split(","):
                return (f"/sys/fs/cgroup/memory{path.rstrip('/')}/husk-bench-caller",
                        "memory.limit_in_bytes", None)
    return None, None, None


def runs_as_caller_under(cmd, directory, knob, limit):
    """`run /bin/true` with the runtime itself in the cgroup directory, of that limit; the
    container's cgroup is elsewhere (an absolute cgroupsPath), so only the runtime's own memory
    counts."""
    with open(os.path.join(directory, knob), "w") as f:
        f.write(str(limit))

    def enter():
        with open(os.path.join(directory, "cgroup.procs"), "w") as f:
            f.write("0")

    return runs_twice(cmd, "cmem", preexec_fn=enter)


def caller_floor():
    """The smallest memory limit of the caller's own cgroup `run` works in (bisected on a 16 KiB
    grid between 256 KiB and 8 MiB, each step tried twice)."""
    out["callerfloor"] = {}
    directory, knob, swap = caller_cgroup()
    if directory is None:
        print("callerfloor: no memory cgroup to put the runtime in")
        return
    os.makedirs(directory, exist_ok=True)
    if swap is not None and os.path.exists(os.path.join(directory, swap)):
        with open(os.path.join(directory, swap), "w") as f:
            f.write("0")
    c = config()
    c["linux"]["cgroupsPath"] = "/husk-bench-cmem"
    try:
        for name, cmd in cmds.items():
            # in 16 KiB steps: 256 KiB .. 8 MiB
            steps = with_config(c, lambda: smallest(
                lambda n: runs_as_caller_under(cmd, directory, knob, n * 16384), 16, 512))
            out["callerfloor"][name] = steps * 16 if steps else None
            print(f"callerfloor {name}: " + (f"runs in a caller's cgroup of {steps * 16} KiB"
                                             if steps else "fails even in 8 MiB"))
    finally:
        os.rmdir(directory)


def many_containers():
    out["many"] = {}
    for name, cmd in cmds.items():
        def figures():
            run = statistics.median(timed(cmd + ["run", "m"])[0] for _ in range(runs))
            state = statistics.median(timed(cmd + ["state", "probe0"])[0] for _ in range(runs))
            lst = statistics.median(timed(cmd + ["list"])[0] for _ in range(max(runs // 3, 3)))
            ids = statistics.median(timed(cmd + ["list", "-q"])[0] for _ in range(max(runs // 3, 3)))
            return run, state, lst, ids

        subprocess.run(cmd + ["create", "probe0"], cwd=bundle, check=True, **quiet)
        empty = figures()
        for i in range(many):
            subprocess.run(cmd + ["create", f"many{i}"], cwd=bundle, check=True, **quiet)
        full = figures()
        for i in range(many):
            subprocess.run(cmd + ["delete", "-f", f"many{i}"], cwd=bundle, **quiet)
        subprocess.run(cmd + ["delete", "-f", "probe0"], cwd=bundle, **quiet)
        out["many"][name] = {"empty": empty, "full": full}
        print(f"many {name}: with {many} created containers run {full[0]:.2f} ms "
              f"(none: {empty[0]:.2f}), state {full[1]:.2f} ms ({empty[1]:.2f}), "
              f"list {full[2]:.1f} ms ({empty[2]:.1f}), list -q {full[3]:.1f} ms ({empty[3]:.1f})")


parts = {"paired": paired, "parallel": parallel, "memfloor": memfloor, "callerfloor": caller_floor,
         "many": many_containers}
for part in (os.environ.get("HUSK_BENCH_PARTS") or " ".join(parts)).split():
    with_config(config(), parts[part])
with open(os.path.join(work, "more.json"), "w") as f:
    json.dump(out, f)
