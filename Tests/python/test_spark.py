"""The Spark job (integrations/spark/imgfeat_spark.py) run with spark-submit in local mode, checked
against a single-machine `imgfeat run` on the same images, with numpy as the PCA oracle; and a task
killed mid-way on its first attempt, retried by Spark, leaving no partial or duplicate rows."""
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, imgfeat_binary, make_bucket, run_imgfeat

JOB = ROOT / "integrations" / "spark" / "imgfeat_spark.py"
# A small network keeps 500 images affordable on 2 cores; the path through the tool is the same.
SMALL = ["--weights", "random:0", "--alpha", "0.35", "--size", "64", "--device", "cpu"]
K = 8


def spark_submit(master, *args):
    submit = pathlib.Path(sys.executable).parent / "spark-submit"
    if not submit.exists():
        pytest.fail(f"{submit} is missing: install pyspark in the venv (scripts/setup.sh does)")
    env = dict(os.environ, IMGFEAT_BIN=str(imgfeat_binary()), PYSPARK_PYTHON=sys.executable,
               PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    command = [str(submit), "--master", master, "--conf", "spark.ui.enabled=false",
               "--conf", "spark.driver.memory=1g", str(JOB), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)


def features_by_path(folder):
    table = pq.read_table(folder)
    rows = {}
    for path, label, vector in zip(table["path"].to_pylist(), table["label"].to_pylist(),
                                   table["features"].to_pylist()):
        assert path not in rows, f"duplicate row for {path} in {folder}"
        rows[path] = (label, np.asarray(vector, dtype=np.float32))
    return rows


def projections_by_path(folder):
    table = pq.read_table(folder)
    paths = table["path"].to_pylist()
    assert len(paths) == len(set(paths)), f"duplicate rows in {folder}"
    return dict(zip(paths, (np.asarray(v, dtype=np.float64) for v in table["pca_features"].to_pylist())))


def errors_by_path(path):
    table = pq.read_table(path)
    return {p: (s, m) for p, s, m in zip(*(table[c].to_pylist() for c in ("path", "stage", "message")))}


def check_same_features(got, expected, tolerance=1e-5):
    assert set(got) == set(expected), (f"{len(set(expected) - set(got))} rows missing, "
                                       f"{len(set(got) - set(expected))} unexpected")
    for path, (label, vector) in expected.items():
        assert got[path][0] == label, (path, got[path][0], label)
        scale = max(float(np.max(np.abs(vector))), 1e-30)
        diff = float(np.max(np.abs(got[path][1] - vector))) / scale
        assert diff <= tolerance, f"{path}: features differ by {diff} (relative) from the single-machine run"


def part_numbers(folder):
    names = sorted(p.name for p in folder.glob("*.parquet"))
    numbers = []
    for name in names:
        match = re.fullmatch(r"part-(\d{5})-[0-9a-f-]+\.snappy\.parquet", name)
        assert match, f"unexpected part name {name}"
        numbers.append(int(match.group(1)))
    return numbers


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-bucket")
    return root, make_bucket(root, 500, seed=8)


@pytest.fixture(scope="module")
def single_run(bucket, tmp_path_factory):
    root, _ = bucket
    out = tmp_path_factory.mktemp("single") / "out"
    run_imgfeat("run", root, "--output", out, "--k", K, "--quiet", *SMALL)
    return out


@pytest.fixture(scope="module")
def spark_run(bucket, tmp_path_factory):
    root, _ = bucket
    out = tmp_path_factory.mktemp("spark") / "out"
    proc = spark_submit("local[2]", root, "--output", out, "--partitions", 4, "--part-rows", 50, "--k", K, *SMALL)
    assert proc.returncode == 0, f"spark-submit exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return out, proc


def test_output_is_laid_out_like_a_single_machine_run(single_run, spark_run):
    out, proc = spark_run
    assert (out / "_SUCCESS").exists()
    # pca-report.html is built from imgfeat run's own summary; the Spark driver does not write one yet.
    expected = {p.name for p in single_run.iterdir() if not p.name.startswith(("_", "."))} - {"pca-report.html"}
    got = {p.name for p in out.iterdir() if not p.name.startswith(("_", "."))}
    assert got == expected, f"spark output has {sorted(got)}, imgfeat run has {sorted(expected)}"
    assert not (out / "_staging").exists(), "staging folder left behind"
    numbers = part_numbers(out / "features")
    assert len(numbers) >= 4 and len(set(numbers)) == len(numbers), numbers
    assert f"Explained variance (first {K}):" in proc.stdout


def test_rows_and_features_match_the_single_machine_run(bucket, single_run, spark_run):
    _, made = bucket
    out, _ = spark_run
    expected = features_by_path(single_run / "features")
    assert set(expected) == set(made["good"])
    check_same_features(features_by_path(out / "features"), expected)
    assert errors_by_path(out / "errors.parquet") == errors_by_path(single_run / "errors.parquet")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["featurized"] == len(made["good"]) and summary["errors"] == len(made["bad"])
    assert summary["listed"] == len(made["good"]) + len(made["bad"]) and summary["partitions"] == 4


def test_pca_matches_the_single_machine_run_and_numpy(single_run, spark_run):
    out, _ = spark_run
    model = json.loads((out / "pca-model.json").read_text())
    reference = json.loads((single_run / "pca-model.json").read_text())
    assert (model["k"], model["n"]) == (reference["k"], reference["n"]) == (K, 500)
    np.testing.assert_allclose(model["explained_variance"], reference["explained_variance"], rtol=0, atol=1e-6)

    # numpy oracle: covariance over n - 1 of the features the job wrote, eigenvalues over their sum.
    rows = features_by_path(out / "features")
    matrix = np.stack([v for _, v in rows.values()]).astype(np.float64)
    eigenvalues = np.linalg.eigvalsh(np.cov(matrix, rowvar=False, ddof=1))[::-1]
    np.testing.assert_allclose(model["explained_variance"], (eigenvalues / eigenvalues.sum())[:K], rtol=0, atol=1e-6)

    # Both runs take Spark's signs (dgesdd of the covariance), so projections compare directly.
    assert model["sign_rule"] == reference["sign_rule"] == "spark-dgesdd"
    got, expected = projections_by_path(out / "pca"), projections_by_path(single_run / "pca")
    assert set(got) == set(expected) == set(rows)
    g = np.stack([got[p] for p in sorted(expected)])
    e = np.stack([expected[p] for p in sorted(expected)])
    worst = np.max(np.abs(g - e) / np.maximum(np.max(np.abs(e), axis=0), 1e-30))
    assert worst <= 1e-4, f"projections differ by {worst} (relative to each component's scale)"


def read_statistics(path):
    with open(path, "rb") as handle:
        header = json.loads(handle.readline())
        body = np.frombuffer(handle.read(), dtype="<f8")
    d = header["dimension"]
    assert body.size == d * (d + 1), f"{path}: body of {body.size} values for dimension {d}"
    return header, body[:d], body[d:].reshape(d, d)


def test_merged_statistics_equal_the_single_pass_ones(spark_run, single_run):
    out, _ = spark_run
    header, mean, comoment = read_statistics(out / "pca-statistics.bin")
    reference, ref_mean, ref_comoment = read_statistics(single_run / "pca-statistics.bin")
    assert header == reference and header["count"] == 500
    np.testing.assert_allclose(mean, ref_mean, rtol=0, atol=1e-12 * np.max(np.abs(ref_mean)))
    np.testing.assert_allclose(comoment, ref_comoment, rtol=0, atol=1e-10 * np.max(np.abs(ref_comoment)))


def load_job_module():
    spec = importlib.util.spec_from_file_location("imgfeat_spark", JOB)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_listing_is_imgfeats_and_partitions_are_contiguous_slices(bucket, single_run):
    root, _ = bucket
    job = load_job_module()
    listed = job.list_local(str(root))
    used = pq.read_table(single_run / "features")["path"].to_pylist()
    used += pq.read_table(single_run / "errors.parquet")["path"].to_pylist()
    assert listed == sorted(used), "the job lists other files than imgfeat run"
    for total in (1, 3, 13, 127):
        paths = [f"/p/{i:04d}.jpg" for i in range(total)]
        for count in sorted({1, 2, 3, 7, total}):
            chunks = job.split_evenly(paths, count)
            assert len(chunks) == count and sum(chunks, []) == paths, (total, count)
            sizes = [len(c) for c in chunks]
            assert max(sizes) - min(sizes) <= 1, (total, count, sizes)
            assert job.split_evenly(list(paths), count) == chunks


def test_foreign_output_folder_is_refused_before_spark_starts(bucket, tmp_path):
    root, _ = bucket
    out = tmp_path / "someone-elses"
    out.mkdir()
    (out / "keep.txt").write_text("not ours")
    proc = subprocess.run([sys.executable, str(JOB), str(root), "--output", str(out)], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, IMGFEAT_BIN=str(imgfeat_binary())))
    assert proc.returncode == 1
    assert proc.stderr.startswith("imgfeat_spark: error:") and str(out) in proc.stderr, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_partition_failing_every_attempt_fails_the_job_and_a_rerun_recovers(tmp_path):
    root = tmp_path / "in"
    made = make_bucket(root, 30, seed=9, bad=False)
    out = tmp_path / "out"
    # local[2]: a task is tried once, so the injected failure is final.
    proc = spark_submit("local[2]", root, "--output", out, "--partitions", 2, "--part-rows", 4, "--k", 3,
                        "--inject-failure", 0, *SMALL)
    assert proc.returncode == 1, f"expected a failed job:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    # spark-submit's Python runner sends the driver's stderr to stdout.
    reason = [line for line in proc.stdout.splitlines() if line.startswith("imgfeat_spark: error:")]
    assert len(reason) == 1 and "partition 0 attempt 0: injected failure" in reason[0], proc.stdout[-4000:]
    assert not (out / "_SUCCESS").exists() and not list(out.glob("features/*.parquet"))

    proc = spark_submit("local[2]", root, "--output", out, "--partitions", 2, "--part-rows", 4, "--k", 3, *SMALL)
    assert proc.returncode == 0, f"rerun exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    rows = features_by_path(out / "features")
    assert set(rows) == set(made["good"])
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("_")) == ["_SUCCESS"]


