"""Storage against a real S3 implementation: moto's standalone server on loopback with SigV4
verification on (every request after the IAM setup is checked), driven through storage-probe.
Also: a fake IMDSv2 endpoint, a fault-injecting proxy (500, 503 SlowDown, resets, stalls), uploads
with `_SUCCESS` last, downloads into a cache, and a check that no secret ever reaches the output."""
import collections
import concurrent.futures
import datetime
import hashlib
import http.client
import http.server
import json
import math
import os
import pathlib
import tempfile
import random
import socket
import struct
import subprocess
import sys
import threading
import time

import urllib.parse

import boto3
import botocore.exceptions
import pytest

from conftest import imgfeat_binary, ROOT, make_bucket
from moto_s3 import signed_s3

BUCKET = "imgfeat-storage"
PREFIX = "Test"
IMAGES = 2000
OUTPUTS = []  # every probe run's stdout+stderr, checked for secrets at the end


def probe_binary():
    override = os.environ.get("STORAGE_PROBE")
    if override:
        return pathlib.Path(override)
    for config in ("release", "debug"):
        path = ROOT / ".build" / config / "storage-probe"
        if path.exists():
            return path
    pytest.fail("storage-probe is not built: run `swift build -c release` (scripts/test.sh does)")


class Server(threading.Thread):
    """A ThreadingHTTPServer on a free loopback port, stopped by close()."""

    def __init__(self, handler):
        super().__init__(daemon=True)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # resets we cause are not errors
        self.httpd.owner = self
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.start()

    def run(self):
        self.httpd.serve_forever(poll_interval=0.1)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """moto with signature checks on, an IAM user with full access, and a bucket of JPEGs."""
    root = tmp_path_factory.mktemp("bucket")
    made = make_bucket(root, IMAGES, seed=61)
    objects = {f"{PREFIX}/{p.relative_to(root).as_posix()}": p.read_bytes() for p in root.rglob("*") if p.is_file()}
    decoy = {f"{PREFIX}imony/decoy.jpg": b"not under Test/"}  # s3://bucket/Test must not list it
    with signed_s3(BUCKET, {**decoy, **objects}, tmp_path_factory.mktemp("moto") / "moto.log") as server:
        iam = boto3.client("iam", endpoint_url=server["url"], region_name="us-east-1",
                           aws_access_key_id=server["key"], aws_secret_access_key=server["secret"])
        yield {**server, "iam": iam, "objects": objects, "made": made}


def secrets_of(s3):
    return [s3["secret"]] + s3.get("extra_secrets", [])


def probe(s3, *args, env=None, creds=True, timeout=180, expect_ok=True):
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base["AWS_EC2_METADATA_DISABLED"] = "true"
    if creds:
        base.update(AWS_ACCESS_KEY_ID=s3["key"], AWS_SECRET_ACCESS_KEY=s3["secret"])
    base.update(env or {})
    start = time.time()
    proc = subprocess.run([str(probe_binary()), *map(str, args)], capture_output=True, text=True, env=base,
                          timeout=timeout)
    text = proc.stdout + proc.stderr
    OUTPUTS.append(text)
    for secret in secrets_of(s3):
        assert secret not in text, "a secret appeared in storage-probe output"
    if expect_ok and proc.returncode != 0:
        raise AssertionError(f"storage-probe {' '.join(map(str, args))} exited {proc.returncode}:\n{text[-3000:]}")
    out = json.loads(proc.stdout) if proc.stdout.strip() else {}
    out["_returncode"] = proc.returncode
    out["_seconds"] = time.time() - start
    return out


def is_image(key):
    name = key.rsplit("/", 1)[-1].lower()
    return name.endswith(".jpg") or name.endswith(".jpeg")


def expected_images(s3):
    return sorted(f"s3://{BUCKET}/{k}" for k in s3["objects"] if is_image(k))


# ---------------------------------------------------------------------------------------------
# Fault-injecting proxy in front of moto: forwards requests byte for byte (Host header included,
# so signatures still verify) and, by plan, answers 500, 503 SlowDown, resets or stalls instead.

