"""IMGFEAT_CPU_KERNELS from the command line: every kernel set this CPU runs gives the reference engine's
features through `imgfeat featurize`, a set it lacks (or an unknown name) is refused in one line, and
`imgfeat devices` says which set runs."""
import os
import re

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import make_bucket, run_imgfeat

SMALL = ["--weights", "random:3", "--alpha", "0.35", "--size", "96", "--threads", "2", "--quiet"]


def kernels_line(env):
    out = run_imgfeat("devices", env=env, check=False).stdout
    m = re.search(r"^fast CPU kernels: (\w+) \(this CPU runs ([\w, ]+);", out, re.M)
    assert m, f"no kernels line in `imgfeat devices`:\n{out}"
    return m.group(1), m.group(2).split(", ")


def features(folder):
    table = pq.read_table(folder)
    return {p: np.asarray(f, dtype=np.float32) for p, f in zip(table["path"].to_pylist(), table["features"].to_pylist())}


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    make_bucket(root, 7, seed=20, bad=False, size=(61, 47))
    return root


def test_every_supported_set_matches_the_reference(images, tmp_path):
    env = dict(os.environ)
    best, supported = kernels_line(env)
    assert best in supported and "scalar" in supported
    run_imgfeat("featurize", images, "--output", tmp_path / "reference", "--device", "reference", *SMALL, env=env)
    want = features(tmp_path / "reference")
    assert len(want) == 7
    print(f"kernel sets run: {', '.join(supported)}")
    for kernels in supported:
        env["IMGFEAT_CPU_KERNELS"] = kernels
        assert kernels_line(env)[0] == kernels
        run_imgfeat("featurize", images, "--output", tmp_path / kernels, "--device", "cpu", *SMALL, env=env)
        got = features(tmp_path / kernels)
        assert set(got) == set(want)
        for path, w in want.items():
            worst = float(np.max(np.abs(got[path] - w)) / max(float(np.max(np.abs(w))), 1e-30))
            assert worst < 1e-5, f"{kernels} on {path}: max relative difference {worst}"


@pytest.mark.parametrize("choice", ["avx512", "avx2", "neon", "sse9"])
def test_unsupported_or_unknown_set_is_refused_in_one_line(images, tmp_path, choice):
    env = dict(os.environ, IMGFEAT_CPU_KERNELS=choice)
    _, supported = kernels_line(dict(os.environ))
    if choice in supported:
        pytest.skip(f"this CPU runs {choice}")
    proc = run_imgfeat("featurize", images, "--output", tmp_path / "o", "--device", "cpu", *SMALL, env=env, check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    if choice == "sse9":
        assert lines[0].startswith("imgfeat: error: IMGFEAT_CPU_KERNELS=sse9 is not one of "), lines[0]
    else:
        need = {"avx512": "AVX-512F", "avx2": "AVX2 and FMA", "neon": "NEON (aarch64)"}[choice]
        assert lines[0] == f"imgfeat: error: IMGFEAT_CPU_KERNELS={choice} but this CPU lacks {need}", lines[0]
    assert not (tmp_path / "o" / "_SUCCESS").exists()
