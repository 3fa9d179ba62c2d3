"""bench/vulkan_bench.py's report and its parsing of `imgfeat bench --json`, `pca fit` models and featurize
summaries, on hand-made step records (no GPU, no imgfeat): the numbers the GPU kit brings back must be read
right the first time, and a run cut short at any step must still give a report."""
import argparse
import json
import pathlib
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import vulkan_report  # noqa: E402
import vulkan_report_tuning as tuning  # noqa: E402
import vulkan_steps  # noqa: E402

FACTS = dict(vulkan_device="NVIDIA H200", vulkan_kind="discrete GPU", cpu="Xeon", cores=16, date="today")
PLAN = dict(big=256, fused_batch=256, fused_precisions=["fp32", "fp16"], rounds=1, repeats=3, scaled="")


def profile(images, stages):
    network = sum(ms for name, ms in stages if name not in ("upload", "download"))
    return dict(images=images, batches=1, uploadMilliseconds=0.5, preprocessMilliseconds=0, networkMilliseconds=network,
                downloadMilliseconds=0.1, networkGFLOPs=100.0, wallSeconds=0.02,
                stages=[dict(name=n, milliseconds=ms) for n, ms in stages])


def imgfeat_step(precision, batch, fused, stages, seconds=(0.02, 0.02, 0.03), paths=("coopmat",)):
    engine = dict(name="vulkan: H200", precision=precision, batch=batch, networkSeconds=list(seconds), agreement=1e-7,
                  pixelsInSeconds=list(seconds), networkProfile=profile(batch, stages),
                  pixelsInProfile=profile(batch, stages), fastPaths=list(paths), selfCheck="passed")
    label = f"imgfeat vulkan {precision} b{batch}" + (f" fused={fused}" if fused != "auto" else "")
    return dict(label=label, kind="imgfeat", ok=True, seconds=5.0, precision=precision, batch=batch, coopmat=True,
                fused=fused, name="imgfeat", baseline=False,
                result=dict(images=batch, threads=16, decodeSeconds=[0.01, 0.02, 0.03], engines=[engine]))


PER_LAYER = [("upload", 0.5), ("Conv1", 2.0), ("expanded_conv_depthwise", 1.0), ("expanded_conv_project", 1.0),
             ("block_1_expand", 2.0), ("block_1_depthwise", 3.0), ("block_1_project", 1.0), ("Conv_1 + pool", 2.0)]
FUSED = [("upload", 0.5), ("Conv1", 2.0), ("expanded_conv", 1.5), ("block_1", 3.0), ("Conv_1 + pool", 2.0)]


def test_a_run_cut_short_before_any_row_still_reports():
    for steps in ([], [dict(label="kernel check", kind="kernelcheck", ok=False, why="skipped: time budget spent")]):
        report = vulkan_report.build(dict(FACTS), PLAN, steps, "bash run.sh")
        assert "Against issue 17's targets" in report
        assert "network fp16 at batch 256: — img/s" in report


def test_fused_blocks_are_compared_block_by_block():
    steps = [imgfeat_step("fp32", 256, "auto", FUSED), imgfeat_step("fp32", 256, "off", PER_LAYER),
             imgfeat_step("fp32", 256, "on", FUSED)]
    rows = {row[0]: row for row in tuning.fused_rows(steps, "fp32", 256)}
    # Per image: the three layers of block_1 take (2 + 3 + 1) / 256 ms per-layer, the fused block 3 / 256.
    assert rows["block_1"][1] == pytest.approx(6.0 / 256)
    assert rows["block_1"][2] == pytest.approx(3.0 / 256)
    assert rows["block_1"][3] == pytest.approx(0.5)
    assert rows["block_1"][4:] == ("fused", "fused", "—")
    assert rows["expanded_conv"][3] == pytest.approx(0.75)
    assert rows["Conv1"][3] == pytest.approx(1.0) and rows["Conv1"][4] == "—"
    assert "upload" not in rows
    assert rows["network"][1] == pytest.approx(12.0 / 256) and rows["network"][2] == pytest.approx(8.5 / 256)
    report = vulkan_report.build(dict(FACTS), PLAN, steps, "bash run.sh")
    assert "Fused blocks on against off, fp32, batch 256" in report
    assert "imgfeat, network only, fused off" in report
    # No rows without both sides.
    assert tuning.fused_rows(steps[:2], "fp32", 256) == []


