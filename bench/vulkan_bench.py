"""Side-by-side Vulkan benchmark: imgfeat's Vulkan engine against ncnn (Vulkan and CPU), ONNX Runtime CPU and
PyTorch CUDA, on the machine's Vulkan device and CPU, in one run with the engines interleaved round by round;
with fused inverted-residual blocks on against off, `imgfeat pca fit` on the device against the host, and
end-to-end `imgfeat featurize` runs with their decode and device stage times.

Every measurement is its own process under a timeout (one that fails or hangs costs its row, which says
why, not the run); a time budget ends the run early, skipping what is left, never the report. What the
issue's targets need runs first (the kernel check, the agreement checks, imgfeat at the largest batch with
fused blocks by default / off / on, PyTorch fp16 eager, ncnn and imgfeat at batch 1, the 100×100 end-to-end
run and the PCA fits on its statistics), then the other rows, then further rounds of the first ones. On a
CPU Vulkan device (lavapipe) the workloads are scaled down and the report says how. Standard library only:
the engines' own packages are imported by their processes (bench/vulkan_engines.py), so a bare Python
runs the driver and the rows of what is missing say so.

  python3 bench/vulkan_bench.py --imgfeat BIN --out DIR [--quick] [--rounds N] [--budget S] [--docs FILE]
Writes vulkan.json, report.md and log.txt to --results (default DIR), the first two again after every step so
that a run cut short still leaves what it measured; with --docs, the report between the generated
markers of that file's `## Vulkan` section.
"""

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vulkan_report  # noqa: E402
import vulkan_steps as steps  # noqa: E402


class Runner:
    """Runs steps as subprocesses with timeouts, logs them, and keeps the time budget."""

    def __init__(self, results, budget):
        self.budget, self.start = budget, time.monotonic()
        self.log = open(os.path.join(results, "log.txt"), "w")

    def elapsed(self):
        return time.monotonic() - self.start

    def left(self):
        return self.budget - self.elapsed()

    def note(self, text):
        print(text, flush=True)
        self.log.write(text + "\n")
        self.log.flush()

    def run(self, label, command, timeout, env=None):
        """(returncode or None on timeout, stdout, stderr, seconds); the whole process group dies on timeout."""
        timeout = max(5, min(timeout, self.left()))
        self.note(f"[{self.elapsed():6.1f}s] {label}: {' '.join(command)}")
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=env, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
            code = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            code = None
        seconds = time.monotonic() - start
        self.log.write(stdout + stderr + f"-- {label}: {'timed out after %.0fs' % timeout if code is None else 'exit %d' % code}"
                       f" in {seconds:.1f}s\n")
        self.log.flush()
        return code, stdout, stderr, seconds


def machine_facts(runner, imgfeat):
    facts = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": os.cpu_count(),
             "load_average_at_start": round(os.getloadavg()[0], 2),
             "kernel": platform.release(), "python": platform.python_version()}
    try:
        facts["cpu"] = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        facts["cpu"] = platform.processor() or "unknown"
    code, out, _, _ = runner.run("nvidia-smi", ["sh", "-c", "nvidia-smi --query-gpu=name,driver_version,memory.total "
                                                "--format=csv,noheader 2>/dev/null || true"], 30)
    if out.strip():
        facts["gpu"] = out.strip()
    code, out, err, _ = runner.run("devices", [imgfeat, "devices"], 60)
    facts["devices"] = (out + err).strip()
    # "--device vulkan uses [i] NAME", and that device's "[i] NAME (KIND)" line.
    chosen = re.search(r"--device vulkan uses \[(\d+)\] (.*?)(?: \(choose another.*)?$", out, re.M)
    facts["vulkan_device"], facts["vulkan_kind"] = None, None
    if code == 0 and chosen:
        facts["vulkan_device"] = chosen.group(2).strip()
        # DeviceInfo.summary's first line: "[i] NAME (KIND)".
        kind = re.search(r"^\[%s\] .* \((discrete GPU|integrated GPU|virtual GPU|CPU|other)\)$" % chosen.group(1), out, re.M)
        facts["vulkan_kind"] = kind.group(1).strip() if kind else None
        driver = re.search(r"^\[%s\] .*\n\s+driver: (.*)$" % chosen.group(1), out, re.M)
        facts["vulkan_driver"] = driver.group(1).strip() if driver else None
    return facts


