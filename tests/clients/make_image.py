"""Builds a busybox OCI image archive (oci-layout tar) from Debian's busybox-static and our
probe, with no registry: one uncompressed layer, a config, a manifest, an index."""
import hashlib
import io
import json
import sys
import tarfile

APPLETS = ["sh", "ls", "cat", "echo", "sleep", "id", "hostname", "mount", "true", "false",
           "touch", "mkdir", "ip", "kill", "wc", "head", "tr", "stat", "umount", "ps", "pwd",
           "env", "ping", "nc", "grep", "top", "stty", "tty"]


def layer(busybox, probe):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ["bin", "dev", "proc", "sys", "tmp", "etc", "root"]:
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            t.addfile(info)
        t.add(busybox, "bin/busybox")
        t.add(probe, "probe")
        for a in APPLETS:
            info = tarfile.TarInfo("bin/" + a)
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            t.addfile(info)
        for name, text in [("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                            "nobody:x:65534:65534:nobody:/:/bin/false\n"),
                           ("etc/group", "root:x:0:\nnogroup:x:65534:\n")]:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def blob(t, data):
    digest = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo(f"blobs/sha256/{digest}")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
    return {"digest": f"sha256:{digest}", "size": len(data)}


def pause_layer(pause):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.add(pause, "pause")
    return buf.getvalue()


# What the kubelet's pause image says of itself: its entrypoint, and user 65535 (nobody).
PAUSE_CONFIG = {"Entrypoint": ["/pause"], "User": "65535:65535", "WorkingDir": "/"}


def main(out, name, busybox="/bin/busybox", probe=None, pause=None):
    data = pause_layer(pause) if pause else layer(busybox, probe)
    with tarfile.open(out, "w") as t:
        lay = blob(t, data)
        config = json.dumps({
            "architecture": "amd64", "os": "linux",
            "config": PAUSE_CONFIG if pause else {"Env": ["PATH=/bin"], "Cmd": ["sh"],
                                                  "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": [lay["digest"]]},
            # buildah counts layers against history entries when it commits on top of the image
            "history": [{"created_by": "tests/clients/make_image.py"}]}).encode()
        cfg = blob(t, config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **lay}]}).encode()
        man = blob(t, manifest)
        for fname, doc in [("oci-layout", {"imageLayoutVersion": "1.0.0"}),
                           ("index.json", {"schemaVersion": 2, "manifests": [{
                               "mediaType": "application/vnd.oci.image.manifest.v1+json", **man,
                               "platform": {"architecture": "amd64", "os": "linux"},
                               "annotations": {"io.containerd.image.name": name,
                                               "org.opencontainers.image.ref.name": "latest"}}]})]:
            text = json.dumps(doc).encode()
            info = tarfile.TarInfo(fname)
            info.size = len(text)
            t.addfile(info, io.BytesIO(text))


def rootfs_tar(out, probe, busybox="/bin/busybox"):
    """The layer alone, for `docker import`."""
    with open(out, "wb") as f:
        f.write(layer(busybox, probe))


if __name__ == "__main__":
    if sys.argv[1] == "--rootfs":
        rootfs_tar(sys.argv[2], probe=sys.argv[3])
    elif sys.argv[1] == "--pause":
        main(sys.argv[2], sys.argv[3], pause=sys.argv[4])
    else:
        main(sys.argv[1], sys.argv[2], probe=sys.argv[3])
