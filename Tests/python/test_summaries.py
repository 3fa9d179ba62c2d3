"""What a run tells its user (issue 18, point 3) and the model checks of `pca fit` / `pca transform`
(point 4), through the binary: summaries, --quiet, --version, summary.json, errors.parquet."""
import json
import re
import shutil

import pyarrow.parquet as pq
import pytest

from conftest import make_bucket, run_imgfeat

SMALL = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32"]


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    root = tmp_path_factory.mktemp("summaries") / "images"
    made = make_bucket(root, 30, seed=18)
    return root, made


def summary_lines(stdout):
    return [line for line in stdout.splitlines() if not line.startswith(("Explained variance", "Cumulative"))]


def test_version():
    proc = run_imgfeat("--version")
    assert re.fullmatch(r"\d+\.\d+\.\d+", proc.stdout.strip()), proc.stdout


def test_bench_help_lists_s3_inputs():
    assert "s3://" in run_imgfeat("bench", "--help").stdout


def test_k_below_ten_says_how_many_it_prints_and_quiet_keeps_results(bucket, tmp_path):
    root, made = bucket
    out = tmp_path / "out"
    proc = run_imgfeat("run", root, "--output", out, "--k", 5, "--quiet", *SMALL)
    first = [line for line in proc.stdout.splitlines() if line.startswith("Explained variance")]
    assert len(first) == 1 and first[0].startswith("Explained variance (first 5): [")
    assert len(first[0].split("[", 1)[1].rstrip("]").split(",")) == 5
    assert any(line.startswith("Cumulative explained variance: ") for line in proc.stdout.splitlines())
    # --quiet: no progress or device note on stderr, the summary lines all there.
    assert proc.stderr == "", proc.stderr
    lines = summary_lines(proc.stdout)
    assert [line.split(":")[0] for line in lines] == ["device", "images", "bottleneck", "time", "output"], lines

    summary = json.loads((out / "summary.json").read_text())
    text = (out / "summary.json").read_text()
    assert "\\/" not in text, "summary.json escapes slashes"
    assert summary["version"] == run_imgfeat("--version").stdout.strip()
    assert summary["commandLine"][:2] == ["imgfeat", "run"] and "--quiet" in summary["commandLine"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", summary["startedAt"])
    assert summary["startedAt"] <= summary["endedAt"]
    assert summary["imagesProcessed"] == len(made["good"]) + len(made["bad"])
    assert summary["imagesResumed"] == 0
    # Which stage held the other back (a CPU run: no Vulkan fast paths to report).
    assert summary["feeding"]["bottleneck"] in ("device", "decode", "balanced") and summary["feeding"]["batch"] == 64
    assert "fastPaths" not in summary


def test_errors_table_has_label_and_model_metadata(bucket, tmp_path):
    root, made = bucket
    out = tmp_path / "out"
    run_imgfeat("run", root, "--output", out, "--k", 3, "--quiet", *SMALL)
    errors = pq.read_table(out / "errors.parquet")
    assert errors.schema.names == ["path", "label", "stage", "message"]
    assert set(errors.column("label").to_pylist()) == {"Broken"}
    features = pq.read_metadata(next((out / "features").glob("*.parquet"))).metadata
    meta = pq.read_metadata(out / "errors.parquet").metadata
    for key in (b"imgfeat.model.alpha", b"imgfeat.model.input_size", b"imgfeat.weights"):
        assert meta[key] == features[key], key


def test_resumed_run_reports_the_rate_of_what_it_processed(bucket, tmp_path):
    root, made = bucket
    out = tmp_path / "out"
    args = ["featurize", root, "--output", out, "--part-rows", 8, "--quiet", *SMALL]
    run_imgfeat(*args)
    total = len(made["good"]) + len(made["bad"])
    # Take the run back to "all parts committed, not finished": a full resume that processes nothing.
    (out / "_SUCCESS").unlink()
    (out / "_summary.json").unlink()
    proc = run_imgfeat(*args)
    summary = json.loads((out / "_summary.json").read_text())
    assert summary["imagesProcessed"] == 0 and summary["imagesResumed"] == total
    assert summary["imagesPerSecond"] == 0
    assert f"0.0 img/s over 0 images processed now ({total} resumed)" in proc.stdout, proc.stdout

    # Part resume: drop two committed parts; only their images count in the rate.
    parts = sorted(out.glob("part-*.parquet"))
    for p in parts[:2]:
        p.unlink()
    (out / "_SUCCESS").unlink()
    (out / "_summary.json").unlink()
    run_imgfeat(*args)
    summary = json.loads((out / "_summary.json").read_text())
    assert summary["imagesProcessed"] == 16 and summary["imagesResumed"] == total - 16
    assert summary["featurized"] == len(made["good"])
    assert summary["imagesPerSecond"] == pytest.approx(summary["imagesProcessed"] / summary["secondsPerStage"]["total"],
                                                       rel=1e-9)


def test_pca_fit_and_transform_refuse_another_models_features(bucket, tmp_path):
    root, _ = bucket
    small = ["--device", "cpu", "--weights", "random:0", "--quiet"]
    a, b = tmp_path / "a", tmp_path / "b"
    run_imgfeat("featurize", root, "--output", a, "--alpha", "0.35", "--size", "32", *small)
    run_imgfeat("featurize", root, "--output", b, "--alpha", "0.5", "--size", "40", *small)

    model = tmp_path / "MODEL.json"
    proc = run_imgfeat("pca", "fit", a, b, "--k", 3, "--model", model, check=False)
    assert proc.returncode != 0 and not model.exists()
    message = proc.stderr.strip()
    assert message.count("\n") == 0, message
    assert "alpha 0.35, size 32" in message and "alpha 0.5, size 40" in message, message

    run_imgfeat("pca", "fit", a, "--k", 3, "--model", model)
    fitted = json.loads(model.read_text())
    assert fitted["features_model"]["imgfeat.model.alpha"] == "0.35"
    proc = run_imgfeat("pca", "transform", b, "--model", model, "--output", tmp_path / "projected", check=False)
    assert proc.returncode != 0 and not (tmp_path / "projected").exists()
    assert "alpha 0.5, size 40" in proc.stderr and str(model) in proc.stderr, proc.stderr
    # The model's own features project, and the projection records the model.
    run_imgfeat("pca", "transform", a, "--model", model, "--output", tmp_path / "ok")
    meta = pq.read_metadata(next((tmp_path / "ok").glob("*.parquet"))).metadata
    assert meta[b"imgfeat.model.alpha"] == b"0.35"
    shutil.rmtree(tmp_path / "ok")


@pytest.mark.parametrize("batch", [64, 8])
def test_progress_off_a_terminal_ends_with_the_final_count_once(bucket, tmp_path, batch):
    root, made = bucket
    total = len(made["good"]) + len(made["bad"])
    proc = run_imgfeat("featurize", root, "--output", tmp_path / "out", "--batch", batch, *SMALL)
    counts = [int(m.group(1)) for m in re.finditer(rf"^(\d+)/{total} images, [\d.]+ img/s, ETA ", proc.stderr, re.M)]
    assert counts and counts[-1] == total and counts.count(total) == 1, proc.stderr
    assert counts == sorted(counts), proc.stderr
