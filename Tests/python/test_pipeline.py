"""End-to-end checks of `imgfeat run` / `featurize`: the output read back with pyarrow, the engines'
agreement, unusable inputs, resume after SIGKILL, and bounded memory."""
import json
import os
import random
import resource
import sys
import signal
import subprocess
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import imgfeat_binary, make_bucket, run_imgfeat

# A small network keeps the reference engine affordable on 2 cores; the path through the tool is the same.
SMALL = ["--weights", "random:0", "--alpha", "0.35", "--size", "32"]


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    root = tmp_path_factory.mktemp("bucket")
    return root, make_bucket(root, 1000, seed=1)


def read_table(folder):
    table = pq.read_table(folder)
    rows = {}
    for path, label, features in zip(table["path"].to_pylist(), table["label"].to_pylist(),
                                     table["features"].to_pylist()):
        assert path not in rows, f"duplicate row for {path}"
        rows[path] = (label, np.asarray(features, dtype=np.float32))
    return table, rows


def read_errors(path):
    table = pq.read_table(path)
    return {p: s for p, s in zip(table["path"].to_pylist(), table["stage"].to_pylist())}


def relative_difference(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


@pytest.fixture(scope="module")
def cpu_run(bucket, tmp_path_factory):
    root, made = bucket
    out = tmp_path_factory.mktemp("out") / "cpu"
    proc = run_imgfeat("run", root, "--output", out, "--device", "cpu", "--k", "8", "--batch", "32", *SMALL)
    return out, proc


def test_run_writes_the_notebook_tables(bucket, cpu_run):
    root, made = bucket
    out, proc = cpu_run
    assert (out / "_SUCCESS").exists()
    table, rows = read_table(out / "features")
    assert table.schema.field("path").type == "string"
    assert table.schema.field("features").type.value_type == "float"
    assert set(rows) == set(made["good"])
    for path, (label, features) in rows.items():
        assert label == os.path.basename(os.path.dirname(path))
        assert features.shape == (1280,) and np.all(np.isfinite(features))
    meta = pq.read_schema(next((out / "features").glob("part-*.parquet"))).metadata
    assert meta[b"imgfeat.weights"] == b"random:0"

    pca = pq.read_table(out / "pca")
    assert set(pca["path"].to_pylist()) == set(made["good"])
    assert pca.schema.field("pca_features").type.value_type == "double"
    assert all(len(v) == 8 for v in pca["pca_features"].to_pylist())
    model = json.loads((out / "pca-model.json").read_text())
    assert model["k"] == 8 and model["n"] == len(made["good"])
    assert model["method"] == "lapack-dgesdd" and model["fitted_on"] == "host"  # --device cpu: LAPACK, Spark's signs
    assert "Explained variance (first 8):" in proc.stdout  # k < 10: the line says how many it shows
    assert "Cumulative explained variance:" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["featurized"] == len(made["good"]) and summary["errors"] == len(made["bad"])
    assert (out / "pca-scree.svg").exists() and (out / "pca-scatter.svg").exists()


def test_every_bad_input_is_an_error_row(bucket, cpu_run):
    root, made = bucket
    out, _ = cpu_run
    errors = pq.read_table(out / "errors.parquet")
    got = {p: (s, m) for p, s, m in zip(*(errors[c].to_pylist() for c in ("path", "stage", "message")))}
    assert set(got) == set(made["bad"])
    for path, (stage, message) in got.items():
        assert stage in ("read", "decode"), (path, stage)
        assert path in message, f"message does not name the file: {message}"
        assert "\n" not in message


@pytest.mark.parametrize("device", ["reference", "vulkan"])
def test_engines_agree(bucket, cpu_run, tmp_path, device):
    root, made = bucket
    cpu_out, _ = cpu_run
    out = tmp_path / device
    run_imgfeat("run", root, "--output", out, "--device", device, "--k", "8", "--batch", "16", *SMALL)
    _, cpu_rows = read_table(cpu_out / "features")
    _, rows = read_table(out / "features")
    assert set(rows) == set(cpu_rows)
    worst = max(relative_difference(rows[p][1], cpu_rows[p][1]) for p in rows)
    assert worst < 1e-4, f"{device} vs cpu: max relative difference {worst}"
    assert read_errors(out / "errors.parquet") == read_errors(cpu_out / "errors.parquet")
    if device == "vulkan":
        # The eigen step ran on the device too (issue 17.7): LAPACK's fit of the same features is its oracle.
        model = json.loads((out / "pca-model.json").read_text())
        summary = json.loads((out / "summary.json").read_text())
        assert summary.get("pcaFitNote") is None, summary.get("pcaFitNote")
        assert model["method"] == "vulkan-subspace-iteration" and summary["pcaFittedOn"] == model["fitted_on"] != "host"
        run_imgfeat("pca", "fit", out / "features", "--k", "8", "--model", tmp_path / "cpu-model.json", "--device", "cpu")
        lapack = json.loads((tmp_path / "cpu-model.json").read_text())
        np.testing.assert_allclose(model["explained_variance"], lapack["explained_variance"], rtol=0, atol=1e-6)
        ours, theirs = np.array(model["components"]), np.array(lapack["components"])
        signs = np.where(np.sum(ours * theirs, axis=1) < 0, -1.0, 1.0)[:, None]
        assert np.all(np.abs(ours - theirs * signs).max(axis=1) <= 1e-4 * np.abs(theirs).max(axis=1))


def test_max_errors_stops_the_run(bucket, tmp_path):
    root, made = bucket
    proc = run_imgfeat("featurize", root, "--output", tmp_path / "o", "--device", "cpu", "--max-errors", "3",
                       "--part-rows", "2000", *SMALL, check=False)
    assert proc.returncode != 0
    assert "max-errors" in proc.stderr and len(proc.stderr.strip().splitlines()) >= 1
    assert not (tmp_path / "o" / "_SUCCESS").exists()


PARTS_BEFORE_KILLS = 20  # the killed run has this many parts to commit, so it outlives at least 3 kills


def seconds_per_committed_part(folder, rows_per_part):
    """Wall time between part commits of a featurize run over PARTS_BEFORE_KILLS parts, start-up excluded."""
    make_bucket(folder / "in", PARTS_BEFORE_KILLS * rows_per_part, seed=2, bad=False)
    out = folder / "out"
    proc = subprocess.Popen([str(imgfeat_binary()), "featurize", str(folder / "in"), "--output", str(out),
                             "--device", "cpu", "--part-rows", str(rows_per_part), "--batch", "4", "--quiet",
                             *SMALL], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen, first, last = 0, None, None
    hung = time.monotonic() + 600  # only so that a hung run fails the test instead of stalling CI
    while time.monotonic() < hung:
        finished = proc.poll() is not None
        count = len(list(out.glob("part-*.parquet"))) if out.exists() else 0
        if count > seen:
            now = time.monotonic()
            first, last, seen = first or now, now, count
        if finished:
            break
        time.sleep(0.002)
    assert proc.returncode == 0 and seen == PARTS_BEFORE_KILLS, (proc.returncode, seen)
    # Parts seen in one poll share a timestamp; the span over the parts seen after the first is the rate.
    return max((last - first) / (PARTS_BEFORE_KILLS - 1), 1e-4)


def test_resume_after_sigkill_gives_the_uninterrupted_rows(tmp_path):
    # The workload is sized from this machine's measured rate, never from an assumed speed: a first
    # uninterrupted run is watched part by part (start-up excluded), and the bucket is made big enough
    # that each of the killed run's parts takes about 0.1 s or more (ten polls of the folder), whatever the
    # machine; kills then come within half a part's time of a commit.
    rows_per_part = 20
    seconds_per_part = seconds_per_committed_part(tmp_path / "probe", rows_per_part)
    if seconds_per_part < 0.1:
        scale = min(0.1 / seconds_per_part, 100)
        rows_per_part, seconds_per_part = int(rows_per_part * scale) + 1, seconds_per_part * scale
    root = tmp_path / "in"
    make_bucket(root, PARTS_BEFORE_KILLS * rows_per_part, seed=2)
    args = ["featurize", root, "--device", "cpu", "--part-rows", str(rows_per_part), "--batch", "4", "--quiet",
            *SMALL]
    run_imgfeat(*args[:2], "--output", tmp_path / "whole", *args[2:])
    _, expected = read_table(tmp_path / "whole")

    # Kill with SIGKILL a few times, each at a random moment within half a part's time after the run has
    # committed something new, so every restart has both committed parts to skip and work in flight to lose.
    # The kills are paced by the committed-part count, never by the clock.
    target = tmp_path / "killed"
    rng = random.Random(3)
    kills = 0
    while kills < 4:
        committed = len(list(target.glob("part-*.parquet"))) if target.exists() else 0
        proc = subprocess.Popen([str(imgfeat_binary()), *map(str, args[:2]), "--output", str(target),
                                 *map(str, args[2:])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        hung = time.monotonic() + 600  # only so that a hung run fails the test instead of stalling CI
        while proc.poll() is None and time.monotonic() < hung:
            if len(list(target.glob("part-*.parquet"))) > committed:
                time.sleep(rng.uniform(0, seconds_per_part / 2))
                break
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if (target / "_SUCCESS").exists():
            break
    print(f"\nresume: {rows_per_part} rows per part, {seconds_per_part:.3f} s per part, {kills} kills")
    assert kills >= 3, f"only {kills} kills before the run of {PARTS_BEFORE_KILLS} parts finished"
    run_imgfeat(*args[:2], "--output", target, *args[2:])
    _, got = read_table(target)
    assert set(got) == set(expected)
    for path in expected:
        assert got[path][0] == expected[path][0]
        np.testing.assert_array_equal(got[path][1], expected[path][1])
    assert read_errors(target / "_errors.parquet") == read_errors(tmp_path / "whole" / "_errors.parquet")
    leftovers = [p.name for p in target.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers, leftovers


# Peak resident memory of `featurize` must not grow with the number of images (README states the bound).
RSS_BOUND_MIB = 600


def test_peak_memory_is_bounded_on_20000_images(tmp_path):
    root = tmp_path / "many"
    made = make_bucket(root, 20000, seed=4, bad=False, size=(16, 16))
    # A fresh Python parent, so the peak is this run's alone and not an earlier test's.
    command = [str(imgfeat_binary()), "featurize", str(root), "--output", str(tmp_path / "o"), "--device", "cpu",
               "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    peak_mib = int(subprocess.run([sys.executable, "-c", probe, *command], check=True, capture_output=True,
                                  text=True).stdout) / 1024
    assert peak_mib < RSS_BOUND_MIB, f"peak RSS {peak_mib:.0f} MiB over the {RSS_BOUND_MIB} MiB bound"
    assert pq.read_metadata(next((tmp_path / "o").glob("part-00000-*.parquet"))).num_rows == 1024
    total = sum(pq.read_metadata(p).num_rows for p in (tmp_path / "o").glob("part-*.parquet"))
    assert total == len(made["good"])
