"""InferenceService in Knative mode end to end on a real `skiff up` (issue 7's acceptance):
revisions, the canary split measured over 2,000 requests through the gateway, promote, roll
back, a broken revision that never gets traffic, KPA autoscaling from 1 to 5 replicas and back
under real concurrent load, and scale to zero (kept across a kill -9 of `skiff up`) with the
activator holding the next request.

The autoscaler's windows are shortened through Knative's own ConfigMap
(knative-serving/config-autoscaler), as a user would for a demo."""
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

NS = "ml-prod"

AUTOSCALER_CONFIG = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-autoscaler
  namespace: knative-serving
data:
  stable-window: "6s"
  scale-to-zero-grace-period: "2s"
  tick-interval: "500ms"
"""


def isvc_yaml(name, uri, canary=None, min_replicas=1, max_replicas=5, extra=""):
    canary_line = f"    canaryTrafficPercent: {canary}\n" if canary is not None else ""
    return f"""
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
  namespace: {NS}
  annotations:
    serving.kserve.io/deploymentMode: Serverless
spec:
  predictor:
    minReplicas: {min_replicas}
    maxReplicas: {max_replicas}
{canary_line}{extra}    model:
      modelFormat:
        name: sklearn
      storageUri: "{uri}"
"""


class Client:
    """One keep-alive connection to the gateway, addressing one InferenceService by Host."""

    def __init__(self, port, host, model):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.host, self.model = host, model

    def predict(self, instances):
        body = json.dumps({"instances": instances})
        self.conn.request("POST", f"/v1/models/{self.model}:predict", body=body,
                          headers={"Host": self.host, "Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


class KnativeInferenceServiceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = tempfile.mkdtemp(prefix="skiff-kn-models-")
        subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "bench", "make_models.py"),
                        cls.models], check=True, capture_output=True)
        broken = os.path.join(cls.models, "broken")
        os.makedirs(broken)
        with open(os.path.join(broken, "model.joblib"), "wb") as f:
            f.write(b"this is not a pickle")
        # A point where the SVC and the logistic regression disagree tells the revisions apart.
        cls.probe, cls.svc_answer, cls.lr_answer = json.loads(subprocess.run(
            ["/usr/bin/python3", "-c", """
import joblib, json, sys, numpy as np
svc = joblib.load(sys.argv[1] + '/sklearn-iris/model.joblib')
lr = joblib.load(sys.argv[1] + '/sklearn-iris-logreg/model.joblib')
rng = np.random.default_rng(7)
for _ in range(100000):
    x = rng.uniform([4, 2, 1, 0.1], [8, 4.5, 7, 2.5]).round(2)
    a, b = int(svc.predict([x])[0]), int(lr.predict([x])[0])
    if a != b:
        print(json.dumps([x.tolist(), a, b])); break
