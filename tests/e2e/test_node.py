"""The local node agent against a real `skiff up`: Node + Lease registration, pods as supervised
processes (restart after kill -9, logs -f, OOMKilled, delete kills the tree), bad input, and
re-adoption after the agent restarts. Pods are bound with spec.nodeName directly."""
import json
import os
import signal
import subprocess
import threading
import time
import unittest
import urllib.request

from skiff_testlib import SKIFF_BIN, Skiff, wait_for

IS_ROOT = os.geteuid() == 0


def agent_command(kubeconfig, data_dir, node_name, extra):
    """`skiff node` when the CLI has it, else the standalone driver built beside the library."""
    r = subprocess.run([SKIFF_BIN, "node", "--help"], capture_output=True, text=True)
    if r.returncode == 0 and "--simulate-gpus" in r.stdout + r.stderr:
        base = [SKIFF_BIN, "node"]
    else:
        build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(SKIFF_BIN))))
        driver = os.environ.get("SKIFF_NODE_AGENT_BIN",
                                os.path.join(build, "src", "node", "skiff-node-agent"))
        base = [driver]
    return base + ["--kubeconfig", kubeconfig, "--data-dir", data_dir, "--node-name", node_name,
                   *extra]


class Agent:
    """One node agent process; restartable."""

    def __init__(self, skiff, node_name, extra=()):
        self.skiff = skiff
        self.node_name = node_name
        self.extra = list(extra)
        self.proc = None
        self.log_path = os.path.join(skiff.data_dir, f"agent-{node_name}.log")

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                agent_command(self.skiff.kubeconfig, self.skiff.data_dir, self.node_name,
                              self.extra),
                stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.proc.poll() is None and "node agent" in self.log()
                 and self.node_ready(), timeout=30, what=f"node {self.node_name} Ready")
        return self

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def node_ready(self):
        r = self.skiff.kubectl("get", "node", self.node_name, "-o", "json", check=False)
        if r.returncode != 0:
            return False
        conds = json.loads(r.stdout)["status"].get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)

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


class NodeTestBase(unittest.TestCase):
    agent_flags = ()
    node_prefix = "e2e-node"

    @classmethod
    def setUpClass(cls):
        cls.s = Skiff(args=["--no-node"]).start()
        cls.node = f"{cls.node_prefix}-{os.getpid()}"
        cls.agent = Agent(cls.s, cls.node, cls.agent_flags).start()

    @classmethod
    def tearDownClass(cls):
        # Delete every pod first so no process outlives the test.
        cls.s.kubectl("delete", "pods", "--all", "-A", "--wait=true", "--timeout=60s", check=False)
        cls.agent.stop()
        cls.s.cleanup()

    def apply(self, manifest):
        self.s.kubectl("apply", "-f", "-", input=manifest)

    def pod(self, name, ns="default"):
        r = self.s.kubectl("get", "pod", name, "-n", ns, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def wait_pod(self, name, pred, what, timeout=60):
        def check():
            p = self.pod(name)
            return p if p and pred(p) else None
        return wait_for(check, timeout=timeout, interval=0.2, what=f"{name}: {what}")

    def status_of(self, pod, container=None):
        for c in pod["status"].get("containerStatuses", []):
            if container is None or c["name"] == container:
                return c
        return None

    def events(self, name):
        r = self.s.kubectl("get", "events", "--field-selector", f"involvedObject.name={name}",
                           "-o", "json")
        return json.loads(r.stdout)["items"]


class NodeAgentTest(NodeTestBase):
    agent_flags = ("--simulate-gpus", "2", "--capacity", "example.com/widget=3")

    def test_node_registration_capacity_and_lease(self):
        node = json.loads(self.s.kubectl("get", "node", self.node, "-o", "json").stdout)
        cap = node["status"]["capacity"]
        self.assertEqual(cap["pods"], "110")
        self.assertEqual(cap["nvidia.com/gpu"], "2")  # simulated (no GPU on the test host)
        self.assertEqual(cap["example.com/widget"], "3")
        self.assertEqual(int(cap["cpu"]), len(os.sched_getaffinity(0)))
        self.assertEqual(node["status"]["allocatable"], cap)
        self.assertEqual(node["metadata"]["labels"]["kubernetes.io/hostname"], self.node)
        addrs = {a["type"]: a["address"] for a in node["status"]["addresses"]}
        self.assertIn("InternalIP", addrs)
        lease = json.loads(self.s.kubectl("get", "lease", self.node, "-n", "kube-node-lease",
                                          "-o", "json").stdout)
        self.assertEqual(lease["spec"]["holderIdentity"], self.node)
        self.assertIn("renewTime", lease["spec"])

    def test_restart_after_kill9_and_readiness(self):
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: web, labels: {{app: web}}}}
spec:
  nodeName: {self.node}
  containers:
  - name: web
    image: python:3.11
    command: ["python3", "-m", "http.server", "18931"]
    ports: [{{containerPort: 18931}}]
    readinessProbe: {{httpGet: {{path: /, port: 18931}}, initialDelaySeconds: 1, periodSeconds: 1}}
