"""Issue 3's acceptance, end to end with every piece real: `skiff up` (API server,
controllers, node agent, service network), kubectl, and python3 processes as pods.

A Deployment of 3 `python3 -m http.server 8080` replicas, each in its own network namespace
listening on 8080 at once, reached through a ClusterIP Service from the host and from another
pod (by DNS name); scaled to 5 and back; a rolling update during which the Service never has
zero ready endpoints; kill -9 of a replica's process restarts it and Endpoints drop it while
it is not ready."""
import glob
import json
import os
import signal
import unittest
import urllib.request

from skiff_testlib import Skiff, wait_for

HTTP_DEPLOY = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                 "terminationGracePeriodSeconds": 2,
                 "containers": [{
                     "name": "web", "image": "python:3.11",
                     "command": ["/usr/bin/python3", "-m", "http.server", "8080"],
                     "ports": [{"containerPort": 8080, "name": "http"}],
                     "readinessProbe": {"httpGet": {"path": "/", "port": 8080},
                                        "periodSeconds": 1, "failureThreshold": 1}}]}}}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"},
                    "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


@unittest.skipUnless(os.geteuid() == 0, "pod sandboxes (network namespaces) need root")
class WorkloadsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff().start()
        wait_for(lambda: cls.node_ready(), timeout=60, what="the node agent's Node Ready")

    @classmethod
    def tearDownClass(cls):
        cls.s.kubectl("delete", "deployment,job,pod", "--all", "--wait=true", "--timeout=60s",
                      check=False, timeout=90)
        cls.s.cleanup()

    @classmethod
    def node_ready(cls):
        r = cls.s.kubectl("get", "nodes", "-o", "json", check=False)
        if r.returncode != 0:
            return False
        for n in json.loads(r.stdout)["items"]:
            for c in n.get("status", {}).get("conditions", []):
                if c["type"] == "Ready" and c["status"] == "True":
                    return True
        return False

    def get(self, *args):
        return json.loads(self.s.kubectl("get", *args, "-o", "json").stdout)

    def ready_addresses(self):
        r = self.s.kubectl("get", "endpoints", "web", "-o", "json", check=False)
        if r.returncode != 0:
            return []
        ep = json.loads(r.stdout)
        return [a["ip"] for ss in ep.get("subsets") or [] for a in ss.get("addresses") or []]

    def rolled_out(self):
        return self.s.kubectl("rollout", "status", "deployment/web", "--timeout=1s",
                              check=False).returncode == 0

    def test_1_replicas_serve_through_a_cluster_ip(self):
        self.s.kubectl("apply", "-f", "-", input=json.dumps(HTTP_DEPLOY))
        self.s.kubectl("apply", "-f", "-", input=json.dumps(SERVICE))
        wait_for(self.rolled_out, timeout=120, interval=0.2, what="3 ready replicas")
        pods = self.get("pods", "-l", "app=web")["items"]
        ips = {p["status"]["podIP"] for p in pods}
        self.assertEqual(len(ips), 3, "each replica has its own IP and full port space")
        for ip in ips:  # all three listen on the same port 8080 at once
            with urllib.request.urlopen(f"http://{ip}:8080/", timeout=5) as r:
                self.assertEqual(r.status, 200)
        wait_for(lambda: len(self.ready_addresses()) == 3, timeout=30, what="3 endpoints")
        svc = self.get("service", "web")
        cluster_ip = svc["spec"]["clusterIP"]
        with urllib.request.urlopen(f"http://{cluster_ip}:80/", timeout=5) as r:
            self.assertEqual(r.status, 200)
            self.assertIn(b"Directory listing", r.read())
        # From another pod, by the Service's DNS name (search path: web -> web.default.svc...).
        client = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "curl"},
                  "spec": {"restartPolicy": "Never", "containers": [{
                      "name": "curl", "image": "python:3.11",
                      "command": ["/usr/bin/python3", "-c",
                                  "import urllib.request as u;"
                                  "print(u.urlopen('http://web/', timeout=10).status);"
                                  "print(u.urlopen('http://web.default.svc.cluster.local:80/',"
                                  " timeout=10).status)"]}]}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(client))
        wait_for(lambda: self.get("pod", "curl")["status"].get("phase") in ("Succeeded", "Failed"),
                 timeout=60, what="the client pod to finish")
        logs = self.s.kubectl("logs", "curl").stdout
        self.assertEqual(self.get("pod", "curl")["status"]["phase"], "Succeeded", logs)
        self.assertEqual(logs.split(), ["200", "200"])

    def test_2_scale_up_and_down(self):
        self.s.kubectl("scale", "deployment", "web", "--replicas=5")
        wait_for(lambda: len(self.ready_addresses()) == 5, timeout=90, what="5 endpoints")
        self.s.kubectl("scale", "deployment", "web", "--replicas=3")
        wait_for(lambda: len(self.ready_addresses()) == 3 and self.rolled_out(), timeout=90,
                 what="back to 3")

    def test_3_rolling_update_never_empties_the_service(self):
        self.s.kubectl("patch", "deployment", "web", "--type=json", "-p", json.dumps([
            {"op": "replace", "path": "/spec/template/spec/containers/0/command",
             "value": ["/usr/bin/python3", "-m", "http.server", "8080", "--bind", "0.0.0.0"]}]))
        fewest = 99
        for _ in range(1200):
            fewest = min(fewest, len(self.ready_addresses()))
            if self.rolled_out():
                break
        self.assertTrue(self.rolled_out(), "rollout did not finish")
        self.assertGreaterEqual(fewest, 1, "the Service had no ready endpoint during the rollout")
        pods = self.get("pods", "-l", "app=web")["items"]
        live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        for p in live:
            self.assertIn("--bind", p["spec"]["containers"][0]["command"])

    def test_4_kill_9_restarts_the_container(self):
        wait_for(self.rolled_out, timeout=60, what="a settled deployment")
        wait_for(lambda: len(self.ready_addresses()) == 3, timeout=60, what="3 endpoints")
        pod = self.get("pods", "-l", "app=web")["items"][0]
        name, uid, ip = pod["metadata"]["name"], pod["metadata"]["uid"], pod["status"]["podIP"]
        before = pod["status"]["containerStatuses"][0]["restartCount"]
        state_files = glob.glob(os.path.join(self.s.data_dir, "**", uid + ".json"), recursive=True)
        self.assertTrue(state_files, "the node agent keeps per-pod state")
        state = json.load(open(state_files[0]))
        pid = [c for c in state["containers"] if c["name"] == "web"][0]["pid"]
        os.kill(pid, signal.SIGKILL)
        # While it restarts it is not ready and leaves the Service's endpoints.
        wait_for(lambda: ip not in self.ready_addresses(), timeout=30,
                 what="the killed replica to leave the endpoints")
        wait_for(lambda: self.get("pod", name)["status"]["containerStatuses"][0]["restartCount"]
                 == before + 1, timeout=60, what="restartCount to increment")
        wait_for(lambda: ip in self.ready_addresses(), timeout=60,
                 what="the restarted replica to come back")
        cs = self.get("pod", name)["status"]["containerStatuses"][0]
        self.assertEqual(cs["lastState"]["terminated"]["exitCode"], 137)
        self.assertEqual(cs["lastState"]["terminated"]["reason"], "Error")


if __name__ == "__main__":
    unittest.main(verbosity=2)
