"""Runs imgfeat across a Spark cluster and writes what a single-machine `imgfeat run` writes.

    spark-submit imgfeat_spark.py INPUT --output OUT [--partitions N] [--k 50] [--device auto|vulkan|cpu]

The driver lists INPUT (a local or shared folder, `@FILE`, or an `s3a://` prefix listed through
Hadoop's FileSystem API), sorts the paths and cuts them into N contiguous partitions. Each Spark task
runs `imgfeat featurize @list --output STAGING/task-P-attempt-A` on its executor; a task attempt
writes only into its own folder, so a failed or killed attempt leaves nothing that is used. The
driver takes, for every partition, the one folder that Spark returned as the task's result (and that
holds `_SUCCESS`), moves its parts into OUT/features with new unique part numbers, merges the
per-partition PCA statistics with `imgfeat pca fit`, projects with `imgfeat pca transform`, merges the
error tables, writes OUT/summary.json, deletes the staging folder and writes OUT/_SUCCESS last.

The whole job is this one file so that `spark-submit` needs no `--py-files`.
STAGING (default OUT/_staging) must be visible to the driver and every executor under the same path:
a local folder in local mode, a shared file system (NFS, EFS, FSx, HDFS fuse mount) on a cluster.
"""
import argparse
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time

ERROR_COLUMNS = ("path", "stage", "message")
STATISTICS_NAME = "_pca-statistics.bin"
MARKER = "_imgfeat_spark.json"


class JobError(Exception):
    """A reason the job cannot finish, one line naming the object and the cause."""


# ----------------------------------------------------------------------------------------------
# Options


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="imgfeat_spark.py",
        description="Featurize INPUT with imgfeat on every Spark executor, fit one PCA, write OUT like `imgfeat run`.")
    parser.add_argument("input", help="folder (recursive *.jpg/*.jpeg), @FILE with one path per line, or s3a://bucket/prefix")
    parser.add_argument("--output", required=True, help="output folder (visible to the driver)")
    parser.add_argument("--partitions", type=int, default=None,
                        help="number of featurize tasks (default: spark.default.parallelism)")
    parser.add_argument("--staging", default=None,
                        help="folder shared by driver and executors for the task outputs (default: OUT/_staging)")
    parser.add_argument("--imgfeat-bin", default=os.environ.get("IMGFEAT_BIN", "imgfeat"),
                        help="the imgfeat executable on every node (default: $IMGFEAT_BIN, else `imgfeat` on PATH)")
    parser.add_argument("--k", type=int, default=50, help="number of principal components")
    parser.add_argument("--center", action="store_true", help="project centred vectors (scikit-learn) instead of raw ones (Spark ML)")
    parser.add_argument("--device", default="auto", choices=["auto", "vulkan", "cpu", "reference"],
                        help="engine on the executors: vulkan on GPU nodes, cpu on CPU nodes (default auto)")
    parser.add_argument("--device-index", type=int, default=None,
                        help="Vulkan device index (default: the task's Spark GPU address when it has one)")
    parser.add_argument("--weights", default="imagenet", help="imagenet, a Keras .h5 path present on every node, or random:SEED")
    parser.add_argument("--alpha", default=None)
    parser.add_argument("--size", default=None)
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None, help="threads per task (default: spark.task.cpus)")
    parser.add_argument("--precision", default=None, choices=["fp32", "fp16"])
    parser.add_argument("--part-rows", type=int, default=None, help="images per Parquet part")
    parser.add_argument("--endpoint-url", default=None, help="S3-compatible endpoint for imgfeat")
    parser.add_argument("--inject-failure", type=int, default=None, metavar="PARTITION",
                        help="testing only: kill imgfeat in the first attempt of PARTITION once it has committed a part")
    return parser.parse_args(argv)


def engine_arguments(args, threads):
    """The featurize options passed through to imgfeat on the executors."""
    out = ["--device", args.device, "--weights", args.weights, "--threads", str(threads), "--quiet"]
    for flag, value in (("--alpha", args.alpha), ("--size", args.size), ("--batch", args.batch),
                        ("--precision", args.precision), ("--part-rows", args.part_rows),
                        ("--endpoint-url", args.endpoint_url)):
        if value is not None:
            out += [flag, str(value)]
    return out


# ----------------------------------------------------------------------------------------------
# Listing


def is_image_name(name):
    lower = name.lower()
    return lower.endswith(".jpg") or lower.endswith(".jpeg")


def list_local(root):
    """Every *.jpg/*.jpeg under root, as imgfeat lists a folder: hidden entries skipped, sorted."""
    root = os.path.abspath(root)
    if not os.path.exists(root):
        raise JobError(f"{root}: no such file or folder")
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
        raise JobError(f"{path}: cannot read the list file ({error.strerror})") from None
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


