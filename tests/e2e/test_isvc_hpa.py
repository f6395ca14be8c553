"""InferenceService in Standard mode scaled by its HorizontalPodAutoscaler on real CPU (issue 7,
item 9): the controller creates KServe's HPA `{name}-predictor` from predictor.autoScaling,
concurrent clients through the gateway make the sklearn server busy, the HPA (fed by the node
agent's cgroup CPU usage) raises the predictor Deployment within maxReplicas, and after the load
it comes back to minReplicas. Replica counts over time go to the test log.

The HPA syncs every second (SKIFF_HPA_SYNC_PERIOD=1) and the predictor's autoScaling.behavior
turns off the scale-down stabilization window, so the test takes under a minute."""
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from skiff_testlib import SHARED, Skiff, free_port, wait_for


@unittest.skipUnless(os.geteuid() == 0, "pod sandboxes (cgroups) need root")
class IsvcHpaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = tempfile.mkdtemp(prefix="skiff-isvc-hpa-")
        subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "bench", "make_models.py"),
                        cls.models], check=True, capture_output=True)
        cls.port = free_port()
        cls.s = Skiff(args=["--gateway-listen", f"127.0.0.1:{cls.port}"],
                      env={"SKIFF_HPA_SYNC_PERIOD": "1"}).start()
        cls.s.kubectl("create", "namespace", "ml-prod")

    @classmethod
    def tearDownClass(cls):
        cls.s.kubectl("delete", "inferenceservices", "--all", "-A", "--wait=false", check=False)
        cls.s.cleanup()
        shutil.rmtree(cls.models, ignore_errors=True)

    def get(self, kind, name):
        r = self.s.kubectl("get", kind, name, "-n", "ml-prod", "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def test_cpu_load_scales_the_predictor(self):
        isvc = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                "metadata": {"name": "busy", "namespace": "ml-prod"},
                "spec": {"predictor": {
                    "minReplicas": 1, "maxReplicas": 3,
                    # KServe's autoScaling block: metrics as in an HPA, plus its behavior.
                    "autoScaling": {
                        "metrics": [{"type": "Resource", "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 50}}}],
                        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}},
                    "model": {"modelFormat": {"name": "sklearn"},
                              "storageUri": "file://" + os.path.join(self.models, "sklearn-iris"),
                              "resources": {"requests": {"cpu": "100m"},
                                            "limits": {"cpu": "1"}}}}}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(isvc))
        wait_for(lambda: any(c["type"] == "Ready" and c["status"] == "True"
                             for c in (self.get("isvc", "busy") or {}).get("status", {})
                             .get("conditions", [])), timeout=120, interval=0.5, what="Ready")
        hpa = self.get("hpa", "busy-predictor")
        self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], "busy-predictor")
        self.assertEqual(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu")
        self.assertEqual(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 50)

        stop = threading.Event()
        errors = []
        rows = [[6.8, 2.8, 4.8, 1.4]] * 200

        def load():
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            body = json.dumps({"instances": rows})
            while not stop.is_set():
                c.request("POST", "/v1/models/busy:predict", body=body,
                          headers={"Host": "busy.ml-prod.example.com",
                                   "Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors.append(r.status)

        timeline = []
        start = time.time()

        def sample():
            d = self.get("deployment", "busy-predictor") or {}
            timeline.append((round(time.time() - start, 1), d.get("spec", {}).get("replicas"),
                             d.get("status", {}).get("readyReplicas", 0)))
            return timeline[-1]

        threads = [threading.Thread(target=load) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: (sample()[1] or 0) >= 2, timeout=60, interval=0.5,
                     what="the HPA scaling the predictor up")
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])
        top = self.s.kubectl("top", "pod", "-n", "ml-prod", check=False)
        print(top.stdout)
        wait_for(lambda: sample()[1] == 1, timeout=60, interval=0.5,
                 what="back to minReplicas without load")
        print("predictor replicas over time (s, spec, ready):", timeline)
        self.assertTrue(all((r[1] or 0) <= 3 for r in timeline), timeline)
        hpa = self.get("hpa", "busy-predictor")
        print("HPA status:", json.dumps(hpa.get("status", {}))[:600])


if __name__ == "__main__":
    unittest.main()
