"""Runs imgfeat across a Spark cluster and writes what a single-machine `imgfeat run` writes.

    spark-submit imgfeat_spark.py INPUT --output OUT [--partitions N] [--k 50] [--device auto|vulkan|cpu]

The driver lists INPUT (a local or shared folder, `@FILE`, or an `s3://`/`s3a://` prefix listed with
boto3, honouring --endpoint-url), sorts the paths and cuts them into N contiguous partitions. Each
Spark task runs `imgfeat featurize @list --output STAGING/task-P-attempt-A` on its executor; a task
attempt writes only into its own folder or prefix, so a failed or killed attempt leaves nothing that
is used. The driver takes, for every partition, the attempt Spark returned as the task's result (and
that holds `_SUCCESS`), copies its parts into OUT/features with new part numbers (server-side on S3),
merges the error tables and PCA statistics, fits with `imgfeat pca fit`, projects with
`imgfeat pca transform`, writes OUT/summary.json, deletes the staging and writes OUT/_SUCCESS last.
OUT and STAGING are both folders or both S3 prefixes (docs/SPARK.md); a rerun of the same job
reuses the partitions whose attempt holds `_SUCCESS`.

The executor side is this one file and the driver side imports imgfeat_spark_store.py from the
same folder, so `spark-submit` needs no `--py-files`. A folder STAGING (default OUT/_staging) must be
visible to the driver and every executor under the same path (NFS, EFS, FSx); an S3 one needs nothing shared.
"""
import argparse
import ctypes
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imgfeat_spark_commit as commit  # noqa: E402  (driver side only)
import imgfeat_spark_store as store  # noqa: E402
from imgfeat_spark_listing import (ListingError, list_input, list_local, listable_without_spark,  # noqa: E402,F401
                                   split_evenly)

class JobError(Exception):
    """A reason the job cannot finish, one line naming the object and the cause."""


# ----------------------------------------------------------------------------------------------
# Options


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="imgfeat_spark.py",
        description="Featurize INPUT with imgfeat on every Spark executor, fit one PCA, write OUT like `imgfeat run`.")
    parser.add_argument("input", help="folder (recursive *.jpg/*.jpeg), @FILE with one path per line, or s3a://bucket/prefix")
    parser.add_argument("--output", required=True, help="output folder (visible to the driver), or s3://bucket/prefix (s3a:// too)")
    parser.add_argument("--partitions", type=int, default=None,
                        help="number of featurize tasks (default: spark.default.parallelism)")
    parser.add_argument("--staging", default=None,
                        help="folder shared by driver and executors (or an s3:// prefix for an s3:// OUT) for the task outputs (default: OUT/_staging)")
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
    parser.add_argument("--draft", action="store_true", help="JPEG draft mode, as imgfeat's --draft (not the notebook's pixels)")
    parser.add_argument("--endpoint-url", default=None, help="S3-compatible endpoint, for the driver's boto3 and for imgfeat")
    parser.add_argument("--region", default=None, help="AWS region, for the driver's boto3 and for imgfeat")
    parser.add_argument("--inject-failure", type=int, default=None, metavar="PARTITION",
                        help="testing only: kill imgfeat in the first attempt of PARTITION once it has committed a part")
    return parser.parse_args(argv)


def engine_arguments(args, threads):
    """The featurize options passed through to imgfeat on the executors."""
    out = ["--device", args.device, "--weights", args.weights, "--threads", str(threads), "--quiet"]
    if args.draft:
        out.append("--draft")
    for flag, value in (("--alpha", args.alpha), ("--size", args.size), ("--batch", args.batch),
                        ("--precision", args.precision), ("--part-rows", args.part_rows),
                        *storage_arguments(args)):
        if value is not None:
            out += [flag, str(value)]
    return out


def storage_arguments(args):
    """(flag, value) pairs of the S3 options, for every imgfeat the job starts."""
    return [("--endpoint-url", args.endpoint_url), ("--region", args.region)]


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
    """The task body: featurize partition P's paths into the attempt-private STAGING/task-P-attempt-A.
    The list and imgfeat's own temporary files (its local copy of an s3:// output) live in a
    task-private temporary folder on the executor, removed when the task ends."""
    def run(elements):
        from pyspark import TaskContext
        context = TaskContext.get()
        attempt = context.attemptNumber() if context else 0
        for index in elements:
            name = f"task-{index:05d}-attempt-{attempt}"
            work = tempfile.mkdtemp(prefix=f"imgfeat-{name}-")
            try:
                yield _featurize(config, chunks.value[index], index, attempt, name, work, context)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return run