def test_auto_that_ran_per_layer_is_named():
    steps = [imgfeat_step("fp16", 256, "auto", PER_LAYER), imgfeat_step("fp16", 256, "off", PER_LAYER),
             imgfeat_step("fp16", 256, "on", FUSED)]
    steps[0]["result"]["engines"][0]["fusedBlockTuning"] = dict(blocks=[
        dict(name="expanded_conv", fusedMilliseconds=[], layeredMilliseconds=[1.0, 1.1, 0.9], fused=False,
             layeredDepthwiseMilliseconds=[0.4, 0.5, 0.3],
             alternatives=[dict(name="vec4 4x4, 64 invocations", milliseconds=[0.3, 0.4, 0.3])],
             depthwiseAlternatives=[dict(name="vec4, 1 column per invocation", milliseconds=[0.8, 0.8, 0.8])],
             pointwise="vec4 4x4, 64 invocations"),
        dict(name="block_1", fusedMilliseconds=[2.0, 2.2, 2.1], layeredMilliseconds=[2.0, 2.1, 2.2], fused=False)])
    rows = {row[0]: row for row in tuning.fused_rows(steps, "fp16", 256)}
    assert rows["block_1"][4:] == ("fused", "per-layer", "1.00 → per-layer")
    # A block that cannot fuse but ran in another 1x1 GEMM variant, twice as fast as the default's GEMM part
    # (0.6 ms of its 1.0 per-layer; the depthwise 0.4), its depthwise alternative half as fast: said so.
    assert rows["expanded_conv"][6] == ("cannot fuse; 1x1 vec4 4x4, 64 invocations 2.00; depthwise vec4, 1 column per invocation "
                                        "0.50 → per-layer, 1x1 vec4 4x4, 64 invocations")
    assert rows["Conv1"][6] == "—"


def test_targets_read_gpu_timestamps_and_cuda_events():
    big = imgfeat_step("fp16", 256, "auto", FUSED)  # 8.5 ms of network for 256 images on the GPU
    one = imgfeat_step("fp16", 1, "auto", FUSED, seconds=(0.002, 0.001, 0.003))
    torch = dict(label="torch fp16", kind="torch", ok=True, precision="fp16", compiled=False,
                 result=dict(seconds=[0.016, 0.016, 0.017], batch=256, precision="fp16 channels_last", model="timm mobilenetv2_100"))
    ncnn = dict(label="ncnn vulkan", kind="ncnn", ok=True, vulkan=True, result=dict(seconds=[0.0015, 0.0016, 0.0014]))
    text = "\n".join(tuning.targets(PLAN, [big, one, torch, ncnn]))
    assert f"network fp16 at batch 256: {256 / 8.5e-3:.0f} img/s on the GPU's timestamps" in text
    assert f"{256 / 0.016:.0f} img/s, imgfeat/PyTorch {(256 / 8.5e-3) / (256 / 0.016):.2f}×" in text
    assert "batch-1 latency fp16: imgfeat 2.00 ms (network only, wall), ncnn Vulkan 1.50 ms" in text


def test_e2e_ceiling_separates_decode_from_device():
    summary = dict(featurized=20000, errors=0, device="vulkan: H200", imagesPerSecond=9000.0,
                   secondsPerStage=dict(decode=1.0, device=4.0, write=0.1, pca=0.0, total=2.5),
                   feeding=dict(bottleneck="device", deviceWaitedForInput=0.0, decodeWaitedForDevice=1.2, hostWaitedForDevice=1.9))
    e2e = dict(label="e2e 100x100", kind="e2e", ok=True, seconds=2.5, width=100, height=100, images=20000, alpha="1.0",
               result=summary)
    text = "\n".join(tuning.ceiling_section(PLAN, [e2e, imgfeat_step("fp32", 256, "auto", FUSED)]))
    assert "| 100×100 | 20000 | 1.0 | 8000.0 | 9000.0 | 20000.0 | 5000.0 | device |" in text
    assert f"{256 / 0.02:.1f} img/s (median)" in text
    assert "bottleneck device" in "\n".join(tuning.targets(PLAN, [e2e]))


