"""The Spark job the way the notebook runs it: `s3a://bucket/Test` in, `s3://bucket/Results` out, no
shared file system, against moto verifying every signature on loopback. Checked against a local
single-machine `imgfeat run` of the same images: rows, errors, PCA. Also a task killed mid-partition
(local[2,2]), a job stopped after some partitions and rerun (only the missing ones run, counted by
a wrapper around imgfeat), other jobs in the same OUT refused, and unknown output schemes refused."""
import json
import os
import pathlib
import subprocess
import sys

import boto3
import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import imgfeat_binary, make_bucket, run_imgfeat
from moto_s3 import download_prefix, keys_under, signed_s3
from test_spark import JOB, K, SMALL, check_same_features, features_by_path, part_numbers, projections_by_path

BUCKET = "notebook"


def relative(rows, prefix):
    """Rows keyed by path relative to the image root, so S3 and local runs compare."""
    assert all(p.startswith(prefix) for p in rows), (prefix, next(iter(rows)))
    return {p[len(prefix):]: v for p, v in rows.items()}


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """The same images on disk and in the bucket: 500 (+ bad files) under Test/, 40 under Small/."""
    big, small = tmp_path_factory.mktemp("Test"), tmp_path_factory.mktemp("Small")
    made = {"Test": make_bucket(big, 500, seed=8), "Small": make_bucket(small, 40, seed=12)}
    objects = {f"{name}/{p.relative_to(root).as_posix()}": p.read_bytes()
               for name, root in (("Test", big), ("Small", small)) for p in root.rglob("*") if p.is_file()}
    return {"Test": big, "Small": small, "made": made, "objects": objects}