def plan(args, cpu_device):
    """What to run, scaled to the device, and each kind of step's timeout; `scaled` says what was cut and why."""
    if cpu_device:
        quick = args.quick
        return dict(big=8, extra_batches=[], repeats=1 if quick else 2, rounds=args.rounds or (1 if quick else 2),
                    fused_batch=1, fused_precisions=["fp32"], ncnn_runs=3 if quick else 8, ort_batch=8, compile=False,
                    check_count=4, e2e=[(100, 100, 60 if quick else 200, "0.35"), (640, 480, 10 if quick else 40, "0.35")],
                    e2e_batch=16, pca_k=4, kernel_timeout=120, check_timeout=600, imgfeat_timeout_first=600,
                    imgfeat_timeout=600, ncnn_timeout=240, torch_timeout=120, torch_compile_timeout=150, e2e_timeout=600,
                    pca_timeout=600,
                    scaled="CPU Vulkan device: batches 1 and 8 only (no 64/256), fused on/off at batch 1 fp32, %s timed run(s) "
                           "per step, end to end at alpha 0.35 on a few hundred images, PCA fits of k = 4 (the device's "
                           "subspace iteration at k = 50 takes minutes on lavapipe)" % ("1" if quick else "2"))
    gpu = dict(big=256, fused_batch=256, fused_precisions=["fp32", "fp16"], ort_batch=64, check_count=8, e2e_batch=256,
               pca_k=50, kernel_timeout=90, check_timeout=120, imgfeat_timeout_first=150, imgfeat_timeout=90,
               ncnn_timeout=60, torch_timeout=120, torch_compile_timeout=120, e2e_timeout=120, pca_timeout=90)
    if args.quick:
        return dict(gpu, extra_batches=[], repeats=3, rounds=args.rounds or 1, ncnn_runs=50, compile=False,
                    e2e=[(100, 100, 4000, None), (640, 480, 400, None)],
                    scaled="--quick: batches 1 and 256, one round, no torch.compile, end to end on 4,000 + 400 images")
    return dict(gpu, extra_batches=[8, 64], repeats=5, rounds=args.rounds or 2, ncnn_runs=100, compile=True,
                e2e=[(100, 100, 40000, None), (640, 480, 2000, None)], scaled="")


def core(session, plan, baseline):
    """The rows the issue's targets compare, in their order of importance; run again in every later round."""
    s, big = session, plan["big"]
    for precision in ("fp32", "fp16"):
        if baseline and precision == "fp32":
            steps.imgfeat_bench(s, precision, big, baseline=True)
        steps.imgfeat_bench(s, precision, big)
    # Fused inverted-residual blocks forced on and off beside the default (auto: measured per block on GPUs,
    # layer by layer on CPU drivers).
    for fused in ("off", "on"):
        for precision in plan["fused_precisions"]:
            steps.imgfeat_bench(s, precision, plan["fused_batch"], fused=fused)
    steps.torch(s, "fp16")
    steps.ncnn(s, vulkan=True)
    for precision in ("fp32", "fp16"):
        if baseline and precision == "fp32":
            steps.imgfeat_bench(s, precision, 1, baseline=True)
        steps.imgfeat_bench(s, precision, 1)


