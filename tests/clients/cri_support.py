"""A Kubernetes node without a kubelet: containerd with its CRI plugin (its own config, root,
state, socket and runc root in a temporary directory), runtime handlers `husk`, `runc` and
`crun` (the runc-v2 shim with BinaryName), a pause image built here from a tiny static binary,
and a CRI client of ours (api.proto, grpcio) making the kubelet's calls.

Networking never touches the host: containerd runs in a network namespace of the test's own
(a holder process keeps it), where the CNI bridge plugin makes its bridge and each pod's veth;
the streaming server (exec, attach, port-forward) listens on that namespace's loopback, which
the client reaches from a thread that has entered the namespace."""
import atexit
import base64
import contextlib
import ctypes
import importlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

from clients_support import BUILD, HUSK, TOP, kill_processes, make_image, remove_tree, stop_daemon

IMAGE = "docker.io/husk/busybox:latest"
PAUSE = "husk.test/pause:1"
SYSTEMD = os.environ.get("HUSK_SYSTEMD_CGROUP") == "1"
CLONE_NEWNET = 0x40000000


def load_api():
    """api_pb2, compiled from tests/clients/cri/api.proto into a directory of this run."""
    out = tempfile.mkdtemp(prefix="husk-cri-api-")
    atexit.register(shutil.rmtree, out, True)
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I",
                    os.path.join(TOP, "tests", "clients", "cri"), f"--python_out={out}",
                    "api.proto"], check=True)
    sys.path.insert(0, out)
    return importlib.import_module("api_pb2")


api = load_api()
import grpc  # noqa: E402  (after the generated module, which the tests import through here)


class Client:
    """The kubelet's side of the CRI: one call per RPC, named as the CRI names them."""

    def __init__(self, sock):
        self.channel = grpc.insecure_channel(f"unix://{sock}")

    def call(self, method, request, timeout=120, service="RuntimeService"):
        response = getattr(api, method + "Response", None)
        if response is None:  # the few whose reply is named otherwise
            response = {"Status": api.StatusResponse}[method]
        stub = self.channel.unary_unary(f"/runtime.v1.{service}/{method}",
                                        request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=response.FromString)
        return stub(request, timeout=timeout)

    def __getattr__(self, method):
        if not method[:1].isupper():
            raise AttributeError(method)
        return lambda request, **kw: self.call(method, request, **kw)


def enter_netns(nsfd):
    """setns for the calling thread alone (network namespaces are per thread)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(nsfd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def connect_in(ns_path, host, port, timeout=30):
    """A TCP connection made from inside the network namespace at ns_path."""
    result = {}

    def work():
        fd = os.open(ns_path, os.O_RDONLY)
        try:
            enter_netns(fd)
            result["sock"] = socket.create_connection((host, port), timeout=timeout)
        except Exception as e:  # handed to the caller's thread
            result["error"] = e
        finally:
            os.close(fd)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["sock"]


class WebSocket:
    """Just enough of RFC 6455 for the kubelet's streaming protocol (channel.k8s.io): binary
    frames whose first byte names the channel; the client's frames masked."""

    def __init__(self, ns_path, url, protocol="v4.channel.k8s.io"):
        u = urllib.parse.urlsplit(url)
        self.sock = connect_in(ns_path, u.hostname, u.port)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}"
                           "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError(f"the streaming server closed: {head!r}")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"no websocket upgrade: {head!r}")
        self.buf = b""

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, channel, data):
        payload = bytes([channel]) + data
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x82]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + struct.pack(">H", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self):
        """(channel, data) of the next data frame; None once the server closes."""
        while True:
            try:
                b0, b1 = self._read(2)
            except EOFError:
                return None
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                return None
            if op in (1, 2) and payload:
                return payload[0], payload[1:]

    def collect(self, timeout=60):
        """Every channel's bytes until the server closes."""
        self.sock.settimeout(timeout)
        got = {}
        while (frame := self.recv()) is not None:
            got[frame[0]] = got.get(frame[0], b"") + frame[1]
        self.sock.close()
        return got