class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with self.server.owner.lock:
            self.server.owner.connections += 1

    def _handle(self):
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with owner.lock:
            owner.attempts[(self.command, self.path)] += 1
            attempt = owner.attempts[(self.command, self.path)]
        fault = owner.plan(self.command, self.path, attempt) if owner.plan else None
        with owner.lock:
            owner.log.append((self.command, self.path, fault))
            owner.signed.append("Authorization" in self.headers or "X-Amz-Security-Token" in self.headers)
        if fault == "slow":
            time.sleep(0.1)
        if fault == "500":
            return self._reply(500, b"<Error><Code>InternalError</Code><Message>injected</Message></Error>")
        if fault == "503":
            return self._reply(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        status, headers, payload = owner.forward(self.command, self.path, dict(self.headers.items()), body)
        if fault == "stall":
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            time.sleep(owner.stall_seconds)
            self.close_connection = True
            return
        self._reply(status, payload, headers)

    def _reply(self, status, payload, headers=()):
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


class FaultProxy(Server):
    def __init__(self, upstream_port, plan=None, stall_seconds=3.0):
        self.upstream_port = upstream_port
        self.plan = plan
        self.stall_seconds = stall_seconds
        self.lock = threading.Lock()
        self.attempts = collections.Counter()
        self.log = []
        self.signed = []
        self.connections = 0
        self.local = threading.local()
        super().__init__(Proxy)

    def forward(self, method, path, headers, body):
        for retry in range(2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
            try:
                headers = {k: v for k, v in headers.items() if k.lower() not in ("connection", "expect")}
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if retry:
                    raise


@pytest.fixture
def proxy(s3):
    made = []

    def make(plan=None, stall_seconds=3.0):
        p = FaultProxy(int(s3["url"].rsplit(":", 1)[1]), plan, stall_seconds)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


# ---------------------------------------------------------------------------------------------

def test_listing_finds_every_image_and_follows_pagination(s3, proxy):
    p = proxy()
    got = probe(s3, "list", f"s3a://{BUCKET}/{PREFIX}", "--endpoint-url", p.url, "--max-keys", "100")
    paths = [item["path"] for item in got["items"]]
    want = expected_images(s3)
    assert len(want) >= IMAGES
    assert sorted(paths) == want
    labels = {item["label"] for item in got["items"]}
    assert {"Fruit 0", "Fruit 6", "Broken"} <= labels
    listing_requests = [path for method, path, _ in p.log if method == "GET" and "list-type=2" in path]
    assert len(listing_requests) == math.ceil(len(s3["objects"]) / 100)
    assert sum("continuation-token=" in path for path in listing_requests) == len(listing_requests) - 1
    assert p.connections == 1  # every page on one kept-alive connection
    print(f"\nstorage: moto listing {len(s3['objects'])} keys in {len(listing_requests)} pages: {got['seconds']:.2f}s, "
          f"{len(s3['objects']) / got['seconds']:.0f} keys/s (through the proxy)")


def test_connections_are_reused_across_batches(s3, proxy):
    p = proxy()
    paths = expected_images(s3)[1::9][:160]
    got = probe(s3, "get", *paths, "--endpoint-url", p.url, "--batch", "40", "--concurrency", "8")
    assert got["failures"] == 0 and len(p.log) == len(paths)
    assert 1 <= p.connections <= 8, p.connections


def test_listing_a_single_key(s3):
    key = sorted(k for k in s3["objects"] if is_image(k))[5]
    got = probe(s3, "list", f"s3://{BUCKET}/{key}", "--endpoint-url", s3["url"])
    assert [item["path"] for item in got["items"]] == [f"s3://{BUCKET}/{key}"]


def test_listing_with_default_page_size_and_glob(s3):
    got = probe(s3, "list", f"s3://{BUCKET}/{PREFIX}/group1", "--endpoint-url", s3["url"], "--glob", "img_0000?.jpg")
    want = sorted(f"s3://{BUCKET}/{k}" for k in s3["objects"]
                  if k.startswith(f"{PREFIX}/group1") and k.rsplit("/", 1)[-1].startswith("img_0000"))
    assert want and [item["path"] for item in got["items"]] == want


def test_fetch_returns_identical_bytes(s3, tmp_path):
    # Every third image (moto verifying signatures serves ~40 GETs/s on 2 cores; the fault test
    # below fetches others), spread over every folder.
    paths = expected_images(s3)[::3]
    listing = tmp_path / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    got = probe(s3, "get", f"@{listing}", "--endpoint-url", s3["url"], "--batch", "256", "--concurrency", "16")
    assert got["failures"] == 0 and got["count"] == len(paths)
    print(f"\nstorage: moto GET {got['count']} objects, {got['bytes']} bytes in {got['seconds']:.2f}s: "
          f"{got['objects_per_second']:.0f} objects/s, {got['mb_per_second']:.2f} MB/s")
    by_path = {item["path"]: item for item in got["items"]}
    for path in paths:
        data = s3["objects"][path.split("/", 3)[3]]
        assert by_path[path]["size"] == len(data), path
        assert by_path[path]["sha256"] == hashlib.sha256(data).hexdigest(), path


def test_missing_object_is_an_error_not_a_crash(s3):
    good = expected_images(s3)[0]
    got = probe(s3, "get", good, f"s3://{BUCKET}/{PREFIX}/nope.jpg", "--endpoint-url", s3["url"], expect_ok=False)
    assert got["_returncode"] == 1 and got["failures"] == 1 and not got["fatal"]
    errors = [item for item in got["items"] if "error" in item]
    assert "nope.jpg" in errors[0]["error"] and "NoSuchKey" in errors[0]["error"]


@pytest.mark.parametrize("which,code", [("secret", "SignatureDoesNotMatch"), ("key", "InvalidAccessKeyId")])
def test_wrong_credentials_fail_fast_and_clearly(s3, proxy, which, code):
    env = {"AWS_ACCESS_KEY_ID": s3["key"], "AWS_SECRET_ACCESS_KEY": s3["secret"]}
    if which == "secret":
        env["AWS_SECRET_ACCESS_KEY"] = "wrong" + s3["secret"][5:]
        s3.setdefault("extra_secrets", []).append(env["AWS_SECRET_ACCESS_KEY"])
    else:
        env["AWS_ACCESS_KEY_ID"] = "AKIAWRONGWRONGWRONG1"
    paths = expected_images(s3)[:300]
    # "Fast" is counted in requests, not seconds: no object is asked for twice, and the batch stops at
    # once, with at most the requests already in flight (--concurrency) sent after the first refusal.
    p = proxy()
    got = probe(s3, "get", *paths, "--endpoint-url", p.url, "--concurrency", "8", env=env, creds=False,
                expect_ok=False)
    assert got["_returncode"] == 1 and got["fatal"]
    assert max(p.attempts.values()) == 1, "a refused signature was retried"
    assert len(p.log) <= 2 * 8, f"{len(p.log)} of {len(paths)} objects requested after the refusal"
    first = got["items"][0]["error"]
    assert code in first and "403" in first
    listing = probe(s3, "list", f"s3://{BUCKET}/{PREFIX}", "--endpoint-url", p.url, env=env, creds=False,
                    expect_ok=False)
    assert listing["_returncode"] == 1 and listing["fatal"] and code in listing["error"]


def test_no_sign_request_sends_unsigned_requests(s3, proxy):
    p = proxy()
    got = probe(s3, "list", f"s3://{BUCKET}/{PREFIX}", "--endpoint-url", p.url, "--no-sign-request", "--max-attempts", "1",
                expect_ok=False)
    # moto, verifying signatures, refuses unsigned requests (with a 500 where S3 says 403).
    assert got["_returncode"] == 1 and "error" in got
    assert p.log and all(not signed for signed in p.signed)


def test_credentials_from_profile_files(s3, tmp_path):
    (tmp_path / "creds").write_text(f"[other]\naws_access_key_id = {s3['key']}\naws_secret_access_key = {s3['secret']}\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "creds"), "AWS_PROFILE": "other", "HOME": str(tmp_path)}
    got = probe(s3, "list", f"s3://{BUCKET}/{PREFIX}/group2", "--endpoint-url", s3["url"], env=env, creds=False)
    assert got["count"] == len([k for k in s3["objects"] if k.startswith(f"{PREFIX}/group2/") and is_image(k)])


class FakeIMDS(http.server.BaseHTTPRequestHandler):
    """IMDSv2: a token by PUT, then role and credentials by GET with that token (401 without)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        owner = self.server.owner
        owner.calls.append(("PUT", self.path, self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")))
        if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self._send(400, b"")
        self._send(200, owner.token.encode())

    def do_GET(self):
        owner = self.server.owner
        token = self.headers.get("X-aws-ec2-metadata-token")
        owner.calls.append(("GET", self.path, token))
        if token != owner.token:
            return self._send(401, b"")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self._send(200, b"imgfeat-role\n")
        if self.path == base + "imgfeat-role":
            expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=owner.lifetime)
            return self._send(200, json.dumps({
                "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": owner.temp["AccessKeyId"],
                "SecretAccessKey": owner.temp["SecretAccessKey"], "Token": owner.temp["SessionToken"],
                "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode())
        self._send(404, b"")


@pytest.fixture(scope="module")
def role_credentials(s3):
    """Temporary credentials of an IAM role (AssumeRole through moto's STS), as IMDS would serve them."""
    trust = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    role = s3["iam"].create_role(RoleName="imgfeat-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    s3["iam"].put_role_policy(RoleName="imgfeat-role", PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    sts = boto3.client("sts", endpoint_url=s3["url"], region_name="us-east-1",
                       aws_access_key_id=s3["key"], aws_secret_access_key=s3["secret"])
    temp = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="imds")["Credentials"]
    s3.setdefault("extra_secrets", []).extend([temp["SecretAccessKey"], temp["SessionToken"]])
    return temp


def fake_imds(temp, lifetime):
    imds = Server(FakeIMDS)
    imds.token = "imds-session-" + os.urandom(8).hex()
    imds.temp = temp
    imds.lifetime = lifetime
    imds.calls = []
    return imds


def test_instance_metadata_v2_credentials(s3, role_credentials, tmp_path):
    imds = fake_imds(role_credentials, lifetime=3600)
    try:
        env = {"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
               "HOME": str(tmp_path)}
        who = probe(s3, "credentials", env=env, creds=False)
        assert who["source"] == "instance metadata (role imgfeat-role)" and who["has_session_token"]
        assert who["access_key_id"] == role_credentials["AccessKeyId"]
        paths = expected_images(s3)[:50]
        got = probe(s3, "get", *paths, "--endpoint-url", s3["url"], env=env, creds=False)
        assert got["failures"] == 0
        for item in got["items"]:
            data = s3["objects"][item["path"].split("/", 3)[3]]
            assert item["sha256"] == hashlib.sha256(data).hexdigest()
        # Each process opens a session by PUT (with a TTL) and sends its token with every GET.
        puts = [call for call in imds.calls if call[0] == "PUT"]
        gets = [call for call in imds.calls if call[0] == "GET"]
        assert imds.calls[0][0] == "PUT" and len(puts) == 2 and all(call[2] for call in puts)
        assert len(gets) == 4 and all(call[2] == imds.token for call in gets)
    finally:
        imds.close()


def test_instance_credentials_are_renewed_before_expiry(s3, role_credentials, proxy, tmp_path):
    # Credentials said to expire 12 s after each answer are renewed inside the last 10 s, so a run of
    # several seconds asks again; every request still carries valid credentials.
    imds = fake_imds(role_credentials, lifetime=12)
    p = proxy(lambda method, path, attempt: "slow" if method == "GET" else None)
    try:
        env = {"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
               "HOME": str(tmp_path)}
        paths = expected_images(s3)[2::20][:80]
        got = probe(s3, "get", *paths, "--endpoint-url", p.url, "--concurrency", "2", env=env, creds=False)
        assert got["failures"] == 0 and got["_seconds"] > 3
        documents = [call for call in imds.calls if call[0] == "GET" and call[1].endswith("/imgfeat-role")]
        assert len(documents) >= 2, imds.calls
    finally:
        imds.close()


def fault_plan(method, path, attempt):
    """First attempt of most objects fails one way or another, some fail twice; the listing's first
    page is answered SlowDown once."""
    if method == "GET" and "list-type=2" in path:
        return "503" if attempt == 1 and "continuation-token" not in path else None
    if method != "GET":
        return None
    h = int(hashlib.md5(path.encode()).hexdigest(), 16)
    kinds = ["500", "503", "reset", None, "500", "reset", "503", None]
    if attempt == 1:
        return "stall" if h % 40 == 7 else kinds[h % len(kinds)]
    if attempt == 2 and h % 5 == 0:
        return kinds[(h // 7) % 3]
    return None


def test_faults_are_retried_to_identical_bytes(s3, proxy):
    p = proxy(fault_plan, stall_seconds=4.0)
    env = {"IMGFEAT_S3_STALL_SECONDS": "1"}
    listing = probe(s3, "list", f"s3://{BUCKET}/{PREFIX}/group0", "--endpoint-url", p.url, env=env)
    want = sorted(f"s3://{BUCKET}/{k}" for k in s3["objects"] if k.startswith(f"{PREFIX}/group0/") and is_image(k))
    assert [item["path"] for item in listing["items"]] == want
    paths = want[:400]
    got = probe(s3, "get", *paths, "--endpoint-url", p.url, "--concurrency", "16", env=env, timeout=240)
    assert got["failures"] == 0, [i for i in got["items"] if "error" in i][:3]
    for item in got["items"]:
        data = s3["objects"][item["path"].split("/", 3)[3]]
        assert item["size"] == len(data) and item["sha256"] == hashlib.sha256(data).hexdigest(), item["path"]
    kinds = collections.Counter(fault for _, _, fault in p.log if fault)
    assert kinds["500"] > 10 and kinds["503"] > 10 and kinds["reset"] > 10 and kinds["stall"] >= 3, kinds


def test_retries_are_bounded(s3, proxy):
    p = proxy(lambda method, path, attempt: "503" if method == "GET" else None)
    got = probe(s3, "get", expected_images(s3)[0], "--endpoint-url", p.url, "--max-attempts", "3",
                expect_ok=False)
    assert got["failures"] == 1 and not got["fatal"]
    assert "gave up after 3 attempts" in got["items"][0]["error"] and "SlowDown" in got["items"][0]["error"]
    assert len(p.log) == 3


def test_upload_folder_multipart_and_success_last(s3, proxy, tmp_path):
    out = tmp_path / "out"
    (out / "features").mkdir(parents=True)
    rng = random.Random(5)
    files = {f"features/part-{i:05d}.parquet": rng.randbytes(rng.randrange(1, 200_000)) for i in range(12)}
    files["pca-model.json"] = b'{"k": 50}'
    files["features/big.bin"] = rng.randbytes(11 * 1024 * 1024 + 17)
    for name, data in files.items():
        (out / name).write_bytes(data)
    (out / "_SUCCESS").write_bytes(b"")
    p = proxy()
    probe(s3, "upload", out, f"s3://{BUCKET}/results/run1", "--endpoint-url", p.url,
          "--multipart-threshold", str(5 << 20), "--part-size", str(5 << 20))
    writes = [(m, path) for m, path, _ in p.log if m in ("PUT", "POST")]
    assert writes[-1] == ("PUT", "/" + BUCKET + "/results/run1/_SUCCESS")
    parts = [path for m, path in writes if "partNumber=" in path]
    assert len(parts) == 3 and any("uploads" in path for m, path in writes if m == "POST")
    for name, data in files.items():
        body = s3["client"].get_object(Bucket=BUCKET, Key=f"results/run1/{name}")["Body"].read()
        assert body == data, name
    assert s3["client"].get_object(Bucket=BUCKET, Key="results/run1/_SUCCESS")["Body"].read() == b""


class StaticFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_into_cache(s3, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    payload = random.Random(9).randbytes(3_000_001)
    (served / "weights.h5").write_bytes(payload)
    handler = lambda *a, **k: StaticFiles(*a, directory=str(served), **k)  # noqa: E731
    web = Server(handler)
    try:
        cache = tmp_path / "cache" / "models"
        dest = cache / "mobilenet.h5"
        probe(s3, "download", f"{web.url}/weights.h5", dest, "--size", str(len(payload)))
        assert dest.read_bytes() == payload
        assert sorted(p.name for p in cache.iterdir()) == ["mobilenet.h5"]
        bad = probe(s3, "download", f"{web.url}/weights.h5", cache / "wrong.h5", "--size", "12", expect_ok=False)
        assert bad["_returncode"] == 1 and "expected 12" in bad["error"]
        missing = probe(s3, "download", f"{web.url}/nothing.h5", cache / "nothing.h5", expect_ok=False)
        assert missing["_returncode"] == 1 and "404" in missing["error"]
        assert sorted(p.name for p in cache.iterdir()) == ["mobilenet.h5"]
    finally:
        web.close()


def test_http_urls_in_a_list(s3, tmp_path):
    served = tmp_path / "web"
    (served / "cats").mkdir(parents=True)
    blobs = {f"cats/c{i}.jpg": random.Random(i).randbytes(1000 + i) for i in range(20)}
    for name, data in blobs.items():
        (served / name).write_bytes(data)
    web = Server(lambda *a, **k: StaticFiles(*a, directory=str(served), **k))
    try:
        listing = tmp_path / "urls.txt"
        listing.write_text("".join(f"{web.url}/{name}\n" for name in blobs))
        got = probe(s3, "get", f"@{listing}")
        assert got["failures"] == 0
        for item in got["items"]:
            assert item["sha256"] == hashlib.sha256(blobs[item["path"].split("/", 3)[3]]).hexdigest()
    finally:
        web.close()


class MemoryServer(threading.Thread):
    """The fastest loopback server Python offers (asyncio, keep-alive, bodies from memory), to see
    what the client side sustains when the server is not the bottleneck."""

    def __init__(self, blobs):
        super().__init__(daemon=True)
        import asyncio
        self.asyncio = asyncio
        self.blobs = blobs
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.start()
        self.ready.wait(10)

    async def serve(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = urllib.parse.unquote(head.split(b" ", 2)[1].decode())
                body = self.blobs.get(path)
                status = b"200 OK" if body is not None else b"404 Not Found"
                body = body or b""
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (self.asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def run(self):
        self.asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(self.asyncio.start_server(self.serve, "127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        self.ready.set()
        self.loop.run_forever()

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(5)


def test_fetch_throughput_against_a_fast_server(s3, tmp_path):
    images = {"/" + k: v for k, v in s3["objects"].items() if is_image(k)}
    big = {f"/big/{i}.bin": random.Random(i).randbytes(4 << 20) for i in range(8)}
    server = MemoryServer({**images, **big})
    try:
        for name, blobs in (("small JPEGs", images), ("4 MiB objects", big)):
            listing = tmp_path / "urls.txt"
            listing.write_text("".join(f"{server.url}{urllib.parse.quote(path)}\n" for path in blobs))
            got = probe(s3, "get", f"@{listing}", "--batch", "256", "--concurrency", "16")
            assert got["failures"] == 0 and got["count"] == len(blobs)
            for item in got["items"]:
                key = urllib.parse.unquote(item["path"][len(server.url):])
                assert item["sha256"] == hashlib.sha256(blobs[key]).hexdigest(), key
            print(f"\nstorage: loopback asyncio GET {got['count']} {name}, {got['bytes']} bytes in "
                  f"{got['seconds']:.2f}s: {got['objects_per_second']:.0f} objects/s, {got['mb_per_second']:.1f} MB/s")
    finally:
        server.close()


STAGING = pathlib.Path(tempfile.mkdtemp(prefix="imgfeat-staging-test-"))


def imgfeat(s3, *args):
    """Runs the imgfeat tool with the test user's credentials; its output is checked for secrets too."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID=s3["key"], AWS_SECRET_ACCESS_KEY=s3["secret"],
                TMPDIR=str(STAGING))  # s3:// outputs stage here: fresh for every test session
    proc = subprocess.run([str(imgfeat_binary()), *map(str, args)], capture_output=True, text=True, env=base,
                          timeout=600)
    OUTPUTS.append(proc.stdout + proc.stderr)
    assert proc.returncode == 0, f"imgfeat {' '.join(map(str, args))}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def imgfeat_may_fail(s3, *args, timeout=600):
    """`imgfeat(...)` without the exit status check."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID=s3["key"], AWS_SECRET_ACCESS_KEY=s3["secret"],
                TMPDIR=str(STAGING))
    proc = subprocess.run([str(imgfeat_binary()), *map(str, args)], capture_output=True, text=True, env=base,
                          timeout=timeout)
    OUTPUTS.append(proc.stdout + proc.stderr)
    return proc


def feature_rows(table, strip):
    rows = {}
    for path, label, features in zip(table["path"].to_pylist(), table["label"].to_pylist(),
                                     table["features"].to_pylist()):
        assert path.startswith(strip), path
        key = path[len(strip):]
        assert key not in rows, f"duplicate row {path}"
        rows[key] = (label, features)
    return rows


def test_imgfeat_on_s3_matches_the_same_images_on_disk(s3, tmp_path):
    """`imgfeat featurize s3://...` and `imgfeat run s3://... --output s3://...` give the rows and
    features of the same images read from a local folder."""
    import pyarrow.parquet as pq

    small = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]
    local_root = pathlib.Path(next(iter(s3["made"]["good"]))).parents[2]
    imgfeat(s3, "run", local_root, "--output", tmp_path / "local", "--k", "4", *small)
    local = feature_rows(pq.read_table(tmp_path / "local" / "features"), str(local_root) + "/")
    local_errors = pq.read_table(tmp_path / "local" / "errors.parquet")["path"].to_pylist()

    uri = f"s3://{BUCKET}/{PREFIX}"
    imgfeat(s3, "featurize", uri, "--output", tmp_path / "from-s3", "--endpoint-url", s3["url"], *small)
    remote = feature_rows(pq.read_table(tmp_path / "from-s3"), uri + "/")
    assert len(local) == len(s3["made"]["good"]) and remote.keys() == local.keys()
    for key, (label, features) in local.items():
        assert remote[key][0] == label
        assert remote[key][1] == features, f"{key}: features differ between S3 and disk"
    errors = pq.read_table(tmp_path / "from-s3" / "_errors.parquet")["path"].to_pylist()
    assert sorted(p[len(uri) + 1:] for p in errors) == sorted(p[len(str(local_root)) + 1:] for p in local_errors)

    imgfeat(s3, "run", f"s3a://{BUCKET}/{PREFIX}", "--output", f"s3://{BUCKET}/results", "--k", "4",
            "--endpoint-url", s3["url"], *small)
    client = s3["client"]
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="results/")
            for o in page.get("Contents", [])]
    assert "results/_SUCCESS" in keys and "results/pca-model.json" in keys and "results/errors.parquet" in keys
    download = tmp_path / "downloaded"
    for key in keys:
        if key.startswith("results/features/part-"):
            target = download / key[len("results/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(BUCKET, key, str(target))
    # The rows keep the scheme the input was given with, as Spark's S3A tables do.
    uploaded = feature_rows(pq.read_table(download / "features"), f"s3a://{BUCKET}/{PREFIX}/")
    assert uploaded.keys() == local.keys()
    assert all(uploaded[k] == local[k] for k in local)
    assert not (STAGING / "imgfeat-staging").exists(), "the staging copy (and its empty parent) should be gone once uploaded"

    # The same command again finds the finished run on S3 and does nothing; another input is refused.
    before = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="results/")["Contents"]}
    again = imgfeat(s3, "run", f"s3a://{BUCKET}/{PREFIX}", "--output", f"s3://{BUCKET}/results", "--k", "4",
                    "--endpoint-url", s3["url"], *small)
    assert "already complete" in again.stdout + again.stderr
    after = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="results/")["Contents"]}
    assert after == before
    refused = subprocess.run([str(imgfeat_binary()), "run", f"s3://{BUCKET}/{PREFIX}/group0", "--output",
                              f"s3://{BUCKET}/results", "--endpoint-url", s3["url"], *small],
                             capture_output=True, text=True, timeout=120,
                             env={**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
                                  "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": s3["key"],
                                  "AWS_SECRET_ACCESS_KEY": s3["secret"], "TMPDIR": str(STAGING)})
    OUTPUTS.append(refused.stdout + refused.stderr)
    assert refused.returncode != 0 and "holds the output of another job" in refused.stderr, refused.stderr[-2000:]

    # Other weights are not "done" either: the uploaded job record says so (another --k refits in
    # place: test_s3_output_is_refitted_in_place_without_reading_an_image).
    other_weights = [a if a != "random:0" else "random:1" for a in small]
    proc = imgfeat_may_fail(s3, "run", f"s3a://{BUCKET}/{PREFIX}", "--output", f"s3://{BUCKET}/results",
                            "--endpoint-url", s3["url"], "--k", "4", *other_weights)
    assert proc.returncode == 1 and "its weights are random:0, not random:1" in proc.stderr, proc.stderr[-2000:]
    assert "--overwrite" in proc.stderr, proc.stderr[-2000:]
    assert {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="results/")["Contents"]} == before
    assert not (STAGING / "imgfeat-staging").exists(), "a refused run must leave no staging folder"

    # --overwrite replaces imgfeat's objects (no part of the old run survives) and keeps anything else.
    client.put_object(Bucket=BUCKET, Key="results/notes.txt", Body=b"mine")
    imgfeat(s3, "run", f"s3a://{BUCKET}/{PREFIX}", "--output", f"s3://{BUCKET}/results", "--k", "3", "--overwrite",
            "--endpoint-url", s3["url"], *other_weights)
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="results/")
            for o in page.get("Contents", [])]
    assert "results/notes.txt" in keys
    old_parts = {k for k in before if k.startswith("results/features/part-") or k.startswith("results/pca/part-")}
    assert old_parts and not old_parts & set(keys), "parts of the overwritten run are still there"
    model = json.loads(client.get_object(Bucket=BUCKET, Key="results/pca-model.json")["Body"].read())
    assert model["k"] == 3


def requests_for_images(log):
    """The proxied requests that list or read the input images (anything under Test/)."""
    hits = []
    for method, path, _ in log:
        url = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(url.query)
        if urllib.parse.unquote(url.path).startswith(f"/{BUCKET}/{PREFIX}/") or \
                any(p.startswith(PREFIX + "/") or p == PREFIX for p in query.get("prefix", [])):
            hits.append((method, path))
    return hits


def test_s3_output_is_refitted_in_place_without_reading_an_image(s3, proxy, tmp_path):
    """A finished s3:// run asked again with only --k/--center changed refits its PCA from the stored
    statistics object: new PCA objects, the new k in run.json and pca-model.json, the features, errors
    and statistics objects untouched, and not one request for an image. A refit stopped half-way is
    refitted again by the next run even with the same --k (the job record is marked pending first)."""
    import numpy as np
    import pyarrow.parquet as pq

    client = s3["client"]
    small = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]
    uri, out = f"s3://{BUCKET}/{PREFIX}/group1", f"s3://{BUCKET}/refit"
    imgfeat(s3, "run", uri, "--output", out, "--k", "4", "--endpoint-url", s3["url"], *small)
    before = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="refit/")["Contents"]}
    kept = {k: v for k, v in before.items() if k.startswith("refit/features/") or k in
            ("refit/errors.parquet", "refit/pca-statistics.bin")}
    assert any(k.startswith("refit/features/part-") for k in kept) and "refit/pca-statistics.bin" in kept
    old_pca = {k for k in before if k.startswith("refit/pca/part-")}
    assert old_pca

    def run_json():
        return json.loads(client.get_object(Bucket=BUCKET, Key="refit/_imgfeat/run.json")["Body"].read())

    # Stopped half-way: every upload of the new pca-model.json fails, after the projection went up.
    failing = proxy(lambda method, path, attempt: "500" if method == "PUT" and "pca-model.json" in path else None)
    stopped = imgfeat_may_fail(s3, "run", uri, "--output", out, "--k", "3", "--center", "--endpoint-url", failing.url,
                               *small)
    lines = [line for line in stopped.stderr.splitlines() if line.startswith("imgfeat: error:")]
    assert stopped.returncode == 1 and len(lines) == 1 and "rerun to finish it" in lines[0], stopped.stderr[-2000:]
    assert requests_for_images(failing.log) == []
    assert run_json()["job"]["k"] == 3 and run_json()["pcaRefitPending"] is True

    # The same command again: refitted (not "already complete"), still without touching an image.
    p = proxy()
    refit = imgfeat(s3, "run", uri, "--output", out, "--k", "3", "--center", "--endpoint-url", p.url, *small)
    assert "refitted the PCA" in refit.stdout, refit.stdout
    assert requests_for_images(p.log) == [], requests_for_images(p.log)[:5]
    puts = [path for method, path, _ in p.log if method == "PUT"]
    assert puts[0].endswith("/refit/_imgfeat/run.json") and puts[-1].endswith("/refit/_imgfeat/run.json"), puts
    after = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="refit/")["Contents"]}
    assert {k: after.get(k) for k in kept} == kept, "the refit changed features, errors or statistics"
    new_pca = {k for k in after if k.startswith("refit/pca/part-")}
    assert new_pca and not new_pca & old_pca, "old projection parts survived the refit"
    assert after["refit/pca-model.json"] != before["refit/pca-model.json"]
    job = run_json()
    assert job["job"]["k"] == 3 and job["job"]["center"] is True and "pcaRefitPending" not in job
    summary = json.loads(client.get_object(Bucket=BUCKET, Key="refit/summary.json")["Body"].read())
    assert summary["pcaK"] == 3 and summary["refitted"] is True and summary["imagesProcessed"] == 0
    model = json.loads(client.get_object(Bucket=BUCKET, Key="refit/pca-model.json")["Body"].read())
    assert model["k"] == 3 and model["center"] is True
    assert not (STAGING / "imgfeat-staging").exists(), "the refit left its staging folder"

    # What a fresh run with those settings gives, to the last digit that matters.
    fresh = tmp_path / "fresh"
    imgfeat(s3, "run", uri, "--output", fresh, "--k", "3", "--center", "--endpoint-url", s3["url"], *small)
    expected = json.loads((fresh / "pca-model.json").read_text())
    np.testing.assert_allclose(np.array(model["components"]), np.array(expected["components"]), atol=1e-9)
    np.testing.assert_allclose(model["explained_variance"], expected["explained_variance"], atol=1e-12)
    download = tmp_path / "refit-pca"
    for key in new_pca:
        target = download / key.rsplit("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(BUCKET, key, str(target))
    got = pq.read_table(download).to_pydict()
    want = pq.read_table(fresh / "pca").to_pydict()
    got_rows = dict(zip(got["path"], got["pca_features"]))
    assert sorted(got_rows) == sorted(want["path"]) and len(got_rows) > 100
    for path, values in zip(want["path"], want["pca_features"]):
        np.testing.assert_allclose(got_rows[path], values, atol=1e-9)

    # Done now: the same settings again change nothing.
    again = imgfeat(s3, "run", uri, "--output", out, "--k", "3", "--center", "--endpoint-url", s3["url"], *small)
    assert "already complete" in again.stdout + again.stderr
    assert {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="refit/")["Contents"]} == after