def test_task_killed_mid_way_is_retried_without_partial_or_duplicate_rows(bucket, single_run, tmp_path):
    root, made = bucket
    out = tmp_path / "out"
    # local[2,2]: two task slots, and each task may fail once (spark.task.maxFailures = 2).
    proc = spark_submit("local[2,2]", root, "--output", out, "--partitions", 3, "--part-rows", 20, "--k", K,
                        "--inject-failure", 1, *SMALL)
    assert proc.returncode == 0, f"spark-submit exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    assert "injected failure" in proc.stderr, "the injected failure did not happen"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["attempts"] == {"0": 0, "1": 1, "2": 0}
    discarded = {d["folder"]: d for d in summary["discardedAttempts"]}
    assert set(discarded) == {"task-00001-attempt-0"}
    killed = discarded["task-00001-attempt-0"]
    assert killed["committed_parts"] >= 1 and not killed["succeeded"], killed
    assert not (out / "_staging").exists()

    check_same_features(features_by_path(out / "features"), features_by_path(single_run / "features"))
    numbers = part_numbers(out / "features")
    assert len(set(numbers)) == len(numbers)
    assert errors_by_path(out / "errors.parquet") == errors_by_path(single_run / "errors.parquet")
    assert set(projections_by_path(out / "pca")) == set(made["good"])
    assert json.loads((out / "pca-model.json").read_text())["n"] == len(made["good"])
