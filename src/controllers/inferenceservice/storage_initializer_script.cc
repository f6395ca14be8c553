// The storage initializer's Python program (stdlib only), run by the predictor's
// `storage-initializer` init container; tests/python/test_storage_initializer.py runs it against
// local S3 and GCS look-alikes. Kept apart from storage_initializer.cc so each file stays small.
#include "controllers/inferenceservice/storage_initializer.h"

namespace skiff::controllers::inferenceservice {
namespace {

constexpr char kStorageScript[] = R"py(
# Skiff's storage initializer (reference/kserve.md section 9): puts the model named by argv[1]
# (a storageUri) into argv[2] (the model directory), caching remote models on the node.
import base64, concurrent.futures, contextlib, fcntl, hashlib, hmac, http.client, json, os
import shutil, socket, ssl, sys, tarfile, tempfile, threading, time, urllib.parse, zipfile
import xml.etree.ElementTree as ET

CONNECT_TIMEOUT = float(os.environ.get("STORAGE_CONNECT_TIMEOUT", "5"))
READ_TIMEOUT = float(os.environ.get("STORAGE_READ_TIMEOUT", "60"))
PARALLEL = 4
ARCHIVES = (".tar", ".tar.gz", ".tgz", ".zip")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
GCS_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
NO_NETWORK = " (this host has no network?)"


class Failure(Exception):
    """Why the model cannot be fetched, in one line (modelStatus.lastFailureInfo shows it)."""


class Unreachable(Failure):
    """The service was not reached at all (DNS, connect): a cached copy may stand in."""


def log(msg):
    print("storage-initializer: " + msg, flush=True)


def env(name, default=""):
    return os.environ.get(name) or default


def truthy(value):
    return value.strip().lower() in ("1", "true", "yes", "on")


# ---- HTTP: short connect timeouts, no retries (the pod's restart backoff is the retry) ----

def describe(e):
    if isinstance(e, socket.timeout):
        return "timed out"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def resolve(host, port):
    box = {}