@pytest.fixture(scope="module")
def s3(images, tmp_path_factory):
    with signed_s3(BUCKET, images["objects"], tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture(scope="module")
def singles(images, tmp_path_factory):
    """Single-machine `imgfeat run` of each local folder."""
    out = {}
    for name, k in (("Test", K), ("Small", 3)):
        out[name] = tmp_path_factory.mktemp("single") / name
        run_imgfeat("run", images[name], "--output", out[name], "--k", k, "--quiet", *SMALL)
    return out


@pytest.fixture(scope="module")
def counting_bin(tmp_path_factory):
    """imgfeat behind a wrapper that logs every invocation, so tests count the featurize tasks run."""
    folder = tmp_path_factory.mktemp("bin")
    log = folder / "calls.log"
    wrapper = folder / "imgfeat"
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> "{log}"\nexec "{imgfeat_binary()}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def job_env(s3, binary):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # no AWS_ENDPOINT_URL: --endpoint-url must do
    env.update(AWS_ACCESS_KEY_ID=s3["key"], AWS_SECRET_ACCESS_KEY=s3["secret"], AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true", IMGFEAT_BIN=str(binary), PYSPARK_PYTHON=sys.executable,
               PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    return env


def submit(s3, master, cwd, *args, binary=None):
    submit = pathlib.Path(sys.executable).parent / "spark-submit"
    command = [str(submit), "--master", master, "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.memory=1g",
               str(JOB), *map(str, args), "--endpoint-url", s3["url"]]
    proc = subprocess.run(command, capture_output=True, text=True, env=job_env(s3, binary or imgfeat_binary()),
                          timeout=900, cwd=cwd)
    assert s3["secret"] not in proc.stdout + proc.stderr
    return proc


def plain_python(s3, cwd, *args, binary=None):
    """The job script without spark-submit: what it decides before Spark starts."""
    proc = subprocess.run([sys.executable, str(JOB), *map(str, args), "--endpoint-url", s3["url"]], capture_output=True,
                          text=True, env=job_env(s3, binary or imgfeat_binary()), timeout=300, cwd=cwd)
    assert s3["secret"] not in proc.stdout + proc.stderr
    return proc


def fetch_output(s3, prefix, target):
    keys = download_prefix(s3["client"], BUCKET, prefix, target)
    return [k[len(prefix):] for k in keys]


def test_unknown_output_scheme_is_refused_not_taken_as_a_folder(images, tmp_path):
    for output in ("gs://bucket/Results", "hdfs://namenode/Results", "s3n://bucket/Results"):
        proc = subprocess.run([sys.executable, str(JOB), str(images["Small"]), "--output", output],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path,
                              env=dict(os.environ, IMGFEAT_BIN=str(imgfeat_binary())))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert proc.stderr.startswith("imgfeat_spark: error:") and "unsupported output scheme" in proc.stderr, proc.stderr
        assert output in proc.stderr
    assert list(tmp_path.iterdir()) == [], "an output folder was created locally"


def test_s3a_input_and_s3_output_give_the_single_machine_run(s3, images, singles, tmp_path):
    work = tmp_path / "cwd"
    work.mkdir()
    proc = submit(s3, "local[2]", work, f"s3a://{BUCKET}/Test", "--output", f"s3://{BUCKET}/Results",
                  "--partitions", 4, "--part-rows", 50, "--k", K, *SMALL)
    assert proc.returncode == 0, f"spark-submit exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-4000:]}"
    assert list(work.iterdir()) == [], f"the job wrote locally: {list(work.rglob('*'))[:5]}"
    assert f"Explained variance (first {K}):" in proc.stdout

    got = tmp_path / "got"
    names = fetch_output(s3, "Results/", got)
    single = singles["Test"]
    top = {n.split("/", 1)[0] for n in names if not n.startswith("_")}
    # pca-report.html is built from imgfeat run's own summary; the Spark driver does not write one yet.
    assert top == {p.name for p in single.iterdir() if not p.name.startswith(("_", "."))} - {"pca-report.html"}
    assert "_SUCCESS" in names and not any(n.startswith("_staging") or n == "_imgfeat_spark.json" for n in names), names
    numbers = part_numbers(got / "features")
    assert len(numbers) >= 4 and len(set(numbers)) == len(numbers)

    prefix = f"s3a://{BUCKET}/Test/"
    expected = relative(features_by_path(single / "features"), str(images["Test"]) + "/")
    check_same_features(relative(features_by_path(got / "features"), prefix), expected)
    errors = pq.read_table(got / "errors.parquet")["path"].to_pylist()
    local_errors = pq.read_table(single / "errors.parquet")["path"].to_pylist()
    assert len(errors) == 12 and sorted(p[len(prefix):] for p in errors) == \
        sorted(p[len(str(images["Test"])) + 1:] for p in local_errors)

    model = json.loads((got / "pca-model.json").read_text())
    reference = json.loads((single / "pca-model.json").read_text())
    assert (model["k"], model["n"]) == (reference["k"], reference["n"]) == (K, 500)
    np.testing.assert_allclose(model["explained_variance"], reference["explained_variance"], rtol=0, atol=1e-6)
    g, e = relative(projections_by_path(got / "pca"), prefix), relative(projections_by_path(single / "pca"), str(images["Test"]) + "/")
    assert set(g) == set(e) == set(expected)
    gm, em = np.stack([g[p] for p in sorted(e)]), np.stack([e[p] for p in sorted(e)])
    worst = np.max(np.abs(gm - em) / np.maximum(np.max(np.abs(em), axis=0), 1e-30))
    assert worst <= 1e-4, f"projections differ by {worst}"

    summary = json.loads((got / "summary.json").read_text())
    reference_summary = json.loads((single / "summary.json").read_text())
    missing = set(reference_summary) - set(summary)
    assert not missing, f"summary.json lacks the single-machine run's keys {sorted(missing)}"
    assert set(reference_summary["secondsPerStage"]) <= set(summary["secondsPerStage"])
    assert {"partitions", "attempts", "reusedPartitions", "devices"} <= set(summary)
    assert (summary["alpha"], summary["inputSize"], summary["listed"], summary["featurized"], summary["errors"]) == \
        (reference_summary["alpha"], reference_summary["inputSize"], 512, 500, 12)
    assert summary["partitions"] == 4 and summary["reusedPartitions"] == [] and summary["imagesPerSecond"] > 0
    assert summary["attempts"] == {"0": 0, "1": 0, "2": 0, "3": 0} and summary["devices"] == [reference_summary["device"]]


def test_task_killed_mid_partition_is_retried_and_its_attempt_never_reaches_out(s3, images, singles, tmp_path):
    # local[2,2]: two task slots, and each task may fail once (spark.task.maxFailures = 2).
    proc = submit(s3, "local[2,2]", tmp_path, f"s3a://{BUCKET}/Small", "--output", f"s3a://{BUCKET}/Killed",
                  "--partitions", 3, "--part-rows", 4, "--k", 3, "--inject-failure", 1, *SMALL)
    assert proc.returncode == 0, f"spark-submit exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-4000:]}"
    killed = [line for line in proc.stderr.splitlines() if line.startswith("RuntimeError: partition 1 attempt 0: injected failure")]
    assert killed and "imgfeat killed after committing" in killed[0] and "after committing 0 part" not in killed[0], proc.stderr[-3000:]
    got = tmp_path / "got"
    names = fetch_output(s3, "Killed/", got)
    assert not any(n.startswith("_staging") for n in names)
    summary = json.loads((got / "summary.json").read_text())
    assert summary["attempts"] == {"0": 0, "1": 1, "2": 0}
    rows = relative(features_by_path(got / "features"), f"s3a://{BUCKET}/Small/")
    check_same_features(rows, relative(features_by_path(singles["Small"] / "features"), str(images["Small"]) + "/"))
    assert json.loads((got / "pca-model.json").read_text())["n"] == 40


def staged_parts(s3, prefix):
    """{partition: {part name: ETag}} of the staging attempts holding _SUCCESS."""
    keys = keys_under(s3["client"], BUCKET, prefix + "_staging/")
    done = {k.split("/")[-2] for k in keys if k.endswith("/_SUCCESS")}
    out = {}
    for key in keys:
        folder, name = key.split("/")[-2:]
        if folder in done and name.startswith("part-"):
            etag = s3["client"].head_object(Bucket=BUCKET, Key=key)["ETag"]
            out.setdefault(int(folder.split("-")[1]), {})[name] = etag
    return out


def test_stopped_job_rerun_runs_only_the_missing_partitions(s3, images, singles, counting_bin, tmp_path):
    wrapper, log = counting_bin
    log.write_text("")
    args = [f"s3a://{BUCKET}/Small", "--output", f"s3://{BUCKET}/Rerun", "--partitions", 4, "--part-rows", 4, "--k", 3]
    # local[2]: no retries, so partition 2's injected failure stops the job; partitions 0 or 1 finished
    # before it started (two slots), the rest may have been cancelled.
    proc = submit(s3, "local[2]", tmp_path, *args, "--inject-failure", 2, *SMALL, binary=wrapper)
    assert proc.returncode == 1 and "partition 2 attempt 0: injected failure" in proc.stdout, proc.stdout[-3000:]
    assert "Rerun/_SUCCESS" not in keys_under(s3["client"], BUCKET, "Rerun/")
    finished = staged_parts(s3, "Rerun/")
    assert finished and 2 not in finished, finished

    # Another job in the unfinished OUT is refused before Spark starts.
    before = log.read_text().count("featurize")
    other = plain_python(s3, tmp_path, *args[:-1], 4, *SMALL, binary=wrapper)
    text = other.stdout + other.stderr
    assert other.returncode == 1 and "unfinished job with other settings (k 3 there, 4 now)" in text, text[-2000:]
    assert log.read_text().count("featurize") == before

    proc = submit(s3, "local[2]", tmp_path, *args, *SMALL, binary=wrapper)
    assert proc.returncode == 0, f"rerun exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-4000:]}"
    ran = log.read_text().count("featurize") - before
    assert ran == 4 - len(finished), (ran, sorted(finished))
    got = tmp_path / "got"
    fetch_output(s3, "Rerun/", got)
    summary = json.loads((got / "summary.json").read_text())
    assert summary["reusedPartitions"] == sorted(finished)
    assert sorted(map(int, summary["attempts"])) == sorted(set(range(4)) - set(finished))
    # The reused partitions' parts are server-side copies of the staged ones (same ETags), not recomputed.
    etags = {s3["client"].head_object(Bucket=BUCKET, Key=k)["ETag"] for k in keys_under(s3["client"], BUCKET, "Rerun/features/")}
    assert {e for parts in finished.values() for e in parts.values()} <= etags
    rows = relative(features_by_path(got / "features"), f"s3a://{BUCKET}/Small/")
    check_same_features(rows, relative(features_by_path(singles["Small"] / "features"), str(images["Small"]) + "/"))
    assert len(set(part_numbers(got / "features"))) == len(part_numbers(got / "features"))
    assert not keys_under(s3["client"], BUCKET, "Rerun/_staging/")

    # The same job again does nothing; another one in the finished OUT is refused (both before Spark starts).
    again = plain_python(s3, tmp_path, *args, *SMALL, binary=wrapper)
    assert again.returncode == 0 and "already complete" in again.stdout, again.stdout[-2000:]
    refused = plain_python(s3, tmp_path, *args[:-1], 4, *SMALL, binary=wrapper)
    text = refused.stdout + refused.stderr
    assert refused.returncode == 1 and "already holds a finished job with other settings" in text, text[-2000:]
    assert log.read_text().count("featurize") - before == ran


def test_large_parts_are_committed_by_multipart_copy(s3):
    sys.path.insert(0, str(JOB.parent))
    import imgfeat_spark_store as store
    client = boto3.client("s3", endpoint_url=s3["url"], region_name="us-east-1",
                          aws_access_key_id=s3["key"], aws_secret_access_key=s3["secret"])
    calls = []
    client.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
    data = np.random.default_rng(3).bytes((11 << 20) + 13)
    client.put_object(Bucket=BUCKET, Key="copy/src/part-00000-a.snappy.parquet", Body=data)
    out = store.S3Store(f"s3://{BUCKET}/copy", client)
    out.copy_part_bytes = 5 << 20
    out.copy("src/part-00000-a.snappy.parquet", "dst/part-00007-a.snappy.parquet")
    assert client.get_object(Bucket=BUCKET, Key="copy/dst/part-00007-a.snappy.parquet")["Body"].read() == data
    assert calls.count("UploadPartCopy") == 3 and "CompleteMultipartUpload" in calls, calls
    calls.clear()
    out.copy_part_bytes = 64 << 20
    out.copy("src/part-00000-a.snappy.parquet", "dst/small.parquet")
    assert "CopyObject" in calls and "UploadPartCopy" not in calls, calls
    out.delete_tree()
    assert keys_under(client, BUCKET, "copy/") == []


def test_pca_fit_and_transform_read_and_write_s3(s3, singles, tmp_path):
    """`imgfeat pca fit`/`pca transform` with s3:// features, statistics, model and output give what
    they give on the same local files."""
    single = singles["Small"]
    client = s3["client"]
    for part in (single / "features").iterdir():
        client.upload_file(str(part), BUCKET, f"pcain/features/{part.name}")
    client.put_object(Bucket=BUCKET, Key="pcain/features/_ignored.parquet", Body=b"not parquet: skipped by Spark's rule")
    client.upload_file(str(single / "pca-statistics.bin"), BUCKET, "pcain/stats.bin")

    def imgfeat(*args):
        proc = subprocess.run([str(imgfeat_binary()), *map(str, args)], capture_output=True, text=True, timeout=300,
                              env=job_env(s3, imgfeat_binary()))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert s3["secret"] not in proc.stdout + proc.stderr

    s3uri = f"s3://{BUCKET}/pcain"
    flags = ["--endpoint-url", s3["url"]]
    imgfeat("pca", "fit", single / "features", "--k", 3, "--model", tmp_path / "local.json")
    imgfeat("pca", "fit", f"{s3uri}/features", "--k", 3, "--model", f"{s3uri}/from-features.json", *flags)
    imgfeat("pca", "fit", f"{s3uri}/stats.bin", "--k", 3, "--model", f"s3a://{BUCKET}/pcain/from-stats.json", *flags)
    local = json.loads((tmp_path / "local.json").read_text())
    for name in ("from-features.json", "from-stats.json"):
        got = json.loads(client.get_object(Bucket=BUCKET, Key=f"pcain/{name}")["Body"].read())
        assert got["n"] == local["n"] == 40
        np.testing.assert_allclose(got["explained_variance"], local["explained_variance"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(got["components"], local["components"], rtol=0, atol=1e-7)

    imgfeat("pca", "transform", single / "features", "--model", tmp_path / "local.json", "--output", tmp_path / "local-pca")
    imgfeat("pca", "transform", f"{s3uri}/features", "--model", f"{s3uri}/from-features.json", "--output", f"{s3uri}/pca", *flags)
    names = download_prefix(client, BUCKET, "pcain/pca/", tmp_path / "s3-pca")
    assert "pcain/pca/_SUCCESS" in names
    got, expected = projections_by_path(tmp_path / "s3-pca"), projections_by_path(tmp_path / "local-pca")
    assert set(got) == set(expected) and len(got) == 40
    for path in expected:
        np.testing.assert_allclose(got[path], expected[path], rtol=0, atol=1e-9 * max(1.0, np.max(np.abs(expected[path]))))