""")
        p = self.wait_pod("web", lambda p: (self.status_of(p) or {}).get("ready"), "ready")
        ip = p["status"]["podIP"]
        body = urllib.request.urlopen(f"http://{ip}:18931/", timeout=10).read()
        self.assertIn(b"Directory listing", body)
        pid = int(subprocess.check_output(["pgrep", "-f", "http.server 18931"]).split()[0])
        # Record every status the API server sees from here on.
        seen = []
        stop = threading.Event()

        def watch():
            proc = subprocess.Popen(["kubectl", "get", "pod", "web", "-w", "-o", "json"],
                                    env=self.s.env(), stdout=subprocess.PIPE, text=True)
            buf = ""
            for line in proc.stdout:
                buf += line
                if line.startswith("}"):
                    seen.append(json.loads(buf))
                    buf = ""
                if stop.is_set():
                    break
            proc.kill()
            proc.wait()
            proc.stdout.close()

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        time.sleep(0.5)  # let the watch open before the kill (only widens what it can see)
        os.kill(pid, signal.SIGKILL)
        p = self.wait_pod("web", lambda p: self.status_of(p)["restartCount"] == 1 and
                          self.status_of(p)["ready"], "restarted and ready again")
        stop.set()
        last = self.status_of(p)["lastState"]["terminated"]
        self.assertEqual(last["exitCode"], 137)
        self.assertEqual(last["reason"], "Error")
        restarted = [self.status_of(x) for x in seen if self.status_of(x)]
        self.assertTrue(any(c["restartCount"] == 1 and not c["ready"] for c in restarted),
                        "the restarted container was never reported not-ready")

    def test_logs_follow_and_previous(self):
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: ticker}}
spec:
  nodeName: {self.node}
  restartPolicy: Always
  containers:
  - name: t
    image: busybox
    command: ["sh", "-c", "echo run; i=0; while [ $i -lt 400 ]; do echo tick-$i; i=$((i+1)); sleep 0.1; done"]
""")
        self.wait_pod("ticker", lambda p: p["status"].get("phase") == "Running", "running")
        proc = subprocess.Popen(["kubectl", "logs", "-f", "ticker"], env=self.s.env(),
                                stdout=subprocess.PIPE, text=True)
        lines = []
        try:
            for line in proc.stdout:
                lines.append(line.strip())
                if len(lines) >= 15:
                    break
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        self.assertEqual(lines[0], "run")
        self.assertIn("tick-10", lines)
        # --timestamps and --since-time read the per-line times the agent records.
        stamped = self.s.kubectl("logs", "ticker", "--timestamps").stdout.splitlines()
        ts, text = stamped[11].split(" ", 1)
        self.assertEqual(text, "tick-10")
        self.assertRegex(ts, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
        since = self.s.kubectl("logs", "ticker", f"--since-time={ts}").stdout.splitlines()
        # sinceTime travels with second precision (metav1.Time): lines from that second on.
        first = next(line.split(" ", 1)[1] for line in stamped if line[:19] >= ts[:19])
        self.assertEqual(since[0], first)
        self.assertNotIn("run", since)
        self.assertEqual(self.s.kubectl("logs", "ticker", "--tail=1").stdout.count("\n"), 1)
        # A restart keeps the previous container's log.
        pid = int(subprocess.check_output(["pgrep", "-f", "tick-"]).split()[0])
        os.kill(pid, signal.SIGKILL)
        self.wait_pod("ticker", lambda p: self.status_of(p)["restartCount"] >= 1, "restarted")
        prev = self.s.kubectl("logs", "ticker", "--previous").stdout
        self.assertTrue(prev.startswith("run\ntick-0\n"), prev[:100])

    def test_delete_ends_process_tree_within_grace(self):
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: stubborn}}
spec:
  nodeName: {self.node}
  terminationGracePeriodSeconds: 3
  containers:
  - name: s
    image: busybox
    command: ["sh", "-c", "trap '' TERM; sleep 7771 & setsid sleep 7772 & wait"]
