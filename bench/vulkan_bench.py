"""Side-by-side Vulkan benchmark: imgfeat's Vulkan engine against ncnn (Vulkan and CPU), ONNX Runtime CPU and
PyTorch CUDA, on the machine's Vulkan device and CPU, in one run with the engines interleaved round by round.

Every measurement is its own process under a timeout (one that fails or hangs costs its row, which says
why, not the run); a time budget ends the run early, skipping later rounds, never the report. On a CPU
Vulkan device (lavapipe) the workloads are scaled down and the report says how. Standard library only:
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vulkan_report  # noqa: E402


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


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def why(code, stderr, timeout):
    if code is None:
        return f"timed out after {timeout:.0f} s"
    return last_line(stderr)[:200] or f"exit status {code}"


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
    """What to run, scaled to the device; `scaled` says what was cut and why."""
    if cpu_device:
        return dict(batches=[1, 8], repeats=1 if args.quick else 2, rounds=args.rounds or (1 if args.quick else 2),
                    ncnn_runs=3 if args.quick else 8, ort_batch=8, compile=False,
                    e2e=[(100, 100, 60 if args.quick else 200, "0.35"), (640, 480, 10 if args.quick else 40, "0.35")],
                    e2e_batch=16,
                    scaled="CPU Vulkan device: batches 1 and 8 only (no 64/256), %s timed runs per step, end to end at "
                           "alpha 0.35 on a few hundred images" % ("1" if args.quick else "2"))
    if args.quick:
        return dict(batches=[8, 256], repeats=3, rounds=args.rounds or 1, ncnn_runs=30, ort_batch=64, compile=False,
                    e2e=[(100, 100, 4000, None), (640, 480, 400, None)], e2e_batch=256,
                    scaled="--quick: batches 8 and 256, one round, no torch.compile, end to end on 4,000 + 400 images")
    return dict(batches=[1, 8, 64, 256], repeats=5, rounds=args.rounds or 2, ncnn_runs=50, ort_batch=64, compile=True,
                e2e=[(100, 100, 20000, None), (640, 480, 2000, None)], e2e_batch=256, scaled="")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imgfeat", required=True, help="the imgfeat binary")
    parser.add_argument("--out", required=True)
    parser.add_argument("--param", default=os.path.join(HERE, "ncnn", "mobilenet_v2.param"))
    parser.add_argument("--seeds", help="seed JPEGs for a Python without Pillow (bench/gpu/gen_jpegs.py)")
    parser.add_argument("--results", help="folder for vulkan.json, report.md and log.txt (default: --out)")
    parser.add_argument("--json-name", default="vulkan.json", help="file name of the JSON results")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--budget", type=float, help="seconds for the whole run (default on a GPU 320, --quick 100; "
                        "on a CPU Vulkan device 2400, --quick 900)")
    parser.add_argument("--docs", help="write the report into this file's generated markers")
    parser.add_argument("--command", default="python3 bench/vulkan_bench.py", help="how the run was started, for the report")
    args = parser.parse_args()
    results = args.results or args.out
    for folder in (args.out, results):
        os.makedirs(folder, exist_ok=True)
    runner = Runner(results, args.budget or 100)
    py = sys.executable or "python3"
    facts = machine_facts(runner, args.imgfeat)
    cpu_device = facts["vulkan_kind"] == "CPU"
    if not args.budget:
        runner.budget = (900 if args.quick else 2400) if cpu_device else (100 if args.quick else 320)
    p = plan(args, cpu_device)
    runner.note(f"device: {facts['vulkan_device']} ({facts['vulkan_kind']}); plan: {json.dumps(p)}")
    steps = []

    def step(label, command, timeout, parse, **row):
        """Runs one measurement; a failure becomes a row that says why."""
        if runner.left() < 10:
            steps.append(dict(label=label, ok=False, why="skipped: time budget spent"))
            return None
        code, out, err, seconds = runner.run(label, command, timeout)
        entry = dict(label=label, ok=code == 0, seconds=round(seconds, 3))
        if code == 0:
            try:
                entry["result"] = parse(out)
            except (ValueError, KeyError, OSError) as error:
                entry.update(ok=False, why=f"unreadable output: {error}")
        else:
            entry["why"] = why(code, err, timeout)
        steps.append(dict(entry, **row))
        save(results, args.json_name, facts, p, steps, args.command, runner.elapsed())
        return entry.get("result")

    # Inputs: JPEGs for imgfeat bench (as many as the largest batch), the ONNX graph of imgfeat's weights.
    images = os.path.join(args.out, "images")
    gen = os.path.join(HERE, "gpu", "gen_jpegs.py")
    seeds = ["--seeds", args.seeds] if args.seeds else []
    runner.run("jpegs", [py, gen, images, str(max(p["batches"])), "100", "100"] + seeds, 120)
    onnx = os.path.join(args.out, "mobilenet_v2_random0_1.0_224.onnx")
    code, _, err, _ = runner.run("onnx", [py, os.path.join(HERE, "vulkan_weights.py"), onnx, "--seed", "0"], 180)
    onnx_why = None if code == 0 else why(code, err, 180)
    threads = str(os.cpu_count() or 1)
    engines = os.path.join(HERE, "vulkan_engines.py")
    imgfeat_timeout = 600 if cpu_device else 180

    def imgfeat_step(precision, batch, first_round, coopmat=True):
        suffix = "" if coopmat else "-no-coopmat"
        bench_json = os.path.join(args.out, f"bench-{precision}-{batch}{suffix}.json")
        command = [args.imgfeat, "bench", images, "--device", "vulkan", "--weights", "random:0", "--precision", precision,
                   "--batch", str(batch), "--limit", str(batch), "--repeats", str(p["repeats"]),
                   "--reference-images", "2" if first_round else "0", "--json", bench_json] + ([] if coopmat else ["--no-coopmat"])
        step(f"imgfeat vulkan {precision} b{batch}{' --no-coopmat' if not coopmat else ''}", command, imgfeat_timeout,
             lambda _: json.load(open(bench_json)), kind="imgfeat", precision=precision, batch=batch, coopmat=coopmat)

    # The cooperative-matrix kernel against the plain reference on this device, before any timing; where the
    # device has it, the imgfeat rows at the smallest and largest batch run with --no-coopmat beside it.
    coopmat = kernel_check(runner, steps, args.imgfeat, 120)
    facts["coopmat"] = coopmat

    # imgfeat's Vulkan features against ONNX Runtime on the same weights, before any timing.
    for precision in ("fp32", "fp16"):
        if onnx_why:
            steps.append(dict(label=f"check {precision}", ok=False, why=f"no ONNX graph: {onnx_why}", kind="check",
                              precision=precision))
            continue
        step(f"check {precision}", [py, engines, "check", "--imgfeat", args.imgfeat, "--onnx", onnx, "--images", images,
                                    "--precision", precision, "--count", "4" if cpu_device else "8"],
             imgfeat_timeout, lambda out: json.loads(last_line(out)), kind="check", precision=precision)

    for round_index in range(p["rounds"]):
        runner.note(f"== round {round_index + 1} of {p['rounds']}")
        first = round_index == 0
        for batch in p["batches"]:
            for precision in ("fp32", "fp16"):
                imgfeat_step(precision, batch, first)
                if coopmat and batch in (min(p["batches"]), max(p["batches"])):
                    imgfeat_step(precision, batch, first, coopmat=False)
        for vulkan in (True, False):
            step(f"ncnn {'vulkan' if vulkan else 'cpu'}", [py, engines, "ncnn", "--param", args.param, "--threads", threads,
                                                          "--runs", str(p["ncnn_runs"])] + (["--vulkan"] if vulkan else []),
                 240 if cpu_device else 90, lambda out: json.loads(last_line(out)), kind="ncnn", vulkan=vulkan)
        if onnx_why:
            steps.append(dict(label="onnxruntime", ok=False, why=f"no ONNX graph: {onnx_why}", kind="ort"))
        else:
            step("onnxruntime", [py, engines, "ort", "--onnx", onnx, "--batch", str(p["ort_batch"]), "--threads", threads,
                                 "--runs", str(p["repeats"] + 1)], 300, lambda out: json.loads(last_line(out)), kind="ort")
        torch_variants = [("fp32", False), ("fp16", False)] + ([("fp16", True)] if p["compile"] and first else [])
        for precision, compiled in torch_variants:
            # torch.compile counts only if it finishes within a minute (plus the measurement).
            step(f"torch {precision}{' compile' if compiled else ''}",
                 [py, engines, "torch", "--batch", "256", "--precision", precision, "--runs", "10"] +
                 (["--compile"] if compiled else []), 90 if compiled else 120,
                 lambda out: json.loads(last_line(out)), kind="torch")
        if first:
            rate = measured_rate(steps, max(p["batches"]))
            for width, height, count, alpha in p["e2e"]:
                # Never more images than about a minute of imgfeat's measured pixels-in rate takes.
                if rate and not alpha and count > max(500, int(rate * 60)):
                    runner.note(f"e2e {width}x{height}: {count} images would take {count / rate:.0f} s at the measured "
                                f"{rate:.0f} img/s; using {max(500, int(rate * 60))}")
                    count = max(500, int(rate * 60))
                e2e(runner, step, steps, py, gen, seeds, args, width, height, count, alpha, p["e2e_batch"])

    report = save(results, args.json_name, facts, p, steps, args.command, runner.elapsed())
    print("\n" + report)
    if args.docs:
        vulkan_report.write_docs(args.docs, report)
    runner.note(f"vulkan_bench: done in {runner.elapsed():.0f}s")


def save(folder, json_name, facts, plan, steps, command, elapsed):
    """Writes the JSON results and the report as they stand; returns the report."""
    facts["load_average_at_end"] = round(os.getloadavg()[0], 2)
    report = vulkan_report.build(facts, plan, steps, command)
    header = ["device", "engine", "precision", "batch", "images_per_second", "ms_per_batch", "agreement", "runs", "note"]
    table = [dict(zip(header, row)) for row in vulkan_report.engine_rows(facts, steps)]
    for name, text in ((json_name, json.dumps(dict(machine=facts, plan=plan, table=table, steps=steps,
                                                   elapsed_seconds=round(elapsed, 1)), indent=1)),
                       ("report.md", report)):
        with open(os.path.join(folder, name + ".tmp"), "w") as f:
            f.write(text)
        os.replace(os.path.join(folder, name + ".tmp"), os.path.join(folder, name))
    return report


def kernel_check(runner, steps, imgfeat, timeout):
    """Runs `imgfeat kernel-check` (every case one line, then a summary); True when the device ran the
    cooperative-matrix kernel (passed or not), False when it has none or the check could not run."""
    code, out, err, seconds = runner.run("kernel check", [imgfeat, "kernel-check"], timeout)
    lines = [l for l in out.strip().splitlines() if l.strip()]
    summary = lines[-1] if lines else why(code, err, timeout)
    failures = [l for l in lines if " FAIL " in f" {l} "]
    skipped = "skipped: no cooperative matrix" in summary
    steps.append(dict(label="kernel check", kind="kernelcheck", ok=code == 0, seconds=round(seconds, 3), summary=summary,
                      cases=len(lines) - 1 if lines else 0, failures=failures, skipped=skipped,
                      **({} if code == 0 else {"why": summary if code is not None else why(code, err, timeout)})))
    runner.note(f"kernel check: {summary}")
    return bool(lines) and not skipped and code is not None


def measured_rate(steps, batch):
    """imgfeat's fp32 decoded-pixels-in images per second at `batch` in the steps so far, or None."""
    for s in steps:
        if s.get("kind") == "imgfeat" and s.get("ok") and s["precision"] == "fp32" and s["batch"] == batch:
            times = sorted(t for e in s["result"]["engines"] for t in e.get("pixelsInSeconds") or [])
            if times and s.get("coopmat", True):
                return batch / times[len(times) // 2]
    return None


def e2e(runner, step, steps, py, gen, seeds, args, width, height, count, alpha, batch):
    """`imgfeat featurize --device vulkan` over `count` generated JPEGs, timed as a whole process."""
    row = dict(kind="e2e", width=width, height=height, images=count, alpha=alpha or "1.0", batch=batch)
    label = f"e2e {width}x{height}"
    folder = os.path.join(args.out, f"e2e-{width}x{height}")
    code, _, err, _ = runner.run("jpegs", [py, gen, folder, str(count), str(width), str(height)] + seeds, 300)
    if code != 0:
        steps.append(dict(row, label=label, ok=False, why=f"no JPEGs: {why(code, err, 300)}"))
        return
    output = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"imgfeat-e2e-{os.getpid()}-{width}x{height}")
    command = [args.imgfeat, "featurize", folder, "--output", output, "--device", "vulkan", "--weights", "random:0",
               "--batch", str(batch), "--quiet"] + (["--alpha", alpha] if alpha else [])

    def parse(_):
        summary = json.load(open(os.path.join(output, "_summary.json")))
        subprocess.run(["rm", "-rf", output])
        return summary

    subprocess.run(["rm", "-rf", output])
    step(label, command, 600, parse, **row)


if __name__ == "__main__":
    main()
