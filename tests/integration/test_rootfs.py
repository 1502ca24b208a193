"""The root filesystem: mounts in order, destinations kept inside the rootfs, /dev, masked and
read-only paths, pivot_root and --no-pivot."""
import os
import stat

import pytest

from husk_support import fs_type


def mount_at(p, point):
    found = [m for m in p["mounts"] if m["point"] == point]
    assert found, f"nothing mounted at {point}"
    return found[-1]


def test_default_mounts(bundle):
    p = bundle.probe()
    assert mount_at(p, "/proc")["type"] == "proc"
    dev = mount_at(p, "/dev")
    assert dev["type"] == "tmpfs" and "nosuid" in dev["options"]
    assert mount_at(p, "/dev/pts")["type"] == "devpts"
    assert "ptmxmode=666" in mount_at(p, "/dev/pts")["super"]
    assert mount_at(p, "/dev/shm")["type"] == "tmpfs"
    assert mount_at(p, "/dev/mqueue")["type"] == "mqueue"
    sysfs = mount_at(p, "/sys")
    assert sysfs["type"] == "sysfs" and sysfs["options"].startswith("ro")
    assert mount_at(p, "/sys/fs/cgroup")["options"].startswith("ro")
    assert [m["point"] for m in p["mounts"]][0] == "/"


def test_cgroup_hierarchies_are_mounted(bundle):
    p = bundle.probe()
    points = [m["point"] for m in p["mounts"]]
    host = [line.split()[4] for line in open("/proc/self/mountinfo")
            if line.split()[4].startswith("/sys/fs/cgroup/")]
    for h in host:
        assert h in points
    # every hierarchy takes the mount's options (ro, nosuid, nodev, noexec), not only the tmpfs
    for m in p["mounts"]:
        if m["point"].startswith("/sys/fs/cgroup/"):
            opts = m["options"].split(",")
            assert {"ro", "nosuid", "nodev", "noexec"} <= set(opts), m


def test_readonly_root(bundle):
    bundle.config["root"]["readonly"] = True
    p = bundle.probe("write", "/file", "write", "/tmp/file")
    assert p["write:/file"] == {"error": "Read-only file system"}
    assert mount_at(p, "/")["options"].startswith("ro")


def test_tmpfs_with_options_and_missing_destination(bundle):
    bundle.config["mounts"].append({"destination": "/data/deep/tmp", "type": "tmpfs",
                                    "source": "tmpfs", "options": ["size=1m", "mode=700", "noexec"]})
    p = bundle.probe("stat", "/data/deep/tmp")
    m = mount_at(p, "/data/deep/tmp")
    assert "noexec" in m["options"] and "size=1024k" in m["super"]
    assert stat.S_IMODE(p["stat:/data/deep/tmp"]["mode"]) == 0o700


def test_bind_mounts_of_dir_and_file_read_only(bundle, tmp_path):
    host_dir = tmp_path / "shared"
    host_dir.mkdir()
    (host_dir / "hello").write_text("from the host")
    host_file = tmp_path / "single"
    host_file.write_text("one file")
    bundle.config["mounts"] += [
        {"destination": "/shared", "type": "bind", "source": str(host_dir), "options": ["rbind", "ro"]},
        {"destination": "/etc/single", "type": "bind", "source": str(host_file), "options": ["bind"]},
    ]
    p = bundle.probe("read", "/shared/hello", "read", "/etc/single", "write", "/shared/new")
    assert p["read:/shared/hello"] == "from the host"
    assert p["read:/etc/single"] == "one file"
    assert p["write:/shared/new"] == {"error": "Read-only file system"}
    assert not (host_dir / "new").exists()


def test_recursive_read_only_attribute(bundle, tmp_path):
    host_dir = tmp_path / "tree"
    (host_dir / "sub").mkdir(parents=True)
    bundle.config["mounts"].append({"destination": "/tree", "type": "bind", "source": str(host_dir),
                                    "options": ["rbind", "rro"]})
    p = bundle.probe("write", "/tree/x")
    assert p["write:/tree/x"] == {"error": "Read-only file system"}