def exit_code_of(status_json):
    """The exit code in channel 3's metav1.Status (v4.channel.k8s.io): 0 on Success."""
    status = json.loads(status_json)
    if status.get("status") == "Success":
        return 0
    for cause in status.get("details", {}).get("causes", []):
        if cause.get("reason") == "ExitCode":
            return int(cause["message"])
    raise AssertionError(status)


class Node:
    """containerd with the CRI plugin, as a node runs it for the kubelet."""

    def __init__(self, handlers=("husk", "runc", "crun")):
        self.tmp = tempfile.mkdtemp(prefix="husk-cri-")
        self.sock = os.path.join(self.tmp, "containerd.sock")
        self.runc_root = os.path.join(self.tmp, "runc-root")
        # the pods' cgroup parent, ours alone: kubelet-style below it
        self.parent = "husk-cri-" + uuid.uuid4().hex[:8]
        self.handlers = handlers
        # containerd starts only once the holder is in its new namespace with lo up: started a
        # moment earlier it would run in the host's, and the CNI bridge with it
        self.holder = subprocess.Popen(["unshare", "--net", "sh", "-c",
                                        "ip link set lo up && echo ready && exec sleep infinity"],
                                       stdout=subprocess.PIPE, start_new_session=True)
        ready = self.holder.stdout.readline()
        self.netns = f"/proc/{self.holder.pid}/ns/net"
        if ready != b"ready\n" or os.readlink(self.netns) == os.readlink("/proc/self/ns/net"):
            self.holder.kill()
            raise AssertionError("no network namespace of the node's own")
        self.daemon = None
        self.log = None

    def config(self):
        runtimes = ""
        binaries = {"husk": HUSK, "runc": shutil.which("runc"), "crun": shutil.which("crun")}
        for name in self.handlers:
            runtimes += (f'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}]\n'
                         f'  runtime_type = "io.containerd.runc.v2"\n'
                         f'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}'
                         f'.options]\n  BinaryName = "{binaries[name]}"\n'
                         f'  Root = "{self.runc_root}/{name}"\n'
                         f'  SystemdCgroup = {"true" if SYSTEMD else "false"}\n')
        return f"""version = 2
root = "{self.tmp}/root"
state = "{self.tmp}/state"
[grpc]
  address = "{self.sock}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "10010"
  enable_selinux = false
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  max_container_log_line_size = 16384
[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "native"
  default_runtime_name = "husk"
{runtimes}[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "{self.tmp}/cni"
"""

    def write_files(self):
        os.makedirs(os.path.join(self.tmp, "cni"))
        with open(os.path.join(self.tmp, "config.toml"), "w") as f:
            f.write(self.config())
        # a bridge and the pods' veths, all inside the node's own network namespace
        with open(os.path.join(self.tmp, "cni", "10-husk.conflist"), "w") as f:
            json.dump({"cniVersion": "0.4.0", "name": "husk-cri", "plugins": [{
                "type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
                         "routes": [{"dst": "0.0.0.0/0"}],
                         "dataDir": os.path.join(self.tmp, "ipam")}}]}, f)

    def start(self):
        self.log = open(os.path.join(self.tmp, "containerd.log"), "a")
        self.daemon = subprocess.Popen(
            ["nsenter", f"--net={self.netns}", "containerd", "--config",
             os.path.join(self.tmp, "config.toml")], stdout=self.log, stderr=self.log,
            start_new_session=True)
        self.client = Client(self.sock)
        for _ in range(400):
            if os.path.exists(self.sock):
                try:
                    ready = self.client.Status(api.StatusRequest(), timeout=5)
                    if all(c.status for c in ready.status.conditions):
                        return
                except grpc.RpcError:
                    pass
            time.sleep(0.05)
        raise AssertionError("containerd's CRI did not become ready: " + self.tail_log())

    def tail_log(self, lines=20):
        with open(os.path.join(self.tmp, "containerd.log")) as f:
            return "".join(f.readlines()[-lines:])

    def ctr(self, *args):
        return subprocess.run(["ctr", "-a", self.sock, "-n", "k8s.io", *args],
                              capture_output=True, text=True, timeout=120)

    def import_images(self):
        busybox = os.path.join(self.tmp, "busybox.tar")
        make_image(busybox, IMAGE)
        pause = os.path.join(self.tmp, "pause.tar")
        subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tests", "clients", "make_image.py"),
                        "--pause", pause, PAUSE, os.path.join(BUILD, "tests", "pause")],
                       check=True)
        for image in (busybox, pause):
            r = self.ctr("images", "import", "--snapshotter", "native", image)
            assert r.returncode == 0, r.stderr

    def stop_daemon(self):
        if self.daemon is not None:
            stop_daemon(self.daemon, 20)
            self.daemon = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def restart(self):
        self.stop_daemon()
        self.start()

    def remove_all_pods(self):
        for pod in self.client.ListPodSandbox(api.ListPodSandboxRequest()).items:
            with contextlib.suppress(grpc.RpcError):
                self.client.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=pod.id))
                self.client.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=pod.id))

    def close(self):
        try:
            if self.daemon is not None:
                self.remove_all_pods()
        finally:
            self.stop_daemon()
            kill_processes("containerd-shim-runc-v2", self.tmp)
            self.holder.kill()
            self.holder.wait()
            self.holder.stdout.close()
            for top in cgroup_dirs(self.parent):
                remove_tree(top)
            unmount_below(self.tmp)
            shutil.rmtree(self.tmp, ignore_errors=True)
            forget_cni_results()


