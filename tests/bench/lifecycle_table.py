"""The table tests/bench/lifecycle ends with: every figure of the run as husk/crun (and
husk/runc), then issue 30's goals, each met or not, from the same run."""
import json
import os
import sys

work = sys.argv[1]


def load(name):
    path = os.path.join(work, f"{name}.json")
    if not os.path.exists(path):
        return None
    return {x["command"]: x.get("median", x["mean"]) * 1000 for x in json.load(open(path))["results"]}


fig = {n: load(n) for n in ["run", "spaced", "create", "start", "delete", "exec", "loop"]}
for name, r in fig.items():
    if r:
        print(f"{name:7s} husk {r['husk']:8.2f} ms  crun {r['crun']:8.2f} ms  runc {r['runc']:8.2f} ms"
              f"  husk/crun {r['husk']/r['crun']:.2f}  husk/runc {r['husk']/r['runc']:.2f}"
              + (f"  floor {r['floor']:.2f} ms, husk/floor {r['husk']/r['floor']:.2f}"
                 if "floor" in r else ""))
more = json.load(open(os.path.join(work, "more.json"))) if os.path.exists(
    os.path.join(work, "more.json")) else {}
rss = {}
if os.path.exists(os.path.join(work, "rss")):
    for line in open(os.path.join(work, "rss")):
        name, kb = line.split()
        rss[name] = int(kb)

goals = []
run, spaced = fig["run"], fig["spaced"]
v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
goals.append(("back-to-back run <= 1.5x the floor", run["husk"] / run["floor"], 1.5))
if "paired" in more:
    goals.append(("back-to-back run <= 0.6x crun (paired)", more["paired"]["ratio"], 0.6))
else:
    goals.append(("back-to-back run <= 0.6x crun", run["husk"] / run["crun"], 0.6))
goals.append(("spaced run <= 0.3x crun", spaced["husk"] / spaced["crun"], 0.3))
goals.append(("exec <= 0.6x crun", fig["exec"]["husk"] / fig["exec"]["crun"], 0.6))
goals.append(("start <= 0.4x crun", fig["start"]["husk"] / fig["start"]["crun"], 0.4))
for n in ["create", "delete"]:
    goals.append((f"{n} <= 0.5x crun (issue 17)", fig[n]["husk"] / fig[n]["crun"], 0.5))
if rss:
    goals.append(("peak RSS of run <= 1.5 MB", rss["husk"] / 1000, 1.5))
if more.get("callerfloor", {}).get("husk"):
    goals.append(("caller's cgroup floor <= 1536 KiB", more["callerfloor"]["husk"], 1536))
if more.get("memfloor", {}).get("husk"):
    goals.append((f"container floor <= {160 if v2 else 128} KiB", more["memfloor"]["husk"],
                  160 if v2 else 128))
if "parallel" in more:
    goals.append(("2 streams faster than 1 (two/one < 1)", more["parallel"]["husk"]["ratio"], 1.0))
if "many" in more:
    m = more["many"]["husk"]
    for i, what in enumerate(["run", "state", "list", "list -q"]):
        if i < len(m["full"]):
            goals.append((f"{what} with {os.environ.get('HUSK_BENCH_MANY', '1000')} containers "
                          f"<= 1.2x with none", m["full"][i] / m["empty"][i], 1.2))
print("\ngoal                                              figure   target   met")
for text, value, target in goals:
    print(f"{text:48s} {value:8.2f} {target:8.2f}   {'yes' if value <= target else 'NO'}")
