"""The report of bench/cpu_bench.py: medians of every engine's runs in OUT/results.jsonl, the ratios
against imgfeat, GFLOP/s against the machine's SGEMM peak, as a Markdown table in OUT/report.md and in
docs/PERFORMANCE.md's `## Fast CPU` section. Run as `cpu_bench.py report OUT DOC`."""

import json
import os
import platform
import subprocess

from cpu_bench import ALPHA, BATCH, E2E_RUNS, IMAGES, RUNS, SIZE, THREADS, WRITE_DOCS


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


# (engine, what), the row's name, what it measures, and the target for imgfeat ÷ that row.
ROWS = [
    (("imgfeat-cpu", "network"), "imgfeat fast CPU engine", "network", ""),
    (("onnxruntime", "network"), "ONNX Runtime", "network", "≥ 1.25×"),
    (("tensorflow", "network"), "TensorFlow/Keras `predict`", "network", "≥ 2×"),
    (("imgfeat-cpu", "end-to-end"), "`imgfeat featurize --device cpu`", "end to end", ""),
    (("onnxruntime", "end-to-end"), "Pillow + ONNX Runtime loop", "end to end", "≥ 1.25×"),
    (("tensorflow", "end-to-end"), "the notebook's Pillow + Keras loop", "end to end", "≥ 3×"),
]


