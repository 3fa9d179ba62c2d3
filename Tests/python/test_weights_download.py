"""`--weights imagenet` downloads in the open (issue 18, point 5), against a local HTTP server that
serves a Keras-written weights file under the official name (IMGFEAT_WEIGHTS_URL points at it):
`imgfeat weights fetch` fills the cache, a second fetch finds it, `--offline` / IMGFEAT_OFFLINE=1
refuse any request, and a file that does not load as MobileNetV2 weights is not left in the cache."""
import os
import random

import pyarrow.parquet as pq
import pytest

from conftest import FIXTURES, jpeg_bytes, run_imgfeat, serve_files

GOOD = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224.h5"
BAD = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"


@pytest.fixture(scope="module")
def server():
    source = FIXTURES / "model" / GOOD
    if not source.exists():
        pytest.fail(f"{source} is missing: run scripts/fixtures/generate.sh")
    files = {f"/mirror/{GOOD}": source.read_bytes(),
             # A cut copy of a real file, served whole: the transfer succeeds, the HDF5 does not load.
             f"/mirror/{BAD}": (FIXTURES / "model" / BAD).read_bytes()[:500_000]}
    requests = []

    with serve_files(files, requests=requests) as url:
        yield {"url": f"{url}/mirror/", "requests": requests, "good": files[f"/mirror/{GOOD}"]}


def environment(home, url, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGFEAT_", "XDG_", "KERAS_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), KERAS_HOME=str(home / "keras"),
               IMGFEAT_WEIGHTS_URL=url, **extra)
    return env


def test_fetch_offline_and_a_bad_file(server, tmp_path):
    images = tmp_path / "images" / "cats"
    images.mkdir(parents=True)
    rng = random.Random(5)
    for i in range(2):
        (images / f"{i}.jpg").write_bytes(jpeg_bytes(rng, 40, 30))
    env = environment(tmp_path, server["url"])
    cached = tmp_path / "cache" / "imgfeat" / GOOD
    featurize = ["featurize", tmp_path / "images", "--weights", "imagenet", "--alpha", "0.35", "--size", "224",
                 "--device", "cpu", "--quiet"]

    # Offline with an empty cache: refused, saying how to fill it, and nothing asked of the network.
    for extra, flags in (({}, ["--offline"]), ({"IMGFEAT_OFFLINE": "1"}, [])):
        proc = run_imgfeat(*featurize, "--output", tmp_path / "never", *flags,
                           env=environment(tmp_path, server["url"], **extra), check=False)
        assert proc.returncode != 0 and "offline" in proc.stderr and "imgfeat weights fetch" in proc.stderr, proc.stderr
    assert server["requests"] == [] and not cached.exists()

    proc = run_imgfeat("weights", "fetch", "--alpha", "0.35", "--size", "224", env=env)
    assert "downloaded" in proc.stdout and str(cached) in proc.stdout, proc.stdout
    assert cached.read_bytes() == server["good"]
    assert server["requests"] == [f"/mirror/{GOOD}"]
    proc = run_imgfeat("weights", "fetch", "--alpha", "0.35", "--size", "224", env=env)
    assert "already there" in proc.stdout and len(server["requests"]) == 1

    run_imgfeat(*featurize, "--output", tmp_path / "out", "--offline", env=env)
    assert len(server["requests"]) == 1
    meta = pq.read_metadata(next((tmp_path / "out").glob("part-*.parquet"))).metadata
    assert meta[b"imgfeat.weights"].startswith(f"keras-h5:{GOOD} sha256:".encode())

    proc = run_imgfeat("weights", "fetch", "--alpha", "1.0", "--size", "224", env=env, check=False)
    assert proc.returncode != 0 and "not usable MobileNetV2 weights" in proc.stderr, proc.stderr
    assert sorted(p.name for p in (tmp_path / "cache" / "imgfeat").iterdir()) == [GOOD]