def list_boto3(uri, hadoop_error):
    """S3 keys under a prefix through boto3, when Hadoop has no S3 file system on the driver."""
    try:
        import boto3
    except ImportError:
        raise JobError(f"{uri}: Hadoop cannot list it ({str(hadoop_error).splitlines()[0][:200]}) and boto3 is not installed") from None
    scheme, rest = uri.split("://", 1)
    bucket, _, prefix = rest.partition("/")
    found = []
    for page in boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            name = item["Key"].rsplit("/", 1)[-1]
            if is_image_name(name) and not name.startswith("."):
                found.append(_s3_scheme(f"{scheme.lower()}://{bucket}/{item['Key']}"))
    return sorted(found)


def _s3_scheme(uri):
    # Rows keep the scheme the user wrote (s3:// or s3a://), as imgfeat's own listing does; imgfeat
    # cannot fetch the legacy s3n:// scheme, so those objects are named s3://.
    if uri.startswith("s3n://"):
        return "s3://" + uri[len("s3n://"):]
    return uri


def list_input(spark, text):
    if text.startswith("@"):
        return list_file(text[1:])
    if "://" in text and not text.startswith("file://"):
        try:
            return list_hadoop(spark, text)
        except Exception as error:  # py4j: e.g. no hadoop-aws jars on a plain pip pyspark
            if text.split("://", 1)[0] in ("s3", "s3a", "s3n"):
                return list_boto3(text, error)
            raise JobError(f"{text}: cannot list through Hadoop's FileSystem ({_last_line(str(error).splitlines()[0] if str(error) else '')})") from None
    return list_local(text[len("file://"):] if text.startswith("file://") else text)


def split_evenly(paths, count):
    """Contiguous, deterministic chunks of the sorted listing; sizes differ by at most one."""
    total = len(paths)
    return [paths[i * total // count:(i + 1) * total // count] for i in range(count)]


# ----------------------------------------------------------------------------------------------
# Executor side


def _die_with_parent():
    # A killed Python worker must not leave imgfeat running on and writing into its staging folder.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def featurize_partition(config, chunks):
    """The task body: featurize this partition's paths into an attempt-private staging folder."""
    def run(index, _elements):
        from pyspark import TaskContext
        context = TaskContext.get()
        attempt = context.attemptNumber() if context else 0
        paths = chunks.value[index]
        if not paths:
            yield (index, attempt, None)
            return
        name = f"task-{index:05d}-attempt-{attempt}"
        folder = os.path.join(config["staging"], name)
        if os.path.exists(folder):
            shutil.rmtree(folder)
        list_path = os.path.join(config["staging"], name + ".list")
        with open(list_path, "w", encoding="utf-8") as handle:
            handle.write("".join(p + "\n" for p in paths))
        command = [config["bin"], "featurize", "@" + list_path, "--output", folder, *config["engine"]]
        if config["device_index"] is not None:
            command += ["--device-index", str(config["device_index"])]
        elif context is not None and "gpu" in context.resources():
            addresses = context.resources()["gpu"].addresses
            if addresses:
                command += ["--device-index", addresses[0]]
        try:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    preexec_fn=_die_with_parent)
        except OSError as error:
            raise RuntimeError(f"{config['bin']}: cannot start imgfeat on this executor ({error.strerror})") from None
        if config["inject_failure"] == index and attempt == 0:
            _kill_after_first_part(proc, folder)
            raise RuntimeError(f"partition {index} attempt {attempt}: injected failure (--inject-failure), imgfeat killed mid-way")
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"partition {index} attempt {attempt}: imgfeat featurize exited {proc.returncode}: {_last_line(err)}")
        if not os.path.exists(os.path.join(folder, "_SUCCESS")):
            raise RuntimeError(f"{folder}: imgfeat exited 0 but wrote no _SUCCESS")
        yield (index, attempt, folder)
    return run


def _kill_after_first_part(proc, folder, timeout=300.0):
    """Testing hook: wait until imgfeat has committed a part (or exited), then SIGKILL it."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if os.path.isdir(folder) and any(n.startswith("part-") and n.endswith(".parquet") for n in os.listdir(folder)):
            break
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


# ----------------------------------------------------------------------------------------------
# Driver side: commit, merge, fit, transform


def run_tool(binary, *args):
    proc = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise JobError(f"imgfeat {args[0]} {args[1] if len(args) > 1 else ''} exited {proc.returncode}: {_last_line(proc.stderr)}")
    return proc.stdout


def _task_failure(error):
    """The first line of the Python exception a failed task raised, out of Spark's long report."""
    text = str(error)
    for line in text.splitlines():
        if "RuntimeError:" in line or "JobError:" in line:
            return line.split("Error:", 1)[1].strip()
    return _last_line(text.splitlines()[0] if text else "")