def _featurize(config, paths, index, attempt, name, work, context):
    target = config["staging"].rstrip("/") + "/" + name
    local = not config["remote"]
    if local and os.path.exists(target):
        shutil.rmtree(target)
    list_path = os.path.join(work, name + ".list")
    with open(list_path, "w", encoding="utf-8") as handle:
        handle.write("".join(p + "\n" for p in paths))
    command = [config["bin"], "featurize", "@" + list_path, "--output", target, *config["engine"]]
    if config["device_index"] is not None:
        command += ["--device-index", str(config["device_index"])]
    elif context is not None and "gpu" in context.resources():
        addresses = context.resources()["gpu"].addresses
        if addresses:
            command += ["--device-index", addresses[0]]
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, TMPDIR=work), preexec_fn=_die_with_parent)
    except OSError as error:
        raise RuntimeError(f"{config['bin']}: cannot start imgfeat on this executor ({error.strerror})") from None
    if config["inject_failure"] == index and attempt == 0:
        parts = _kill_after_first_part(proc, [target, work] if local else [work])
        raise RuntimeError(f"partition {index} attempt {attempt}: injected failure (--inject-failure), "
                           f"imgfeat killed after committing {parts} part(s)")
    _out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"partition {index} attempt {attempt}: imgfeat featurize exited {proc.returncode}: {_last_line(err)}")
    # imgfeat uploads an s3:// output `_SUCCESS` last and exits 0 only then; the driver checks it too.
    if local and not os.path.exists(os.path.join(target, "_SUCCESS")):
        raise RuntimeError(f"{target}: imgfeat exited 0 but wrote no _SUCCESS")
    return (index, attempt, name)


def _committed_parts(folders):
    return sum(1 for folder in folders for _, _, files in os.walk(folder)
               for n in files if n.startswith("part-") and n.endswith(".parquet"))


