"""The parts of bench/vulkan_bench.py's report that tuning reads: the issue's targets against what was measured,
fused inverted-residual blocks on against off block by block, `imgfeat pca fit` on the device against the host,
and the host-side ceiling of the end-to-end runs (decode against device). Every part takes whatever steps
there are: a run cut short, or one whose imgfeat lacks a row, gives fewer lines, never an error."""

import statistics

# Issue 17's targets on an H100/H200-class GPU.
NETWORK_TARGETS = {"fp16": 30000, "fp32": 12000}
E2E_TARGET = 10000


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, spec="%.1f"):
    return "—" if value is None else spec % value


def rate(value):
    """Images per second: whole numbers from 100 on, one decimal below (a CPU driver's rates)."""
    return fmt(value, "%.0f" if value is not None and value >= 100 else "%.1f")


def imgfeat_steps(steps, precision, batch, fused="auto", coopmat=True):
    """imgfeat's successful rows at one setting (the default reduction)."""
    return [s for s in steps if s.get("kind") == "imgfeat" and s.get("ok") and not s.get("baseline")
            and s.get("precision") == precision and s.get("batch") == batch and s.get("fused", "auto") == fused
            and s.get("coopmat", True) == coopmat and not s.get("reduction")]


def engines(found):
    return [e for s in found for e in s["result"].get("engines", [])]


def gpu_rate(found):
    """Images per second of the network alone from the GPU timestamps (network-only profile), median."""
    rates = [p["images"] / (p["networkMilliseconds"] / 1e3) for e in engines(found)
             for p in [e.get("networkProfile")] if p and p.get("networkMilliseconds")]
    return median(rates)


def wall_seconds(found, key="networkSeconds"):
    return median([t for e in engines(found) for t in e.get(key) or []])


def peer_seconds(steps, kind, **match):
    found = [s for s in steps if s.get("kind") == kind and s.get("ok") and all(s.get(k) == v for k, v in match.items())]
    return median([t for s in found for t in s["result"]["seconds"]]), found


def targets(plan, steps):
    """One line per target of the issue, with what this run measured (— where the row is missing)."""
    big, lines = plan.get("big", 256), []
    torch_fp16, torch_found = peer_seconds(steps, "torch", precision="fp16", compiled=False)
    torch_rate = 256 / torch_fp16 if torch_fp16 else None
    for precision in ("fp16", "fp32"):
        found = imgfeat_steps(steps, precision, big)
        gpu, wall = gpu_rate(found), wall_seconds(found)
        line = (f"- network {precision} at batch {big}: {rate(gpu)} img/s on the GPU's timestamps, "
                f"{rate(big / wall if wall else None)} img/s wall (tensor upload and feature download included); "
                f"target ≥ {NETWORK_TARGETS[precision]:,}")
        if precision == "fp16":
            model = torch_found[0]["result"].get("model", "") if torch_found else ""
            ratio = gpu / torch_rate if gpu and torch_rate else None
            line += (f"; PyTorch fp16 channels_last eager ({model or 'not measured'}, CUDA events, batch 256): "
                     f"{rate(torch_rate)} img/s, imgfeat/PyTorch {fmt(ratio, '%.2f')}× (target ≥ 1)")
        lines.append(line)
    ncnn, _ = peer_seconds(steps, "ncnn", vulkan=True)
    for precision in ("fp32", "fp16"):
        wall = wall_seconds(imgfeat_steps(steps, precision, 1))
        lines.append(f"- batch-1 latency {precision}: imgfeat {fmt(wall and wall * 1e3, '%.2f')} ms (network only, wall), "
                     f"ncnn Vulkan {fmt(ncnn and ncnn * 1e3, '%.2f')} ms (its default precision); target: imgfeat ≤ ncnn")
    for precision in plan.get("fused_precisions", ["fp32"]):
        batch = plan.get("fused_batch", big)
        on, off = (gpu_rate(imgfeat_steps(steps, precision, batch, fused=f)) for f in ("on", "off"))
        lines.append(f"- fused blocks {precision} at batch {batch}: on {rate(on)} img/s, off {rate(off)} img/s "
                     f"(GPU timestamps), on/off {fmt(on / off if on and off else None, '%.2f')}×")
    for s in steps:
        if s.get("kind") == "e2e" and s.get("width") == 100:
            summary = s.get("result") or {}
            measured = summary["featurized"] / s["seconds"] if s.get("ok") else None
            bottleneck = (summary.get("feeding") or {}).get("bottleneck", "?")
            lines.append(f"- end to end 100×100 ({s['images']} JPEGs, alpha {s.get('alpha')}): {rate(measured)} img/s "
                         f"as a whole process (start-up included), {rate(summary.get('imagesPerSecond'))} img/s featurizing "
                         f"(the summary's rate), bottleneck {bottleneck if s.get('ok') else s.get('why')}; "
                         f"target ≥ {E2E_TARGET:,}")
    return lines


