"""InferenceService (Standard mode) end to end on a real `skiff up`: the seed's isvc-sklearn.yaml
with only its storageUri changed to a local file:// model (the SVC iris model from
make_models.py) becomes a Deployment + Service running skiff-serve-sklearn; it turns Ready with
its URL; predictions through the Service's ClusterIP equal sklearn's. Bad input as kubectl shows
it. (Canary, Knative mode, gateway routing and autoscaling are the rest of issue 7.)"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

from skiff_testlib import SEED, SHARED, Skiff, free_port, wait_for


class InferenceServiceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = tempfile.mkdtemp(prefix="skiff-isvc-models-")
        subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "bench", "make_models.py"),
                        cls.models], check=True, capture_output=True)
        cls.gateway_port = free_port()
        cls.s = Skiff(args=["--gateway-listen", f"127.0.0.1:{cls.gateway_port}"]).start()
        cls.s.kubectl("create", "namespace", "ml-prod")

    @classmethod
    def tearDownClass(cls):
        cls.s.kubectl("delete", "inferenceservices", "--all", "-A", "--wait=false", check=False)
        cls.s.cleanup()
        shutil.rmtree(cls.models, ignore_errors=True)

    def cond(self, obj, t):
        for c in (obj or {}).get("status", {}).get("conditions", []):
            if c["type"] == t:
                return c
        return None

    def get(self, kind, name, ns="ml-prod"):
        r = self.s.kubectl("get", kind, name, "-n", ns, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def test_seed_isvc_with_local_model_serves_sklearn_predictions(self):
        with open(os.path.join(SEED, "isvc-sklearn.yaml")) as f:
            manifest = f.read()
        uri = "file://" + os.path.join(self.models, "sklearn-iris")
        manifest = manifest.replace('"gs://kfserving-examples/models/sklearn/1.0/model"', uri)
        self.assertIn(uri, manifest)
        self.s.kubectl("apply", "-f", "-", input=manifest)
        wait_for(lambda: (self.cond(self.get("isvc", "fraud-detector"), "Ready") or {})
                 .get("status") == "True", timeout=120, interval=0.5,
                 what="the InferenceService Ready")
        isvc = self.get("isvc", "fraud-detector")
        self.assertEqual(isvc["status"]["url"], "http://fraud-detector.ml-prod.example.com")
        out = self.s.kubectl("get", "isvc", "-n", "ml-prod").stdout
        self.assertIn("http://fraud-detector.ml-prod.example.com", out)
        self.assertEqual(self.get("deployment", "fraud-detector-predictor")["spec"]["replicas"], 1)
        svc = self.get("service", "fraud-detector-predictor")
        ip = svc["spec"]["clusterIP"]
        with open(os.path.join(self.models, "iris-inputs.json")) as f:
            body = f.read()
        req = urllib.request.Request(f"http://{ip}/v1/models/fraud-detector:predict",
                                     data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        got = wait_for(lambda: self.predict(req), timeout=60, what="a prediction")
        # Through the gateway on :8080, by Host, as the acceptance curl does.
        via_gw = urllib.request.Request(
            f"http://127.0.0.1:{self.gateway_port}/v1/models/fraud-detector:predict",
            data=body.encode(), method="POST",
            headers={"Content-Type": "application/json",
                     "Host": "fraud-detector.ml-prod.example.com"})
        through = wait_for(lambda: self.predict(via_gw), timeout=30, what="a gateway prediction")
        self.assertEqual(through, got)
        want = subprocess.run(
            ["/usr/bin/python3", "-c",
             "import joblib,json,sys; m=joblib.load(sys.argv[1]); "
             "print(json.dumps(m.predict(json.load(open(sys.argv[2]))['instances']).tolist()))",
             os.path.join(self.models, "sklearn-iris", "model.joblib"),
             os.path.join(self.models, "iris-inputs.json")],
            check=True, capture_output=True, text=True).stdout
        self.assertEqual(got["predictions"], json.loads(want))

    @staticmethod
    def predict(req):
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except OSError:
            return None

    TRANSFORMER = """
import argparse, http.server, json, urllib.request
p = argparse.ArgumentParser()
p.add_argument("--model_name"); p.add_argument("--predictor_host")
p.add_argument("--http_port", type=int, default=8080)
a, _ = p.parse_known_args()
FIELDS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
NAMES = ["setosa", "versicolor", "virginica"]
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, data):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.reply(b"{}")
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        rows = [[r[f] for f in FIELDS] for r in body["instances"]]
        req = urllib.request.Request(
            f"http://{a.predictor_host}/v1/models/{a.model_name}:predict",
            data=json.dumps({"instances": rows}).encode(),
            headers={"Content-Type": "application/json"})
        out = json.loads(urllib.request.urlopen(req, timeout=30).read())
        self.reply(json.dumps({"predictions": [NAMES[p] for p in out["predictions"]]}).encode())
