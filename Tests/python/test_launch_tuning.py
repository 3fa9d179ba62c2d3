"""The measured per-block launch choice through the binary: IMGFEAT_VULKAN_FUSED_BLOCKS=measure times every
block on lavapipe at the run's batch fused, per-layer, and per-layer in each other 1x1 GEMM variant, caches the
decisions beside the self-check verdicts (fastpaths/launches), reads them back on the next run, `imgfeat
devices` lists them, the summary says which blocks ran fused or in another variant and how that was chosen; a
corrupt record is ignored with one line; an unknown value is a one-line error."""
import json
import os
import re

from conftest import run_imgfeat

BLOCKS = ["expanded_conv"] + [f"block_{i}" for i in range(1, 17)]


def setup(tmp_path, mode="measure"):
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["IMGFEAT_VULKAN_FUSED_BLOCKS"] = mode
    images = tmp_path / "in" / "label"
    images.mkdir(parents=True)
    fixture = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "images", "baseline_100x100.jpg")
    for i in range(3):
        (images / f"{i}.jpg").write_bytes(open(fixture, "rb").read())
    common = ["featurize", tmp_path / "in", "--device", "vulkan", "--weights", "random:0", "--alpha", "0.35",
              "--size", "32", "--batch", "2"]
    return env, common


def test_measured_choice_is_cached_listed_and_summarised(tmp_path):
    env, common = setup(tmp_path)
    first = run_imgfeat(*common, "--output", tmp_path / "a", env=env)
    fast = json.loads((tmp_path / "a" / "_summary.json").read_text())["fastPaths"]
    assert fast["fusedBlockChoice"] == "measured" and fast["blocks"] == 17, fast
    assert set(fast["fusedBlocks"]) <= set(BLOCKS), fast
    assert f"fused blocks: {len(fast['fusedBlocks'])} of 17 (measured)" in first.stdout, first.stdout
    files = sorted((tmp_path / "cache" / "imgfeat" / "fastpaths" / "launches").glob("*.json"))
    assert len(files) == 1, files
    record = json.loads(files[0].read_text())
    assert [b["name"] for b in record["blocks"]] == BLOCKS and record["batch"] == 2 and record["rounds"] == 3
    assert [b["name"] for b in record["blocks"] if b["fused"]] == fast["fusedBlocks"]
    assert all(len(b["layeredMilliseconds"]) == 3 for b in record["blocks"]), record
    # lavapipe's alternatives to its defaults: the scalar GEMM with direct reads against the vec4 one, 2 depthwise
    # columns per invocation against 4, each timed for every block.
    assert record["defaultPointwise"] == "vec4 8x8, 8 invocations", record["defaultPointwise"]
    assert record["defaultDepthwise"] == "vec4, 4 columns per invocation", record["defaultDepthwise"]
    for b in record["blocks"]:
        assert [a["name"] for a in b["alternatives"]] == ["scalar 4x4, direct"] and len(b["alternatives"][0]["milliseconds"]) == 3, b
        assert [a["name"] for a in b["depthwiseAlternatives"]] == ["vec4, 2 columns per invocation"], b
        assert len(b["depthwiseAlternatives"][0]["milliseconds"]) == 3 and len(b["layeredDepthwiseMilliseconds"]) == 3, b
    variants = {b["name"]: b["pointwise"] for b in record["blocks"] if b.get("pointwise")}
    columns = {b["name"]: b["depthwise"] for b in record["blocks"] if b.get("depthwise")}
    assert fast.get("pointwiseVariants", {}) == variants and fast.get("depthwiseVariants", {}) == columns, (fast, variants, columns)
    assert ("kernel-variants" in fast["active"]) == bool(variants or columns), fast

    second = run_imgfeat(*common, "--output", tmp_path / "b", env=env)
    again = json.loads((tmp_path / "b" / "_summary.json").read_text())["fastPaths"]
    assert again["fusedBlockChoice"] == "measured, cached" and again["fusedBlocks"] == fast["fusedBlocks"], again
    assert json.loads(files[0].read_text()) == record, "a cached record is read, not measured again"
    assert "note" not in second.stderr, second.stderr

    listing = run_imgfeat("devices", env=env).stdout
    line = re.search(r"fused blocks: (\d+) of 17(?:, other kernel variants: (\d+))?, measured (\S+), "
                     r"alpha 0\.35 size 32 fp32 head fused batch 2", listing)
    assert line and int(line.group(1)) == len(fast["fusedBlocks"]) and line.group(3) == record["measuredAt"], listing
    assert int(line.group(2) or 0) == len(set(variants) | set(columns)), listing

    # A corrupt record: one line on stderr, measured again, the run succeeds and the record is replaced.
    files[0].write_text("{ not json")
    third = run_imgfeat(*common, "--output", tmp_path / "c", env=env)
    notes = [l for l in third.stderr.splitlines() if "cached launch tuning ignored" in l]
    assert len(notes) == 1 and files[0].name in notes[0], third.stderr
    assert json.loads((tmp_path / "c" / "_summary.json").read_text())["fastPaths"]["fusedBlockChoice"] == "measured"
    assert [b["name"] for b in json.loads(files[0].read_text())["blocks"]] == BLOCKS


def test_unknown_mode_is_one_line(tmp_path):
    env, common = setup(tmp_path, mode="sometimes")
    for args in (common + ["--output", tmp_path / "a"], ["devices"]):
        proc = run_imgfeat(*args, env=env, check=False)
        assert proc.returncode != 0
        errors = [l for l in proc.stderr.splitlines() if l]
        assert errors == ["imgfeat: error: IMGFEAT_VULKAN_FUSED_BLOCKS=sometimes is not one of auto, on, off, measure"], \
            proc.stderr
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
