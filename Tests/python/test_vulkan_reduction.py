"""IMGFEAT_VULKAN_REDUCTION through the binary: a forced variant reaches the Vulkan engine (the summary's
fast paths name the subgroup reductions exactly where they ran), every variant gives the same features
as the device's own choice, and an unknown value is refused in one line before any work."""
import json
import os

import numpy as np
import pyarrow.parquet as pq

from conftest import make_bucket, run_imgfeat

SMALL = ["--device", "vulkan", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--batch", "2"]


def featurize(root, out, value):
    env = dict(os.environ)
    env.pop("IMGFEAT_VULKAN_REDUCTION", None)
    if value is not None:
        env["IMGFEAT_VULKAN_REDUCTION"] = value
    run_imgfeat("featurize", root, "--output", out, *SMALL, env=env, timeout=300)
    table = pq.read_table(sorted(out.glob("part-*.parquet")))
    rows = dict(zip(table["path"].to_pylist(), (np.asarray(f, dtype=np.float64) for f in table["features"].to_pylist())))
    return rows, json.loads((out / "_summary.json").read_text())["fastPaths"]["active"]


def test_each_forced_reduction_runs_and_agrees_with_the_default(tmp_path):
    root = tmp_path / "in"
    make_bucket(root, 5, seed=41, bad=False)
    default, default_paths = featurize(root, tmp_path / "auto", None)
    assert len(default) == 5
    for value in ("subgroup", "shared-memory"):
        rows, paths = featurize(root, tmp_path / value, value)
        assert ("subgroup-reductions" in paths) == (value == "subgroup"), (value, paths)
        assert sorted(rows) == sorted(default)
        for path, features in rows.items():
            want = default[path]
            error = np.max(np.abs(features - want)) / max(np.max(np.abs(want)), 1e-30)
            assert error <= 1e-5, f"{value}: {path}: {error:.2e} relative to the default choice ({default_paths})"


def test_an_unknown_reduction_is_one_line(tmp_path):
    root = tmp_path / "in"
    make_bucket(root, 2, seed=42, bad=False)
    proc = run_imgfeat("featurize", root, "--output", tmp_path / "out", *SMALL, check=False, timeout=120,
                       env=dict(os.environ, IMGFEAT_VULKAN_REDUCTION="warp"))
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert proc.returncode == 1, proc.stderr
    assert lines == ["imgfeat: error: IMGFEAT_VULKAN_REDUCTION=warp is not one of auto, subgroup, shared-memory"], proc.stderr
    assert not (tmp_path / "out").exists()
