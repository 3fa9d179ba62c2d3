"""The Vulkan fast-path self-check through the binary: `imgfeat devices --check` runs it on lavapipe and
caches the verdicts beside the SPIR-V cache, `imgfeat devices` lists them, and a Vulkan run reports the
cached verdict and the bottleneck in summary.json."""
import json
import os
import re

from conftest import run_imgfeat


def cache_env(tmp_path):
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


def test_devices_check_caches_and_lists_verdicts(tmp_path):
    env = cache_env(tmp_path)
    before = run_imgfeat("devices", env=env).stdout
    assert "self-check: none cached yet" in before, before
    out = run_imgfeat("devices", "--check", "--alpha", "0.35", "--size", "32", env=env).stdout
    for precision in ("fp32", "fp16"):  # lavapipe stores 16 bits
        line = re.search(rf"self-check, alpha 0\.35 size 32 {precision} head fused: (.*)", out)
        assert line and "passed" in line.group(1) and "REFUSED" not in line.group(1), out
    files = sorted((tmp_path / "cache" / "imgfeat" / "fastpaths").glob("*.json"))
    assert len(files) == 2, files
    verdicts = [json.loads(f.read_text()) for f in files]
    assert {v["subject"]["precision"] for v in verdicts} == {"fp32", "fp16"}
    for v in verdicts:
        assert v["baselinePassed"] and v["failed"] == [] and v["images"] == 3
        assert 0 < v["trials"][0]["relativeError"] <= v["tolerance"], v
    # Listed again without --check: read from the cache.
    assert out.count("self-check, alpha") == run_imgfeat("devices", env=env).stdout.count("self-check, alpha") == 2


def test_vulkan_run_reports_self_check_and_bottleneck(tmp_path):
    env = cache_env(tmp_path)
    images = tmp_path / "in" / "label"
    images.mkdir(parents=True)
    fixture = next((os.path.join(root, f) for root, _, files in os.walk(os.path.dirname(__file__) + "/../Fixtures/images")
                    for f in files if f == "baseline_100x100.jpg"))
    for i in range(5):
        (images / f"{i}.jpg").write_bytes(open(fixture, "rb").read())
    common = ["featurize", tmp_path / "in", "--device", "vulkan", "--weights", "random:0", "--alpha", "0.35", "--size", "32"]
    first = run_imgfeat(*common, "--output", tmp_path / "a", env=env)
    summary = json.loads((tmp_path / "a" / "_summary.json").read_text())
    assert summary["fastPaths"]["selfCheck"] == "passed" and summary["fastPaths"]["failed"] == [], summary["fastPaths"]
    assert summary["feeding"]["bottleneck"] in ("device", "decode", "balanced")
    assert summary["feeding"]["batch"] == 16, "lavapipe's default batch (VulkanBatchRule.cpuDriverBatch)"
    assert "fast paths: " in first.stdout and "bottleneck: " in first.stdout, first.stdout
    assert "warning" not in first.stderr, first.stderr
    run_imgfeat(*common, "--output", tmp_path / "b", env=env)
    again = json.loads((tmp_path / "b" / "_summary.json").read_text())
    assert again["fastPaths"]["selfCheck"] == "passed (cached)"
