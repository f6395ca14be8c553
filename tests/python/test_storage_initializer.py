# The storage initializer's Python program (src/controllers/inferenceservice/
# storage_initializer_script.cc) against local S3, GCS and HTTP look-alikes: SigV4 checked by an
# independent verifier, pagination, the node cache, credentials, archives and failure messages.
import base64
import hashlib
import hmac
import importlib.util
import io
import json
import os
import re
import socket
import subprocess
import tarfile
import tempfile
import threading
import unittest
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCRIPT_CC = os.path.join(ROOT, "src", "controllers", "inferenceservice",
                         "storage_initializer_script.cc")
PYTHON = "/usr/bin/python3"
AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def extract_script(dest_dir):
    with open(SCRIPT_CC) as f:
        m = re.search(r'R"py\(\n(.*?)\n\)py"', f.read(), re.S)
    path = os.path.join(dest_dir, "storage_initializer.py")
    with open(path, "w") as f:
        f.write(m.group(1))
    return path


# -- an independent SigV4 verifier (the AWS documentation's algorithm, written separately) -----

def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def expected_signature(secret, method, raw_path, headers, region, service):
    """Signature for a request as received: raw_path includes the query; headers maps lower-case
    names to values and holds every signed header."""
    path, _, query = raw_path.partition("?")
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")  # noqa: E731
    canonical_query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(pairs))
    names = sorted(headers)
    creq = "\n".join([method, path, canonical_query,
                      "".join(f"{n}:{headers[n].strip()}\n" for n in names), ";".join(names),
                      headers.get("x-amz-content-sha256", hashlib.sha256(b"").hexdigest())])
    date = headers["x-amz-date"][:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", headers["x-amz-date"], scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), date), region), service),
                "aws4_request")
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


# -- local services -----------------------------------------------------------------------------

class Server:
    def __init__(self, handler_cls, **state):
        handler = type("H", (handler_cls,), {"state": state})
        self.state = state
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def count(self, what):
        with self.state["lock"]:
            self.state["counts"][what] = self.state["counts"].get(what, 0) + 1


def etag(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


class S3Handler(Quiet):
    """Path-style ListObjectsV2 (page size 2) and GetObject. With state["secret"] set, every
    request must carry a valid SigV4 Authorization; else anonymous access is allowed."""

    def s3_error(self, code, status, message):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>1</RequestId></Error>").encode()
        self.reply(status, body, "application/xml")

    def authorized(self):
        secret = self.state.get("secret")
        auth = self.headers.get("Authorization", "")
        self.state["auth_headers"].append(auth)
        if secret is None:
            return True
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
        if not m or m.group(1) != self.state["key"]:
            self.s3_error("AccessDenied", 403, "Access Denied")
            return False
        signed = m.group(4).split(";")
        headers = {n: self.headers.get(n, "") for n in signed}
        if "host" not in signed or "x-amz-content-sha256" not in signed:
            self.s3_error("AccessDenied", 403, "host and x-amz-content-sha256 must be signed")
            return False
        want = expected_signature(secret, "GET", self.path, headers, m.group(3), "s3")
        if want != m.group(5):
            self.s3_error("SignatureDoesNotMatch", 403, "The request signature we calculated "
                          "does not match the signature you provided.")
            return False
        self.state["verified"] += 1
        return True

    def do_GET(self):
        if not self.authorized():
            return
        path, _, query = self.path.partition("?")
        parts = path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(parts[0])
        objects = self.state["buckets"].get(bucket)
        if objects is None:
            return self.s3_error("NoSuchBucket", 404, "The specified bucket does not exist")
        key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        if key == "":
            q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
            self.count("list")
            keys = sorted(k for k in objects if k.startswith(q.get("prefix", "")))
            start = int(q.get("continuation-token", "0") or 0)
            page = keys[start:start + 2]
            more = start + 2 < len(keys)
            items = "".join(
                f"<Contents><Key>{k}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
                f"<ETag>{etag(objects[k])}</ETag><Size>{len(objects[k])}</Size></Contents>"
                for k in page)
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult '
                    'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                    f"<Name>{bucket}</Name><IsTruncated>{'true' if more else 'false'}</IsTruncated>"
                    + (f"<NextContinuationToken>{start + 2}</NextContinuationToken>" if more
                       else "") + items + "</ListBucketResult>").encode()
            return self.reply(200, body, "application/xml")
        if key not in objects:
            return self.s3_error("NoSuchKey", 404, "The specified key does not exist.")
        self.count("get")
        self.reply(200, objects[key], headers=[("ETag", etag(objects[key]))])


