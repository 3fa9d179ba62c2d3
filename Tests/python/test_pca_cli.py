"""`imgfeat pca fit` / `pca transform` on the PCA oracle features (scripts/fixtures/pca.py) against the
numpy, scikit-learn and Spark ML results stored there, through the files users see: Parquet in,
MODEL.json and Parquet out, and the notebook's printout."""
import ast
import json
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, run_imgfeat

FIXTURE = ROOT / ".fixtures" / "pca" / "small"


def load(name, dtype="<f8"):
    path = FIXTURE / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/fixtures/generate.sh")
    return np.fromfile(path, dtype=dtype)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    meta = json.loads((FIXTURE / "meta.json").read_text()) if (FIXTURE / "meta.json").exists() else None
    if meta is None:
        pytest.fail(f"{FIXTURE}/meta.json is missing: run scripts/fixtures/generate.sh")
    n, d, k = meta["n"], meta["d"], meta["k"]
    x = load("features.f32", "<f4").reshape(n, d)
    folder = tmp_path_factory.mktemp("pca") / "features"
    folder.mkdir()
    paths = [f"img_{i:05d}.jpg" for i in range(n)]
    for part, rows in enumerate(np.array_split(np.arange(n), 3)):  # three parts, as featurize writes
        table = pa.table({
            "path": pa.array([paths[i] for i in rows]),
            "label": pa.array([f"class{i % 4}" for i in rows]),
            "features": pa.array([x[i] for i in rows], type=pa.list_(pa.float32())),
        })
        pq.write_table(table, folder / f"part-{part:05d}.parquet")
    return {"n": n, "d": d, "k": k, "x": x, "folder": folder, "root": folder.parent}


def fit(case, *extra, name=None):
    model_path = case["root"] / (name or ("MODEL-center.json" if "--center" in extra else "MODEL.json"))
    proc = run_imgfeat("pca", "fit", case["folder"], "--k", case["k"], "--model", model_path, *extra)
    return json.loads(model_path.read_text()), proc.stdout


def test_fit_matches_spark_numpy_and_prints_like_the_notebook(case):
    model, stdout = fit(case)
    d, k = case["d"], case["k"]
    spark_ev = load("spark_explained_variance.f64")
    assert model["k"] == k and model["n"] == case["n"] and len(model["mean"]) == d
    np.testing.assert_allclose(model["explained_variance"], spark_ev, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model["eigenvalues"], load("numpy_eigenvalues.f64"), rtol=1e-9, atol=1e-12)
    components = np.array(model["components"]).T  # d×k
    spark = load("spark_components.f64").reshape(d, k)
    scale = np.abs(spark).max(axis=0)
    # Spark's signs, column by column: no alignment.
    assert model["sign_rule"] == "spark-dgesdd"
    flipped = np.flatnonzero(np.sum(components * spark, axis=0) < 0)
    assert flipped.size == 0, f"components {flipped.tolist()} have the opposite sign to Spark's"
    assert np.all(np.abs(components - spark).max(axis=0) <= 1e-4 * scale)
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1] for line in stdout.splitlines() if ":" in line}
    printed = ast.literal_eval(lines["Explained variance (first 10)"].strip())
    np.testing.assert_allclose(printed, spark_ev[:10], rtol=0, atol=1e-6)
    assert abs(float(lines["Cumulative explained variance"]) - spark_ev.sum()) <= 1e-6


@pytest.mark.parametrize("center", [False, True])
def test_transform_matches_spark_or_sklearn(case, center):
    model, _ = fit(case, *(["--center"] if center else []))
    n, d, k = case["n"], case["d"], case["k"]
    out = case["root"] / f"projected-{center}"
    model_path = case["root"] / ("MODEL-center.json" if center else "MODEL.json")
    run_imgfeat("pca", "transform", case["folder"], "--model", model_path, "--output", out)
    table = pq.read_table(sorted(out.glob("*.parquet")))
    order = np.argsort(np.array(table.column("path").to_pylist()))
    got = np.array(table.column("pca_features").to_pylist())[order]
    assert got.shape == (n, k)
    oracle = "sklearn" if center else "spark"
    expected = load(f"{oracle}_projection.f64").reshape(n, k)
    if center:  # scikit-learn picks its own signs (svd_flip); Spark's are compared as they are
        theirs = load("sklearn_components.f64").reshape(d, k)
        expected = expected * np.where(np.sum(np.array(model["components"]).T * theirs, axis=0) < 0, -1.0, 1.0)
    assert np.all(np.abs(got - expected).max(axis=0) <= 1e-4 * np.abs(expected).max(axis=0))


def test_impossible_k_is_refused_with_the_cause(case):
    proc = run_imgfeat("pca", "fit", case["folder"], "--k", case["d"] + 1, "--model",
                       case["root"] / "never.json", check=False)
    assert proc.returncode != 0
    assert f"k = {case['d'] + 1}" in proc.stdout + proc.stderr
    assert not (case["root"] / "never.json").exists()


def test_fit_on_the_device_matches_spark_up_to_sign(case):
    """`pca fit --device vulkan` (lavapipe in CI): the subspace iteration on the device, Spark's values,
    Spark's components up to sign, each with its largest-magnitude entry positive (docs/PCA.md)."""
    model, stdout = fit(case, "--device", "vulkan", name="MODEL-vulkan.json")
    d, k = case["d"], case["k"]
    assert model["method"] == "vulkan-subspace-iteration" and model["sign_rule"] == "largest-abs-entry-positive"
    assert model["fitted_on"] != "host" and f"fitted on {model['fitted_on']} by vulkan-subspace-iteration" in stdout
    np.testing.assert_allclose(model["explained_variance"], load("spark_explained_variance.f64"), rtol=0, atol=1e-6)
    components = np.array(model["components"]).T
    spark = load("spark_components.f64").reshape(d, k)
    signs = np.where(np.sum(components * spark, axis=0) < 0, -1.0, 1.0)
    assert np.all(np.abs(components - spark * signs).max(axis=0) <= 1e-4 * np.abs(spark).max(axis=0))
    largest = components[np.argmax(np.abs(components), axis=0), np.arange(k)]
    assert np.all(largest > 0), f"components whose largest entry is negative: {np.flatnonzero(largest <= 0).tolist()}"


def test_device_cpu_is_the_default_lapack_fit(case):
    default, _ = fit(case)
    cpu, stdout = fit(case, "--device", "cpu", name="MODEL-cpu.json")
    assert cpu == default and cpu["method"] == "lapack-dgesdd" and cpu["fitted_on"] == "host"
    assert "fitted on host by lapack-dgesdd" in stdout


def test_unknown_device_is_refused(case):
    proc = run_imgfeat("pca", "fit", case["folder"], "--model", case["root"] / "never.json", "--device", "tpu",
                       check=False)
    assert proc.returncode != 0 and "tpu" in proc.stderr and not (case["root"] / "never.json").exists()
