#!/usr/bin/python3
"""Writes a config.json of about SIZE megabytes: a seccomp profile with thousands of rules,
thousands of mounts and environment entries, in proportion."""
import json
import sys

size_mb = float(sys.argv[1])
out = sys.argv[2]
n = int(size_mb * 3300)  # a rule, half a mount and an env entry: about 300 bytes
syscalls = [{"names": [f"syscall_{i}"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
             "args": [{"index": 0, "value": i, "op": "SCMP_CMP_EQ"}]} for i in range(n)]
mounts = [{"destination": f"/data/volume{i}", "type": "bind", "source": f"/srv/volumes/{i}",
           "options": ["rbind", "ro"]} for i in range(n // 2)]
env = [f"VARIABLE_{i}=value-{i}" for i in range(n)]
config = {"ociVersion": "1.2.1", "root": {"path": "rootfs"},
          "process": {"args": ["sh"], "cwd": "/", "env": env},
          "mounts": mounts,
          "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": syscalls}}}
with open(out, "w") as f:
    json.dump(config, f, indent=1)