def model(path, ev, components, fitted_on=None, method="lapack-dgesdd"):
    path.write_text(json.dumps(dict(k=len(components), n=1000, dimension=len(components[0]), explained_variance=ev,
                                    components=components, fitted_on=fitted_on, method=method)))
    return str(path)


def test_pca_agreement_is_up_to_sign_and_names_the_first_component_off(tmp_path):
    session = vulkan_steps.Session(None, argparse.Namespace(out=str(tmp_path), seeds=None), {}, {}, lambda steps: None)
    host = model(tmp_path / "cpu.json", [0.5, 0.2, 0.1], [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    device = model(tmp_path / "vulkan.json", [0.5, 0.2 + 3e-7, 0.1], [[-1.0, 0.0], [0.0, 1.0], [0.6, 0.8002]],
                   fitted_on="NVIDIA H200", method="vulkan-subspace-iteration")
    session.steps = [dict(label=f"pca fit --device {d}", kind="pca", ok=True, device=d, seconds=1.0, source="e2e 100x100", k=3,
                          result=dict(model=m, n=1000, dimension=2, explained_variance=[0.5], method="x"))
                     for d, m in (("vulkan", device), ("cpu", host))]
    vulkan_steps.pca_agreement(session)
    agreement = session.steps[-1]
    assert agreement["explained_variance_max_abs"] == pytest.approx(3e-7)
    assert agreement["components_max_abs_up_to_sign"] == pytest.approx(2e-4)
    assert agreement["first_component_over_tolerance"]["component"] == 2
    text = "\n".join(tuning.pca_section(session.steps))
    assert "first component beyond 1e-4: #2" in text and "vulkan-subspace-iteration on NVIDIA H200" in text
    assert text in vulkan_report.build(dict(FACTS), PLAN, session.steps, "bash run.sh")


def test_failed_rows_say_why():
    steps = [dict(label="torch fp16", kind="torch", ok=False, why="torch 2.11.0 has no CUDA device", precision="fp16"),
             dict(label="pca fit --device vulkan", kind="pca", ok=False, device="vulkan", k=50, source="e2e 100x100",
                  why="no PCA statistics: the e2e 100x100 run failed or was skipped")]
    report = vulkan_report.build(dict(FACTS), PLAN, steps, "bash run.sh")
    assert "torch 2.11.0 has no CUDA device" in report
    assert "no PCA statistics" in report


KERNEL_CHECK = """subgroup check: ok   head_pool 13 px: error vs reference 1e-7
subgroup check: FAIL global_average_pool 127 px: error vs reference 0.5: first mismatch at 3: expected 1, got 2
subgroup check on [0] NVIDIA H200, subgroup size 32: FAILED, 1 of 2 cases within tolerance
coopmat check: ok   M 13 K 96 N 1280: error vs reference 2e-4
coopmat check on [0] NVIDIA H200: passed, 1 of 1 cases within tolerance
"""


def test_kernel_check_lines_are_read_per_kernel():
    sections = vulkan_steps.kernel_sections(KERNEL_CHECK.splitlines())
    assert sections["subgroup"]["cases"] == 2 and sections["coopmat"]["cases"] == 1
    assert sections["subgroup"]["failures"] == [KERNEL_CHECK.splitlines()[1]] and sections["coopmat"]["failures"] == []
    assert sections["coopmat"]["summary"].endswith("passed, 1 of 1 cases within tolerance")
    # An imgfeat without the subgroup check (and a device without cooperative matrices): one section.
    old = ["coopmat check on [0] llvmpipe: skipped: no cooperative matrix (llvmpipe has no VK_NV_cooperative_matrix)"]
    assert list(vulkan_steps.kernel_sections(old)) == ["coopmat"]


class FakeRunner:
    """Runs nothing: each command takes `cost` seconds of a `budget`; kernel-check reports one passing case."""

    def __init__(self, budget, cost=1.0):
        self.budget, self.cost, self.spent, self.commands = budget, cost, 0.0, []

    def left(self):
        return self.budget - self.spent

    def note(self, text):
        pass

    def run(self, label, command, timeout, env=None):
        self.spent += self.cost
        self.commands.append((label, command, env))
        out = KERNEL_CHECK if label == "kernel check" else ""
        return 0, out, "", self.cost


def gpu_session(tmp_path, budget, quick=False):
    import vulkan_bench

    args = argparse.Namespace(out=str(tmp_path), results=str(tmp_path), seeds=None, imgfeat="imgfeat", baseline=None,
                              param="p", quick=quick, rounds=None)
    plan = vulkan_bench.plan(args, cpu_device=False)
    session = vulkan_steps.Session(FakeRunner(budget), args, dict(FACTS), plan, lambda steps: None)
    session.py = "python3"
    vulkan_steps.prepare_inputs(session)
    vulkan_bench.schedule(session, plan, None)
    return session


def test_the_gpu_plan_runs_the_issues_rows_first(tmp_path):
    session = gpu_session(tmp_path, budget=10000)
    labels = [s["label"] for s in session.steps]
    assert labels[:16] == ["kernel check", "check fp32", "check fp16", "imgfeat vulkan fp32 b256", "imgfeat vulkan fp16 b256",
                           "imgfeat vulkan fp32 b256 fused=off", "imgfeat vulkan fp16 b256 fused=off",
                           "imgfeat vulkan fp32 b256 fused=on", "imgfeat vulkan fp16 b256 fused=on", "torch fp16", "ncnn vulkan",
                           "imgfeat vulkan fp32 b1", "imgfeat vulkan fp16 b1", "e2e 100x100", "pca fit --device vulkan",
                           "pca fit --device cpu"]
    assert "imgfeat vulkan fp16 b256 --no-coopmat" in labels and "torch fp16 compile" in labels
    report = vulkan_report.build(dict(FACTS), session.plan, session.steps, "bash run.sh")
    assert "Subgroup-reduction kernel check" in report and "FAILED, 1 of 2 cases" in report
    assert "the failures: subgroup check: FAIL global_average_pool 127 px" in report
    # The fused rows set the switch for their process only.
    envs = {label: env for label, _, env in session.runner.commands}
    assert envs["imgfeat vulkan fp32 b256 fused=off"]["IMGFEAT_VULKAN_FUSED_BLOCKS"] == "off"
    assert envs["imgfeat vulkan fp32 b256"]["IMGFEAT_VULKAN_FUSED_BLOCKS"] == "auto"
    assert envs["torch fp16"] is None
    assert envs["imgfeat vulkan fp16 b256 reduction=shared-memory"]["IMGFEAT_VULKAN_REDUCTION"] == "shared-memory"
    assert "IMGFEAT_VULKAN_REDUCTION" not in envs["imgfeat vulkan fp16 b256"]
    # The reference check runs once per setting, not again in round 2.
    references = [c[c.index("--reference-images") + 1] for label, c, _ in session.runner.commands
                  if label == "imgfeat vulkan fp32 b256"]
    assert references == ["2", "0"]
    # The PCA fits read the statistics the 100×100 run left (none here: the fake wrote no file).
    assert next(s for s in session.steps if s["label"] == "pca fit --device vulkan")["why"].startswith("no PCA statistics")


def test_a_short_budget_skips_the_later_rows_not_the_first(tmp_path):
    session = gpu_session(tmp_path, budget=30)
    done = [s["label"] for s in session.steps if not str(s.get("why", "")).startswith("skipped")]
    skipped = [s["label"] for s in session.steps if str(s.get("why", "")).startswith("skipped")]
    assert done[:5] == ["kernel check", "check fp32", "check fp16", "imgfeat vulkan fp32 b256", "imgfeat vulkan fp16 b256"]
    assert "torch fp16 compile" in skipped and "onnxruntime" in skipped
    report = vulkan_report.build(dict(FACTS), session.plan, session.steps, "bash run.sh")
    assert "Skipped (time budget spent)" in report