def block_of(stage):
    """The inverted-residual block a per-layer stage belongs to (its Keras prefix); other stages are their own."""
    for suffix in ("_expand", "_depthwise", "_project"):
        if stage.endswith(suffix):
            return stage[:-len(suffix)]
    return stage


def block_times(found):
    """{block: median GPU ms per image} over the network-only profiles of `found`, in execution order."""
    per_run = []
    for e in engines(found):
        profile = e.get("networkProfile")
        if not profile or not profile.get("images"):
            continue
        blocks = {}
        for stage in profile.get("stages", []):
            if stage["name"] in ("upload", "download", "preprocess"):
                continue
            key = block_of(stage["name"])
            blocks[key] = blocks.get(key, 0.0) + stage["milliseconds"] / profile["images"]
        per_run.append(blocks)
    order = list(dict.fromkeys(k for run in per_run for k in run))
    return {k: median([run.get(k) for run in per_run]) for k in order}


def how_ran(block, found):
    """"fused" where a profile of `found` timed the block as one stage, "per-layer" where as its layers."""
    names = {st["name"] for e in engines(found) for st in (e.get("networkProfile") or {}).get("stages", [])}
    if not names or not block.startswith(("block_", "expanded_conv")):
        return "—"
    return "fused" if block in names else "per-layer"


def tuning_record(found):
    """The fused-block tuning record the default engine measured or read from its cache (`fusedBlockTuning` of
    `imgfeat bench --json`, from imgfeat builds whose `auto` measures), or None."""
    return next((e["fusedBlockTuning"] for e in engines(found) if e.get("fusedBlockTuning")), None)


def measured_ratio(record, block):
    """The tuning's own per-layer / fused median for `block` ("cannot fuse" where it could not), then per-layer
    default / each other 1x1 GEMM variant timed, and the choice, as text."""
    entry = next((b for b in (record or {}).get("blocks", []) if b.get("name") == block), None)
    if entry is None:
        return "—"
    fused, layered = median(entry.get("fusedMilliseconds") or []), median(entry.get("layeredMilliseconds") or [])
    if not layered:
        return "—"
    parts = ["cannot fuse" if fused is None else f"{layered / fused:.2f}"]
    second = median(((entry.get("occupancyLaunch") or {}).get("milliseconds")) or [])
    if second:
        parts.append(f"fused smaller {layered / second:.2f}")
    # The variants time one part of the per-layer block: the 1x1 GEMMs (expand + project) or the depthwise.
    depthwise = median(entry.get("layeredDepthwiseMilliseconds") or [])
    gemm = median([t - d for t, d in zip(entry.get("layeredMilliseconds") or [], entry.get("layeredDepthwiseMilliseconds") or [])])
    for key, default, label in (("alternatives", gemm, "1x1"), ("depthwiseAlternatives", depthwise, "depthwise")):
        for alternative in entry.get(key) or []:
            timed = median(alternative.get("milliseconds") or [])
            if timed and default:
                parts.append(f"{label} {alternative.get('name')} {default / timed:.2f}")
    if entry.get("fused"):
        choice = "fused, smaller launch" if entry.get("runsOccupancyLaunch") else "fused"
    else:
        choice = ", ".join(["per-layer"] + [f"{label} {entry[key]}" for key, label in (("pointwise", "1x1"), ("depthwise", "depthwise"))
                                            if entry.get(key)])
    return "; ".join(parts) + f" → {choice}"


def fused_rows(steps, precision, batch):
    """(block, per-layer ms, fused ms, on/off, how `on` ran it, how the default run ran it, the default's own
    measurement) per block, then the network."""
    found = {f: imgfeat_steps(steps, precision, batch, fused=f) for f in ("off", "on", "auto")}
    off, on = block_times(found["off"]), block_times(found["on"])
    if not off or not on:
        return []
    record = tuning_record(found["auto"])
    rows = [(block, off.get(block), on.get(block), on[block] / off[block] if off.get(block) and on.get(block) else None,
             how_ran(block, found["on"]), how_ran(block, found["auto"]), measured_ratio(record, block))
            for block in dict.fromkeys(list(off) + list(on))]
    total_off, total_on = sum(v for v in off.values() if v), sum(v for v in on.values() if v)
    rows.append(("network", total_off, total_on, total_on / total_off if total_off else None, "", "", ""))
    return rows