def test_imgfeat_with_wrong_credentials_stops_at_once_without_success(s3, proxy, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID=s3["key"], AWS_SECRET_ACCESS_KEY="wrong-secret")
    out = tmp_path / "out"
    p = proxy()
    proc = subprocess.run([str(imgfeat_binary()), "run", f"s3://{BUCKET}/{PREFIX}", "--output", str(out),
                           "--endpoint-url", p.url, "--device", "cpu", "--weights", "random:0", "--quiet"],
                          capture_output=True, text=True, env=base, timeout=120)
    OUTPUTS.append(proc.stdout + proc.stderr)
    assert proc.returncode != 0
    # Counted in requests, not seconds: the refused listing is asked for once and nothing follows it.
    assert len(p.log) == 1 and "list-type=2" in p.log[0][1], p.log
    lines = [line for line in proc.stderr.splitlines() if line.startswith("imgfeat: error:")]
    assert len(lines) == 1 and "SignatureDoesNotMatch" in lines[0], proc.stderr[-2000:]
    assert "wrong-secret" not in proc.stdout + proc.stderr
    assert not (out / "_SUCCESS").exists()


def test_no_secret_in_any_output(s3):
    assert len(OUTPUTS) >= 10
    for text in OUTPUTS:
        for secret in secrets_of(s3):
            assert secret not in text
