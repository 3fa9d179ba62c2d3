"""Where the Spark job's output and staging live: a local (or shared) folder, or an S3 prefix.

Driver side only (the executors run imgfeat, which writes its own outputs), so spark-submit needs
no --py-files: the job script imports this module from its own folder. Both kinds offer the same
few operations, so the commit protocol in imgfeat_spark.py is written once:
`uri` (what imgfeat is given), `read`, `write`, `exists`, `names`, `copy`, `delete_tree`.
"""
import os
import shutil

S3_SCHEMES = ("s3", "s3a")


class StoreError(Exception):
    """A reason an output cannot be used, one line naming it."""


def scheme_of(text):
    return text.split("://", 1)[0].lower() if "://" in text else None


def open_store(text, endpoint_url=None, region=None):
    """The store named by an --output or --staging value; any scheme but s3/s3a/file is refused
    (a `gs://x` taken as a local folder `gs:/x` would be a silent wrong result)."""
    scheme = scheme_of(text)
    if scheme is None:
        return LocalStore(os.path.abspath(text))
    if scheme == "file":
        return LocalStore(os.path.abspath(text[len("file://"):]))
    if scheme in S3_SCHEMES:
        return S3Store(text, s3_client(endpoint_url, region))
    raise StoreError(f"{text}: unsupported output scheme {scheme}:// (use a folder, s3:// or s3a://)")


def s3_client(endpoint_url=None, region=None):
    """boto3's S3 client, with --endpoint-url and --region as imgfeat applies them."""
    try:
        import boto3
    except ImportError:
        raise StoreError("boto3 is not installed on the driver; it is needed for s3:// inputs and outputs") from None
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region)


class LocalStore:
    """A folder; on a cluster it must be mounted at the same path on every node."""

    remote = False

    def __init__(self, root):
        self.root = root

    def __str__(self):
        return self.root

    def uri(self, name=""):
        return os.path.join(self.root, name) if name else self.root

    def child(self, name):
        return LocalStore(os.path.join(self.root, name))

    def exists(self, name):
        return os.path.exists(self.uri(name))

    def read(self, name):
        with open(self.uri(name), "rb") as handle:
            return handle.read()

    def write(self, name, data):
        path = self.uri(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)

    def names(self, prefix=""):
        """Every file under `prefix`, relative to it, sorted."""
        top = self.uri(prefix)
        found = []
        for folder, _dirs, files in os.walk(top):
            for name in files:
                found.append(os.path.relpath(os.path.join(folder, name), top))
        return sorted(found)

    def is_empty(self):
        return not os.path.isdir(self.root) or not os.listdir(self.root)

    def copy(self, source, name, source_store=None):
        """Hard link when the file system allows it (the staging copy stays for a rerun), else a copy."""
        src = (source_store or self).uri(source)
        dst = self.uri(name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        temporary = os.path.join(os.path.dirname(dst), "." + os.path.basename(dst) + ".tmp")
        if os.path.exists(temporary):
            os.remove(temporary)
        try:
            os.link(src, temporary)
        except OSError:
            shutil.copyfile(src, temporary)
        os.replace(temporary, dst)

    def delete(self, name):
        if os.path.exists(self.uri(name)):
            os.remove(self.uri(name))

    def delete_tree(self, prefix=""):
        shutil.rmtree(self.uri(prefix), ignore_errors=True)


class S3Store:
    """An `s3://bucket/prefix` (or `s3a://`): objects under `prefix/`, copied server-side."""

    remote = True
    # boto3 copies with one CopyObject below this size, with UploadPartCopy parts of this size above.
    copy_part_bytes = 64 << 20

    def __init__(self, text, client):
        scheme, rest = text.split("://", 1)
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise StoreError(f"{text}: no bucket name")
        self.bucket, self.prefix, self.client = bucket, prefix.strip("/"), client

    def __str__(self):
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, name=""):
        return "/".join(p for p in (self.prefix, name.strip("/")) if p)

    def uri(self, name=""):
        return f"s3://{self.bucket}/{self.key(name)}"

    def child(self, name):
        store = S3Store.__new__(S3Store)
        store.bucket, store.prefix, store.client = self.bucket, self.key(name), self.client
        return store

    def exists(self, name):
        import botocore.exceptions
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
            return True
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def read(self, name):
        return self.client.get_object(Bucket=self.bucket, Key=self.key(name))["Body"].read()

    def write(self, name, data):
        self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data)

    def _objects(self, prefix=""):
        base = self.key(prefix)
        base = base + "/" if base else ""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base):
            for item in page.get("Contents", []):
                yield item["Key"][len(base):], item

    def names(self, prefix=""):
        return sorted(name for name, _ in self._objects(prefix))

    def is_empty(self):
        return not self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.key() + "/" if self.prefix else "",
                                               MaxKeys=1).get("KeyCount", 0)

    def copy(self, source, name, source_store=None):
        """Server-side: CopyObject, or a multipart copy (UploadPartCopy) for parts over copy_part_bytes."""
        from boto3.s3.transfer import TransferConfig
        src = source_store or self
        config = TransferConfig(multipart_threshold=self.copy_part_bytes, multipart_chunksize=self.copy_part_bytes)
        self.client.copy({"Bucket": src.bucket, "Key": src.key(source)}, self.bucket, self.key(name), Config=config)

    def delete(self, name):
        self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def delete_tree(self, prefix=""):
        keys = [item["Key"] for _, item in self._objects(prefix)]
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})
