"""The S3 test harness shared by the storage tests: moto's standalone server on loopback with SigV4
verification on (every request after the IAM setup is checked) and a bucket of JPEGs, storage-probe runs,
a fault-injecting proxy (500, 503 SlowDown, resets, stalls), and the record of every output for the
modules' secret checks."""
import collections
import http.client
import http.server
import json
import os
import pathlib
import socket
import struct
import subprocess
import threading
import time

import boto3
import pytest

from conftest import ROOT, make_bucket
from moto_s3 import signed_s3

BUCKET = "imgfeat-storage"
PREFIX = "Test"
IMAGES = 2000
OUTPUTS = []  # (test module file, stdout+stderr) of every probe and imgfeat run, checked for secrets


def record(text):
    """Keeps a run's output for its module's secret check (`assert_no_secret_in_outputs`)."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "")
    OUTPUTS.append((test.split("::", 1)[0].rsplit("/", 1)[-1], text))


def assert_no_secret_in_outputs(s3, module_file, minimum):
    """No secret the tests know of (the user's, and any minted since) in any output `module_file`'s tests kept."""
    name = pathlib.Path(module_file).name
    mine = [text for module, text in OUTPUTS if module == name]
    assert len(mine) >= minimum, f"{name}: only {len(mine)} outputs were kept"
    for text in mine:
        for secret in secrets_of(s3):
            assert secret not in text


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


@pytest.fixture(scope="session")
def s3(tmp_path_factory):
    """moto with signature checks on, an IAM user with full access, and a bucket of JPEGs (one server for
    every storage test module)."""
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
    record(text)
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
