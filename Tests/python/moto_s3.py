"""moto's S3 server on loopback with SigV4 verification on, for the tests that need a real S3:
objects go in unauthenticated (moto's INITIAL_NO_AUTH_ACTION_COUNT), then an IAM user is made and
from there on every request's signature is checked (proved with a forged request before use)."""
import concurrent.futures
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import boto3
import botocore.exceptions
import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout=30):
    """Returns once something listens on 127.0.0.1:`port`; fails if `proc` (the server) exits first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextlib.contextmanager
def signed_s3(bucket, objects, log_path):
    """Yields {"url", "key", "secret", "client"} for a moto server holding `objects` ({key: bytes}) in `bucket`."""
    unauthenticated = 1 + len(objects) + 3
    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(unauthenticated),
               AWS_ACCESS_KEY_ID="setup", AWS_SECRET_ACCESS_KEY="setup")
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        url = f"http://127.0.0.1:{port}"
        local = threading.local()

        def raw_put(path, body=b""):
            conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local.conn = conn
            conn.request("PUT", urllib.parse.quote(path), body=body)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)

        raw_put(f"/{bucket}")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda kv: raw_put(f"/{bucket}/{kv[0]}", kv[1]), objects.items()))
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="setup", aws_secret_access_key="setup")
        iam.create_user(UserName="imgfeat")
        iam.put_user_policy(UserName="imgfeat", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="imgfeat")["AccessKey"]
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        forged = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="not-the-secret")
        with pytest.raises(botocore.exceptions.ClientError, match="SignatureDoesNotMatch"):
            forged.list_objects_v2(Bucket=bucket, MaxKeys=1)
        assert client.list_objects_v2(Bucket=bucket, MaxKeys=1)["KeyCount"] == 1
        yield {"url": url, "key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "client": client}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def keys_under(client, bucket, prefix):
    return sorted(o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                  for o in page.get("Contents", []))


def download_prefix(client, bucket, prefix, target):
    """Every object under `prefix` into the folder `target` (relative keys kept); returns the keys."""
    keys = keys_under(client, bucket, prefix)
    for key in keys:
        path = target / key[len(prefix):]
        path.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(bucket, key, str(path))
    return keys
