"""Helpers for end-to-end tests: run a real `skiff up` on a free port with a
temporary data dir, and drive it with the real kubectl and Python client."""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SKIFF_BIN = os.environ.get("SKIFF_BIN", os.path.join(REPO, "build", "src", "cli", "skiff"))
SHARED = os.environ.get("SKIFF_SHARED", os.path.join(REPO, "..", "shared"))
SEED = os.path.join(SHARED, "examples", "seed")
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Skiff:
    """A `skiff up` process. Restartable on the same data dir and port."""

    def __init__(self, data_dir=None, port=None, env=None, args=None):
        self.extra_env = env or {}
        self.extra_args = list(args or [])
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="skiff-e2e-")
        self.port = port or free_port()
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "skiff-up.log")
        self.cache_dir = tempfile.mkdtemp(prefix="skiff-kcache-")

    @property
    def kubeconfig(self):
        return os.path.join(self.data_dir, "kubeconfig")

    def start(self, timeout=30):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [SKIFF_BIN, "up", "--data-dir", self.data_dir, "--listen",
                 f"127.0.0.1:{self.port}", *self.extra_args],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.extra_env})
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("skiff up exited: " + open(self.log_path).read())
            if os.path.exists(self.kubeconfig) and self.ready():
                return self
            time.sleep(0.05)
        raise RuntimeError("skiff up did not become ready")

    def ready(self):
        try:
            ctx = ssl.create_default_context(cafile=os.path.join(self.data_dir, "ca.crt"))
            with urllib.request.urlopen(f"https://127.0.0.1:{self.port}/readyz", context=ctx,
                                        timeout=1) as r:
                return r.status == 200
        except Exception:
            return False

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def remove_workloads(self, timeout=90):
        """Pods outlive `skiff up` by design (a restart re-adopts them), so a test deletes its
        workloads and waits for every pod to be gone before it stops the server."""
        if not self.proc or self.proc.poll() is not None:
            return
        if "--no-node" in self.extra_args:
            # No kubelet to finish graceful deletion: the test owns any agent it started.
            return
        # Owners first, or their controllers recreate what the next line deletes.
        self.kubectl("delete", "trainjobs.trainer.kubeflow.org,pytorchjobs.kubeflow.org,"
                     "inferenceservices.serving.kserve.io", "--all",
                     "-A", "--wait=false", check=False, timeout=60)
        self.kubectl("delete", "deployments,replicasets,jobs,pods", "--all", "-A",
                     "--wait=false", check=False, timeout=60)
        self.kubectl("delete", "jobsets.jobset.x-k8s.io", "--all", "-A", "--wait=false",
                     check=False, timeout=60)

        def gone():
            r = self.kubectl("get", "pods", "-A", "-o", "name", check=False)
            return r.returncode == 0 and not r.stdout.strip()
        try:
            wait_for(gone, timeout=timeout, interval=0.2, what="every pod to be gone")
        except AssertionError:
            pass

    def cleanup(self):
        self.remove_workloads()
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.cache_dir, ignore_errors=True)

    def env(self):
        e = dict(os.environ)
        e["KUBECONFIG"] = self.kubeconfig
        e["KUBECACHEDIR"] = self.cache_dir
        return e

    def kubectl(self, *args, input=None, check=True, timeout=60):
        r = subprocess.run([KUBECTL, *args], env=self.env(), input=input, capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}):\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def skiff(self, *args, input=None, check=True, timeout=60):
        r = subprocess.run([SKIFF_BIN, "--kubeconfig", self.kubeconfig, *args], env=self.env(),
                           input=input, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"skiff {' '.join(args)} failed ({r.returncode}):\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def request(self, method, path, body=None, content_type="application/json", headers=None,
                token=True):
        """Raw HTTPS request; returns (status, parsed JSON or text, headers)."""
        ctx = ssl.create_default_context(cafile=os.path.join(self.data_dir, "ca.crt"))
        data = body if isinstance(body, (bytes, type(None))) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if token:
            tok = open(os.path.join(self.data_dir, "token")).read().strip()
            req.add_header("Authorization", "Bearer " + tok)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
                raw = r.read().decode()
                return r.status, _maybe_json(raw), dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read().decode()
            return e.code, _maybe_json(raw), dict(e.headers)


def _maybe_json(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def wait_for(predicate, timeout=30, interval=0.05, what="condition"):
    """Polls `predicate` until truthy; the deadline only bounds a failure."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
