"""The parts of tests/bench/lifecycle that hyperfine cannot time: called by it with the work
directory, the bundle, the number of runs and each runtime's command (husk, crun, runc).

- paired: back-to-back `run /bin/true`, husk and crun taking turns (A B A B), the ratio of each
  pair, its median: what the machine's load does to one it does to the other;
- parallel: 2 streams of N/2 runs at once against 1 stream of N, each runtime;
- memfloor: the smallest memory limit of the container under which `run /bin/true` still works
  (bisected on a 4 KiB grid between 64 KiB and 4 MiB, each step tried twice);
- many: `run`, `state` and `list` with MANY created containers in the root against none.
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


def runs_under(cmd, limit):
    def tries():
        ok = True
        for _ in range(2):
            subprocess.run(cmd + ["delete", "-f", "mem"], cwd=bundle, **quiet)
            ok = ok and timed(cmd + ["run", "mem"])[1] == 0
        subprocess.run(cmd + ["delete", "-f", "mem"], cwd=bundle, **quiet)
        return ok

    return with_config(config(memory={"limit": limit}), tries)


def memfloor():
    out["memfloor"] = {}
    for name, cmd in cmds.items():
        lo, hi = 16, 1024  # in 4 KiB pages: 64 KiB .. 4 MiB
        if not runs_under(cmd, hi * 4096):
            out["memfloor"][name] = None
            print(f"memfloor {name}: fails even under 4 MiB")
            continue
        while lo < hi:
            mid = (lo + hi) // 2
            if runs_under(cmd, mid * 4096):
                hi = mid
            else:
                lo = mid + 1
        out["memfloor"][name] = hi * 4
        print(f"memfloor {name}: runs under {hi * 4} KiB")


def many_containers():
    out["many"] = {}
    for name, cmd in cmds.items():
        def figures():
            run = statistics.median(timed(cmd + ["run", "m"])[0] for _ in range(runs))
            state = statistics.median(timed(cmd + ["state", "probe0"])[0] for _ in range(runs))
            lst = statistics.median(timed(cmd + ["list"])[0] for _ in range(max(runs // 3, 3)))
            return run, state, lst

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
              f"list {full[2]:.1f} ms ({empty[2]:.1f})")


parts = {"paired": paired, "parallel": parallel, "memfloor": memfloor, "many": many_containers}
for part in (os.environ.get("HUSK_BENCH_PARTS") or " ".join(parts)).split():
    with_config(config(), parts[part])
with open(os.path.join(work, "more.json"), "w") as f:
    json.dump(out, f)