def fused_section(plan, steps):
    lines = []
    for precision in plan.get("fused_precisions", ["fp32"]):
        batch = plan.get("fused_batch", plan.get("big", 256))
        rows = fused_rows(steps, precision, batch)
        if not rows:
            continue
        lines += [f"Fused blocks on against off, {precision}, batch {batch} (GPU ms per image from the network-only profile, "
                  "median over rounds; `on` runs a block per-layer where it does not fit; `auto` is what the default run did, "
                  "and where its imgfeat measures to choose, its own per-layer / fused ratio, per-layer / fused with the smaller "
                  "second launch, each other 1x1 GEMM variant and depthwise column count against the default's part, and decision):", "",
                  table(["block", "off: per-layer ms", "on ms", "on/off", "on ran it", "auto ran it", "auto measured"],
                        [(b, fmt(a, "%.4f"), fmt(o, "%.4f"), fmt(r, "%.2f"), h, au, m) for b, a, o, r, h, au, m in rows]), ""]
    return lines


def pca_section(steps):
    fits = [s for s in steps if s.get("kind") == "pca"]
    if not fits:
        return []
    rows = []
    for device in dict.fromkeys(s["device"] for s in fits):
        found = [s for s in fits if s["device"] == device and s.get("ok")]
        if not found:
            reason = next((s.get("why") for s in fits if s["device"] == device), "failed")
            rows.append((device, "", "", None, 0, "", reason))
            continue
        r = found[-1]["result"]
        ev = r.get("explained_variance") or []
        rows.append((device, r.get("fitted_on") or "host", r.get("method") or "?", median([s["seconds"] for s in found]),
                     len(found), f"{ev[0]:.6g} / {sum(ev):.6g}" if ev else "", r.get("note") or ""))
    r0 = next((s["result"] for s in fits if s.get("ok")), {})
    lines = [f"PCA fit on the statistics of the {fits[0].get('source')} run (`imgfeat pca fit STATS --k {fits[0].get('k')} "
             f"--device D`, n = {r0.get('n', '?')}, d = {r0.get('dimension', '?')}; whole process, Vulkan start-up included):", "",
             table(["--device", "fitted on", "method", "seconds (median)", "runs", "explained variance: first / total", "note"],
                   [(d, f, m, fmt(t, "%.2f"), n, ev, note) for d, f, m, t, n, ev, note in rows]), ""]
    for s in steps:
        if s.get("kind") == "pcaagree":
            if not s.get("ok"):
                lines += [f"PCA agreement not computed: {s.get('why')}.", ""]
                continue
            bad = s.get("first_component_over_tolerance")
            lines += [f"Device fit against host fit: explained variance max |difference| {s['explained_variance_max_abs']:.1e} "
                      f"(issue target 1e-6), components up to sign max |difference| {s['components_max_abs_up_to_sign']:.1e} "
                      f"(target 1e-4)" + (f"; first component beyond 1e-4: #{bad['component']} ({bad['error']:.1e})" if bad else "")
                      + f"; device fit by {s.get('device_method')} on {s.get('device_fitted_on') or 'host'}.", ""]
    return lines


def ceiling_section(plan, steps):
    """Whether the decode or the device bounds the end-to-end runs."""
    rows = []
    for s in steps:
        if s.get("kind") != "e2e" or not s.get("ok"):
            continue
        summary = s["result"]
        t, n = summary.get("secondsPerStage", {}), summary.get("featurized", 0)
        feeding = summary.get("feeding") or {}

        def per(seconds):
            return n / seconds if seconds else None

        rows.append((f"{s['width']}×{s['height']}", n, s.get("alpha"), per(s["seconds"]), summary.get("imagesPerSecond"),
                     per(t.get("decode")), per(t.get("device")), feeding.get("bottleneck", "?"),
                     f"device waited {fmt(feeding.get('deviceWaitedForInput'))} s for input, decode waited "
                     f"{fmt(feeding.get('decodeWaitedForDevice'))} s for the device, host on fences "
                     f"{fmt(feeding.get('hostWaitedForDevice'))} s"))
    if not rows:
        return []
    lines = [f"Host-side ceiling of the end-to-end runs (target {E2E_TARGET:,} img/s at 100×100): decode-only is the "
             "images over the decode stage's own seconds (fetch + JPEG decode on all cores, pixels kept for the device's "
             "resize; batches one after another), device stage the images over the seconds spent submitting and waiting:", "",
             table(["JPEGs", "images", "alpha", "process img/s", "featurize img/s", "decode-only img/s", "device stage img/s",
                    "bottleneck", "waits"], [(j, n, a, fmt(p), fmt(f), fmt(d), fmt(v), b, w) for j, n, a, p, f, d, v, b, w in rows]), ""]
    found = imgfeat_steps(steps, "fp32", plan.get("big", 256))
    decode = [d for s in found for d in [s["result"].get("decodeSeconds")] if d]
    if decode:
        images = found[0]["result"].get("images")
        lines += [f"`imgfeat bench`'s decode + resize + scale on the host (the CPU engines' input at 224, {images} 100×100 "
                  f"JPEGs, {found[0]['result'].get('threads')} threads): {fmt(images / median([t for d in decode for t in d]))} "
                  "img/s (median).", ""]
    return lines


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
