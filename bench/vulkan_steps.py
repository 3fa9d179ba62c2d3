"""The measurements of bench/vulkan_bench.py, one function per kind of row. Each runs its processes through the
session's runner (a timeout each, the run's time budget), appends one step per measurement to the session's
steps (a failure or a skip is a step that says why) and saves the results after it, so a run cut short keeps
what it measured. Standard library only."""

import json
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = os.path.join(HERE, "vulkan_engines.py")
GEN = os.path.join(HERE, "gpu", "gen_jpegs.py")


def last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def why(code, stderr, timeout):
    if code is None:
        return f"timed out after {timeout:.0f} s"
    return last_line(stderr)[:200] or f"exit status {code}"


def json_line(out):
    return json.loads(last_line(out))


class Session:
    """What every measurement needs: the runner, the arguments, the plan, the steps so far and how to save them."""

    def __init__(self, runner, args, facts, plan, save):
        self.runner, self.args, self.facts, self.plan = runner, args, facts, plan
        self.steps = []
        self._save = save
        self.py = None
        self.images = os.path.join(args.out, "images")
        self.seeds = ["--seeds", args.seeds] if args.seeds else []
        self.onnx, self.onnx_why = None, "not built"
        self.coopmat = False
        self.threads = str(os.cpu_count() or 1)
        self.seen = set()

    def save(self):
        self._save(self.steps)

    def skip(self, label, reason, **row):
        self.steps.append(dict(row, label=label, ok=False, why=reason))
        self.save()

    def step(self, label, command, timeout, parse, env=None, keep_output=False, **row):
        """Runs one measurement; a failure becomes a step that says why. Returns the parsed result or None."""
        if self.runner.left() < 10:
            self.skip(label, "skipped: time budget spent", **row)
            return None
        full_env = dict(os.environ, **env) if env else None
        code, out, err, seconds = self.runner.run(label, command, timeout, env=full_env)
        entry = dict(label=label, ok=code == 0, seconds=round(seconds, 3))
        if env:
            entry["env"] = env
        if code == 0:
            try:
                entry["result"] = parse(out)
            except (ValueError, KeyError, OSError, IndexError) as error:
                entry.update(ok=False, why=f"unreadable output: {error}")
        else:
            entry["why"] = why(code, err, timeout)
        if keep_output:
            # The engine's own report (per-stage and per-block lines), for whoever tunes it next.
            entry["stdout"], entry["stderr"] = out[-20000:], err[-4000:]
        self.steps.append(dict(entry, **row))
        self.save()
        return entry.get("result")

    def first(self, key):
        """True the first time `key` is seen (the reference check runs once per setting)."""
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def prepare_inputs(session):
    """JPEGs for `imgfeat bench` (as many as the largest batch) and the ONNX graph of imgfeat's random:0 weights."""
    s = session
    s.runner.run("jpegs", [s.py, GEN, s.images, str(s.plan["big"]), "100", "100"] + s.seeds, 120)
    s.onnx = os.path.join(s.args.out, "mobilenet_v2_random0_1.0_224.onnx")
    code, _, err, _ = s.runner.run("onnx", [s.py, os.path.join(HERE, "vulkan_weights.py"), s.onnx, "--seed", "0"], 180)
    s.onnx_why = None if code == 0 else why(code, err, 180)


def kernel_sections(lines):
    """{"subgroup"|"coopmat": {cases, failures, summary}} from `imgfeat kernel-check`'s lines ("KIND check: ok|FAIL
    CASE ..." per case, then "KIND check on DEVICE...: SUMMARY"); an imgfeat without the subgroup check has one."""
    sections = {}
    for line in lines:
        match = re.match(r"(subgroup|coopmat) check(: | on )", line)
        if not match:
            continue
        section = sections.setdefault(match.group(1), dict(cases=0, failures=[], summary=None))
        if match.group(2) == ": ":
            section["cases"] += 1
            if " FAIL " in f" {line} ":
                section["failures"].append(line)
        else:
            section["summary"] = line
    return sections


def kernel_check(session, timeout):
    """`imgfeat kernel-check`: the subgroup-reduction and cooperative-matrix kernels against their references, every
    case one line, a summary per kernel; sets session.coopmat when the device ran the cooperative-matrix kernel
    (passed or not)."""
    s = session
    if s.runner.left() < 10:
        return s.skip("kernel check", "skipped: time budget spent", kind="kernelcheck")
    code, out, err, seconds = s.runner.run("kernel check", [s.args.imgfeat, "kernel-check"], timeout)
    lines = [line for line in out.strip().splitlines() if line.strip()]
    summary = lines[-1] if lines else why(code, err, timeout)
    sections = kernel_sections(lines)
    coopmat = sections.get("coopmat", dict(cases=0, failures=[], summary=None))
    skipped = "skipped: no cooperative matrix" in (coopmat["summary"] or summary)
    s.steps.append(dict(label="kernel check", kind="kernelcheck", ok=code == 0, seconds=round(seconds, 3), summary=summary,
                        cases=coopmat["cases"], failures=[f for sec in sections.values() for f in sec["failures"]],
                        skipped=skipped, sections=sections,
                        **({} if code == 0 else {"why": summary if code is not None else why(code, err, timeout)})))
    for section in sections.values():
        s.runner.note(f"kernel check: {section['summary']}")
    s.coopmat = coopmat["cases"] > 0 and not skipped and code is not None
    s.save()


