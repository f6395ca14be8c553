"""HorizontalPodAutoscaler end to end (issue 7): a real `skiff up`, a Deployment of CPU-burning
python3 pods with a CPU request, an autoscaling/v2 HPA applied with kubectl. Load (switched by a
file in a hostPath directory) scales the Deployment up from real cgroup CPU usage, `kubectl top`
shows that usage through metrics.k8s.io, and when the load stops the HPA scales back down.

The HPA syncs every second (SKIFF_HPA_SYNC_PERIOD=1) and its spec turns off the scale-down
stabilization window, so the test takes well under a minute."""
import json
import os
import re
import shutil
import tempfile
import unittest

from skiff_testlib import Skiff, wait_for

BURNER = """
import os, time
while True:
    if os.path.exists('/ctl/burn'):
        end = time.time() + 0.2
        while time.time() < end:
            pass
    else:
        time.sleep(0.1)
"""


def deployment(ctl_dir):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "burn", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "burn"}},
                 "template": {"metadata": {"labels": {"app": "burn"}}, "spec": {
                     "terminationGracePeriodSeconds": 1,
                     "volumes": [{"name": "ctl",
                                  "hostPath": {"path": ctl_dir, "type": "Directory"}}],
                     "containers": [{
                         "name": "burn", "image": "python:3.11",
                         "command": ["/usr/bin/python3", "-c", BURNER],
                         "volumeMounts": [{"name": "ctl", "mountPath": "/ctl"}],
                         "resources": {"requests": {"cpu": "100m"},
                                       "limits": {"cpu": "250m"}}}]}}}}


HPA = {
    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "burn", "namespace": "default"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "burn"},
             "minReplicas": 1, "maxReplicas": 3,
             "metrics": [{"type": "Resource", "resource": {
                 "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
             "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}}}


@unittest.skipUnless(os.geteuid() == 0, "pod sandboxes (cgroups) need root")
class HpaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ctl = tempfile.mkdtemp(prefix="skiff-hpa-ctl-")
        cls.s = Skiff(env={"SKIFF_HPA_SYNC_PERIOD": "1"}).start()
        wait_for(cls.node_ready, timeout=60, what="the node's Ready condition")

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        shutil.rmtree(cls.ctl, ignore_errors=True)

    @classmethod
    def node_ready(cls):
        r = cls.s.kubectl("get", "nodes", "-o", "json", check=False)
        return r.returncode == 0 and any(
            c["type"] == "Ready" and c["status"] == "True"
            for n in json.loads(r.stdout)["items"]
            for c in n.get("status", {}).get("conditions", []))

    def get(self, *args):
        return json.loads(self.s.kubectl("get", *args, "-o", "json").stdout)

    def replicas(self):
        return self.get("deployment", "burn")["spec"].get("replicas")

    def top_pod_cpu(self):
        """{pod: millicores} from `kubectl top pod` (empty until metrics exist)."""
        r = self.s.kubectl("top", "pod", "-n", "default", "--no-headers", check=False)
        out = {}
        for line in r.stdout.splitlines():
            m = re.match(r"(\S+)\s+(\d+)m\s+(\d+)Mi", line)
            if m:
                out[m.group(1)] = int(m.group(2))
        return out

    def test_scales_up_under_load_and_back_down(self):
        self.s.kubectl("apply", "-f", "-", input=json.dumps(deployment(self.ctl)))
        self.s.kubectl("apply", "-f", "-", input=json.dumps(HPA))
        wait_for(lambda: self.get("deployment", "burn").get("status", {}).get("readyReplicas"),
                 timeout=60, interval=0.2, what="the first replica ready")
        # Idle: the HPA measures and keeps one replica.
        wait_for(lambda: self.get("hpa", "burn").get("status", {}).get("currentMetrics"),
                 timeout=30, interval=0.2, what="the HPA's first measurement")
        self.assertEqual(self.replicas(), 1)

        open(os.path.join(self.ctl, "burn"), "w").close()
        wait_for(lambda: self.replicas() == 3, timeout=60, interval=0.2,
                 what="scale-up to maxReplicas under load")
        hpa = self.get("hpa", "burn")
        self.assertGreater(hpa["status"]["currentMetrics"][0]["resource"]["current"]
                           ["averageUtilization"], 50)
        conds = {c["type"]: c for c in hpa["status"]["conditions"]}
        self.assertEqual(conds["ScalingActive"]["reason"], "ValidMetricFound")
        events = self.get("events", "-n", "default")["items"]
        rescales = [e["message"] for e in events if e.get("reason") == "SuccessfulRescale"]
        self.assertIn("New size: 3; reason: cpu resource utilization (percentage of request) "
                      "above target", rescales)

        # `kubectl top` reads metrics.k8s.io: the burners use CPU.
        usage = wait_for(lambda: {p: c for p, c in self.top_pod_cpu().items() if c >= 50},
                         timeout=30, interval=0.5, what="kubectl top pod showing the load")
        self.assertTrue(all(p.startswith("burn-") for p in usage), usage)
        top_node = self.s.kubectl("top", "node")
        self.assertIn("CPU(cores)", top_node.stdout)
        table = self.s.kubectl("get", "hpa", "burn").stdout
        self.assertRegex(table, r"NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE")
        self.assertRegex(table, r"burn\s+Deployment/burn\s+cpu: \d+%/50%\s+1\s+3\s+\d")

        # Load off: usage falls within the sampling window and the HPA scales down.
        os.remove(os.path.join(self.ctl, "burn"))
        wait_for(lambda: self.replicas() == 1, timeout=60, interval=0.2,
                 what="scale-down once the load stops")
        events = self.get("events", "-n", "default")["items"]
        self.assertIn("New size: 1; reason: All metrics below target",
                      [e["message"] for e in events if e.get("reason") == "SuccessfulRescale"])


if __name__ == "__main__":
    unittest.main()