""")
        self.wait_pod("stubborn", lambda p: p["status"].get("phase") == "Running", "running")
        wait_for(lambda: subprocess.run(["pgrep", "-f", "sleep 7772"],
                                                stdout=subprocess.DEVNULL).returncode == 0,
                 what="tree started")
        start = time.time()
        self.s.kubectl("delete", "pod", "stubborn", "--timeout=30s")
        elapsed = time.time() - start
        for marker in ("sleep 7771", "sleep 7772"):
            self.assertNotEqual(subprocess.run(["pgrep", "-f", marker],
                                               stdout=subprocess.DEVNULL).returncode, 0,
                                f"{marker} survived the pod")
        self.assertLess(elapsed, 25)  # bounded by the 3 s grace, not a hang

    def test_init_env_volumes_and_gpus(self):
        self.s.kubectl("create", "configmap", "app-cfg", "--from-literal=mode=fast",
                       "--from-literal=file.txt=from-configmap")
        self.s.kubectl("create", "secret", "generic", "app-secret", "--from-literal=token=s3cr3t")
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: worker, labels: {{team: ml}}}}
spec:
  nodeName: {self.node}
  restartPolicy: Never
  initContainers:
  - name: prep
    image: busybox
    command: ["sh", "-c", "echo prepared > /scratch/marker"]
    volumeMounts: [{{name: scratch, mountPath: /scratch}}]
  containers:
  - name: main
    image: python:3.11
    command: ["sh", "-c"]
    args:
    - >-
      echo pod=$(POD) team=$TEAM mode=$MODE token=$TOKEN greeting=$(GREETING) escaped='$$(GREETING)';
      echo gpus=$CUDA_VISIBLE_DEVICES simulated=$SKIFF_SIMULATED_GPUS;
      cat /scratch/marker; cat /cfg/file.txt; echo; cat /podinfo/labels; cat /etc/resolv.conf;
      stat -c %a /secret/token
    env:
    - {{name: POD, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}
    - {{name: TEAM, valueFrom: {{fieldRef: {{fieldPath: "metadata.labels['team']"}}}}}}
    - {{name: MODE, valueFrom: {{configMapKeyRef: {{name: app-cfg, key: mode}}}}}}
    - {{name: TOKEN, valueFrom: {{secretKeyRef: {{name: app-secret, key: token}}}}}}
    - {{name: GREETING, value: "hi-$(POD)"}}
    resources: {{limits: {{nvidia.com/gpu: 1}}}}
    volumeMounts:
    - {{name: scratch, mountPath: /scratch}}
    - {{name: cfg, mountPath: /cfg}}
    - {{name: secret, mountPath: /secret}}
    - {{name: podinfo, mountPath: /podinfo}}
  volumes:
  - {{name: scratch, emptyDir: {{}}}}
  - {{name: cfg, configMap: {{name: app-cfg}}}}
  - {{name: secret, secret: {{secretName: app-secret}}}}
  - name: podinfo
    downwardAPI: {{items: [{{path: labels, fieldRef: {{fieldPath: metadata.labels}}}}]}}
""")
        p = self.wait_pod("worker", lambda p: p["status"].get("phase") in ("Succeeded", "Failed"),
                          "finished")
        out = self.s.kubectl("logs", "worker").stdout
        self.assertEqual(p["status"]["phase"], "Succeeded", out)
        self.assertIn("pod=worker team=ml mode=fast token=s3cr3t greeting=hi-worker "
                      "escaped=$(GREETING)", out)
        self.assertIn("gpus=0 simulated=1", out)
        self.assertIn("prepared", out)
        self.assertIn("from-configmap", out)
        self.assertIn('team="ml"', out)
        if IS_ROOT:
            self.assertIn("search default.svc.cluster.local svc.cluster.local cluster.local", out)
            self.assertIn("nameserver 10.244.0.1", out)
            self.assertIn("\n600\n", out)
        types = {c["type"]: c for c in p["status"]["conditions"]}
        self.assertEqual(types["skiff.dev/SimulatedGPUs"]["status"], "True")
        self.assertEqual(p["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"],
                         "Completed")

    def test_bad_input_reported_and_agent_keeps_running(self):
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: unmapped}}
spec:
  nodeName: {self.node}
  containers: [{{name: c, image: example.com/nothing-maps-this:1}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: missing-ref}}