def schedule(s, p, baseline):
    """Every step of the run, most important first, so that a run cut short keeps what matters."""
    steps.kernel_check(s, p["kernel_timeout"])
    steps.checks(s, p["check_timeout"])
    s.runner.note(f"== round 1 of {p['rounds']}")
    core(s, p, baseline)
    (width, height, count, alpha), batch = p["e2e"][0], p["e2e_batch"]
    statistics = steps.e2e(s, width, height, count, alpha, batch)
    source = f"e2e {width}x{height}"
    for device in ("vulkan", "cpu"):
        steps.pca_fit(s, statistics, device, source)
    steps.pca_agreement(s)
    # Then the rows that say more about the engine than the targets do.
    if s.coopmat:
        for batch in (p["big"], 1):
            for precision in ("fp32", "fp16"):
                steps.imgfeat_bench(s, precision, batch, coopmat=False)
    # The pools' reduction forced to shared memory beside the default (subgroup arithmetic where the device has it).
    for precision in ("fp32", "fp16"):
        steps.imgfeat_bench(s, precision, p["big"], reduction="shared-memory")
    steps.torch(s, "fp32")
    width, height, count, alpha = p["e2e"][1]
    steps.e2e(s, width, height, count, alpha, p["e2e_batch"])
    for batch in p["extra_batches"]:
        for precision in ("fp32", "fp16"):
            if baseline and precision == "fp32":
                steps.imgfeat_bench(s, precision, batch, baseline=True)
            steps.imgfeat_bench(s, precision, batch)
    steps.ncnn(s, vulkan=False)
    steps.onnxruntime(s)
    if p["compile"]:
        if s.runner.left() < p["torch_compile_timeout"] + 30:
            s.skip("torch fp16 compile", f"skipped: time budget spent (torch.compile needs up to "
                   f"{p['torch_compile_timeout']} s)", kind="torch", precision="fp16", compiled=True)
        else:
            steps.torch(s, "fp16", compiled=True)
    for round_index in range(1, p["rounds"]):
        s.runner.note(f"== round {round_index + 1} of {p['rounds']}")
        core(s, p, baseline)
        for device in ("vulkan", "cpu"):
            steps.pca_fit(s, statistics, device, source)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imgfeat", required=True, help="the imgfeat binary")
    parser.add_argument("--baseline", help="a second imgfeat binary (e.g. before a change), timed at fp32 in the same "
                        "rounds, interleaved with --imgfeat, as the rows \"imgfeat (baseline), ...\"")
    parser.add_argument("--out", required=True)
    parser.add_argument("--param", default=os.path.join(HERE, "ncnn", "mobilenet_v2.param"))
    parser.add_argument("--seeds", help="seed JPEGs for a Python without Pillow (bench/gpu/gen_jpegs.py)")
    parser.add_argument("--results", help="folder for vulkan.json, report.md and log.txt (default: --out)")
    parser.add_argument("--json-name", default="vulkan.json", help="file name of the JSON results")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--budget", type=float, help="seconds for the whole run (default on a GPU 400, --quick 150; "
                        "on a CPU Vulkan device 2400, --quick 900)")
    parser.add_argument("--docs", help="write the report into this file's generated markers")
    parser.add_argument("--command", default="python3 bench/vulkan_bench.py", help="how the run was started, for the report")
    args = parser.parse_args()
    results = args.results or args.out
    for folder in (args.out, results):
        os.makedirs(folder, exist_ok=True)
    runner = Runner(results, args.budget or 100)
    facts = machine_facts(runner, args.imgfeat)
    cpu_device = facts["vulkan_kind"] == "CPU"
    if not args.budget:
        runner.budget = (900 if args.quick else 2400) if cpu_device else (150 if args.quick else 400)
    p = plan(args, cpu_device)
    runner.note(f"device: {facts['vulkan_device']} ({facts['vulkan_kind']}); budget {runner.budget:.0f} s; plan: {json.dumps(p)}")
    session = steps.Session(runner, args, facts, p,
                            lambda done: save(results, args.json_name, facts, p, done, args.command, runner.elapsed()))
    session.py = sys.executable or "python3"
    steps.prepare_inputs(session)
    schedule(session, p, args.baseline)
    report = save(results, args.json_name, facts, p, session.steps, args.command, runner.elapsed())
    print("\n" + report)
    if args.docs:
        vulkan_report.write_docs(args.docs, report)
    runner.note(f"vulkan_bench: done in {runner.elapsed():.0f}s")


def save(folder, json_name, facts, plan, steps, command, elapsed):
    """Writes the JSON results and the report as they stand; returns the report."""
    facts["load_average_at_end"] = round(os.getloadavg()[0], 2)
    facts["coopmat"] = any(s.get("kind") == "kernelcheck" and not s.get("skipped") and s.get("cases") for s in steps)
    header = ["device", "engine", "precision", "batch", "images_per_second", "ms_per_batch", "agreement", "runs", "note"]
    try:
        report = vulkan_report.build(facts, plan, steps, command)
        table = [dict(zip(header, row)) for row in vulkan_report.engine_rows(facts, steps)]
    except Exception:  # noqa: BLE001 - a fault in the report must not cost the measurements: the steps are saved
        report, table = "The report could not be built (the steps in the JSON results are complete):\n\n```\n" + \
            traceback.format_exc() + "```\n", []
    for name, text in ((json_name, json.dumps(dict(machine=facts, plan=plan, table=table, steps=steps,
                                                   elapsed_seconds=round(elapsed, 1)), indent=1)),
                       ("report.md", report)):
        with open(os.path.join(folder, name + ".tmp"), "w") as f:
            f.write(text)
        os.replace(os.path.join(folder, name + ".tmp"), os.path.join(folder, name))
    return report


if __name__ == "__main__":
    main()