def forget_cni_results(network="husk-cri"):
    """libcni keeps each attachment's result under /var/lib/cni/results (its cache directory,
    which containerd 1.6 does not let us move): ours go with the node."""
    results = "/var/lib/cni/results"
    for name in os.listdir(results) if os.path.isdir(results) else []:
        if name.startswith(network + "-"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(results, name))


def cgroup_dirs(name):
    """Every directory called name in the cgroup hierarchies, to the depth our trees use."""
    found = []
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        if os.path.basename(top) == name:
            found.append(top)
            dirs[:] = []
        elif top.count("/") > 6:
            dirs[:] = []
    return found


def unmount_below(path):
    """What containerd left mounted under its temporary directory (a killed shim's rootfs)."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for point in sorted((p for p in points if p.startswith(path + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


@contextlib.contextmanager
def node(handlers=("husk", "runc", "crun")):
    n = Node(handlers)
    try:
        n.write_files()
        n.start()
        n.import_images()
        yield n
    finally:
        n.close()


# ---- the kubelet's requests ----

def pod_config(n, name, uid=None, host_network=False, host_pid=False, host_ipc=False,
               shared_pid=False, sysctls=None, privileged=False, **security):
    uid = uid or uuid.uuid4().hex
    ns = api.NamespaceOption(network=api.NODE if host_network else api.POD,
                             pid=api.NODE if host_pid else (api.POD if shared_pid
                                                            else api.CONTAINER),
                             ipc=api.NODE if host_ipc else api.POD)
    # the kubelet's own names: a slice per pod under kubepods-besteffort.slice with systemd
    # (the VM is the test's alone), else a tree under a parent of this node's
    parent = (f"kubepods-besteffort-pod{uid}.slice" if SYSTEMD
              else f"/{n.parent}/besteffort/pod{uid}")
    logs = os.path.join(n.tmp, "pods", f"default_{name}_{uid}")
    os.makedirs(logs, exist_ok=True)
    return api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(name=name, uid=uid, namespace="default"),
        hostname="" if host_network else name, log_directory=logs,
        labels={"io.kubernetes.pod.name": name},
        linux=api.LinuxPodSandboxConfig(
            cgroup_parent=parent, sysctls=sysctls or {},
            security_context=api.LinuxSandboxSecurityContext(
                namespace_options=ns, privileged=privileged,
                seccomp=api.SecurityProfile(profile_type=api.SecurityProfile.RuntimeDefault),
                **security)))


def container_config(name, args, attempt=0, tty=False, stdin=False, stdin_once=False, mounts=(),
                     resources=None, envs=None, **security):
    ns = security.pop("namespace_options", None)
    sc = api.LinuxContainerSecurityContext(namespace_options=ns, **security)
    if not sc.HasField("seccomp"):
        sc.seccomp.CopyFrom(api.SecurityProfile(profile_type=api.SecurityProfile.RuntimeDefault))
    return api.ContainerConfig(
        metadata=api.ContainerMetadata(name=name, attempt=attempt),
        image=api.ImageSpec(image=IMAGE), args=list(args), tty=tty, stdin=stdin,
        stdin_once=stdin_once,
        envs=[api.KeyValue(key=k, value=v) for k, v in (envs or {}).items()],
        mounts=list(mounts), log_path=f"{name}/{attempt}.log",
        linux=api.LinuxContainerConfig(resources=resources, security_context=sc))


class Pod:
    """One pod, run through the CRI as the kubelet runs it."""

    def __init__(self, n, handler, name="pod", **opts):
        self.n, self.c = n, n.client
        self.config = pod_config(n, name, **opts)
        self.id = self.c.RunPodSandbox(api.RunPodSandboxRequest(
            config=self.config, runtime_handler=handler)).pod_sandbox_id

    def status(self, verbose=True):
        return self.c.PodSandboxStatus(api.PodSandboxStatusRequest(pod_sandbox_id=self.id,
                                                                   verbose=verbose))

    def pause_pid(self):
        return json.loads(self.status().info["info"])["pid"]

    def namespace_option(self, config_ns):
        """The container's NamespaceOption as the kubelet derives it from the pod's."""
        pod = self.config.linux.security_context.namespace_options
        return api.NamespaceOption(network=pod.network, pid=pod.pid, ipc=pod.ipc,
                                   **config_ns)

    def create(self, name, args, start=True, **opts):
        ns = self.namespace_option(opts.pop("ns", {}))
        cfg = container_config(name, args, namespace_options=ns, **opts)
        cid = self.c.CreateContainer(api.CreateContainerRequest(
            pod_sandbox_id=self.id, config=cfg, sandbox_config=self.config)).container_id
        if start:
            self.c.StartContainer(api.StartContainerRequest(container_id=cid))
        return cid

    def container_status(self, cid):
        return self.c.ContainerStatus(api.ContainerStatusRequest(container_id=cid,
                                                                 verbose=True))

    def pid_of(self, cid):
        return json.loads(self.container_status(cid).info["info"])["pid"]

    def wait_exit(self, cid, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.container_status(cid).status
            if st.state == api.CONTAINER_EXITED:
                return st
            time.sleep(0.1)
        raise AssertionError(f"{cid} did not exit")

    def exec_sync(self, cid, *cmd, timeout=0):
        return self.c.ExecSync(api.ExecSyncRequest(container_id=cid, cmd=list(cmd),
                                                   timeout=timeout))

    def log(self, cid):
        with open(self.container_status(cid).status.log_path) as f:
            return f.read()

    def stop_and_remove(self):
        self.c.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=self.id))
        self.c.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=self.id))


def probe_output(pod, cid):
    """The probe's JSON, from a container that ran /probe and exited."""
    st = pod.wait_exit(cid)
    assert st.exit_code == 0, (st.exit_code, pod.log(cid))
    lines = [line.split(" ", 3)[3] for line in pod.log(cid).splitlines()
             if line.split(" ", 3)[1] == "stdout"]
    return json.loads("".join(lines))


def processes_of(marker):
    """pids whose command line names marker (a pod's tree under the node's directory)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
            if marker.encode() in f.read():
                found.append(int(pid))
    return found


def signal_name(sig):
    return signal.Signals(sig).name