    def lookup():
        try:
            box["addrs"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            box["error"] = e

    # getaddrinfo has no timeout of its own; a resolver that never answers must not hang the pod.
    t = threading.Thread(target=lookup, daemon=True)
    t.start()
    t.join(CONNECT_TIMEOUT)
    if t.is_alive():
        raise Unreachable(f"cannot reach {host}: DNS lookup timed out after {CONNECT_TIMEOUT:g}s"
                          + NO_NETWORK)
    if "error" in box:
        raise Unreachable(f"cannot reach {host}: {describe(box['error'])}" + NO_NETWORK)
    return box["addrs"]


def connect(scheme, host, port, tls):
    last = None
    for family, kind, proto, _, addr in resolve(host, port):
        sock = socket.socket(family, kind, proto)
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect(addr)
            break
        except OSError as e:
            sock.close()
            last = e
    else:
        hint = "" if isinstance(last, ConnectionRefusedError) else NO_NETWORK
        raise Unreachable(f"cannot reach {host}:{port}: {describe(last)}" + hint)
    sock.settimeout(READ_TIMEOUT)
    if scheme == "https":
        verify, cafile = tls
        ctx = ssl.create_default_context(cafile=cafile)
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        try:
            sock = ctx.wrap_socket(sock, server_hostname=host)
        except (OSError, ssl.SSLError) as e:
            sock.close()
            raise Failure(f"TLS with {host}:{port} failed: {describe(e)}")
    conn = http.client.HTTPConnection(host, port)
    conn.sock = sock
    return conn


@contextlib.contextmanager
def request(method, url, headers=None, body=None, tls=(True, None)):
    """Yields the response; the caller reads it inside the block. `headers` must hold Host
    exactly as signed, so the caller builds it (host_header)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise Failure(f"bad URL {url}")
    port = u.port or (443 if u.scheme == "https" else 80)
    conn = connect(u.scheme, u.hostname, port, tls)
    try:
        try:
            conn.putrequest(method, (u.path or "/") + ("?" + u.query if u.query else ""),
                            skip_host=True, skip_accept_encoding=True)
            hdrs = {"Host": host_header(url)}
            hdrs.update(headers or {})
            for k, v in hdrs.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            raise Failure(f"{method} {u.hostname}:{port}: {describe(e)}")
        yield resp
    finally:
        conn.close()


def host_header(url):
    return urllib.parse.urlsplit(url).netloc.rsplit("@", 1)[-1]


def error_text(resp):
    """The service's own words for a failed request: S3 XML, Google JSON, or the body's start."""
    try:
        body = resp.read(65536).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        body = ""
    try:
        j = json.loads(body)
        e = j.get("error")
        if isinstance(e, dict) and e.get("message"):
            return e["message"]
        if isinstance(e, str):
            return e + (": " + j["error_description"] if j.get("error_description") else "")
    except ValueError:
        pass
    try:
        root = ET.fromstring(body)
        code, msg = xml_text(root, "Code"), xml_text(root, "Message")
        extra = xml_text(root, "Endpoint")
        text = ": ".join(x for x in (code, msg) if x)
        return text + (f" (endpoint {extra})" if extra else "")
    except ET.ParseError:
        pass
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    return lines[0][:200] if lines else ""


def http_failure(what, resp):
    text = error_text(resp)
    return Failure(f"{what}: HTTP {resp.status} {resp.reason}" + (f": {text}" if text else ""))


def save(resp, path, what):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    n = 0
    try:
        with open(path, "wb") as f:
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)
                n += len(chunk)
    except (OSError, http.client.HTTPException) as e:
        raise Failure(f"downloading {what}: {describe(e)}")
    length = resp.getheader("Content-Length")
    if length is not None and length.isdigit() and int(length) != n:
        raise Failure(f"downloading {what}: got {n} of {length} bytes")


def xml_text(el, name):
    for child in el:
        if child.tag.rsplit("}", 1)[-1] == name:
            return child.text or ""
    return ""


def xml_children(el, name):
    return [c for c in el if c.tag.rsplit("}", 1)[-1] == name]


# ---- S3 (ListObjectsV2 + GetObject, AWS Signature Version 4) ----

def sigv4(method, path, query, headers, payload_hash, region, service, key, secret, amz_date):
    """The Authorization value signing every header in `headers` (lower-case names)."""
    names = sorted(headers)
    canonical_headers = "".join(f"{n}:{' '.join(str(headers[n]).split())}\n" for n in names)
    signed = ";".join(names)
    canonical = "\n".join([method, path, query, canonical_headers, signed, payload_hash])
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={sig}"


def quote(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


class S3:
    def __init__(self, bucket):
        self.bucket = bucket
        self.region = env("AWS_DEFAULT_REGION") or env("AWS_REGION") or "us-east-1"
        endpoint = env("AWS_ENDPOINT_URL_S3") or env("AWS_ENDPOINT_URL")
        if not endpoint and env("S3_ENDPOINT"):
            e = env("S3_ENDPOINT")
            endpoint = e if "://" in e else ("http://" if env("S3_USE_HTTPS") == "0"
                                             else "https://") + e
        # AWS itself serves virtual-hosted style; other endpoints (MinIO) need path style unless
        # S3_USER_VIRTUAL_BUCKET says otherwise. Dotted names break AWS's wildcard certificate.
        if endpoint:
            u = urllib.parse.urlsplit(endpoint)
            self.scheme, host, base = u.scheme or "https", u.netloc, u.path.rstrip("/")
        else:
            self.scheme, host, base = "https", f"s3.{self.region}.amazonaws.com", ""
        virtual = truthy(env("S3_USER_VIRTUAL_BUCKET")) or (
            host.split(":")[0].endswith("amazonaws.com") and "." not in bucket)
        self.host = f"{bucket}.{host}" if virtual else host
        self.base = base if virtual else f"{base}/{quote(bucket)}"
        anonymous = truthy(env("awsAnonymousCredential"))
        self.key = "" if anonymous else env("AWS_ACCESS_KEY_ID")
        self.secret = env("AWS_SECRET_ACCESS_KEY")
        self.token = "" if anonymous else env("AWS_SESSION_TOKEN")
        self.tls = (env("S3_VERIFY_SSL", "1").lower() not in ("0", "false"),
                    env("AWS_CA_BUNDLE") or None)

    def get(self, key, query=()):
        path = f"{self.base}/{quote(key, safe='/-_.~')}"
        qs = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(query))
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers = {"host": self.host, "x-amz-date": amz_date,
                   "x-amz-content-sha256": EMPTY_SHA256}
        if self.token:
            headers["x-amz-security-token"] = self.token
        if self.key:
            headers["authorization"] = sigv4("GET", path, qs, headers, EMPTY_SHA256, self.region,
                                             "s3", self.key, self.secret, amz_date)
        del headers["host"]
        url = f"{self.scheme}://{self.host}{path}" + (f"?{qs}" if qs else "")
        return request("GET", url, headers, tls=self.tls)

    def list(self, prefix):
        objects, token = [], ""
        while True:
            query = [("list-type", "2"), ("prefix", prefix)]
            if token:
                query.append(("continuation-token", token))
            with self.get("", query) as r:
                if r.status != 200:
                    raise http_failure(f"listing s3://{self.bucket}/{prefix}", r)
                try:
                    root = ET.fromstring(r.read())
                except (ET.ParseError, OSError, http.client.HTTPException) as e:
                    raise Failure(f"listing s3://{self.bucket}/{prefix}: bad answer: {e}")
            for c in xml_children(root, "Contents"):
                size = xml_text(c, "Size")
                objects.append((xml_text(c, "Key"), int(size) if size.isdigit() else -1,
                                xml_text(c, "ETag") + "|" + xml_text(c, "LastModified")))
            token = xml_text(root, "NextContinuationToken")
            if xml_text(root, "IsTruncated") != "true" or not token:
                return objects

    def download(self, key, path):
        with self.get(key) as r:
            if r.status != 200:
                raise http_failure(f"GET s3://{self.bucket}/{key}", r)
            save(r, path, f"s3://{self.bucket}/{key}")


# ---- Google Cloud Storage (JSON API) ----

def der_items(data):
    items, i = [], 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(data[i:i + n], "big")
            i += n
        items.append((tag, data[i:i + length]))
        i += length
    return items


def rs256(message, pem):
    """RSASSA-PKCS1-v1_5 with SHA-256 in plain Python (deterministic, so testable against any
    RSA library); the key is PKCS#8 ("BEGIN PRIVATE KEY", as Google issues) or PKCS#1."""
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    (_, seq), = der_items(base64.b64decode(body))
    items = der_items(seq)
    if len(items) == 3 and items[2][0] == 0x04:
        (_, seq), = der_items(items[2][1])
        items = der_items(seq)
    n, d = int.from_bytes(items[1][1], "big"), int.from_bytes(items[3][1], "big")
    k = (n.bit_length() + 7) // 8
    t = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(message).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def google_token():
    """A bearer token: GOOGLE_OAUTH_ACCESS_TOKEN, or one exchanged for the service-account (JWT
    grant) or authorized-user (refresh grant) JSON at GOOGLE_APPLICATION_CREDENTIALS; "" means
    anonymous, as the Google client falls back to for public buckets."""
    if env("GOOGLE_OAUTH_ACCESS_TOKEN"):
        return env("GOOGLE_OAUTH_ACCESS_TOKEN")
    path = env("GOOGLE_APPLICATION_CREDENTIALS")
    if not path:
        return ""
    try:
        with open(path) as f:
            info = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure(f"GOOGLE_APPLICATION_CREDENTIALS {path}: {e}")
    token_uri = info.get("token_uri") or GOOGLE_TOKEN_URI
    if info.get("type") == "service_account":
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT"}
        if info.get("private_key_id"):
            header["kid"] = info["private_key_id"]
        claims = {"iss": info.get("client_email", ""), "scope": GCS_SCOPE, "aud": token_uri,
                  "iat": now, "exp": now + 3600}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        try:
            signature = rs256(signing_input.encode(), info["private_key"])
        except (KeyError, ValueError, IndexError, TypeError) as e:
            raise Failure(f"GOOGLE_APPLICATION_CREDENTIALS {path}: private_key is not an RSA key "
                          f"in PEM ({e})")
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": signing_input + "." + b64url(signature)}
    elif info.get("type") == "authorized_user":
        form = {"grant_type": "refresh_token", "client_id": info.get("client_id", ""),
                "client_secret": info.get("client_secret", ""),
                "refresh_token": info.get("refresh_token", "")}
    else:
        raise Failure(f"GOOGLE_APPLICATION_CREDENTIALS {path}: credentials of type "
                      f"{info.get('type')!r} are not supported (service_account, authorized_user;"
                      " or set GOOGLE_OAUTH_ACCESS_TOKEN)")
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with request("POST", token_uri, headers, body) as r:
        if r.status != 200:
            raise http_failure(f"getting a Google access token from {token_uri}", r)
        try:
            return json.loads(r.read())["access_token"]
        except (ValueError, KeyError, OSError, http.client.HTTPException) as e:
            raise Failure(f"getting a Google access token from {token_uri}: bad answer: {e}")


class Gcs:
    def __init__(self, bucket):
        self.bucket = bucket
        # STORAGE_EMULATOR_HOST points the Google client libraries at another endpoint.
        emulator = env("STORAGE_EMULATOR_HOST").rstrip("/")
        if emulator and "://" not in emulator:
            emulator = "http://" + emulator
        self.base = f"{emulator or 'https://storage.googleapis.com'}/storage/v1/b/{quote(bucket)}/o"
        self.headers = {}
        token = google_token()
        if token:
            self.headers["Authorization"] = "Bearer " + token

    def list(self, prefix):
        objects, page = [], ""
        while True:
            url = f"{self.base}?prefix={quote(prefix)}" + (f"&pageToken={quote(page)}" if page
                                                            else "")
            with request("GET", url, self.headers) as r:
                if r.status != 200:
                    raise http_failure(f"listing gs://{self.bucket}/{prefix}", r)
                try:
                    j = json.loads(r.read())
                except (ValueError, OSError, http.client.HTTPException) as e:
                    raise Failure(f"listing gs://{self.bucket}/{prefix}: bad answer: {e}")
            for item in j.get("items", []):
                size = str(item.get("size", ""))
                objects.append((item.get("name", ""), int(size) if size.isdigit() else -1,
                                f"{item.get('generation', '')}|{item.get('etag', '')}"))
            page = j.get("nextPageToken", "")
            if not page:
                return objects

    def download(self, key, path):
        with request("GET", f"{self.base}/{quote(key, safe='')}?alt=media", self.headers) as r:
            if r.status != 200:
                raise http_failure(f"GET gs://{self.bucket}/{key}", r)
            save(r, path, f"gs://{self.bucket}/{key}")


# ---- sources: what to fetch and a version id that changes when the remote changes ----

def safe_relative(rel):
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return os.path.join(*parts)


class BucketSource:
    """Every object under gs://bucket/prefix or s3://bucket/prefix; the exact key alone when an
    object has that name. A sibling (models/v10 for models/v1) does not match."""

    def __init__(self, uri, scheme, bucket, prefix):
        self.uri, self.scheme, self.bucket, self.prefix = uri, scheme, bucket, prefix
        self.store = None
        self.objects = []
        self.validators = {}

    def probe(self, latest):
        self.store = S3(self.bucket) if self.scheme == "s3" else Gcs(self.bucket)
        listed = self.store.list(self.prefix)
        p = self.prefix.strip("/")
        exact = [o for o in listed if p and o[0] == p]
        chosen = []
        for key, size, tag in exact or listed:
            if key.endswith("/"):
                continue
            if exact:
                rel = key.rsplit("/", 1)[-1]
            elif not p:
                rel = key
            elif key.startswith(p + "/"):
                rel = key[len(p) + 1:]
            else:
                continue
            rel = safe_relative(rel)
            if rel:
                chosen.append((key, rel, size, tag))
        if not chosen:
            raise Failure(f"no objects under {self.uri}")
        self.objects = sorted(chosen)
        total = sum(max(o[2], 0) for o in self.objects)
        log(f"{self.uri}: {len(self.objects)} objects, {total} bytes")
        ident = json.dumps([[o[0], o[2], o[3]] for o in self.objects]).encode()
        return "v-" + hashlib.sha256(ident).hexdigest()[:16]

    def download(self, dest):
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            jobs = [pool.submit(self.store.download, key, os.path.join(dest, rel))
                    for key, rel, _, _ in self.objects]
            for job in concurrent.futures.as_completed(jobs):
                if job.exception():
                    for j in jobs:
                        j.cancel()  # the first failure ends the fetch; no more requests
                    raise job.exception()

    def close(self):
        pass


class HttpSource:
    """One file at an http(s) URL, revalidated with its ETag or Last-Modified."""

    def __init__(self, uri):
        self.uri = uri
        self.name = os.path.basename(urllib.parse.urlsplit(uri).path) or "model"
        self.stack = contextlib.ExitStack()
        self.resp = None
        self.validators = {}

    def probe(self, latest):
        url, headers = self.uri, {}
        if latest:
            v = latest[1].get("validators", {})
            if v.get("etag"):
                headers["If-None-Match"] = v["etag"]
            if v.get("last_modified"):
                headers["If-Modified-Since"] = v["last_modified"]
        for _ in range(6):
            r = self.stack.enter_context(request("GET", url, headers))
            if r.status in (301, 302, 303, 307, 308) and r.getheader("Location"):
                url = urllib.parse.urljoin(url, r.getheader("Location"))
                continue
            break
        if r.status == 304 and latest:
            self.stack.close()
            return latest[0]
        if r.status != 200:
            raise http_failure(f"GET {url}", r)
        self.resp = r
        self.validators = {k: r.getheader(h) for k, h in (("etag", "ETag"),
                                                          ("last_modified", "Last-Modified"))
                           if r.getheader(h)}
        if not self.validators:
            return None  # nothing to revalidate with: not cached
        ident = json.dumps(self.validators, sort_keys=True).encode()
        return "v-" + hashlib.sha256(ident).hexdigest()[:16]

    def download(self, dest):
        with self.stack:
            save(self.resp, os.path.join(dest, self.name), self.uri)

    def close(self):
        self.stack.close()


# ---- the node's model cache: <root>/<sha256(uri)>/<version>/{data/,meta.json,complete} ----

class Cache:
    """A version is built in a staging dir and renamed into place with its `complete` marker
    already written, so a reader never sees half a model; a per-URI flock makes replicas that
    start together wait for one download instead of each fetching the model."""

    def __init__(self, root, uri):
        self.dir = os.path.join(root, hashlib.sha256(uri.encode()).hexdigest())
        self.uri = uri
        os.makedirs(self.dir, exist_ok=True)
        self.lock = os.open(os.path.join(self.dir, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        for name in os.listdir(self.dir):  # left by a crashed initializer (we hold the lock)
            if name.startswith(".staging-"):
                shutil.rmtree(os.path.join(self.dir, name), ignore_errors=True)

    def close(self):
        os.close(self.lock)

    def data(self, version):
        d = os.path.join(self.dir, version)
        return os.path.join(d, "data") if os.path.exists(os.path.join(d, "complete")) else None

    def latest(self):
        best = None
        for name in os.listdir(self.dir):
            marker = os.path.join(self.dir, name, "complete")
            if name.startswith("v-") and os.path.exists(marker):
                t = os.stat(marker).st_mtime
                if best is None or t > best[0]:
                    best = (t, name)
        if best is None:
            return None
        try:
            with open(os.path.join(self.dir, best[1], "meta.json")) as f:
                return best[1], json.load(f)
        except (OSError, ValueError):
            return best[1], {}

    def staging(self):
        return tempfile.mkdtemp(prefix=".staging-", dir=self.dir)

    def publish(self, staging, version, meta):
        with open(os.path.join(staging, "meta.json"), "w") as f:
            json.dump(meta, f)
        with open(os.path.join(staging, "complete"), "w") as f:
            f.write(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.rename(staging, os.path.join(self.dir, version))
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # that version is already there
        for name in os.listdir(self.dir):
            if name.startswith("v-") and name != version:
                shutil.rmtree(os.path.join(self.dir, name), ignore_errors=True)


def open_cache(uri):
    root = env("SKIFF_MODEL_CACHE_DIR")
    if not root:
        return None
    try:
        return Cache(root, uri)
    except OSError as e:
        log(f"model cache {root} unusable ({describe(e)}); downloading without it")
        return None


def place(src, out, link):
    """Hard links when allowed and possible (same mount), else copies."""
    for root, _, files in os.walk(src):
        dst_root = os.path.normpath(os.path.join(out, os.path.relpath(root, src)))
        os.makedirs(dst_root, exist_ok=True)
        for name in files:
            s, d = os.path.join(root, name), os.path.join(dst_root, name)
            if os.path.lexists(d):
                os.remove(d)
            if os.path.islink(s):
                os.symlink(os.readlink(s), d)
                continue
            if link:
                try:
                    os.link(s, d)
                    continue
                except OSError:
                    link = False
            shutil.copy2(s, d)


# ---- local paths and archives ----

def copy_local(src, out):
    if os.path.isdir(src):
        shutil.copytree(src, out, dirs_exist_ok=True)
    elif os.path.isfile(src):
        shutil.copy2(src, os.path.join(out, os.path.basename(src)))
    else:
        raise Failure(f"{src} does not exist")


def unpack(d):
    """A lone .tar/.tgz/.tar.gz/.zip is unpacked in place and removed."""
    files = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs]
    if len(files) != 1 or not files[0].endswith(ARCHIVES):
        return
    path = files[0]
    try:
        if path.endswith(".zip"):
            with zipfile.ZipFile(path) as z:
                z.extractall(d)
        else:
            with tarfile.open(path) as t:
                for m in t.getmembers():
                    name = os.path.normpath(m.name)
                    if (name.startswith(("/", "..")) or m.isdev() or
                            (m.islnk() or m.issym()) and (os.path.isabs(m.linkname) or
                                                           ".." in m.linkname.split("/"))):
                        raise Failure(f"{os.path.basename(path)}: unsafe member {m.name}")
                t.extractall(d)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as e:
        raise Failure(f"unpacking {os.path.basename(path)}: {e}")
    os.remove(path)


def storage_config():
    """KServe's storage spec secret (STORAGE_CONFIG, STORAGE_OVERRIDE_CONFIG) as S3 env."""
    try:
        spec = json.loads(env("STORAGE_CONFIG", "{}"))
        spec.update(json.loads(env("STORAGE_OVERRIDE_CONFIG", "{}")))
    except ValueError as e:
        raise Failure(f"STORAGE_CONFIG: {e}")
    if spec.get("type") == "s3":
        for var, key in (("AWS_ENDPOINT_URL", "endpoint_url"), ("AWS_ACCESS_KEY_ID",
                         "access_key_id"), ("AWS_SECRET_ACCESS_KEY", "secret_access_key"),
                         ("AWS_DEFAULT_REGION", "region"), ("AWS_CA_BUNDLE", "ca_bundle"),
                         ("S3_VERIFY_SSL", "verify_ssl"), ("awsAnonymousCredential", "anonymous")):
            if key in spec:
                os.environ[var] = str(spec[key])


# ---- main ----

def fetch_remote(uri, u, out):
    if u.scheme in ("s3", "gs"):
        source = BucketSource(uri, u.scheme, u.netloc, u.path.lstrip("/"))
    else:
        source = HttpSource(uri)
    cache = open_cache(uri)
    if cache is None:
        source.probe(None)
        source.download(out)
        unpack(out)
        return
    try:
        latest = cache.latest()
        note = ""
        try:
            version = source.probe(latest)
        except Unreachable as e:
            # Offline, a model this node already holds still serves (a refusal would not).
            if not latest:
                raise
            version, note = latest[0], f", not revalidated: {e}"
        if version is None:  # the server gave nothing to revalidate with: not cached
            source.download(out)
            unpack(out)
            return
        data = cache.data(version)
        if data:
            source.close()
            log(f"cache hit for {uri} ({version}{note})")
        else:
            staging = cache.staging()
            source.download(os.path.join(staging, "data"))
            unpack(os.path.join(staging, "data"))
            cache.publish(staging, version, {"uri": uri, "validators": source.validators})
            log(f"cached {uri} as {version}")
            data = cache.data(version)
        place(data, out, truthy(env("SKIFF_MODEL_CACHE_LINK")))
    finally:
        cache.close()


CLOUD = {"hdfs": "HDFS", "webhdfs": "WebHDFS", "hf": "the Hugging Face Hub",
         "modelscope": "ModelScope", "oci": "an OCI registry"}


def main(uri, out):
    os.makedirs(out, exist_ok=True)
    storage_config()
    u = urllib.parse.urlparse(uri)
    if uri.startswith("/"):
        copy_local(uri, out)
    elif u.scheme == "file":
        copy_local(uri[len("file://"):], out)
    elif u.scheme in ("http", "https") and u.netloc.endswith((".blob.core.windows.net",
                                                              ".file.core.windows.net")):
        raise Failure("Azure storage is not implemented by Skiff's storage initializer; use "
                      "s3://, gs://, file://, an absolute path, pvc://<claim>/<path> or http(s)://")
    elif u.scheme in ("http", "https", "s3", "gs"):
        if u.scheme in ("s3", "gs") and not u.netloc:
            raise Failure(f"no bucket in {uri}")
        fetch_remote(uri, u, out)
    elif u.scheme.split("+")[0] in CLOUD:
        raise Failure(f"the {u.scheme}:// scheme needs {CLOUD[u.scheme.split('+')[0]]}, which "
                      "Skiff's storage initializer does not implement; use s3://, gs://, file://,"
                      " an absolute path, pvc://<claim>/<path> or http(s)://")
    else:
        raise Failure("unsupported storageUri scheme")
    n = sum(len(files) for _, _, files in os.walk(out))
    log(f"{uri} -> {out} ({n} files)")


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except Failure as e:
        print(f"storage-initializer: {sys.argv[1]}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception as e:  # a bug: still one line for lastFailureInfo
        print(f"storage-initializer: {sys.argv[1]}: internal error: {type(e).__name__}: {e}",
              file=sys.stderr, flush=True)
        sys.exit(1)
)py";

}  // namespace

const char* StorageInitializerScript() { return kStorageScript; }

}  // namespace skiff::controllers::inferenceservice