def report(out, doc):
    rows = [json.loads(line) for line in open(os.path.join(out, "results.jsonl"))]
    groups, cpu_groups, versions = {}, {}, {}
    # The network's floating-point operations per image (imgfeat's count: 2 per multiply-add of every
    # convolution; the other engines compute the same network) and the kernel set imgfeat ran.
    gflop = next((r["gflop_per_image"] for r in rows if r.get("gflop_per_image")), None)
    kernels = sorted({r["kernels"] for r in rows if r.get("kernels") and r.get("engine") == "imgfeat-cpu"})
    sgemm = [r for r in rows if r.get("engine") == "openblas-sgemm"]
    peak_runs = [x for r in sgemm for x in r["runs"]]
    peak = median(peak_runs) if peak_runs else None
    # Per CPU-second the peak and the engines are less exposed to other load on the machine.
    peak_cpu_runs = [x for r in sgemm for x in r.get("cpu_runs", [])]
    peak_cpu = median(peak_cpu_runs) if peak_cpu_runs else None
    for r in rows:
        if r.get("engine") == "openblas-sgemm":
            continue
        if (r["alpha"], r["size"], r["batch"], r["threads"]) != (ALPHA, SIZE, BATCH, THREADS):
            continue
        key = (r["engine"], r["what"])
        groups.setdefault(key, []).extend(r["runs"])
        cpu_groups.setdefault(key, []).extend(r.get("cpu_runs", []))
        if r.get("version"):
            versions[r["engine"]] = r["version"]
    nan = float("nan")

    def medians(key):
        return (median(groups[key]) if groups.get(key) else nan, median(cpu_groups[key]) if cpu_groups.get(key) else nan)

    load = open("/proc/loadavg").read().split()[0]
    cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512F: yes" if "avx512f" in flags else ("AVX2+FMA, AVX-512F: no" if "avx2" in flags else "no AVX2")
    if platform.machine() == "aarch64":
        isa = "aarch64 NEON"
    peak_text = (f"Machine SGEMM peak: {peak:.0f} GFLOP/s ({sgemm[0]['version']}, float32 {sgemm[0]['size_n']}² × "
                 f"{sgemm[0]['size_n']}² product on {THREADS} threads, median of {len(peak_runs)} runs interleaved "
                 f"with the engines; {peak_cpu or float('nan'):.0f} GFLOP per CPU-second); the network performs {gflop:.3f} GFLOP per image."
                 if peak and gflop else "Machine SGEMM peak: not measured.")
    check_path = os.path.join(out, "check.json")
    agreement = json.load(open(check_path)) if os.path.exists(check_path) else {}
    lines = [
        f"Machine: {cpu or platform.processor()}, {os.cpu_count()} cores, {isa}; Linux {platform.release()}. "
        f"MobileNetV2 alpha {ALPHA}, {SIZE}×{SIZE}, batch {BATCH}, {THREADS} threads for every engine, the same "
        f"seeded random weights (one Keras `.h5` file that Keras and imgfeat load, and an ONNX graph built from "
        f"it), {IMAGES} generated 100×100 JPEGs. imgfeat kernels: {', '.join(kernels) or '?'}. Versions: "
        + "; ".join(f"{e} {v}" for e, v in sorted(versions.items())) + ".",
        "",
        peak_text,
        "",
        f"Command: `bash bench/cpu_bench.sh` (BENCH_IMAGES={IMAGES}; network rows: one batch of {BATCH} preprocessed "
        f"images, BENCH_RUNS={RUNS} timed runs per engine and round after a warm-up; end-to-end rows: all "
        f"{IMAGES} JPEGs, BENCH_E2E_RUNS={E2E_RUNS} runs per engine and round; engines interleaved round by round; "
        f"medians over all runs). Load average when the report was written: {load} (CPU-seconds count the time "
        "all of a process's threads ran, so they are less sensitive to other load, but they also count any "
        "spin-waiting).",
        "",
        "| engine | measures | images/s (median) | ratio | images per CPU-second | ratio | target | network GFLOP/s | of SGEMM peak (wall, per CPU-s) | runs |",
        "| --- | --- | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: |",
    ]
    known = [key for key, *_ in ROWS]
    extra = [(key, key[0], key[1], "") for key in sorted(groups) if key not in known]
    for key, name, measures, target in ROWS + extra:
        if key not in groups:
            continue
        m, c = medians(key)
        ours, ours_cpu = medians(("imgfeat-cpu", key[1]))
        # GFLOP/s only where the row is the network alone; end to end it would mix in decoding.
        rate = f"{m * gflop:.0f}" if gflop and measures == "network" else ""
        share = (f"{100 * m * gflop / peak:.0f}%, {100 * c * gflop / peak_cpu:.0f}%"
                 if gflop and peak and peak_cpu and measures == "network" else "")
        lines.append(f"| {name} | {measures} | {m:.1f} | {ours / m:.2f}× | {c:.1f} | {ours_cpu / c:.2f}× | {target} "
                     f"| {rate} | {share} | {len(groups[key])} |")
    lines += [
        "",
        "ratio = imgfeat ÷ that row, network rows against imgfeat's network row and end-to-end rows against "
        "`imgfeat featurize` (above 1: imgfeat is faster); target = the issues' (#3, #20) goal for that ratio; "
        "network GFLOP/s = images/s × GFLOP per image, against the machine's SGEMM peak above (#20 asks ≥ 80% for "
        "imgfeat). "
        "Network: preprocessed 224×224 inputs in, 1280-d pooled features out. End to end: JPEG files in, "
        "Parquet (path, label, features) out. `imgfeat featurize` is timed as its whole process (start, "
        "listing, weights load, decode + resize on its threads, network, Parquet parts, PCA statistics, summary), "
        "its CPU from the child's rusage; the two Python loops are timed from the first file opened to the "
        "Parquet file written by pyarrow, with the model already loaded (as in the notebook's cell), in one "
        "process: Pillow decodes and resizes one image after another, then the batch goes through the network.",
    ]
    if agreement:
        lines += ["", f"Same computation: `imgfeat featurize`'s features equal the Pillow + ONNX Runtime loop's on all "
                      f"{agreement['images']} images within {agreement['imgfeat_vs_onnxruntime']:.1e} relative "
                      f"(max over images of max |difference| ÷ max |feature|; imgfeat's Parquet metadata names the "
                      f"weights `{agreement['imgfeat_weights']}`)"
                  + (f"; the notebook's loop equals the ONNX Runtime loop within "
                     f"{agreement['tensorflow_vs_onnxruntime']:.1e}." if "tensorflow_vs_onnxruntime" in agreement else ".")]
    table = "\n".join(lines)
    print(table)
    profile_path = os.path.join(out, "profile.txt")
    extra = ""
    if os.path.exists(profile_path) and os.path.getsize(profile_path) > 0:
        extra = "\n\nWhere imgfeat's time goes (one profiled batch; each block is expand + depthwise + project fused):\n\n" + \
            open(profile_path).read().strip()
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(table + extra + "\n")
    if WRITE_DOCS:
        write_section(doc, table + extra)
        print(f"\nwritten to the `## Fast CPU` section of {doc}")
    else:
        print(f"\nBENCH_WRITE_DOCS=0: {doc} left alone; the report is in {os.path.join(out, 'report.md')}")


def write_section(doc, body):
    """Replaces the body of `## Fast CPU` in doc (creating the file or section as needed), leaving the
    rest of the file alone."""
    text = open(doc).read() if os.path.exists(doc) else "# Performance\n"
    head = "## Fast CPU"
    generated = "<!-- generated by bench/cpu_bench.sh -->"
    start = text.find("\n" + head + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + head + "\n\n" + generated + "\n" + body + "\n" + generated + "\n"
    else:
        section_end = text.find("\n## ", start + 1)
        section = text[start:section_end if section_end >= 0 else len(text)]
        a = section.find(generated)
        b = section.find(generated, a + 1) if a >= 0 else -1
        if a >= 0 and b >= 0:
            section = section[:a] + generated + "\n" + body + "\n" + section[b:]
        else:
            section = section.rstrip("\n") + "\n\n" + generated + "\n" + body + "\n" + generated + "\n"
        text = text[:start] + section + (text[section_end:] if section_end >= 0 else "")
    with open(doc, "w") as f:
        f.write(text)
