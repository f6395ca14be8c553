#!/usr/bin/python3
"""End-to-end tests of the model servers (skiff-serve-sklearn, skiff-serve-xgboost): real
processes on free ports, models from $SKIFF_SHARED/bench/make_models.py, predictions compared
exactly with the Python libraries' own, over V1 REST, V2 REST (JSON and binary) and V2 gRPC;
bad input answered with KServe-shaped errors; batching under 64 concurrent clients; payload
logger; SIGTERM drain. Waits are on the servers' own log lines and sockets, never sleeps.

Run: SKIFF_BIN=build/src/cli/skiff SKIFF_SHARED=/work/shared /usr/bin/python3 test_serving.py
(executables are found in SKIFF_BUILD_DIR, else in the build tree that holds SKIFF_BIN)."""
import http.client
import http.server
import json
import os
import queue
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import unittest

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("SKIFF_SHARED", os.path.join(REPO, "..", "shared"))


def build_dir():
    if os.environ.get("SKIFF_BUILD_DIR"):
        return os.environ["SKIFF_BUILD_DIR"]
    skiff_bin = os.environ.get("SKIFF_BIN")
    if skiff_bin:  # <build>/src/cli/skiff
        return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(skiff_bin))))
    return os.path.join(REPO, "build")


BUILD = build_dir()
SKLEARN = os.path.join(BUILD, "src", "runtimes", "sklearn", "skiff-serve-sklearn")
XGBOOST = os.path.join(BUILD, "src", "runtimes", "xgboost", "skiff-serve-xgboost")
TORCH = os.path.join(BUILD, "src", "runtimes", "torch", "skiff-serve-torch")  # optional
START_TIMEOUT = 120  # seconds; bounds a failure only


class Server:
    """One skiff-serve-* process. Ports come from its 'listening' log lines."""

    def __init__(self, exe, model_dir, name, *flags, env=None):
        self.name = name
        self.lines = queue.Queue()
        self.log = []
        self.proc = subprocess.Popen(
            [exe, "--model_name", name, "--model_dir", model_dir, "--http_port", "0",
             "--grpc_port", "0", "--http_host", "127.0.0.1", *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})})
        self._pumped = threading.Thread(target=self._pump, daemon=True)
        self._pumped.start()
        self.port = int(self.wait_for(r"listening http=[^ ]*:(\d+)").group(1))
        self.grpc_port = None
        for line in self.log:
            m = re.search(r"listening grpc=[^ ]*:(\d+)", line)
            if m:
                self.grpc_port = int(m.group(1))
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def _pump(self):
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern):
        """Blocks until a log line matches (the server's own event), or fails."""
        rx = re.compile(pattern)
        for line in self.log:
            if rx.search(line):
                return rx.search(line)
        while True:
            line = self.lines.get(timeout=START_TIMEOUT)
            if line is None:
                raise AssertionError("server exited:\n" + "".join(self.log))
            self.log.append(line)
            m = rx.search(line)
            if m:
                return m

    def wait_loaded(self):
        m = self.wait_for(r"model=\S+ (ready in|failed to load)")
        return m.group(1) == "ready in"

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers, body bytes) over the keep-alive connection."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return r.status, r, data

    def json(self, method, path, body=None, headers=None):
        status, _, data = self.request(method, path, body, headers)
        return status, json.loads(data)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(timeout=60)
        else:
            rc = self.proc.returncode
        self.conn.close()
        self._pumped.join(timeout=60)
        self.proc.stderr.close()
        return rc


class ServingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for exe in (SKLEARN, XGBOOST):
            if not os.path.exists(exe):
                raise unittest.SkipTest(f"{exe} not built")
        cls.tmp = tempfile.mkdtemp(prefix="skiff-serving-e2e-")
        subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "bench", "make_models.py"),
                        cls.tmp], check=True, stdout=subprocess.DEVNULL)
        import joblib
        import xgboost as xgb
        from sklearn.datasets import load_iris
        cls.X, _ = load_iris(return_X_y=True)
        cls.svc = joblib.load(os.path.join(cls.tmp, "sklearn-iris", "model.joblib"))
        cls.logreg = joblib.load(os.path.join(cls.tmp, "sklearn-iris-logreg", "model.joblib"))
        booster = xgb.Booster()
        booster.load_model(os.path.join(cls.tmp, "xgboost-iris", "model.json"))
        cls.xgb_expected = booster.predict(xgb.DMatrix(cls.X)).tolist()
        cls.servers = []

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def start(self, exe, model, name, *flags, env=None, expect_ready=True):
        s = Server(exe, os.path.join(self.tmp, model), name, *flags, env=env)
        self.servers.append(s)
        self.assertEqual(s.wait_loaded(), expect_ready, "".join(s.log))
        return s

    # ---- helpers -------------------------------------------------------------------------

    def v1(self, s, rows, name=None):
        status, body = s.json("POST", f"/v1/models/{name or s.name}:predict", {"instances": rows})
        self.assertEqual(status, 200, body)
        return body["predictions"]

    def v2_json(self, s, rows, datatype="FP64", outputs=None):
        req = {"id": "req-1", "inputs": [{"name": "input-0", "shape": [len(rows), len(rows[0])],
                                          "datatype": datatype, "data": rows}]}
        if outputs:
            req["outputs"] = [{"name": o} for o in outputs]
        status, body = s.json("POST", f"/v2/models/{s.name}/infer", req)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["id"], "req-1")
        self.assertEqual(body["model_name"], s.name)
        return body["outputs"]

    def v2_binary(self, s, rows, outputs=None):
        arr = np.asarray(rows, dtype="<f8")
        header = {"inputs": [{"name": "input-0", "shape": list(arr.shape), "datatype": "FP64",
                              "parameters": {"binary_data_size": arr.nbytes}}],
                  "parameters": {"binary_data_output": True}}
        if outputs:
            header["outputs"] = [{"name": o} for o in outputs]
        js = json.dumps(header).encode()
        status, resp, data = s.request(
            "POST", f"/v2/models/{s.name}/infer", js + arr.tobytes(),
            {"Inference-Header-Content-Length": str(len(js)),
             "Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, data)
        n = int(resp.getheader("Inference-Header-Content-Length"))
        meta = json.loads(data[:n])
        out = meta["outputs"][0]
        dtype = {"INT64": "<i8", "INT32": "<i4", "FP64": "<f8", "FP32": "<f4"}[out["datatype"]]
        size = out["parameters"]["binary_data_size"]
        values = np.frombuffer(data[n:n + size], dtype=dtype).reshape(out["shape"])
        return values.tolist()

    def assert_still_serving(self, s):
        self.assertEqual(self.v1(s, self.X[:2].tolist()), self.svc.predict(self.X[:2]).tolist())

    # ---- predictions over all 150 rows ---------------------------------------------------

    def test_sklearn_svc_identical(self):
        s = self.start(SKLEARN, "sklearn-iris", "sklearn-iris")
        rows = self.X.tolist()
        want = self.svc.predict(self.X).tolist()
        self.assertEqual(self.v1(s, rows), want)
        self.assertEqual([self.v1(s, [r])[0] for r in rows], want)  # one row per request
        out = self.v2_json(s, rows)
        self.assertEqual(out[0]["name"], "output-0")
        self.assertEqual(out[0]["shape"], [150])
        self.assertEqual(out[0]["data"], want)
        self.assertEqual(self.v2_binary(s, rows), want)
        # FP32 inputs are widened to float64 as numpy would.
        out32 = self.v2_json(s, rows, "FP32")
        self.assertEqual(out32[0]["data"],
                         self.svc.predict(np.asarray(rows, dtype=np.float32)).tolist())

    def test_sklearn_logreg_proba(self):
        s = self.start(SKLEARN, "sklearn-iris-logreg", "logreg")
        rows = self.X.tolist()
        self.assertEqual(self.v1(s, rows), self.logreg.predict(self.X).tolist())
        proba = self.logreg.predict_proba(self.X).tolist()
        out = self.v2_json(s, rows, outputs=["predict_proba"])
        self.assertEqual(out[0]["name"], "predict_proba")
        self.assertEqual(np.asarray(out[0]["data"]).reshape(150, 3).tolist(), proba)
        self.assertEqual(self.v2_binary(s, rows, outputs=["predict_proba"]), proba)
        # KServe's switch: PREDICT_PROBA=true makes predict answer probabilities.
        p = self.start(SKLEARN, "sklearn-iris-logreg", "logreg-proba",
                       env={"PREDICT_PROBA": "true"})
        self.assertEqual(self.v1(p, rows), proba)

    def test_xgboost_identical(self):
        s = self.start(XGBOOST, "xgboost-iris", "xgb", "--nthread", "1")
        rows = self.X.tolist()
        self.assertEqual(self.v1(s, rows), self.xgb_expected)
        out = self.v2_json(s, rows)
        self.assertEqual(out[0]["datatype"], "FP32")
        self.assertEqual(out[0]["shape"], [150, 3])
        self.assertEqual(np.asarray(out[0]["data"]).reshape(150, 3).tolist(), self.xgb_expected)
        self.assertEqual(self.v2_binary(s, rows), self.xgb_expected)
        status, md = s.json("GET", "/v2/models/xgb")
        self.assertEqual(status, 200)
        self.assertEqual(md["platform"], "xgboost")
        self.assertEqual(md["inputs"][0]["shape"], [-1, 4])
        # The batched path gives the same numbers.
        b = self.start(XGBOOST, "xgboost-iris", "xgb-batched", "--max_batch_size", "32")
        self.assertEqual([self.v1(b, [r])[0] for r in rows], self.xgb_expected)

    # ---- protocol surface ----------------------------------------------------------------

    def test_health_and_metadata(self):
        s = self.start(SKLEARN, "sklearn-iris", "iris")
        self.assertEqual(s.json("GET", "/"), (200, {"status": "alive"}))
        self.assertEqual(s.json("GET", "/v2/health/live"), (200, {"live": True}))
        self.assertEqual(s.json("GET", "/v2/health/ready"), (200, {"ready": True}))
        self.assertEqual(s.json("GET", "/v1/models"), (200, {"models": ["iris"]}))
        self.assertEqual(s.json("GET", "/v2/models"), (200, {"models": ["iris"]}))
        self.assertEqual(s.json("GET", "/v1/models/iris"), (200, {"name": "iris", "ready": True}))
        self.assertEqual(s.json("GET", "/v2/models/iris/ready"),
                         (200, {"name": "iris", "ready": True}))
        self.assertEqual(s.json("GET", "/v2/models/iris/versions/1/ready")[0], 200)
        status, server = s.json("GET", "/v2")
        self.assertEqual(status, 200)
        self.assertIn("model_repository_extension", server["extensions"])
        status, md = s.json("GET", "/v2/models/iris")
        self.assertEqual((status, md["name"], md["platform"]), (200, "iris", "sklearn"))
        self.assertEqual(md["inputs"][0]["shape"], [-1, 4])
        # Repository extension: unload makes it not ready, load brings it back.
        self.assertEqual(s.json("POST", "/v2/repository/models/iris/unload"),
                         (200, {"name": "iris", "unload": True}))
        self.assertEqual(s.json("GET", "/v2/models/iris/ready")[0], 503)
        self.assertEqual(s.json("POST", "/v1/models/iris:predict",
                                {"instances": [[1, 2, 3, 4]]})[0], 503)
        self.assertEqual(s.json("POST", "/v2/repository/models/iris/load"),
                         (200, {"name": "iris", "load": True}))
        self.assert_still_serving(s)

    def test_bad_input(self):
        s = self.start(SKLEARN, "sklearn-iris", "iris-bad", "--max_body_bytes", "100000")
        infer = "/v2/models/iris-bad/infer"

        def check(status, body, want_status, path=None, headers=None):
            got, data = s.json("POST", path or infer, body, headers) if not isinstance(
                body, (bytes, str)) else self._raw(s, path or infer, body, headers)
            self.assertEqual(got, want_status, data)
            if want_status == 422:
                self.assertIn("detail", data)
            else:
                self.assertIsInstance(data.get("error"), str, data)
            self.assert_still_serving(s)
            return data

        good = {"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}
        # Malformed JSON (V1 and V2).
        check(None, "{\"instances\": [[1,2,", 400, "/v1/models/iris-bad:predict")
        check(None, "{\"inputs\": [", 400)
        # Wrong shape: 3 features for a 4-feature model; and rows of unequal length.
        check(None, {"inputs": [{**good, "shape": [1, 3], "data": [1, 2, 3]}]}, 400)
        check(None, {"instances": [[1, 2, 3]]}, 400, "/v1/models/iris-bad:predict")
        check(None, {"instances": [[1, 2, 3, 4], [1, 2]]}, 400, "/v1/models/iris-bad:predict")
        # Wrong datatype: unknown name, and values that do not fit the type.
        check(None, {"inputs": [{**good, "datatype": "FP33"}]}, 400)
        check(None, {"inputs": [{**good, "datatype": "INT8", "data": [1, 2, 3, 900]}]}, 400)
        check(None, {"inputs": [{**good, "datatype": "FP64", "data": [1, 2, "x", 4]}]}, 400)
        # Data length not matching the shape.
        check(None, {"inputs": [{**good, "data": [1, 2, 3]}]}, 400)
        # Schema failures, as KServe's FastAPI layer answers them.
        check(None, {"inputs": [{"name": "input-0"}]}, 422)
        # Unknown model.
        data = check(None, {"inputs": [good]}, 404, "/v2/models/nope/infer")
        self.assertEqual(data["error"], "Model with name nope does not exist.")
        check(None, {"instances": [[1, 2, 3, 4]]}, 404, "/v1/models/nope:predict")
        # Huge body, beyond --max_body_bytes: refused before it is read.
        big = json.dumps({"instances": [[1.0, 2.0, 3.0, 4.0]] * 20000})
        self.assertGreater(len(big), 100000)
        check(None, big, 413, "/v1/models/iris-bad:predict")
        # Truncated binary tensor.
        js = json.dumps({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64",
                                     "parameters": {"binary_data_size": 32}}]}).encode()
        raw = js + np.asarray([1, 2, 3, 4], dtype="<f8").tobytes()[:20]
        check(None, raw, 400, headers={"Inference-Header-Content-Length": str(len(js))})
        check(None, raw, 400, headers={"Inference-Header-Content-Length": "x12"})
        # Unknown routes and verbs.
        self.assertEqual(s.request("GET", "/v2/models/iris-bad/infer")[0], 405)
        self.assertEqual(s.request("GET", "/nothing/here")[0], 404)
        self.assert_still_serving(s)
        text = s.request("GET", "/metrics")[2].decode()
        self.assertRegex(text, r'skiff_serving_requests_total\{protocol="v2",model="iris-bad",'
                               r'code="400"\} \d+')

    def _raw(self, s, path, body, headers):
        status, _, data = s.request("POST", path, body, headers)
        return status, json.loads(data)

    def test_corrupt_model(self):
        bad = os.path.join(self.tmp, "corrupt")
        os.makedirs(bad, exist_ok=True)
        with open(os.path.join(bad, "model.joblib"), "wb") as f:
            f.write(b"this is not a pickle\x00\x01")
        s = self.start(SKLEARN, "corrupt", "broken", expect_ready=False)
        self.assertTrue(any("failed to load" in line for line in s.log), s.log)
        self.assertEqual(s.json("GET", "/v2/health/live"), (200, {"live": True}))
        status, body = s.json("GET", "/v2/health/ready")
        self.assertEqual(status, 503)
        status, body = s.json("GET", "/v2/models/broken")
        self.assertEqual(status, 503)
        self.assertIn("Failed to load", body["error"])
        self.assertIn("model.joblib", body["error"])
        self.assertEqual(s.json("GET", "/v1/models/broken")[0], 503)
        self.assertEqual(s.json("POST", "/v1/models/broken:predict",
                                {"instances": [[1, 2, 3, 4]]})[0], 503)
        # Two model files are refused as KServe refuses them.
        two = os.path.join(self.tmp, "two")
        os.makedirs(two, exist_ok=True)
        for n in ("a.joblib", "b.pkl"):
            shutil.copy(os.path.join(self.tmp, "sklearn-iris", "model.joblib"),
                        os.path.join(two, n))
        t = self.start(SKLEARN, "two", "two", expect_ready=False)
        self.assertIn("More than one model file", t.json("GET", "/v2/models/two")[1]["error"])
        x = self.start(XGBOOST, "corrupt", "xgb-missing", expect_ready=False)
        self.assertIn("Missing model file", x.json("GET", "/v2/models/xgb-missing")[1]["error"])

    # ---- batching ------------------------------------------------------------------------

    def test_batching_64_clients(self):
        s = self.start(SKLEARN, "sklearn-iris-logreg", "batched", "--max_batch_size", "64",
                       "--max_latency_ms", "20", "--predict_proba")
        proba = self.logreg.predict_proba(self.X).tolist()
        errors = []
        start = threading.Barrier(64)

        def client(i):
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
            try:
                start.wait()
                for k in range(8):
                    row = (i * 8 + k) % 150
                    conn.request("POST", "/v1/models/batched:predict",
                                 json.dumps({"instances": [self.X[row].tolist()]}))
                    r = conn.getresponse()
                    body = json.loads(r.read())
                    if r.status != 200 or body["predictions"] != [proba[row]]:
                        errors.append((row, r.status, body))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        text = s.request("GET", "/metrics")[2].decode()
        single = int(re.search(r'skiff_serving_batch_size_bucket\{model="batched",le="1.0"\} (\d+)',
                               text).group(1))
        calls = int(re.search(r'skiff_serving_batch_size_count\{model="batched"\} (\d+)',
                              text).group(1))
        self.assertLess(calls, 512, text)   # fewer model calls than requests
        self.assertLess(single, calls, text)  # and some calls served several requests
        self.assertRegex(text, r'skiff_serving_requests_total\{protocol="v1",model="batched",'
                               r'code="200"\} 512')
        self.assertIn("skiff_serving_queue_duration_seconds_count", text)
        self.assertIn('skiff_serving_inflight_requests{model="batched"} 0', text)

    def test_xgboost_loop_batching_64_clients(self):
        # XGBoost batches on the HTTP loops (one model call per loop round, and with two loops
        # a flush on one loop may answer the other's requests); requests of 1-3 rows from 64
        # concurrent clients must each get exactly their own rows back.
        for workers in ("1", "2"):
            name = f"looped{workers}"
            s = self.start(XGBOOST, "xgboost-iris", name, "--workers", workers)
            s.wait_for(rf"model={name} ready .*path=loop")
            errors = []
            start = threading.Barrier(64)

            def client(i):
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
                try:
                    start.wait()
                    for k in range(8):
                        row, n = (i * 8 + k) % 148, 1 + (i + k) % 3
                        conn.request("POST", f"/v1/models/{name}:predict",
                                     json.dumps({"instances": self.X[row:row + n].tolist()}))
                        r = conn.getresponse()
                        body = json.loads(r.read())
                        want = self.xgb_expected[row:row + n]
                        if r.status != 200 or body["predictions"] != want:
                            errors.append((row, n, r.status, body))
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(repr(e))
                finally:
                    conn.close()

            threads = [threading.Thread(target=client, args=(i,)) for i in range(64)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            text = s.request("GET", "/metrics")[2].decode()
            self.assertRegex(text, rf'skiff_serving_requests_total\{{protocol="v1",model="{name}",'
                                   r'code="200"\} 512')
            self.assertIn(f'skiff_serving_inflight_requests{{model="{name}"}} 0', text)

    # ---- payload logger and drain --------------------------------------------------------

    def test_payload_logger(self):
        events = queue.Queue()

        class Sink(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                events.put((dict((k.lower(), v) for k, v in self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        try:
            s = self.start(SKLEARN, "sklearn-iris", "logged", "--logger_url",
                           f"http://127.0.0.1:{sink.server_address[1]}/events")
            body = {"instances": self.X[:3].tolist()}
            status, _, _ = s.request("POST", "/v1/models/logged:predict", json.dumps(body),
                                     {"Ce-Id": "my-id", "Content-Type": "application/json"})
            self.assertEqual(status, 200)
            got = [events.get(timeout=30), events.get(timeout=30)]
            types = sorted(h["ce-type"] for h, _ in got)
            self.assertEqual(types, ["org.kubeflow.serving.inference.request",
                                     "org.kubeflow.serving.inference.response"])
            for headers, payload in got:
                self.assertEqual(headers["ce-id"], "my-id")
                self.assertEqual(headers["ce-specversion"], "1.0")
                self.assertIn("ce-source", headers)
                self.assertEqual(headers["ce-inferenceservicename"], "logged")
                if headers["ce-type"].endswith("request"):
                    self.assertEqual(json.loads(payload), body)
                else:
                    self.assertEqual(json.loads(payload)["predictions"],
                                     self.svc.predict(self.X[:3]).tolist())
        finally:
            sink.shutdown()
            sink.server_close()

    def test_sigterm_drains_and_exits_cleanly(self):
        s = Server(XGBOOST, os.path.join(self.tmp, "xgboost-iris"), "drain")
        self.assertTrue(s.wait_loaded())
        self.assertEqual(self.v1(s, self.X[:1].tolist()), self.xgb_expected[:1])
        self.assertEqual(s.stop(), 0)
        s.wait_for("received signal .*, draining")
        s.wait_for("component=serving stopped")

    def test_sigterm_answers_in_flight_request(self):
        # A batch that waits up to 3 s for company keeps the request in flight.
        s = Server(SKLEARN, os.path.join(self.tmp, "sklearn-iris"), "inflight",
                   "--max_batch_size", "64", "--max_latency_ms", "3000")
        self.assertTrue(s.wait_loaded())
        result = {}

        def send():
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
            conn.request("POST", "/v1/models/inflight:predict",
                         json.dumps({"instances": self.X[:1].tolist()}))
            r = conn.getresponse()
            result["status"], result["body"] = r.status, json.loads(r.read())
            conn.close()

        t = threading.Thread(target=send)
        t.start()
        for _ in range(100000):  # bounded: until the server reports the request in flight
            text = s.request("GET", "/metrics")[2].decode()
            if 'skiff_serving_inflight_requests{model="inflight"} 1' in text:
                break
        else:
            self.fail("request never in flight")
        self.assertEqual(s.stop(), 0)
        t.join(timeout=60)
        self.assertEqual(result.get("status"), 200, result)
        self.assertEqual(result["body"]["predictions"], self.svc.predict(self.X[:1]).tolist())

    # ---- gRPC ----------------------------------------------------------------------------

    def test_grpc(self):
        try:
            import grpc
        except ImportError:
            self.skipTest("python3-grpcio not installed")
        pb = load_protos(self.tmp)
        s = self.start(SKLEARN, "sklearn-iris", "grpc-iris")
        x = self.start(XGBOOST, "xgboost-iris", "grpc-xgb")
        want = self.svc.predict(self.X).tolist()
        for server in (s, x):
            self.assertIsNotNone(server.grpc_port)
        channel = grpc.insecure_channel(f"127.0.0.1:{s.grpc_port}")
        call = grpc_caller(channel, pb)
        self.assertTrue(call("ServerLive", pb.ServerLiveRequest()).live)
        self.assertTrue(call("ServerReady", pb.ServerReadyRequest()).ready)
        self.assertTrue(call("ModelReady", pb.ModelReadyRequest(name="grpc-iris")).ready)
        md = call("ModelMetadata", pb.ModelMetadataRequest(name="grpc-iris"))
        self.assertEqual((md.name, md.platform), ("grpc-iris", "sklearn"))
        self.assertIn("model_repository_extension",
                      call("ServerMetadata", pb.ServerMetadataRequest()).extensions)

        def infer_request(name, raw):
            req = pb.ModelInferRequest(model_name=name, id="g1")
            t = req.inputs.add(name="input-0", datatype="FP64", shape=[150, 4])
            if raw:
                req.raw_input_contents.append(np.asarray(self.X, dtype="<f8").tobytes())
            else:
                t.contents.fp64_contents.extend(self.X.ravel().tolist())
            return req

        for raw in (False, True):
            resp = call("ModelInfer", infer_request("grpc-iris", raw))
            self.assertEqual(resp.id, "g1")
            out = resp.outputs[0]
            self.assertEqual((out.name, out.datatype, list(out.shape)), ("output-0", "INT64", [150]))
            got = (np.frombuffer(resp.raw_output_contents[0], dtype="<i8").tolist() if raw
                   else list(out.contents.int64_contents))
            self.assertEqual(got, want)
        # Errors carry gRPC codes.
        with self.assertRaises(grpc.RpcError) as e:
            call("ModelInfer", infer_request("nope", False))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        bad = infer_request("grpc-iris", False)
        bad.inputs[0].shape[:] = [150, 5]
        with self.assertRaises(grpc.RpcError) as e:
            call("ModelInfer", bad)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        channel.close()
        # XGBoost over gRPC, raw FP32 in, probabilities out.
        channel = grpc.insecure_channel(f"127.0.0.1:{x.grpc_port}")
        call = grpc_caller(channel, pb)
        req = pb.ModelInferRequest(model_name="grpc-xgb")
        req.inputs.add(name="input-0", datatype="FP32", shape=[150, 4])
        req.raw_input_contents.append(np.asarray(self.X, dtype="<f4").tobytes())
        resp = call("ModelInfer", req)
        got = np.frombuffer(resp.raw_output_contents[0], dtype="<f4").reshape(150, 3).tolist()
        self.assertEqual(got, self.xgb_expected)
        channel.close()

    # ---- TorchScript (optional: needs libtorch-dev to build, python3-torch to make the model)

    def test_torchscript(self):
        if not os.path.exists(TORCH):
            self.skipTest("skiff-serve-torch not built (libtorch-dev missing)")
        try:
            import torch
        except ImportError:
            self.skipTest("python3-torch not installed")
        torch.manual_seed(0)

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(4, 3)

            def forward(self, x):
                return torch.softmax(self.fc(x), dim=1)

        d = os.path.join(self.tmp, "torch-iris")
        os.makedirs(d, exist_ok=True)
        module = torch.jit.script(Net().eval())
        module.save(os.path.join(d, "model.pt"))
        with torch.no_grad():
            want = module(torch.tensor(self.X, dtype=torch.float32)).tolist()
        s = self.start(TORCH, "torch-iris", "torch-iris", "--device", "cpu")
        rows = self.X.tolist()
        self.assertEqual(self.v1(s, rows), want)
        out = self.v2_json(s, rows, "FP32")
        self.assertEqual((out[0]["datatype"], out[0]["shape"]), ("FP32", [150, 3]))
        self.assertEqual(np.asarray(out[0]["data"]).reshape(150, 3).tolist(), want)
        # A shape the module cannot take is the client's error.
        status, body = s.json("POST", "/v2/models/torch-iris/infer", {"inputs": [
            {"name": "x", "shape": [1, 5], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}]})
        self.assertEqual(status, 400, body)
        self.assertEqual(self.v1(s, rows[:1]), want[:1])


def load_protos(tmp):
    """Python classes generated (protoc --python_out) from the server's own .proto."""
    out = os.path.join(tmp, "pb")
    os.makedirs(out, exist_ok=True)
    subprocess.run(["protoc", "-I", os.path.join(REPO, "src", "serving", "proto"),
                    f"--python_out={out}", "grpc_predict_v2.proto"], check=True)
    sys.path.insert(0, out)
    import grpc_predict_v2_pb2
    return grpc_predict_v2_pb2


def grpc_caller(channel, pb):
    def call(method, request):
        response_type = getattr(pb, method + "Response")
        stub = channel.unary_unary(f"/inference.GRPCInferenceService/{method}",
                                   request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=response_type.FromString)
        return stub(request, timeout=60)
    return call


if __name__ == "__main__":
    unittest.main(verbosity=2)