class GcsHandler(Quiet):
    """The JSON API's objects.list (page size 2) and media download, plus an OAuth token endpoint
    (POST /token) that checks the JWT grant's RS256 signature with state["public_key"]."""

    def gcs_error(self, code, message):
        self.reply(code, json.dumps({"error": {"code": code, "message": message}}).encode(),
                   "application/json")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        form = dict(urllib.parse.parse_qsl(body))
        self.count("token")
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.reply(400, b'{"error": "unsupported_grant_type"}', "application/json")
        header, claims, sig = form["assertion"].split(".")
        pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        try:
            self.state["public_key"].verify(pad(sig), f"{header}.{claims}".encode(),
                                            padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return self.reply(400, b'{"error": "invalid_grant", "error_description": '
                              b'"Invalid JWT Signature."}', "application/json")
        c = json.loads(pad(claims))
        self.state["claims"] = c
        self.state["jwt_header"] = json.loads(pad(header))
        self.reply(200, json.dumps({"access_token": "ya29.issued", "expires_in": 3599,
                                    "token_type": "Bearer"}).encode(), "application/json")

    def do_GET(self):
        token = self.state.get("token")
        if token and self.headers.get("Authorization") != "Bearer " + token:
            return self.gcs_error(401, "Anonymous caller does not have storage.objects.list "
                                  "access to the Google Cloud Storage bucket.")
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        m = re.match(r"^/storage/v1/b/([^/]+)/o(?:/(.+))?$", u.path)
        if not m:
            return self.gcs_error(404, "Not Found")
        bucket = urllib.parse.unquote(m.group(1))
        if bucket in self.state.get("forbidden", ()):
            return self.gcs_error(403, "caller does not have storage.objects.list access to the "
                                  f"Google Cloud Storage bucket. Permission denied on {bucket}")
        objects = self.state["buckets"].get(bucket)
        if objects is None:
            return self.gcs_error(404, "The specified bucket does not exist.")
        if m.group(2) is None:
            self.count("list")
            keys = sorted(k for k in objects if k.startswith(q.get("prefix", "")))
            start = int(q.get("pageToken", "0") or 0)
            out = {"kind": "storage#objects",
                   "items": [{"name": k, "bucket": bucket, "size": str(len(objects[k])),
                              "generation": "1", "etag": etag(objects[k])}
                             for k in keys[start:start + 2]]}
            if start + 2 < len(keys):
                out["nextPageToken"] = str(start + 2)
            return self.reply(200, json.dumps(out).encode(), "application/json")
        name = urllib.parse.unquote(m.group(2))
        if q.get("alt") != "media" or name not in objects:
            return self.gcs_error(404, f"No such object: {bucket}/{name}")
        self.count("get")
        self.reply(200, objects[name])


class FileHandler(Quiet):
    """Static files with a strong ETag and If-None-Match (304)."""

    def do_GET(self):
        data = self.state["files"].get(self.path)
        if data is None:
            return self.reply(404, b"not found\n", "text/plain")
        tag = etag(data)
        if self.state.get("validators", True):
            if self.headers.get("If-None-Match") == tag:
                self.count("304")
                return self.reply(304, headers=[("ETag", tag)])
            headers = [("ETag", tag)]
        else:
            headers = []
        self.count("get")
        self.reply(200, data, headers=headers)


def tgz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def tree(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = fh.read()
    return out


class StorageInitializerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.script = extract_script(self.dir)
        self.servers = []
        self.runs = 0

    def tearDown(self):
        for s in self.servers:
            s.close()
        self.tmp.cleanup()

    def serve(self, handler, **state):
        state.setdefault("counts", {})
        state.setdefault("lock", threading.Lock())
        state.setdefault("auth_headers", [])
        state.setdefault("verified", 0)
        s = Server(handler, **state)
        self.servers.append(s)
        return s

    def run_si(self, uri, env=None, out=None):
        self.runs += 1
        out = out or os.path.join(self.dir, f"out{self.runs}")
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        e.update(env or {})
        p = subprocess.run([PYTHON, self.script, uri, out], env=e, capture_output=True,
                           text=True, timeout=120)
        return p, out

    def assert_ok(self, p):
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def assert_fails(self, p, *fragments):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        for f in fragments:
            self.assertIn(f, lines[0])
        return lines[0]

    def load_module(self):
        spec = importlib.util.spec_from_file_location("si_under_test", self.script)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    # -- SigV4 --

    def test_sigv4_matches_the_aws_get_vanilla_vector(self):
        published = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        headers = {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"}
        self.assertEqual(expected_signature(SK, "GET", "/", headers, "us-east-1", "service"),
                         published)
        mod = self.load_module()
        auth = mod.sigv4("GET", "/", "", headers, hashlib.sha256(b"").hexdigest(), "us-east-1",
                         "service", AK, SK, "20150830T123600Z")
        self.assertEqual(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                         "service/aws4_request, SignedHeaders=host;x-amz-date, "
                         f"Signature={published}")

    def test_s3_addressing(self):
        mod = self.load_module()
        with mock.patch.dict(os.environ, {}, clear=True):
            s = mod.S3("models")
            self.assertEqual((s.scheme, s.host, s.base), ("https",
                             "models.s3.us-east-1.amazonaws.com", ""))
            s = mod.S3("my.models")
            self.assertEqual((s.host, s.base), ("s3.us-east-1.amazonaws.com", "/my.models"))
        with mock.patch.dict(os.environ, {"S3_ENDPOINT": "minio:9000", "S3_USE_HTTPS": "0",
                                          "AWS_REGION": "eu-west-1"}, clear=True):
            s = mod.S3("models")
            self.assertEqual((s.scheme, s.host, s.base, s.region),
                             ("http", "minio:9000", "/models", "eu-west-1"))
        with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL": "https://minio:9000",
                                          "S3_USER_VIRTUAL_BUCKET": "true",
                                          "AWS_DEFAULT_REGION": "us-west-2"}, clear=True):
            s = mod.S3("models")
            self.assertEqual((s.scheme, s.host, s.base, s.region),
                             ("https", "models.minio:9000", "", "us-west-2"))

    # -- S3 --

    def s3(self, secret=SK, **buckets):
        return self.serve(S3Handler, buckets=buckets, secret=secret, key=AK)

    def s3_env(self, server, **extra):
        e = {"AWS_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": AK,
             "AWS_SECRET_ACCESS_KEY": SK, "AWS_DEFAULT_REGION": "eu-central-1"}
        e.update(extra)
        return e

    def test_s3_prefix_download_is_signed_paginated_and_keeps_relative_paths(self):
        srv = self.s3(models={"sk/m1/model.joblib": b"joblib", "sk/m1/sub/config.json": b"{}",
                              "sk/m1/a b/c+d.bin": b"odd", "sk/m1/": b"",
                              "sk/m10/other": b"sibling", "sk/m1/empty": b""})
        p, out = self.run_si("s3://models/sk/m1", self.s3_env(srv))
        self.assert_ok(p)
        self.assertEqual(tree(out), {"model.joblib": b"joblib", "sub/config.json": b"{}",
                                     "a b/c+d.bin": b"odd", "empty": b""})
        self.assertGreaterEqual(srv.state["counts"]["list"], 3)  # pages of 2
        self.assertEqual(srv.state["counts"]["get"], 4)
        self.assertEqual(srv.state["verified"], len(srv.state["auth_headers"]))
        self.assertTrue(all("/eu-central-1/s3/aws4_request" in a
                            for a in srv.state["auth_headers"]))

    def test_s3_single_object_and_tgz_unpacked(self):
        archive = tgz({"model/model.pt": b"weights", "model/cfg.yaml": b"x: 1"})
        srv = self.s3(models={"sk/model.joblib": b"joblib", "sk/model.joblib.bak": b"no",
                              "arch/m.tgz": archive})
        p, out = self.run_si("s3://models/sk/model.joblib", self.s3_env(srv))
        self.assert_ok(p)
        self.assertEqual(tree(out), {"model.joblib": b"joblib"})
        p, out = self.run_si("s3://models/arch", self.s3_env(srv))
        self.assert_ok(p)
        self.assertEqual(tree(out), {"model/model.pt": b"weights", "model/cfg.yaml": b"x: 1"})

    def test_s3_anonymous_sends_no_authorization(self):
        srv = self.s3(secret=None, public={"m/model.bst": b"xgb"})
        p, out = self.run_si("s3://public/m", {"S3_ENDPOINT": f"127.0.0.1:{srv.port}",
                                               "S3_USE_HTTPS": "0"})
        self.assert_ok(p)
        self.assertEqual(tree(out), {"model.bst": b"xgb"})
        self.assertEqual(set(srv.state["auth_headers"]), {""})
        # awsAnonymousCredential=true ignores keys that are present.
        srv.state["auth_headers"].clear()
        p, out = self.run_si("s3://public/m", self.s3_env(srv, awsAnonymousCredential="true"))
        self.assert_ok(p)
        self.assertEqual(set(srv.state["auth_headers"]), {""})

    def test_s3_wrong_secret_is_a_one_line_403_with_the_service_text(self):
        srv = self.s3(models={"m/x": b"1"})
        p, _ = self.run_si("s3://models/m", self.s3_env(srv, AWS_SECRET_ACCESS_KEY="wrong"))
        self.assert_fails(p, "s3://models/m: listing s3://models/m: HTTP 403",
                          "SignatureDoesNotMatch: The request signature we calculated")

    def test_s3_missing_bucket_and_empty_prefix(self):
        srv = self.s3(models={"m/x": b"1"})
        p, _ = self.run_si("s3://nope/m", self.s3_env(srv))
        self.assert_fails(p, "HTTP 404", "NoSuchBucket: The specified bucket does not exist")
        p, _ = self.run_si("s3://models/nothing/here", self.s3_env(srv))
        self.assert_fails(p, "no objects under s3://models/nothing/here")

    def test_storage_config_secret_json_sets_s3_env(self):
        srv = self.s3(models={"m/x": b"1"})
        cfg = {"type": "s3", "access_key_id": AK, "secret_access_key": SK,
               "endpoint_url": srv.url, "region": "us-west-1"}
        p, out = self.run_si("s3://models/m", {"STORAGE_CONFIG": json.dumps(cfg)})
        self.assert_ok(p)
        self.assertEqual(tree(out), {"x": b"1"})
        self.assertIn("/us-west-1/s3/", srv.state["auth_headers"][0])

    # -- network failures --

    def test_unresolvable_host_fails_fast_with_one_line(self):
        p, _ = self.run_si("gs://kfserving-examples/models/sklearn/1.0/model",
                           {"STORAGE_EMULATOR_HOST": "http://storage.invalid"})
        self.assert_fails(p, "gs://kfserving-examples/models/sklearn/1.0/model: cannot reach "
                          "storage.invalid: ", "(this host has no network?)")
        p, _ = self.run_si("s3://b/m", {"AWS_ENDPOINT_URL": "http://minio.invalid:9000"})
        self.assert_fails(p, "cannot reach minio.invalid: ")

    def test_refused_connection(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        p, _ = self.run_si(f"http://127.0.0.1:{port}/m.joblib")
        self.assert_fails(p, f"cannot reach 127.0.0.1:{port}: connection refused")

    # -- GCS --

    def gcs(self, **state):
        state.setdefault("buckets", {})
        return self.serve(GcsHandler, **state)

    def test_gcs_anonymous_listing_pages_and_zip(self):
        srv = self.gcs(buckets={"kfserving-examples": {
            "models/sklearn/1.0/model/model.joblib": b"iris",
            "models/sklearn/1.0/model/extra/readme.txt": b"hi",
            "models/sklearn/1.0/model/extra/": b"",
            "models/sklearn/1.0/model2/x": b"sibling"},
            "zips": {"m/model.zip": zipped({"saved_model.pb": b"pb", "variables/v": b"v"})}})
        emu = {"STORAGE_EMULATOR_HOST": f"127.0.0.1:{srv.port}"}
        p, out = self.run_si("gs://kfserving-examples/models/sklearn/1.0/model", emu)
        self.assert_ok(p)
        self.assertEqual(tree(out), {"model.joblib": b"iris", "extra/readme.txt": b"hi"})
        self.assertEqual(srv.state["counts"]["list"], 2)  # 4 keys match the prefix: 2 pages
        p, out = self.run_si("gs://zips/m/model.zip", emu)
        self.assert_ok(p)
        self.assertEqual(tree(out), {"saved_model.pb": b"pb", "variables/v": b"v"})

    def test_gcs_errors_carry_the_service_message(self):
        srv = self.gcs(buckets={"b": {"m/x": b"1"}}, forbidden={"private"})
        emu = {"STORAGE_EMULATOR_HOST": srv.url}
        p, _ = self.run_si("gs://private/m", emu)
        self.assert_fails(p, "listing gs://private/m: HTTP 403 Forbidden: caller does not have "
                          "storage.objects.list access")
        p, _ = self.run_si("gs://nobucket/m", emu)
        self.assert_fails(p, "HTTP 404", "The specified bucket does not exist.")
        p, _ = self.run_si("gs://b/other", emu)
        self.assert_fails(p, "no objects under gs://b/other")

    def test_gcs_access_token_env(self):
        srv = self.gcs(buckets={"b": {"m/x": b"1"}}, token="tok123")
        p, _ = self.run_si("gs://b/m", {"STORAGE_EMULATOR_HOST": srv.url})
        self.assert_fails(p, "HTTP 401", "Anonymous caller")
        p, out = self.run_si("gs://b/m", {"STORAGE_EMULATOR_HOST": srv.url,
                                          "GOOGLE_OAUTH_ACCESS_TOKEN": "tok123"})
        self.assert_ok(p)
        self.assertEqual(tree(out), {"x": b"1"})

    def test_gcs_service_account_key_is_exchanged_for_a_token(self):
        try:
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding, rsa
        except ImportError:
            self.skipTest("python3-cryptography is needed to make a test key")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        # The script's plain-Python RS256 equals a real implementation's (PKCS#1 v1.5 is
        # deterministic), for PKCS#8 and PKCS#1 encodings of the key.
        mod = self.load_module()
        ref = key.sign(b"message", padding.PKCS1v15(), hashes.SHA256())
        self.assertEqual(mod.rs256(b"message", pem), ref)
        pkcs1 = key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()).decode()
        self.assertEqual(mod.rs256(b"message", pkcs1), ref)

        srv = self.gcs(buckets={"b": {"m/x": b"1"}}, token="ya29.issued",
                       public_key=key.public_key())
        creds = os.path.join(self.dir, "sa.json")
        with open(creds, "w") as f:
            json.dump({"type": "service_account", "project_id": "p", "private_key_id": "kid1",
                       "private_key": pem, "client_email": "si@p.iam.gserviceaccount.com",
                       "token_uri": srv.url + "/token"}, f)
        p, out = self.run_si("gs://b/m", {"STORAGE_EMULATOR_HOST": srv.url,
                                          "GOOGLE_APPLICATION_CREDENTIALS": creds})
        self.assert_ok(p)
        self.assertEqual(tree(out), {"x": b"1"})
        c = srv.state["claims"]
        self.assertEqual(c["iss"], "si@p.iam.gserviceaccount.com")
        self.assertEqual(c["aud"], srv.url + "/token")
        self.assertEqual(c["scope"], "https://www.googleapis.com/auth/devstorage.read_only")
        self.assertEqual(c["exp"] - c["iat"], 3600)
        self.assertEqual(srv.state["jwt_header"], {"alg": "RS256", "typ": "JWT", "kid": "kid1"})
        # A key that does not match the server's public key is refused with Google's words.
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with open(creds, "w") as f:
            json.dump({"type": "service_account", "client_email": "x", "token_uri":
                       srv.url + "/token", "private_key": other.private_bytes(
                           serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()).decode()}, f)
        p, _ = self.run_si("gs://b/m", {"STORAGE_EMULATOR_HOST": srv.url,
                                        "GOOGLE_APPLICATION_CREDENTIALS": creds})
        self.assert_fails(p, "getting a Google access token", "HTTP 400",
                          "invalid_grant: Invalid JWT Signature.")

    def test_unsupported_google_credentials_fail_clearly(self):
        creds = os.path.join(self.dir, "ext.json")
        with open(creds, "w") as f:
            json.dump({"type": "external_account"}, f)
        p, _ = self.run_si("gs://b/m", {"GOOGLE_APPLICATION_CREDENTIALS": creds})
        self.assert_fails(p, "credentials of type 'external_account' are not supported",
                          "GOOGLE_OAUTH_ACCESS_TOKEN")

    # -- the node cache --

    def test_cache_hit_changed_etag_and_offline_fallback(self):
        objects = {"m/model.joblib": b"v1", "m/sub/meta.json": b"{}"}
        srv = self.s3(models=objects)
        cache = os.path.join(self.dir, "cache")
        env = self.s3_env(srv, SKIFF_MODEL_CACHE_DIR=cache)
        p, out1 = self.run_si("s3://models/m", env)
        self.assert_ok(p)
        self.assertNotIn("cache hit", p.stdout)
        self.assertEqual(srv.state["counts"]["get"], 2)
        entry = os.path.join(cache, hashlib.sha256(b"s3://models/m").hexdigest())
        versions = [v for v in os.listdir(entry) if v.startswith("v-")]
        self.assertEqual(len(versions), 1)
        self.assertTrue(os.path.exists(os.path.join(entry, versions[0], "complete")))

        p, out2 = self.run_si("s3://models/m", env)
        self.assert_ok(p)
        self.assertIn("storage-initializer: cache hit for s3://models/m", p.stdout)
        self.assertEqual(srv.state["counts"]["get"], 2)  # nothing downloaded again
        self.assertEqual(tree(out2), tree(out1))

        objects["m/model.joblib"] = b"v2"  # new ETag
        p, out3 = self.run_si("s3://models/m", env)
        self.assert_ok(p)
        self.assertNotIn("cache hit", p.stdout)
        self.assertEqual(srv.state["counts"]["get"], 4)
        self.assertEqual(tree(out3)["model.joblib"], b"v2")
        self.assertEqual(len([v for v in os.listdir(entry) if v.startswith("v-")]), 1)

        # The service unreachable: the node's copy serves, saying it was not revalidated.
        p, out4 = self.run_si("s3://models/m", dict(env, AWS_ENDPOINT_URL="http://s3.invalid"))
        self.assert_ok(p)
        self.assertIn("cache hit for s3://models/m", p.stdout)
        self.assertIn("not revalidated: cannot reach s3.invalid", p.stdout)
        self.assertEqual(tree(out4)["model.joblib"], b"v2")
        # A refusal (403) is not papered over by the cache.
        p, _ = self.run_si("s3://models/m", dict(env, AWS_SECRET_ACCESS_KEY="bad"))
        self.assert_fails(p, "HTTP 403")

    def test_replicas_starting_together_download_once(self):
        srv = self.s3(models={f"m/f{i}": bytes([i]) * 1000 for i in range(6)})
        env = self.s3_env(srv, SKIFF_MODEL_CACHE_DIR=os.path.join(self.dir, "cache"))
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        e.update(env)
        procs = [subprocess.Popen([PYTHON, self.script, "s3://models/m",
                                   os.path.join(self.dir, f"r{i}")], env=e,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(3)]
        outputs = [p.communicate(timeout=120) for p in procs]
        for p, (so, se) in zip(procs, outputs):
            self.assertEqual(p.returncode, 0, so + se)
        self.assertEqual(srv.state["counts"]["get"], 6)
        self.assertEqual(sum("cache hit" in so for so, _ in outputs), 2)
        for i in range(3):
            self.assertEqual(len(tree(os.path.join(self.dir, f"r{i}"))), 6)

    def test_read_only_models_are_hard_linked_from_the_cache(self):
        srv = self.s3(models={"m/model.bin": b"weights"})
        env = self.s3_env(srv, SKIFF_MODEL_CACHE_DIR=os.path.join(self.dir, "cache"))
        p, linked = self.run_si("s3://models/m", dict(env, SKIFF_MODEL_CACHE_LINK="1"))
        self.assert_ok(p)
        p, copied = self.run_si("s3://models/m", dict(env, SKIFF_MODEL_CACHE_LINK="0"))
        self.assert_ok(p)
        self.assertGreaterEqual(os.stat(os.path.join(linked, "model.bin")).st_nlink, 2)
        self.assertEqual(os.stat(os.path.join(copied, "model.bin")).st_nlink, 1)

    def test_http_archive_cached_by_etag(self):
        files = {"/models/m.tgz": tgz({"model.joblib": b"one"})}
        srv = self.serve(FileHandler, files=files)
        env = {"SKIFF_MODEL_CACHE_DIR": os.path.join(self.dir, "cache")}
        uri = srv.url + "/models/m.tgz"
        p, out = self.run_si(uri, env)
        self.assert_ok(p)
        self.assertEqual(tree(out), {"model.joblib": b"one"})
        p, out = self.run_si(uri, env)
        self.assert_ok(p)
        self.assertIn("cache hit", p.stdout)
        self.assertEqual(srv.state["counts"], {"get": 1, "304": 1})
        self.assertEqual(tree(out), {"model.joblib": b"one"})
        files["/models/m.tgz"] = tgz({"model.joblib": b"two"})
        p, out = self.run_si(uri, env)
        self.assert_ok(p)
        self.assertNotIn("cache hit", p.stdout)
        self.assertEqual(tree(out), {"model.joblib": b"two"})
        # Without ETag or Last-Modified nothing can be revalidated: always downloaded.
        srv.state["validators"] = False
        for _ in range(2):
            p, out = self.run_si(uri, env)
            self.assert_ok(p)
            self.assertNotIn("cache hit", p.stdout)
        self.assertEqual(srv.state["counts"]["get"], 4)

    # -- local paths, http, archives --

    def test_local_paths_http_zip_and_unsafe_tar(self):
        src = os.path.join(self.dir, "src")
        os.makedirs(os.path.join(src, "d"))
        with open(os.path.join(src, "d", "f"), "w") as f:
            f.write("local")
        p, out = self.run_si("file://" + src)
        self.assert_ok(p)
        self.assertEqual(tree(out), {"d/f": b"local"})
        p, out = self.run_si(os.path.join(src, "d", "f"))
        self.assert_ok(p)
        self.assertEqual(tree(out), {"f": b"local"})
        p, _ = self.run_si("file:///does/not/exist")
        self.assert_fails(p, "/does/not/exist does not exist")

        evil = io.BytesIO()
        with tarfile.open(fileobj=evil, mode="w") as t:
            info = tarfile.TarInfo("../escape")
            info.size = 1
            t.addfile(info, io.BytesIO(b"x"))
        srv = self.serve(FileHandler, files={"/m.zip": zipped({"a/b.txt": b"z"}),
                                             "/evil.tar": evil.getvalue()})
        p, out = self.run_si(srv.url + "/m.zip")
        self.assert_ok(p)
        self.assertEqual(tree(out), {"a/b.txt": b"z"})
        p, _ = self.run_si(srv.url + "/evil.tar")
        self.assert_fails(p, "evil.tar: unsafe member ../escape")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escape")))
        p, _ = self.run_si(srv.url + "/missing.joblib")
        self.assert_fails(p, "HTTP 404 Not Found: not found")
        p, _ = self.run_si("hf://org/model")
        self.assert_fails(p, "the hf:// scheme needs the Hugging Face Hub")


if __name__ == "__main__":
    unittest.main()