def output_is_complete(out):
    """True for a finished OUT; raises for a non-empty folder that an unfinished job of ours did not leave."""
    if os.path.exists(os.path.join(out, "_SUCCESS")):
        return True
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, MARKER)):
        raise JobError(f"{out}: output folder exists, is not empty and was not written by imgfeat_spark.py")
    return False


def prepare_output(out, staging):
    """Clears the leftovers of an earlier unfinished job of ours and marks OUT as in progress."""
    marker = os.path.join(out, MARKER)
    if os.path.exists(marker):
        try:
            earlier = json.load(open(marker, encoding="utf-8")).get("staging")
        except (OSError, ValueError):
            earlier = None
        if earlier:
            shutil.rmtree(earlier, ignore_errors=True)
        for name in ("features", "pca"):
            shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging, exist_ok=True)
    write_atomically(marker, json.dumps({"staging": staging, "started": time.time()}).encode())


def commit_parts(results, features_dir):
    """Moves each chosen attempt's parts into features_dir as part-00000…, in partition order."""
    os.makedirs(features_dir, exist_ok=True)
    number = 0
    for index, _attempt, folder in results:
        if folder is None:
            continue
        for name in sorted(os.listdir(folder)):
            if not (name.startswith("part-") and name.endswith(".parquet")):
                continue
            rest = name.split("-", 2)[2] if name.count("-") >= 2 else name[len("part-"):]
            os.replace(os.path.join(folder, name), os.path.join(features_dir, f"part-{number:05d}-{rest}"))
            number += 1
    return number