spec:
  nodeName: {self.node}
  containers:
  - name: c
    image: python:3.11
    command: ["python3", "-c", "print(1)"]
    env: [{{name: X, valueFrom: {{configMapKeyRef: {{name: no-such-config, key: k}}}}}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: missing-vol}}
spec:
  nodeName: {self.node}
  containers: [{{name: c, image: busybox, command: ["true"]}}]
  volumes: [{{name: v, secret: {{secretName: no-such-secret}}}}]
""")
        p = self.wait_pod("unmapped", lambda p: (self.status_of(p) or {}).get("state", {})
                          .get("waiting", {}).get("reason") == "ImageNotMapped", "ImageNotMapped")
        self.assertIn("image map file", self.status_of(p)["state"]["waiting"]["message"])
        wait_for(lambda: any("Failed to map image" in e["message"]
                             for e in self.events("unmapped")), what="ImageNotMapped event")
        p = self.wait_pod("missing-ref", lambda p: (self.status_of(p) or {}).get("state", {})
                          .get("waiting", {}).get("reason") == "CreateContainerConfigError",
                          "CreateContainerConfigError")
        self.assertEqual(self.status_of(p)["state"]["waiting"]["message"],
                         'configmap "no-such-config" not found')
        wait_for(lambda: any(e["reason"] == "FailedMount" and "no-such-secret" in e["message"]
                             for e in self.events("missing-vol")), what="FailedMount event")
        # The agent still runs new pods.
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: after-bad}}
spec:
  nodeName: {self.node}
  restartPolicy: Never
  containers: [{{name: c, image: busybox, command: ["sh", "-c", "echo still-alive"]}}]
""")
        self.wait_pod("after-bad", lambda p: p["status"].get("phase") == "Succeeded", "succeeded")
        # Fixing the reference lets the waiting pod start.
        self.s.kubectl("create", "configmap", "no-such-config", "--from-literal=k=v")
        self.wait_pod("missing-ref", lambda p: p["status"].get("phase") in ("Running", "Succeeded"),
                      "started once the ConfigMap exists", timeout=60)

    def test_liveness_failure_restarts_container(self):
        marker = f"/tmp/skiff-e2e-live-{os.getpid()}"
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: flaky}}
spec:
  nodeName: {self.node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "touch {marker}; sleep 2; rm -f {marker}; sleep 1000"]
    startupProbe: {{exec: {{command: ["test", "-f", "{marker}"]}}, periodSeconds: 1}}
    livenessProbe:
      exec: {{command: ["sh", "-c", "test -f {marker}"]}}
      periodSeconds: 1
      failureThreshold: 2
