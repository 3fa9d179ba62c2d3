"""Storage against a real S3 implementation (moto, signatures checked; `s3_harness`), driven through
storage-probe: listing, fetching, credentials (profiles, a fake IMDSv2 endpoint), retried faults through the
proxy, uploads with `_SUCCESS` last, downloads into a cache, HTTP inputs, and a check that no secret ever
reaches the output."""
import collections
import datetime
import hashlib
import http.server
import json
import math
import os
import random
import threading
import urllib.parse

import boto3
import pytest

from s3_harness import (BUCKET, IMAGES, PREFIX, Server, assert_no_secret_in_outputs, expected_images, is_image,
                        probe, proxy, s3)  # proxy, s3: fixtures

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


def test_no_secret_in_any_output(s3):
    assert_no_secret_in_outputs(s3, __file__, minimum=10)
