"""Services end to end: a Deployment of python http.server replicas behind a ClusterIP Service,
reached from the host and from another pod (by DNS name); Endpoints following scale and a
rolling update; a JobSet whose pod 1 reaches pod 0 by its headless-service DNS name.

Needs root (pods in network namespaces on the skiff0 bridge, ClusterIPs on skiff-svc); without
it the test skips, because the loopback fallback has no ClusterIPs and no pod DNS
(docs/networking.md)."""
import json
import os
import threading
import time
import unittest
import urllib.request

from skiff_testlib import Skiff, wait_for

PY = "/usr/bin/python3"


def deployment(name, replicas, args):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": "web", "image": "python:3.11",
                    "command": [PY], "args": args,
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
                }]},
            },
        },
    }


def service(name):
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"app": name},
                 "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


class ServicesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("Services e2e needs root (netns pods, ClusterIPs)")
        cls.s = Skiff().start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def apply(self, obj):
        self.s.kubectl("apply", "-f", "-", input=json.dumps(obj))

    def get(self, *args):
        r = self.s.kubectl("get", *args, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def ready_ips(self, name):
        ep = self.get("endpoints", name)
        if not ep:
            return []
        return sorted(a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or [])

    def pod_log(self, name):
        return self.s.kubectl("logs", name, check=False).stdout

    def test_clusterip_from_host_and_pod(self):
        self.apply(deployment("web", 3, ["-m", "http.server", "8080"]))
        self.apply(service("web"))
        wait_for(lambda: len(self.ready_ips("web")) == 3, timeout=120,
                 what="3 ready endpoints")
        svc = self.get("service", "web")
        ip = svc["spec"]["clusterIP"]
        ep = self.get("endpoints", "web")
        self.assertEqual(ep["subsets"][0]["ports"],
                         [{"name": "http", "port": 8080, "protocol": "TCP"}])

        # From the host, through the ClusterIP proxy.
        def host_get():
            try:
                with urllib.request.urlopen(f"http://{ip}:80/", timeout=5) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for(host_get, timeout=30, what="ClusterIP reachable from the host")
        for _ in range(6):
            self.assertTrue(host_get())

        # From another pod, by DNS name (search path) and by the full name.
        script = ("import urllib.request\n"
                  "for url in ('http://web/', 'http://web.default.svc.cluster.local:80/'):\n"
                  "    print(url, urllib.request.urlopen(url, timeout=10).status)\n")
        self.apply({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "client", "namespace": "default"},
                    "spec": {"restartPolicy": "Never", "containers": [{
                        "name": "c", "image": "python:3.11", "command": [PY, "-c", script]}]}})
        wait_for(lambda: (self.get("pod", "client") or {}).get("status", {}).get("phase")
                 in ("Succeeded", "Failed"), timeout=90, what="client pod finished")
        log = self.pod_log("client")
        self.assertEqual(self.get("pod", "client")["status"]["phase"], "Succeeded", log)
        self.assertIn("http://web/ 200", log)
        self.assertIn("http://web.default.svc.cluster.local:80/ 200", log)

        # Scale to 5 and back: Endpoints follow.
        self.s.kubectl("scale", "deployment/web", "--replicas=5")
        wait_for(lambda: len(self.ready_ips("web")) == 5, timeout=120, what="5 endpoints")
        self.s.kubectl("scale", "deployment/web", "--replicas=3")
        wait_for(lambda: len(self.ready_ips("web")) == 3, timeout=120, what="3 endpoints")

        # A rolling update (new args) never leaves the Service without a ready endpoint.
        empty_seen = []
        done = threading.Event()

        def watch():
            while not done.is_set():
                if not self.ready_ips("web"):
                    empty_seen.append(time.time())
                time.sleep(0.2)
        t = threading.Thread(target=watch)
        t.start()
        try:
            self.apply(deployment("web", 3, ["-m", "http.server", "8080", "--bind", "0.0.0.0"]))
            self.s.kubectl("rollout", "status", "deployment/web", "--timeout=180s", timeout=200)
        finally:
            done.set()
            t.join()
        self.assertEqual(empty_seen, [], "Endpoints had no ready address during the rollout")
        self.assertTrue(host_get())

    def test_jobset_pod_reaches_pod_zero_by_dns_name(self):
        script = (
            "import os, socket, time\n"
            "idx = int(os.environ['JOB_COMPLETION_INDEX'])\n"
            "if idx == 0:\n"
            "    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "    s.bind(('0.0.0.0', 8000)); s.listen()\n"
            "    c, addr = s.accept(); c.sendall(b'pong from ' + socket.gethostname().encode())\n"
            "    c.close(); print('served', addr)\n"
            "else:\n"
            "    name = 'dns-workers-0-0.dns'\n"
            "    deadline = time.time() + 90\n"
            "    while True:\n"
            "        try:\n"
            "            c = socket.create_connection((name, 8000), timeout=5)\n"
            "            print(c.recv(100).decode()); break\n"
            "        except OSError as e:\n"
            "            if time.time() > deadline: raise\n"
            "            time.sleep(0.5)\n")
        self.apply({
            "apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet",
            "metadata": {"name": "dns", "namespace": "default"},
            "spec": {"replicatedJobs": [{
                "name": "workers", "replicas": 1,
                "template": {"spec": {
                    "parallelism": 2, "completions": 2, "completionMode": "Indexed",
                    "backoffLimit": 0,
                    "template": {"spec": {"restartPolicy": "Never", "containers": [{
                        "name": "w", "image": "python:3.11", "command": [PY, "-c", script],
                    }]}},
                }},
            }]},
        })

        def pods():
            lst = self.get("pods", "-l", "jobset.sigs.k8s.io/jobset-name=dns") or {"items": []}
            return lst["items"]

        def finished():
            ps = pods()
            return len(ps) == 2 and all(p["status"].get("phase") in ("Succeeded", "Failed")
                                        for p in ps)
        wait_for(finished, timeout=150, what="both JobSet pods finished")
        by_index = {p["metadata"]["annotations"].get("batch.kubernetes.io/job-completion-index"): p
                    for p in pods()}
        p0, p1 = by_index["0"], by_index["1"]
        self.assertEqual(p0["spec"].get("subdomain"), "dns")
        self.assertEqual(p0["spec"].get("hostname"), "dns-workers-0-0")
        log1 = self.pod_log(p1["metadata"]["name"])
        self.assertEqual(p1["status"]["phase"], "Succeeded", log1)
        self.assertIn("pong from", log1)


if __name__ == "__main__":
    unittest.main()