""")
        p = self.wait_pod("flaky", lambda p: (self.status_of(p) or {}).get("restartCount", 0) >= 1,
                          "restarted by the liveness probe")
        # The startup probe passed (the marker existed), so liveness took over and failed.
        self.assertEqual(self.status_of(p)["lastState"]["terminated"]["exitCode"], 143)  # SIGTERM
        events = self.events("flaky")
        self.assertTrue(any(e["reason"] == "Unhealthy" and "Liveness probe failed" in e["message"]
                            for e in events), events)
        self.assertTrue(any(e["reason"] == "Killing" and "failed liveness probe" in e["message"]
                            for e in events), events)
        self.s.kubectl("delete", "pod", "flaky", "--timeout=30s")

    @unittest.skipUnless(IS_ROOT, "cgroup memory limits need root")
    def test_oom_killed(self):
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: hog}}
spec:
  nodeName: {self.node}
  restartPolicy: Never
  containers:
  - name: hog
    image: python:3.11
    command: ["python3", "-c", "x = bytearray(512 * 1024 * 1024); print('survived')"]
    resources: {{limits: {{memory: 64Mi}}}}
""")
        p = self.wait_pod("hog", lambda p: p["status"].get("phase") == "Failed", "failed")
        term = self.status_of(p)["state"]["terminated"]
        self.assertEqual(term["reason"], "OOMKilled")
        self.assertEqual(term["exitCode"], 137)
        describe = self.s.kubectl("describe", "pod", "hog").stdout
        self.assertIn("OOMKilled", describe)

    def test_zz_agent_restart_readopts_running_pods(self):
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: longrun}}
spec:
  nodeName: {self.node}
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "sleep 7781"]
""")
        p = self.wait_pod("longrun", lambda p: p["status"].get("phase") == "Running", "running")
        cid = self.status_of(p)["containerID"]
        pid = subprocess.check_output(["pgrep", "-f", "sleep 7781"]).split()[0]
        self.agent.kill9()
        self.assertEqual(subprocess.check_output(["pgrep", "-f", "sleep 7781"]).split()[0], pid)
        self.agent.start()
        # The pod is still the same process, not a restart.
        p = self.wait_pod("longrun", lambda p: self.status_of(p)["containerID"] == cid,
                          "re-adopted")
        self.assertEqual(self.status_of(p)["restartCount"], 0)
        # The adopted pod is still supervised: a kill -9 restarts it.
        os.kill(int(pid), signal.SIGKILL)
        self.wait_pod("longrun", lambda p: self.status_of(p)["restartCount"] == 1 and
                      "running" in self.status_of(p)["state"], "restarted after adoption")
        self.s.kubectl("delete", "pod", "longrun", "--timeout=30s")
        self.assertNotEqual(subprocess.run(["pgrep", "-f", "sleep 7781"],
                                           stdout=subprocess.DEVNULL).returncode, 0)


class FallbackModeTest(NodeTestBase):
    """--no-sandbox: host network, pod IP = host IP, containerPort conflicts refused."""
    agent_flags = ("--no-sandbox",)
    node_prefix = "e2e-fallback"

    def test_port_conflict_and_warning(self):
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: first}}
spec:
  nodeName: {self.node}
  containers:
  - {{name: c, image: python:3.11, command: ["python3", "-m", "http.server", "18941"],
     ports: [{{containerPort: 18941}}]}}
""")
        p = self.wait_pod("first", lambda p: p["status"].get("phase") == "Running", "running")
        self.assertEqual(p["status"]["podIP"], p["status"]["hostIP"])
        wait_for(lambda: any(e["reason"] == "NoSandbox" for e in self.events("first")),
                 what="NoSandbox warning event")
        self.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: second}}
spec:
  nodeName: {self.node}
  containers:
  - {{name: c, image: python:3.11, command: ["python3", "-m", "http.server", "18941"],
     ports: [{{containerPort: 18941}}]}}
""")
        p = self.wait_pod("second", lambda p: p["status"].get("phase") == "Failed", "failed")
        self.assertEqual(p["status"]["reason"], "PortConflict")
        self.assertIn("default/first", p["status"]["message"])
        wait_for(lambda: any(e["reason"] == "PortConflict" for e in self.events("second")),
                 what="PortConflict event")


if __name__ == "__main__":
    unittest.main(verbosity=2)