def merge_errors(folders, target):
    """Concatenates the per-partition _errors.parquet tables (partition order) into one file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    tables = [pq.read_table(os.path.join(f, "_errors.parquet")) for f in folders]
    if tables:
        table = pa.concat_tables(tables)
    else:
        table = pa.table({c: pa.array([], pa.string()) for c in ERROR_COLUMNS})
    temporary = os.path.join(os.path.dirname(target), "." + os.path.basename(target) + ".tmp")
    pq.write_table(table, temporary, compression="snappy")
    os.replace(temporary, target)
    return table.num_rows


def read_statistics(path):
    """Header and float64 body of a statistics file (docs/PCA.md)."""
    import numpy as np
    with open(path, "rb") as handle:
        header = json.loads(handle.readline())
        body = np.frombuffer(handle.read(), dtype="<f8")
    d = header["dimension"]
    if header.get("format") != "imgfeat-pca-statistics" or body.size != d + d * d:
        raise JobError(f"{path}: not an imgfeat PCA statistics file of dimension {d}")
    return header, body[:d], body[d:].reshape(d, d)


def merge_statistics(paths, target):
    """Chan et al.'s pairwise merge of (n, mean, co-moment), written in imgfeat's format."""
    import numpy as np
    header, mean, comoment, count = None, None, None, 0
    for path in paths:
        h, m, c = read_statistics(path)
        if h["count"] == 0:
            continue
        if header is None:
            header, mean, comoment, count = h, m.copy(), c.copy(), h["count"]
            continue
        if h["dimension"] != header["dimension"]:
            raise JobError(f"{path}: dimension {h['dimension']}, earlier partitions {header['dimension']}")
        n = count + h["count"]
        delta = m - mean
        comoment = comoment + c + np.outer(delta, delta) * (count * h["count"] / n)
        mean = mean + delta * (h["count"] / n)
        count = n
    if header is None:
        raise JobError("no partition featurized any image: nothing to fit a PCA on")
    header = dict(header, count=count)
    temporary = os.path.join(os.path.dirname(target), "." + os.path.basename(target) + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        handle.write(np.concatenate([mean, comoment.ravel()]).astype("<f8").tobytes())
    os.replace(temporary, target)
    return count


def write_atomically(path, data):
    temporary = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def discarded_attempts(staging, chosen):
    """Attempt folders Spark did not return (failed, killed or losing speculative attempts)."""
    out = []
    for name in sorted(os.listdir(staging)):
        path = os.path.join(staging, name)
        if os.path.isdir(path) and name.startswith("task-") and path not in chosen:
            parts = [n for n in os.listdir(path) if n.startswith("part-") and n.endswith(".parquet")]
            out.append({"folder": name, "committed_parts": len(parts),
                        "succeeded": os.path.exists(os.path.join(path, "_SUCCESS"))})
    return out


def run_job(spark, args):
    out = os.path.abspath(args.output)
    staging = os.path.abspath(args.staging or os.path.join(out, "_staging"))
    binary = args.imgfeat_bin
    started = time.time()
    if output_is_complete(out):
        print(f"{out} is already complete; nothing to do")
        return json.loads(open(os.path.join(out, "summary.json"), encoding="utf-8").read())
    os.makedirs(out, exist_ok=True)
    prepare_output(out, staging)

    sc = spark.sparkContext
    paths = list_input(spark, args.input)
    if not paths:
        raise JobError(f"{args.input}: no *.jpg/*.jpeg images found")
    listed_seconds = time.time() - started
    count = args.partitions or sc.defaultParallelism
    count = max(1, min(count, len(paths)))
    chunks = sc.broadcast(split_evenly(paths, count))
    threads = args.threads or int(sc.getConf().get("spark.task.cpus", "1"))
    config = {"staging": staging, "bin": binary, "engine": engine_arguments(args, threads),
              "device_index": args.device_index, "inject_failure": args.inject_failure}
    sc.setJobDescription(f"imgfeat featurize {len(paths)} images in {count} partitions")
    try:
        results = sorted(sc.parallelize(range(count), count)
                         .mapPartitionsWithIndex(featurize_partition(config, chunks)).collect())
    except Exception as error:  # Py4JJavaError: a task failed spark.task.maxFailures times
        raise JobError(f"{staging}: the featurize stage failed: {_task_failure(error)}") from None
    featurize_seconds = time.time() - started - listed_seconds
    if [r[0] for r in results] != list(range(count)):
        raise JobError(f"{staging}: Spark returned results for partitions {[r[0] for r in results]}, expected 0..{count - 1}")
    folders = [folder for _, _, folder in results if folder is not None]
    summaries = [json.load(open(os.path.join(f, "_summary.json"), encoding="utf-8")) for f in folders]

    features_dir = os.path.join(out, "features")
    parts = commit_parts(results, features_dir)
    errors = merge_errors(folders, os.path.join(out, "errors.parquet"))
    statistics = os.path.join(out, "pca-statistics.bin")
    featurized = merge_statistics([os.path.join(f, STATISTICS_NAME) for f in folders], statistics)

    pca_started = time.time()
    model = os.path.join(out, "pca-model.json")
    center = ["--center"] if args.center else []
    # The per-partition statistics files go to `pca fit` directly: imgfeat merges them itself.
    fit_inputs = [os.path.join(f, STATISTICS_NAME) for f, s in zip(folders, summaries) if s.get("featurized", 0) > 0]
    fit_text = run_tool(binary, "pca", "fit", *fit_inputs, "--k", args.k, "--model", model, *center)
    print(fit_text, end="")
    pca_dir = os.path.join(out, "pca")
    shutil.rmtree(pca_dir, ignore_errors=True)
    run_tool(binary, "pca", "transform", features_dir, "--model", model, "--output", pca_dir)
    for plot in ("pca-scree.svg", "pca-scatter.svg"):
        if os.path.exists(os.path.join(pca_dir, "_" + plot)):
            os.replace(os.path.join(pca_dir, "_" + plot), os.path.join(out, plot))
    fitted = json.load(open(model, encoding="utf-8"))

    by_stage = {}
    for s in summaries:
        for stage, n in s.get("errorsByStage", {}).items():
            by_stage[stage] = by_stage.get(stage, 0) + n
    summary = {
        "command": "spark", "input": args.input, "output": out, "listed": len(paths),
        "featurized": featurized, "errors": errors, "errorsByStage": by_stage, "partsWritten": parts,
        "partitions": count, "attempts": {str(i): a for i, a, f in results if f is not None},
        "discardedAttempts": discarded_attempts(staging, set(folders)),
        "devices": sorted({s.get("device", "") for s in summaries}), "deviceChoice": args.device,
        "weights": summaries[0].get("weights") if summaries else args.weights,
        "pcaK": fitted["k"], "pcaExplainedVarianceTotal": sum(fitted["explained_variance"]),
        "secondsPerStage": {"listing": listed_seconds, "featurize": featurize_seconds,
                            "pca": time.time() - pca_started, "total": time.time() - started},
        "sparkMaster": sc.master,
    }
    write_atomically(os.path.join(out, "summary.json"), json.dumps(summary, indent=2, sort_keys=True).encode())
    shutil.rmtree(staging, ignore_errors=True)
    os.remove(os.path.join(out, MARKER))
    write_atomically(os.path.join(out, "_SUCCESS"), b"")
    print(f"images: {len(paths)} listed, {featurized} featurized, {errors} unusable; "
          f"{count} partitions, {summary['secondsPerStage']['total']:.1f} s; output: {out}")
    return summary


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        # Before starting Spark, so that a wrong OUT costs no cluster time.
        if output_is_complete(os.path.abspath(args.output)):
            print(f"{os.path.abspath(args.output)} is already complete; nothing to do")
            return 0
    except JobError as error:
        print(f"imgfeat_spark: error: {error}", file=sys.stderr)
        return 1
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.appName("imgfeat").getOrCreate()
    try:
        run_job(spark, args)
    except JobError as error:
        print(f"imgfeat_spark: error: {error}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
