"""The Spark job's listing of INPUT on the driver, the same listing as imgfeat's: a folder, @FILE,
an S3 prefix (boto3, with --endpoint-url), or another Hadoop URI; and its cut into partitions.
Driver side only: imgfeat_spark.py imports it from its own folder."""
import os

import imgfeat_spark_store as store


class ListingError(Exception):
    """A reason INPUT cannot be listed, one line naming it."""


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"




def is_image_name(name):
    lower = name.lower()
    return lower.endswith(".jpg") or lower.endswith(".jpeg")


def list_local(root):
    """Every *.jpg/*.jpeg under root, as imgfeat lists a folder: hidden entries skipped, sorted."""
    root = os.path.abspath(root)
    if not os.path.exists(root):
        raise ListingError(f"{root}: no such file or folder")
    if not os.path.isdir(root):
        return [root]
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = os.path.join(folder, name)
            if not name.startswith(".") and is_image_name(name) and os.path.isfile(path):
                found.append(path)
    return sorted(found)


def list_file(path):
    """One path per line; blank lines and `#` comments skipped, as imgfeat reads @FILE."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line.strip() for line in handle]
    except OSError as error:
        raise ListingError(f"{path}: cannot read the list file ({error.strerror})") from None
    return sorted({line for line in lines if line and not line.startswith("#")})


def list_hadoop(spark, uri):
    """Object keys under an s3a:// (or any Hadoop) prefix, through the JVM's FileSystem API."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(uri)
    files = path.getFileSystem(conf).listFiles(path, True)
    found = []
    while files.hasNext():
        status = files.next()
        name = status.getPath().getName()
        if is_image_name(name) and not name.startswith("."):
            found.append(_s3_scheme(status.getPath().toString()))
    return sorted(found)


def list_s3(uri, client):
    """The images under an s3:// (s3a://, s3n://) prefix taken as a folder, as imgfeat lists it:
    keys below `prefix/` (so `Test` does not pick up `Testimony/`), else the object itself."""
    scheme, rest = uri.split("://", 1)
    bucket, _, key = rest.partition("/")
    paginator = client.get_paginator("list_objects_v2")

    def keys(prefix):
        return [item["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                for item in page.get("Contents", [])]
    found = keys(key + "/") if key and not key.endswith("/") else keys(key)
    if not found and key:
        found = [k for k in keys(key) if k == key]
    return sorted(_s3_scheme(f"{scheme.lower()}://{bucket}/{k}") for k in found
                  if not k.endswith("/") and is_image_name(k.rsplit("/", 1)[-1]))


def _s3_scheme(uri):
    # Rows keep the scheme the user wrote (s3:// or s3a://), as imgfeat's own listing does; imgfeat
    # cannot fetch the legacy s3n:// scheme, so those objects are named s3://.
    if uri.startswith("s3n://"):
        return "s3://" + uri[len("s3n://"):]
    return uri


def list_input(spark, text, args):
    if text.startswith("@"):
        return list_file(text[1:])
    scheme = text.split("://", 1)[0].lower() if "://" in text else None
    if scheme in ("s3", "s3a", "s3n"):
        # boto3 with --endpoint-url, as imgfeat will read them; Hadoop's S3A would use its own fs.s3a.* settings.
        try:
            return list_s3(text, store.s3_client(args.endpoint_url, args.region))
        except store.StoreError:
            pass
        except Exception as error:  # botocore: refused credentials, no such bucket, unreachable endpoint
            raise ListingError(f"{text}: cannot list it ({_last_line(str(error))})") from None
    if scheme is not None and scheme != "file":
        try:
            return list_hadoop(spark, text)
        except Exception as error:  # py4j: e.g. no hadoop-aws jars on a plain pip pyspark
            raise ListingError(f"{text}: cannot list through Hadoop's FileSystem ({_last_line(str(error).splitlines()[0] if str(error) else '')})") from None
    return list_local(text[len("file://"):] if text.startswith("file://") else text)


def split_evenly(paths, count):
    """Contiguous, deterministic chunks of the sorted listing; sizes differ by at most one."""
    total = len(paths)
    return [paths[i * total // count:(i + 1) * total // count] for i in range(count)]


def listable_without_spark(args):
    """Whether INPUT is listed without Hadoop (a folder, @FILE, or S3 with boto3 at hand)."""
    scheme = args.input.split("://", 1)[0].lower() if "://" in args.input and not args.input.startswith("@") else None
    if scheme in ("s3", "s3a", "s3n"):
        try:
            import boto3  # noqa: F401
            return True
        except ImportError:
            return False
    return scheme in (None, "file")