def checks(session, timeout):
    """imgfeat's Vulkan features against ONNX Runtime on the same weights, fp32 and fp16."""
    s = session
    for precision in ("fp32", "fp16"):
        if s.onnx_why:
            s.skip(f"check {precision}", f"no ONNX graph: {s.onnx_why}", kind="check", precision=precision)
            continue
        s.step(f"check {precision}", [s.py, ENGINES, "check", "--imgfeat", s.args.imgfeat, "--onnx", s.onnx, "--images",
                                      s.images, "--precision", precision, "--count", str(s.plan["check_count"])],
               timeout, json_line, kind="check", precision=precision)


def imgfeat_bench(session, precision, batch, coopmat=True, fused=None, baseline=False, reduction=None):
    """`imgfeat bench --device vulkan` at one setting: network only and decoded pixels in, GPU times per stage.
    `fused`: IMGFEAT_VULKAN_FUSED_BLOCKS for this process (None: the default, auto, whatever the caller's
    environment says); `reduction`: IMGFEAT_VULKAN_REDUCTION (the pools' reduction; None: the default)."""
    s = session
    binary, name = (s.args.baseline, "imgfeat (baseline)") if baseline else (s.args.imgfeat, "imgfeat")
    suffix = ("" if coopmat else "-no-coopmat") + (f"-fused-{fused}" if fused else "") + ("-baseline" if baseline else "") \
        + (f"-reduction-{reduction}" if reduction else "")
    bench_json = os.path.join(s.args.out, f"bench-{precision}-{batch}{suffix}.json")
    reference = s.first((binary, precision, batch, coopmat, fused, reduction))
    command = [binary, "bench", s.images, "--device", "vulkan", "--weights", "random:0", "--precision", precision,
               "--batch", str(batch), "--limit", str(batch), "--repeats", str(s.plan["repeats"]),
               "--reference-images", "2" if reference else "0", "--json", bench_json] + ([] if coopmat else ["--no-coopmat"])
    label = f"{name} vulkan {precision} b{batch}" + ("" if coopmat else " --no-coopmat") + (f" fused={fused}" if fused else "") \
        + (f" reduction={reduction}" if reduction else "")
    timeout = s.plan["imgfeat_timeout_first"] if not any(x.get("kind") == "imgfeat" for x in s.steps) else s.plan["imgfeat_timeout"]
    if os.path.exists(bench_json):
        os.remove(bench_json)
    s.step(label, command, timeout, lambda _: json.load(open(bench_json)),
           env=dict({"IMGFEAT_VULKAN_FUSED_BLOCKS": fused or "auto"}, **({"IMGFEAT_VULKAN_REDUCTION": reduction} if reduction else {})),
           keep_output=True, kind="imgfeat", precision=precision, batch=batch, coopmat=coopmat, fused=fused or "auto",
           name=name, baseline=baseline, **({"reduction": reduction} if reduction else {}))


def ncnn(session, vulkan):
    s = session
    s.step(f"ncnn {'vulkan' if vulkan else 'cpu'}", [s.py, ENGINES, "ncnn", "--param", s.args.param, "--threads", s.threads,
                                                     "--runs", str(s.plan["ncnn_runs"])] + (["--vulkan"] if vulkan else []),
           s.plan["ncnn_timeout"], json_line, kind="ncnn", vulkan=vulkan)


def onnxruntime(session):
    s = session
    if s.onnx_why:
        return s.skip("onnxruntime", f"no ONNX graph: {s.onnx_why}", kind="ort")
    s.step("onnxruntime", [s.py, ENGINES, "ort", "--onnx", s.onnx, "--batch", str(s.plan["ort_batch"]), "--threads", s.threads,
                           "--runs", str(s.plan["repeats"] + 1)], 300, json_line, kind="ort")


def torch(session, precision, compiled=False):
    """PyTorch at batch 256 on CUDA (the row says why where torch or CUDA is missing)."""
    s = session
    label = f"torch {precision}{' compile' if compiled else ''}"
    # torch.compile counts only where it compiles within the step's timeout (the row says so otherwise).
    s.step(label, [s.py, ENGINES, "torch", "--batch", "256", "--precision", precision, "--runs", "20"] +
           (["--compile"] if compiled else []), s.plan["torch_compile_timeout"] if compiled else s.plan["torch_timeout"],
           json_line, kind="torch", precision=precision, compiled=compiled)