def _kill_after_first_part(proc, folders, timeout=300.0):
    """Testing hook: wait until imgfeat has committed a part (or exited), then SIGKILL it."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if _committed_parts(folders):
            break
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
    proc.communicate()
    return _committed_parts(folders)


# ----------------------------------------------------------------------------------------------
# Driver side: which partitions to run, then commit, merge, fit, transform


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


def open_output(args):
    """OUT and STAGING as stores: both folders or both S3 prefixes (server-side copies need both on S3)."""
    out = store.open_store(args.output, args.endpoint_url, args.region)
    staging = store.open_store(args.staging, args.endpoint_url, args.region) if args.staging else out.child("_staging")
    if staging.remote != out.remote:
        raise JobError(f"{args.staging}: staging must be an s3:// prefix when OUT is one, and a folder when OUT is a folder")
    return out, staging


def storage_flags(args):
    return [str(x) for flag, value in storage_arguments(args) if value is not None for x in (flag, value)]


def featurize_missing(sc, args, staging, chunks, missing):
    """Runs the featurize stage for the partitions in `missing`; returns {partition: (attempt, folder)}."""
    if not missing:
        return {}
    threads = args.threads or int(sc.getConf().get("spark.task.cpus", "1"))
    config = {"staging": staging.uri(), "remote": staging.remote, "bin": args.imgfeat_bin,
              "engine": engine_arguments(args, threads), "device_index": args.device_index,
              "inject_failure": args.inject_failure}
    sc.setJobDescription(f"imgfeat featurize {len(missing)} partitions")
    try:
        results = sc.parallelize(missing, len(missing)).mapPartitions(featurize_partition(config, chunks)).collect()
    except Exception as error:  # Py4JJavaError: a task failed spark.task.maxFailures times
        raise JobError(f"{staging}: the featurize stage failed: {_task_failure(error)}") from None
    done = {index: (attempt, folder) for index, attempt, folder in results}
    if sorted(done) != sorted(missing):
        raise JobError(f"{staging}: Spark returned results for partitions {sorted(done)}, expected {sorted(missing)}")
    return done


def run_job(spark, args, paths=None, listed_seconds=0.0):
    started = time.time() - listed_seconds
    out, staging = open_output(args)
    sc = spark.sparkContext
    if paths is None:
        paths = list_input(spark, args.input, args)
        listed_seconds = time.time() - started
    if not paths:
        raise JobError(f"{args.input}: no *.jpg/*.jpeg images found")
    count = max(1, min(args.partitions or sc.defaultParallelism, len(paths)))
    identity = commit.job_identity(args, paths, count)
    done = commit.finished_summary(out, identity)
    if done is not None:
        print(f"{out} is already complete; nothing to do")
        return dict(done, alreadyComplete=True)
    reused, discarded_earlier = commit.prepare(out, staging, identity)
    missing = [p for p in range(count) if p not in reused]
    print(f"partitions: {count}, reused {len(reused)} finished in an earlier attempt of this job, running {len(missing)}")

    chunks = sc.broadcast(split_evenly(paths, count))
    ran = featurize_missing(sc, args, staging, chunks, missing)
    featurize_seconds = time.time() - started - listed_seconds
    chosen = {**reused, **{p: folder for p, (_a, folder) in ran.items()}}
    for p, folder in sorted(chosen.items()):
        if not staging.exists(f"{folder}/_SUCCESS"):
            raise JobError(f"{staging.uri(folder)}: partition {p}'s attempt holds no _SUCCESS")
    summaries = {p: json.loads(staging.read(f"{folder}/_summary.json")) for p, folder in chosen.items()}

    parts = commit.commit_parts(chosen, staging, out)
    errors = commit.merge_errors(chosen, staging, out)
    featurized = commit.merge_statistics(chosen, staging, out)

    pca_started = time.time()
    center = ["--center"] if args.center else []
    flags = storage_flags(args)
    # The per-partition statistics files go to `pca fit` directly: imgfeat merges them itself.
    fit_inputs = [staging.uri(f"{chosen[p]}/{commit.STATISTICS_NAME}") for p in sorted(chosen)
                  if summaries[p].get("featurized", 0) > 0]
    fit_text = run_tool(args.imgfeat_bin, "pca", "fit", *fit_inputs, "--k", args.k, "--model", out.uri("pca-model.json"),
                        *center, *flags)
    print(fit_text, end="")
    out.delete_tree("pca")
    run_tool(args.imgfeat_bin, "pca", "transform", out.uri("features"), "--model", out.uri("pca-model.json"),
             "--output", out.uri("pca"), *flags)
    for plot in ("pca-scree.svg", "pca-scatter.svg"):
        if out.exists(f"pca/_{plot}"):
            out.copy(f"pca/_{plot}", plot)
            out.delete(f"pca/_{plot}")
    fitted = json.loads(out.read("pca-model.json"))

    summary = job_summary(args, out, sc, paths, count, summaries, ran, reused, identity, fitted,
                          {"featurized": featurized, "errors": errors, "parts": parts},
                          discarded_earlier + commit.discarded_attempts(staging, chosen),
                          {"listing": listed_seconds, "featurize": featurize_seconds,
                           "pca": time.time() - pca_started, "total": time.time() - started})
    out.write("summary.json", json.dumps(summary, indent=2, sort_keys=True).encode())
    staging.delete_tree()
    out.delete(commit.MARKER)
    out.write("_SUCCESS", b"")
    print(f"images: {len(paths)} listed, {featurized} featurized, {errors} unusable; "
          f"{count} partitions ({len(reused)} reused), {summary['secondsPerStage']['total']:.1f} s; output: {out}")
    return summary


def _timestamp(moment):
    """ISO 8601 in UTC with milliseconds, as imgfeat's summary.json writes its start and end."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _feeding_and_fast_paths(summaries):
    """The partitions' `feeding` summed (bottleneck as imgfeat's Bottleneck.classify decides it) and the first
    partition's `fastPaths` (each partition's engine reads the same cached self-check verdict)."""
    feedings = [s["feeding"] for s in summaries.values() if s.get("feeding")]
    result = {}
    if feedings:
        device = sum(f["deviceWaitedForInput"] for f in feedings)
        decode = sum(f["decodeWaitedForDevice"] for f in feedings)
        total = sum(f["seconds"] for f in feedings)
        d, c = (device / total, decode / total) if total > 0 else (0.0, 0.0)
        bottleneck = "decode" if d >= 0.1 and d > c else "device" if c >= 0.1 and c > d else "balanced"
        result["feeding"] = {"deviceWaitedForInput": device, "decodeWaitedForDevice": decode, "seconds": total,
                             "batch": feedings[0]["batch"], "bottleneck": bottleneck}
    fast = [s["fastPaths"] for s in summaries.values() if s.get("fastPaths")]
    if fast:
        result["fastPaths"] = fast[0]
    return result