def test_destination_symlink_cannot_leave_the_rootfs(bundle, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(str(outside), os.path.join(bundle.rootfs, "escape"))
    os.symlink("../../../../../../../" + str(outside), os.path.join(bundle.rootfs, "escape2"))
    bundle.config["mounts"] += [
        {"destination": "/escape/m1", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/escape2/m2", "type": "tmpfs", "source": "tmpfs"},
    ]
    p = bundle.probe()
    assert os.listdir(outside) == [], "a mount destination was created outside the rootfs"
    # the symlinks were followed inside the rootfs instead
    assert any(m["point"] == str(outside) + "/m1" for m in p["mounts"])


def test_proc_over_a_symlink_is_refused(bundle):
    os.rmdir(os.path.join(bundle.rootfs, "proc"))
    os.makedirs(os.path.join(bundle.rootfs, "fakeproc"))
    os.symlink("fakeproc", os.path.join(bundle.rootfs, "proc"))
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1
    assert r.err.strip().startswith('husk: mounts[0]: mount "proc" on "/proc": open "/proc" in the rootfs')


def test_default_devices_and_links(bundle):
    p = bundle.probe("stat", "/dev/null", "stat", "/dev/zero", "stat", "/dev/full",
                     "stat", "/dev/random", "stat", "/dev/urandom", "stat", "/dev/tty",
                     "stat", "/dev/ptmx", "stat", "/dev/fd", "read", "/dev/null")
    for name, (major, minor) in {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
                                 "urandom": (1, 9), "tty": (5, 0)}.items():
        st = p[f"stat:/dev/{name}"]
        assert stat.S_ISCHR(st["mode"]) and (st["major"], st["minor"]) == (major, minor), name
        assert stat.S_IMODE(st["mode"]) == 0o666
    assert stat.S_ISLNK(p["stat:/dev/ptmx"]["mode"])
    assert stat.S_ISLNK(p["stat:/dev/fd"]["mode"])
    assert p["read:/dev/null"] == ""


def test_configured_devices(bundle):
    bundle.config["linux"]["devices"] = [
        {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 0o640, "uid": 7, "gid": 8},
        {"type": "p", "path": "/dev/custom/fifo"}]
    p = bundle.probe("stat", "/dev/fuse", "stat", "/dev/custom/fifo")
    fuse = p["stat:/dev/fuse"]
    assert stat.S_ISCHR(fuse["mode"]) and (fuse["major"], fuse["minor"]) == (10, 229)
    assert stat.S_IMODE(fuse["mode"]) == 0o640 and (fuse["uid"], fuse["gid"]) == (7, 8)
    assert stat.S_ISFIFO(p["stat:/dev/custom/fifo"]["mode"])


def test_masked_and_readonly_paths(bundle):
    # /proc/keys is in the default maskedPaths and exists on every kernel with keys
    assert os.path.exists("/proc/keys")
    p = bundle.probe("read", "/proc/keys", "stat", "/proc/keys", "stat", "/sys/firmware",
                     "write", "/proc/sys/kernel/hostname")
    keys = p["stat:/proc/keys"]
    assert stat.S_ISCHR(keys["mode"]) and (keys["major"], keys["minor"]) == (1, 3)
    assert p["read:/proc/keys"] == ""
    assert mount_at(p, "/sys/firmware")["type"] == "tmpfs"
    assert p["write:/proc/sys/kernel/hostname"] == {"error": "Read-only file system"}


def test_masked_paths_hold_against_root_with_default_caps(bundle):
    bundle.config["process"]["args"] = [
        "sh", "-c", "umount /proc/keys; mount -o remount,rw /proc/sys; /probe stat /proc/keys "
        "write /proc/sys/kernel/hostname"]
    r = bundle.run()
    assert r.rc == 0, r.err
    import json
    p = json.loads(r.out)
    assert p["stat:/proc/keys"]["major"] == 1, "the mask is still there"
    assert p["write:/proc/sys/kernel/hostname"] == {"error": "Read-only file system"}


@pytest.mark.parametrize("pivot", [True, False])
def test_pivot_and_no_pivot(bundle, pivot):
    bundle.config["process"]["args"] = ["/probe"]
    bundle.write()
    r = bundle.husk("run", *([] if pivot else ["--no-pivot"]), "c")
    assert r.rc == 0, r.err
    import json
    p = json.loads(r.out)
    assert not any(m["point"].startswith("/tmp/pytest") for m in p["mounts"]), "host mounts visible"


def test_relative_bind_source_is_taken_from_the_bundle(bundle):
    os.makedirs(os.path.join(bundle.path, "volume"))
    with open(os.path.join(bundle.path, "volume", "f"), "w") as f:
        f.write("bundle-relative")
    bundle.config["mounts"].append({"destination": "/v", "type": "bind", "source": "volume",
                                    "options": ["bind"]})
    p = bundle.probe("read", "/v/f")
    assert p["read:/v/f"] == "bundle-relative"


def test_tmpcopyup_keeps_the_image_content(bundle):
    etc = os.path.join(bundle.rootfs, "etc")
    os.makedirs(os.path.join(etc, "conf.d"))
    with open(os.path.join(etc, "conf.d", "a.conf"), "w") as f:
        f.write("from the image")
    os.chmod(os.path.join(etc, "conf.d", "a.conf"), 0o604)
    os.chown(os.path.join(etc, "conf.d", "a.conf"), 42, 43)
    os.symlink("conf.d/a.conf", os.path.join(etc, "link"))
    bundle.config["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["tmpcopyup"]})
    p = bundle.probe("read", "/etc/conf.d/a.conf", "stat", "/etc/conf.d/a.conf", "read", "/etc/link",
                     "write", "/etc/new")
    assert mount_at(p, "/etc")["type"] == "tmpfs"
    assert p["read:/etc/conf.d/a.conf"] == "from the image"
    st = p["stat:/etc/conf.d/a.conf"]
    assert (stat.S_IMODE(st["mode"]), st["uid"], st["gid"]) == (0o604, 42, 43)
    assert p["read:/etc/link"] == "from the image"
    assert p["write:/etc/new"] == "ok"
    assert not os.path.exists(os.path.join(etc, "new")), "writes go to the tmpfs, not the image"


def root_owned_dir(tmp_path):
    if fs_type(tmp_path) == "overlay":
        pytest.skip("/tmp is overlayfs over 9p here (the VM tier), which this kernel cannot "
                    "idmap; the host tier runs this test on ext4")
    d = tmp_path / "owned"
    (d / "sub").mkdir(parents=True)
    (d / "file").write_text("x")
    (d / "sub" / "deep").write_text("y")
    return d


# An idmapped mount shows an id X on disk as the hostID that X (read as a containerID) maps to.


@pytest.mark.parametrize("option", ["idmap", "ridmap"])
def test_idmapped_bind_mount_with_its_own_mappings(bundle, tmp_path, option):
    d = root_owned_dir(tmp_path)
    bundle.config["mounts"].append({
        "destination": "/data", "type": "bind", "source": str(d), "options": ["rbind", option],
        "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
        "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}]})
    p = bundle.probe("stat", "/data/file", "stat", "/data/sub/deep")
    assert (p["stat:/data/file"]["uid"], p["stat:/data/file"]["gid"]) == (1000, 2000)
    assert os.stat(d / "file").st_uid == 0, "the host's files are unchanged"
    if option == "ridmap":
        assert p["stat:/data/sub/deep"]["uid"] == 1000


def test_idmapped_mount_in_a_user_namespace_uses_its_mappings(bundle, tmp_path):
    d = root_owned_dir(tmp_path)
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    path = bundle.path
    while path != "/tmp":
        os.chmod(path, 0o755)
        path = os.path.dirname(path)
    os.chown(bundle.rootfs, 100000, 100000)
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": str(d),
                                    "options": ["bind", "idmap"]})
    p = bundle.probe("stat", "/data/file", "write", "/data/new")
    assert p["stat:/data/file"]["uid"] == 0, "the host's root files are the container root's"
    assert p["write:/data/new"] == "ok"
    assert os.stat(d / "new").st_uid == 0, "and what the container's root writes is the host root's"


def test_idmap_without_mappings_is_refused(bundle, tmp_path):
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": str(tmp_path),
                                    "options": ["bind", "idmap"]})
    bundle.config["process"]["args"] = ["true"]
    r = bundle.run()
    assert r.rc == 1
    assert r.err.strip() == (f'husk: mounts[7]: mount "{tmp_path}" on "/data": idmap needs '
                             'uidMappings and gidMappings on the mount or a user namespace with mappings')


def test_masked_directories_share_one_empty_read_only_tmpfs(bundle):
    """Issue 30: one tmpfs for every masked directory (the first is mounted, the others bind
    it), seen from the host in pid 1's mount table; empty and read-only from inside."""
    for name in ("masked-a", "masked-b", "masked-c"):
        os.makedirs(os.path.join(bundle.rootfs, name, "secret"))
    bundle.config["linux"]["maskedPaths"] += ["/masked-a", "/masked-b", "/masked-c"]
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    with open(f"/proc/{bundle.state('c')['pid']}/mountinfo") as f:
        table = [line.split() for line in f]
    masked = {fields[4]: fields for fields in table
              if fields[4] in ("/masked-a", "/masked-b", "/masked-c", "/sys/firmware")}
    assert set(masked) >= {"/masked-a", "/masked-b", "/masked-c"}, masked
    assert len({fields[2] for fields in masked.values()}) == 1, "one superblock for all"
    for fields in masked.values():
        sep = fields.index("-")
        assert fields[sep + 1] == "tmpfs" and "ro" in fields[5].split(","), fields
    assert bundle.husk("delete", "-f", "c").rc == 0
    p = bundle.probe("write", "/masked-b/x", "stat", "/masked-c/secret")
    assert p["write:/masked-b/x"] == {"error": "Read-only file system"}, p
    assert p["stat:/masked-c/secret"] == {"error": "No such file or directory"}, p