http.server.ThreadingHTTPServer(("0.0.0.0", a.http_port), H).serve_forever()
"""

    def test_transformer_in_front_of_the_predictor(self):
        """A custom transformer (Python, as users write them) gets --predictor_host and turns
        named features into rows and class ids into names; the gateway sends the isvc's host to
        it, and it calls the predictor through the cluster DNS name KServe gives it."""
        isvc = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                "metadata": {"name": "iris-tx", "namespace": "ml-prod"},
                "spec": {"predictor": {"model": {
                             "modelFormat": {"name": "sklearn"},
                             "storageUri": "file://" + os.path.join(self.models, "sklearn-iris")}},
                         "transformer": {"containers": [{
                             "name": "kserve-container", "image": "python:3.11",
                             "command": ["python3", "-c", self.TRANSFORMER],
                             "readinessProbe": {"httpGet": {"path": "/", "port": 8080},
                                                "periodSeconds": 1}}]}}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(isvc))
        wait_for(lambda: (self.cond(self.get("isvc", "iris-tx"), "Ready") or {})
                 .get("status") == "True", timeout=120, interval=0.5, what="Ready")
        st = self.get("isvc", "iris-tx")["status"]
        self.assertEqual(self.cond({"status": st}, "TransformerReady")["status"], "True")
        self.assertEqual(st["address"]["url"],
                         "http://iris-tx-transformer.ml-prod.svc.cluster.local")
        body = json.dumps({"instances": [
            {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
            {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}]})
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.gateway_port}/v1/models/iris-tx:predict",
            data=body.encode(), method="POST",
            headers={"Content-Type": "application/json", "Host": "iris-tx.ml-prod.example.com"})
        got = wait_for(lambda: self.predict(req), timeout=30, what="a transformed prediction")
        self.assertEqual(got["predictions"], ["setosa", "virginica"])

    def test_bad_input(self):
        base = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                "metadata": {"name": "bad", "namespace": "ml-prod"},
                "spec": {"predictor": {"minReplicas": 3, "maxReplicas": 2, "model": {
                    "modelFormat": {"name": "sklearn"}, "storageUri": "file:///tmp/x"}}}}
        r = self.s.kubectl("apply", "-f", "-", input=json.dumps(base), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('The InferenceService "bad" is invalid', r.stderr)
        self.assertIn("spec.predictor.minReplicas", r.stderr)
        self.assertIn("cannot be greater than MaxReplicas", r.stderr)
        canary = json.loads(json.dumps(base))
        canary["spec"]["predictor"].update({"minReplicas": 1, "maxReplicas": 2,
                                            "canaryTrafficPercent": 150})
        r = self.s.kubectl("apply", "-f", "-", input=json.dumps(canary), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("canaryTrafficPercent", r.stderr)
        # An unknown model format is not an admission error upstream: Ready=False says why.
        unknown = json.loads(json.dumps(base))
        unknown["metadata"]["name"] = "no-runtime"
        unknown["spec"]["predictor"] = {"model": {"modelFormat": {"name": "caffe"},
                                                  "storageUri": "file:///tmp/x"}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(unknown))
        wait_for(lambda: (self.cond(self.get("isvc", "no-runtime"), "Ready") or {})
                 .get("status") == "False", timeout=30, what="Ready=False")
        ready = self.cond(self.get("isvc", "no-runtime"), "Ready")
        self.assertIn("caffe", ready.get("message", "") + json.dumps(
            self.get("isvc", "no-runtime")["status"]))
        self.assertIsNone(self.get("deployment", "no-runtime-predictor"))

        # A runtime name that does not exist.
        named = json.loads(json.dumps(base))
        named["metadata"]["name"] = "named-runtime"
        named["spec"]["predictor"] = {"model": {"modelFormat": {"name": "sklearn"},
                                                "runtime": "kserve-nope",
                                                "storageUri": "file:///tmp/x"}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(named))
        wait_for(lambda: (self.cond(self.get("isvc", "named-runtime"), "Ready") or {})
                 .get("reason") == "RuntimeNotRecognized", timeout=30, what="RuntimeNotRecognized")
        self.assertIn("kserve-nope", self.cond(self.get("isvc", "named-runtime"), "Ready")["message"])

        # A storage path that does not exist: the storage initializer fails with the path, the
        # InferenceService is Ready=False with that message, and its pod does not start serving.
        missing = json.loads(json.dumps(base))
        missing["metadata"]["name"] = "missing-model"
        missing["spec"]["predictor"] = {"model": {"modelFormat": {"name": "sklearn"},
                                                  "storageUri": "file:///nonexistent/iris"}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(missing))
        wait_for(lambda: (self.cond(self.get("isvc", "missing-model"), "Ready") or {})
                 .get("reason") == "ModelLoadFailed", timeout=60, what="ModelLoadFailed")
        st = self.get("isvc", "missing-model")["status"]
        self.assertIn("/nonexistent/iris does not exist", self.cond({"status": st}, "Ready")["message"])
        self.assertEqual(st["modelStatus"]["transitionStatus"], "BlockedByFailedLoad")
        self.assertEqual(st["modelStatus"]["lastFailureInfo"]["reason"], "ModelLoadFailed")


if __name__ == "__main__":
    unittest.main()