""", cls.models], check=True, capture_output=True, text=True).stdout)
        cls.port = free_port()
        cls.s = Skiff(args=["--gateway-listen", f"127.0.0.1:{cls.port}"]).start()
        cls.s.kubectl("create", "namespace", NS)
        cls.s.kubectl("create", "namespace", "knative-serving")
        cls.s.kubectl("apply", "-f", "-", input=AUTOSCALER_CONFIG)

    @classmethod
    def tearDownClass(cls):
        cls.s.kubectl("delete", "inferenceservices", "--all", "-A", "--wait=false", check=False)
        cls.s.cleanup()
        shutil.rmtree(cls.models, ignore_errors=True)

    def uri(self, sub):
        return "file://" + os.path.join(self.models, sub)

    def get(self, kind, name):
        r = self.s.kubectl("get", kind, name, "-n", NS, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def status(self, name):
        return (self.get("isvc", name) or {}).get("status", {})

    def cond(self, name, t):
        for c in self.status(name).get("conditions", []):
            if c["type"] == t:
                return c
        return {}

    def traffic(self, name):
        out = {}
        for t in self.status(name).get("components", {}).get("predictor", {}).get("traffic", []):
            out[t["revisionName"]] = out.get(t["revisionName"], 0) + t["percent"]
        return out

    def apply(self, manifest):
        self.s.kubectl("apply", "-f", "-", input=manifest)

    def replicas(self, deployment):
        d = self.get("deployment", deployment) or {}
        return d.get("spec", {}).get("replicas"), d.get("status", {}).get("readyReplicas", 0)

    def shares(self, client, n):
        """Sends n requests for the probe point; returns (svc answers, lr answers)."""
        svc = lr = 0
        for _ in range(n):
            code, body = client.predict([self.probe])
            self.assertEqual(code, 200, body)
            p = body["predictions"][0]
            if p == self.svc_answer:
                svc += 1
            elif p == self.lr_answer:
                lr += 1
            else:
                self.fail(f"unexpected prediction {p}")
        return svc, lr

    def test_canary_promote_rollback_and_broken_revision(self):
        name = "fraud-detector"
        rev = lambda n: f"{name}-predictor-{n:05d}"
        self.apply(isvc_yaml(name, self.uri("sklearn-iris")))
        wait_for(lambda: self.cond(name, "Ready").get("status") == "True", timeout=120,
                 interval=0.3, what="revision 1 Ready")
        st = self.status(name)
        self.assertEqual(st["url"], f"http://{name}.{NS}.example.com")
        self.assertEqual(st["components"]["predictor"]["latestReadyRevision"], rev(1))
        self.assertEqual(self.traffic(name), {rev(1): 100})
        out = self.s.kubectl("get", "isvc", name, "-n", NS).stdout
        print(out)
        self.assertIn(f"http://{name}.{NS}.example.com", out)
        self.assertIn(rev(1), out)
        c = Client(self.port, f"{name}.{NS}.example.com", name)
        # Predictions through the gateway equal sklearn's for all 150 rows.
        with open(os.path.join(self.models, "iris-inputs.json")) as f:
            rows = json.load(f)["instances"]
        want = json.loads(subprocess.run(
            ["/usr/bin/python3", "-c", "import joblib,json,sys; m=joblib.load(sys.argv[1]); "
             "print(json.dumps(m.predict(json.load(open(sys.argv[2]))['instances']).tolist()))",
             os.path.join(self.models, "sklearn-iris", "model.joblib"),
             os.path.join(self.models, "iris-inputs.json")],
            check=True, capture_output=True, text=True).stdout)
        code, body = c.predict(rows)
        self.assertEqual(code, 200, body)
        self.assertEqual(body["predictions"], want)

        # Canary: the logistic regression at 10%.
        self.apply(isvc_yaml(name, self.uri("sklearn-iris-logreg"), canary=10))
        wait_for(lambda: self.traffic(name) == {rev(2): 10, rev(1): 90}, timeout=120,
                 interval=0.3, what="the 10/90 split")
        self.assertEqual(self.cond(name, "Ready").get("status"), "True")
        # The prev tag's host reaches revision 1 only.
        prev = Client(self.port, f"prev-{name}-predictor.{NS}.example.com", name)
        self.assertEqual(self.shares(prev, 20), (20, 0))
        wait_for(lambda: self.replicas(rev(2))[1] >= 1, timeout=60, what="revision 2 pods ready")
        svc, lr = self.shares(c, 2000)
        print(f"canary 10%: {lr} of 2000 requests served by {rev(2)} ({lr / 20:.1f}%)")
        self.assertTrue(170 <= lr <= 230, f"{lr} of 2000 on the canary, want 10% ± 3")

        # Promote: drop the field.
        self.apply(isvc_yaml(name, self.uri("sklearn-iris-logreg")))
        wait_for(lambda: self.traffic(name) == {rev(2): 100}, timeout=60, what="promotion")
        self.assertEqual(self.shares(c, 200), (0, 200))
        comp = self.status(name)["components"]["predictor"]
        self.assertEqual(comp["latestRolledoutRevision"], rev(2))
        self.assertEqual(comp["previousRolledoutRevision"], rev(1))
        out = self.s.kubectl("get", "isvc", name, "-n", NS).stdout
        print(out)

        # Roll back: 0% to the latest; revision 1 (scaled to zero meanwhile, perhaps) serves all.
        self.apply(isvc_yaml(name, self.uri("sklearn-iris-logreg"), canary=0))
        wait_for(lambda: self.traffic(name).get(rev(1)) == 100, timeout=60, what="roll back")
        self.assertEqual(self.shares(c, 200), (200, 0))
        self.assertEqual(self.status(name)["components"]["predictor"]["latestRolledoutRevision"],
                         rev(1))

        # A broken model: revision 3 fails to load; it never receives traffic, the old
        # revisions keep serving, and the InferenceService says why.
        self.apply(isvc_yaml(name, self.uri("broken"), canary=10))
        wait_for(lambda: self.cond(name, "Ready").get("status") == "False", timeout=120,
                 interval=0.3, what="Ready=False for the broken revision")
        ready = self.cond(name, "Ready")
        print("broken revision:", ready)
        self.assertEqual(ready["reason"], "RevisionFailed")
        self.assertIn(rev(3), ready["message"])
        self.assertNotIn(rev(3), self.traffic(name))
        svc, lr = self.shares(c, 300)
        self.assertEqual(svc + lr, 300)
        metrics = str(self.s.request("GET", "/metrics")[1])
        self.assertIn(f'revision_name="{rev(1)}"', metrics)
        self.assertNotIn(f'revision_name="{rev(3)}"', metrics)
        st = self.status(name)
        self.assertEqual(st["modelStatus"]["lastFailureInfo"]["modelRevisionName"], rev(3))

    def test_autoscaling_up_and_down_with_load(self):
        name = "autoscaled"
        rev = f"{name}-predictor-00001"
        # scaleTarget 1: a target of 0.7 requests in flight per pod, so 4 busy clients want 6
        # pods and get maxReplicas 5. containerConcurrency 2: a pod takes two requests at once;
        # the others wait in the gateway (none fails) and count as load.
        self.apply(isvc_yaml(name, self.uri("sklearn-iris"), max_replicas=5,
                             extra="    scaleTarget: 1\n    containerConcurrency: 2\n"))
        wait_for(lambda: self.cond(name, "Ready").get("status") == "True", timeout=120,
                 interval=0.3, what="Ready")
        stop = threading.Event()
        errors = []

        def load():
            c = Client(self.port, f"{name}.{NS}.example.com", name)
            while not stop.is_set():
                code, body = c.predict([[5.1, 3.5, 1.4, 0.2]] * 20)
                if code != 200:
                    errors.append((code, body))

        timeline = []
        start = time.time()

        def sample():
            timeline.append((round(time.time() - start, 1), *self.replicas(rev)))
            return timeline[-1]

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: sample()[2] >= 5, timeout=90, interval=0.5,
                     what="5 ready replicas under load")
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])
        self.assertTrue(all(r[1] <= 5 for r in timeline), timeline)
        wait_for(lambda: sample()[1] == 1, timeout=90, interval=0.5,
                 what="back to minReplicas after the window")
        print("replicas over time (s, spec, ready):", timeline)
        self.assertEqual(self.replicas(rev)[0], 1)

    def test_scale_to_zero_and_cold_start(self):
        name = "sleepy"
        rev = f"{name}-predictor-00001"
        self.apply(isvc_yaml(name, self.uri("sklearn-iris"), min_replicas=0))
        wait_for(lambda: self.cond(name, "Ready").get("status") == "True", timeout=120,
                 interval=0.3, what="Ready")
        c = Client(self.port, f"{name}.{NS}.example.com", name)
        self.assertEqual(c.predict([[5.1, 3.5, 1.4, 0.2]])[0], 200)

        def pods():
            r = self.s.kubectl("get", "pods", "-n", NS, "-l",
                               f"serving.knative.dev/revision={rev}", "-o", "json")
            return [p for p in json.loads(r.stdout)["items"]
                    if not p["metadata"].get("deletionTimestamp")]

        wait_for(lambda: self.replicas(rev)[0] == 0 and not pods(), timeout=90, interval=0.5,
                 what="scale to zero when idle")
        # Still Ready at zero, as Knative's revisions are.
        self.assertEqual(self.cond(name, "Ready").get("status"), "True")
        # kill -9 and restart: the autoscaler's state is on the Deployment, so the revision
        # stays at zero (it is not brought back to its initial scale) and stays Ready.
        self.s.kill9()
        self.s.start()
        wait_for(lambda: self.cond(name, "Ready").get("status") == "True", timeout=30,
                 what="Ready after the restart")
        self.assertEqual(self.get("deployment", rev)["metadata"]["annotations"]
                         ["autoscaling.skiff.dev/state"], "Inactive,1")
        end = time.time() + 5  # several autoscaler ticks (500 ms) after the restart
        while time.time() < end:
            self.assertEqual(self.replicas(rev)[0], 0)
            time.sleep(0.5)
        c = Client(self.port, f"{name}.{NS}.example.com", name)
        t0 = time.monotonic()
        code, body = c.predict([[5.1, 3.5, 1.4, 0.2]])
        cold = time.monotonic() - t0
        print(f"cold start from zero replicas: {cold * 1000:.0f} ms")
        self.assertEqual(code, 200, body)
        self.assertEqual(body["predictions"], [0])
        self.assertEqual(self.replicas(rev)[0], 1)


if __name__ == "__main__":
    unittest.main()