def measured_rate(steps, batch):
    """imgfeat's fp32 decoded-pixels-in images per second at `batch` in the steps so far, or None."""
    for s in steps:
        if (s.get("kind") == "imgfeat" and s.get("ok") and not s.get("baseline") and s["precision"] == "fp32"
                and s["batch"] == batch and s.get("coopmat", True) and s.get("fused") == "auto" and not s.get("reduction")):
            times = sorted(t for e in s["result"]["engines"] for t in e.get("pixelsInSeconds") or [])
            if times:
                return batch / times[len(times) // 2]
    return None


def e2e(session, width, height, count, alpha, batch):
    """`imgfeat featurize --device vulkan` over `count` generated JPEGs, timed as a whole process. Returns the
    path of the run's PCA statistics (kept for the `pca fit` rows), or None."""
    s = session
    row = dict(kind="e2e", width=width, height=height, images=count, alpha=alpha or "1.0", batch=batch)
    label = f"e2e {width}x{height}"
    if s.runner.left() < 20:
        return s.skip(label, "skipped: time budget spent", **row)
    rate = measured_rate(s.steps, s.plan["big"])
    # Never more images than about a minute of imgfeat's measured pixels-in rate takes.
    if rate and not alpha and count > max(500, int(rate * 60)):
        s.runner.note(f"{label}: {count} images would take {count / rate:.0f} s at the measured {rate:.0f} img/s; "
                      f"using {max(500, int(rate * 60))}")
        count = row["images"] = max(500, int(rate * 60))
    folder = os.path.join(s.args.out, f"e2e-{width}x{height}")
    code, _, err, _ = s.runner.run("jpegs", [s.py, GEN, folder, str(count), str(width), str(height)] + s.seeds, 300)
    if code != 0:
        return s.skip(label, f"no JPEGs: {why(code, err, 300)}", **row)
    output = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"imgfeat-e2e-{os.getpid()}-{width}x{height}")
    statistics = os.path.join(s.args.out, f"pca-statistics-{width}x{height}.bin")
    command = [s.args.imgfeat, "featurize", folder, "--output", output, "--device", "vulkan", "--weights", "random:0",
               "--batch", str(batch), "--quiet"] + (["--alpha", alpha] if alpha else [])

    def parse(_):
        summary = json.load(open(os.path.join(output, "_summary.json")))
        shutil.copyfile(os.path.join(output, "_pca-statistics.bin"), statistics)
        return summary

    shutil.rmtree(output, ignore_errors=True)
    if os.path.exists(statistics):
        os.remove(statistics)
    s.step(label, command, s.plan["e2e_timeout"], parse, **row)
    shutil.rmtree(output, ignore_errors=True)
    return statistics if os.path.exists(statistics) else None


def pca_fit(session, statistics, device, source):
    """`imgfeat pca fit STATISTICS --device DEVICE` timed as a whole process; the model is kept for the agreement."""
    s = session
    row = dict(kind="pca", device=device, k=s.plan["pca_k"], source=source)
    label = f"pca fit --device {device}"
    if not statistics:
        return s.skip(label, f"no PCA statistics: the {source} run failed or was skipped", **row)
    model = os.path.join(s.args.out, f"pca-model-{device}.json")
    if os.path.exists(model):
        os.remove(model)

    def parse(out):
        doc = json.load(open(model))
        return dict(line=last_line(out), k=doc["k"], n=doc["n"], dimension=doc["dimension"], method=doc.get("method"),
                    fitted_on=doc.get("fitted_on"), explained_variance=doc["explained_variance"], model=model)

    result = s.step(label, [s.args.imgfeat, "pca", "fit", statistics, "--k", str(s.plan["pca_k"]), "--model", model,
                            "--device", device], s.plan["pca_timeout"], parse, keep_output=True, **row)
    if result is not None:
        # A device fit that could not certify its result says so on stderr and fits with LAPACK instead.
        result["note"] = next((line for line in s.steps[-1]["stderr"].splitlines() if "instead" in line), None)
    return result


def pca_agreement(session):
    """The latest device fit against the latest host fit: explained variance and components up to sign."""
    s = session
    fits = {}
    for step in s.steps:
        if step.get("kind") == "pca" and step.get("ok"):
            fits[step["device"]] = step["result"]
    if "vulkan" not in fits or "cpu" not in fits:
        return
    try:
        device, host = (json.load(open(fits[d]["model"])) for d in ("vulkan", "cpu"))
    except (OSError, ValueError) as error:
        return s.skip("pca agreement", f"unreadable model: {error}", kind="pcaagree")
    variance = max(abs(a - b) for a, b in zip(device["explained_variance"], host["explained_variance"]))
    worst, first_bad = 0.0, None
    for i, (a, b) in enumerate(zip(device["components"], host["components"])):
        sign = 1.0 if sum(x * y for x, y in zip(a, b)) >= 0 else -1.0
        error = max(abs(x - sign * y) for x, y in zip(a, b))
        worst = max(worst, error)
        if first_bad is None and error > 1e-4:
            first_bad = dict(component=i, error=error)
    s.steps.append(dict(label="pca agreement", kind="pcaagree", ok=True, explained_variance_max_abs=variance,
                        components_max_abs_up_to_sign=worst, first_component_over_tolerance=first_bad,
                        device_fitted_on=device.get("fitted_on"), device_method=device.get("method"),
                        host_method=host.get("method"), k=host["k"], n=host["n"]))
    s.save()