def job_summary(args, out, sc, paths, count, summaries, ran, reused, identity, fitted, counts, discarded, seconds):
    """summary.json: the keys of a single-machine run's summary, then the job's own."""
    by_stage = {}
    for s in summaries.values():
        for stage, n in s.get("errorsByStage", {}).items():
            by_stage[stage] = by_stage.get(stage, 0) + n
    first = summaries[min(summaries)]
    devices = sorted({s.get("device", "") for s in summaries.values()})
    stage_times = {name: sum(s.get("secondsPerStage", {}).get(name, 0.0) for s in summaries.values())
                   for name in ("decode", "device", "write", "resumeScan")}
    stage_times.update(seconds)
    ended = datetime.datetime.now(datetime.timezone.utc)
    started = ended - datetime.timedelta(seconds=seconds["total"])
    processed = sum(s.get("imagesProcessed", 0) for p, s in summaries.items() if p not in reused)
    return {
        "version": first.get("version"), "commandLine": [os.path.basename(sys.argv[0]), *sys.argv[1:]],
        "startedAt": _timestamp(started), "endedAt": _timestamp(ended),
        "imagesProcessed": processed, "imagesResumed": len(paths) - processed,
        "duplicates": sum(s.get("duplicates", 0) or 0 for s in summaries.values()),
        "command": "spark", "input": args.input, "output": args.output, "device": ", ".join(devices),
        "deviceChoice": args.device, "weights": first.get("weights", args.weights), "alpha": first.get("alpha"),
        "inputSize": first.get("inputSize"), "shard": "0/1", "listed": len(paths), "featurized": counts["featurized"],
        "errors": counts["errors"], "errorsByStage": by_stage, "partsWritten": counts["parts"],
        "partsResumed": sum(summaries[p].get("partsWritten", 0) + summaries[p].get("partsResumed", 0) for p in reused),
        "pcaStatisticsOn": first.get("pcaStatisticsOn"), "pcaK": fitted["k"],
        # The driver's `pca fit` runs with its default device (LAPACK on the host); MODEL.json says so.
        "pcaFittedOn": fitted.get("fitted_on"), "pcaMethod": fitted.get("method"),
        "pcaExplainedVarianceTotal": sum(fitted["explained_variance"]), "secondsPerStage": stage_times,
        "imagesPerSecond": len(paths) / max(seconds["total"], 1e-9), "alreadyComplete": False, "draft": bool(args.draft),
        **_feeding_and_fast_paths(summaries),
        # The job's own:
        "partitions": count, "attempts": {str(p): a for p, (a, _f) in sorted(ran.items())},
        "reusedPartitions": sorted(reused), "discardedAttempts": discarded, "devices": devices,
        "sparkMaster": sc.master, "jobIdentity": identity["digest"], "jobIdentityFields": identity["fields"],
    }


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        # Before starting Spark, so that a wrong OUT costs no cluster time.
        out, _staging = open_output(args)
        commit.refuse_foreign(out)
        paths, listed_seconds = None, 0.0
        if args.partitions and listable_without_spark(args):
            # The job identity, hence a finished or other job in OUT, is known without Spark.
            started = time.time()
            paths = list_input(None, args.input, args)
            listed_seconds = time.time() - started
            if paths:
                identity = commit.job_identity(args, paths, max(1, min(args.partitions, len(paths))))
                if commit.finished_summary(out, identity) is not None:
                    print(f"{out} is already complete; nothing to do")
                    return 0
                commit.unfinished(out, identity)
    except (JobError, ListingError, store.StoreError, commit.CommitError) as error:
        print(f"imgfeat_spark: error: {error}", file=sys.stderr)
        return 1
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.appName("imgfeat").getOrCreate()
    try:
        run_job(spark, args, paths, listed_seconds)
    except (JobError, ListingError, store.StoreError, commit.CommitError) as error:
        print(f"imgfeat_spark: error: {error}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
