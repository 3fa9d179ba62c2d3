"""Side-by-side CPU throughput of imgfeat's fast CPU engine, TensorFlow/Keras and ONNX Runtime on the
same MobileNetV2 (same seeded random weights), the same inputs and the same thread count.

Subcommands (bench/cpu_bench.sh runs them in order):
  prepare  OUT           JPEGs (100×100, like the notebook's fruit images), the Keras model as a legacy
                         .h5 (the file imgfeat loads) and an ONNX graph built from the same weights
  tf       OUT           Keras model.predict on batches of preprocessed images (network only), and the
                         notebook's own path: Pillow open + resize + preprocess + predict (end to end)
  ort      OUT           ONNX Runtime on the same preprocessed batches (network only)
  report   OUT DOC       medians of all runs -> table on stdout and in DOC's `## Fast CPU` section
Each timing subcommand appends JSON lines to OUT/results.jsonl.
"""

import json
import os
import platform
import subprocess
import sys
import time

ALPHA = float(os.environ.get("BENCH_ALPHA", "1.0"))
SIZE = int(os.environ.get("BENCH_SIZE", "224"))
BATCH = int(os.environ.get("BENCH_BATCH", "64"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
IMAGES = int(os.environ.get("BENCH_IMAGES", "512"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SEED = 1234


def weights_path(out):
    return os.path.join(out, f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{ALPHA}_{SIZE}.h5")


def onnx_path(out):
    return os.path.join(out, f"mobilenet_v2_{ALPHA}_{SIZE}.onnx")


def record(out, **fields):
    fields.update(alpha=ALPHA, size=SIZE, batch=BATCH, threads=THREADS)
    with open(os.path.join(out, "results.jsonl"), "a") as f:
        f.write(json.dumps(fields) + "\n")
    print(json.dumps(fields), flush=True)


def keras_model():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    keras.utils.set_random_seed(SEED)
    return keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), alpha=ALPHA, include_top=True, weights=None)


def prepare(out):
    import numpy as np
    from PIL import Image

    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    rng = np.random.default_rng(SEED)
    yy, xx = np.mgrid[0:100, 0:100] / 100.0
    for i in range(IMAGES):
        path = os.path.join(out, "images", f"fruit_{i:04d}.jpg")
        if os.path.exists(path):
            continue
        # Smooth colour blobs plus noise: compresses like a photo, unlike pure noise.
        a, b, c = rng.uniform(0, 6, 3)
        base = np.stack([np.sin(a * xx + b * yy + c), np.cos(b * xx - a * yy), np.sin(c * xx * yy + a)], -1)
        pixels = np.clip(127.5 + 100 * base + rng.normal(0, 12, (100, 100, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(path, quality=90)

    model = keras_model()
    # Random BatchNorm statistics, so folding them matters and activations stay in a realistic range.
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            c = layer.get_weights()[0].shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, c).astype("float32"), rng.uniform(-0.2, 0.4, c).astype("float32"),
                               rng.uniform(-0.1, 0.1, c).astype("float32"), rng.uniform(0.5, 2.0, c).astype("float32")])
    model.save_weights(weights_path(out).replace(".h5", ".weights.h5"))
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(weights_path(out), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    build_onnx(model, onnx_path(out))
    print(f"prepared {IMAGES} JPEGs, {weights_path(out)}, {onnx_path(out)}")


def build_onnx(model, path):
    """The same network as an ONNX graph: BatchNorm folded into each convolution (as imgfeat does),
    NHWC input transposed once to NCHW, Clip(0, 6) for ReLU6, output = the pooled 1280-d features."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    layers = {l.name: l for l in model.layers}

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def folded(conv_name, bn_name, depthwise):
        w = layers[conv_name].get_weights()[0]
        gamma, beta, mean, var = layers[bn_name].get_weights()
        scale = gamma / np.sqrt(var + layers[bn_name].epsilon)
        if depthwise:  # (kh, kw, c, 1) -> (c, 1, kh, kw)
            w = w[:, :, :, 0] * scale
            w = w.transpose(2, 0, 1)[:, None, :, :]
        else:  # (kh, kw, in, out) -> (out, in, kh, kw)
            w = (w * scale).transpose(3, 2, 0, 1)
        return w, beta - mean * scale

    current, side = "input_nchw", SIZE
    const("zero", 0.0)
    const("six", 6.0)
    nodes.append(helper.make_node("Transpose", ["input"], [current], perm=[0, 3, 1, 2]))

    def conv(x, conv_name, bn_name, stride, kernel, relu6, depthwise=False):
        nonlocal side
        w, b = folded(conv_name, bn_name, depthwise)
        if kernel == 1:
            pads = [0, 0, 0, 0]
        elif stride == 1:
            pads = [1, 1, 1, 1]
        else:  # TF "same" / Keras correct_pad: the odd pixel of padding goes after
            before = 1 if side % 2 else 0
            pads = [before, before, 1, 1]
        attrs = dict(strides=[stride, stride], pads=pads, kernel_shape=[kernel, kernel])
        if depthwise:
            attrs["group"] = w.shape[0]
        y = conv_name + "_out"
        nodes.append(helper.make_node("Conv", [x, const(conv_name + "_w", w), const(conv_name + "_b", b)], [y], **attrs))
        side = (side + stride - 1) // stride
        if relu6:
            z = conv_name + "_relu6"
            nodes.append(helper.make_node("Clip", [y, "zero", "six"], [z]))
            return z
        return y

    current = conv(current, "Conv1", "bn_Conv1", 2, 3, True)
    channels = layers["Conv1"].get_weights()[0].shape[-1]
    for block in range(17):
        prefix = "expanded_conv_" if block == 0 else f"block_{block}_"
        x = current
        if block > 0:
            x = conv(x, prefix + "expand", prefix + "expand_BN", 1, 1, True)
        stride = layers[prefix + "depthwise"].strides[0]
        x = conv(x, prefix + "depthwise", prefix + "depthwise_BN", stride, 3, True, depthwise=True)
        x = conv(x, prefix + "project", prefix + "project_BN", 1, 1, False)
        out_channels = layers[prefix + "project"].get_weights()[0].shape[-1]
        if stride == 1 and out_channels == channels:
            y = prefix + "add"
            nodes.append(helper.make_node("Add", [current, x], [y]))
            x = y
        current, channels = x, out_channels
    current = conv(current, "Conv_1", "Conv_1_bn", 1, 1, True)
    nodes.append(helper.make_node("GlobalAveragePool", [current], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    graph = helper.make_graph(
        nodes, "mobilenet_v2_features",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", SIZE, SIZE, 3])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", None])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(m)
    onnx.save(m, path)


def preprocessed_batch(out):
    """The first BATCH JPEGs as the model's input: Pillow resize to SIZE², x / 127.5 - 1 (float32)."""
    import numpy as np
    from PIL import Image

    names = sorted(os.listdir(os.path.join(out, "images")))[:BATCH]
    arrays = [np.asarray(Image.open(os.path.join(out, "images", n)).convert("RGB").resize((SIZE, SIZE)), dtype=np.float32)
              for n in names]
    return np.stack(arrays) / np.float32(127.5) - np.float32(1.0)


def timed_runs(fn, batch_images):
    """Images per wall-clock second and per CPU-second (all threads of the process) of each run."""
    fn()  # warm-up: graph building, allocation, thread start
    rates, cpu_rates = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        rates.append(batch_images / (time.perf_counter() - start))
        cpu_rates.append(batch_images / (time.process_time() - start_cpu))
    return rates, cpu_rates


def run_tf(out):
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    from PIL import Image

    model = keras_model()
    model.load_weights(weights_path(out))
    features = keras.Model(model.input, model.layers[-2].output)
    x = preprocessed_batch(out)
    rates, cpu_rates = timed_runs(lambda: features.predict(x, batch_size=BATCH, verbose=0), len(x))
    record(out, engine="tensorflow", what="network", version=tf.__version__, runs=rates, cpu_runs=cpu_rates)
    np.save(os.path.join(out, "tf_features.npy"), features.predict(x, batch_size=BATCH, verbose=0))

    # The notebook's path: open each JPEG with Pillow, resize, preprocess_input, predict per batch.
    names = sorted(os.listdir(os.path.join(out, "images")))
    preprocess = keras.applications.mobilenet_v2.preprocess_input

    def end_to_end():
        for i in range(0, len(names), BATCH):
            arrays = [np.asarray(Image.open(os.path.join(out, "images", n)).resize((SIZE, SIZE)), dtype=np.float32)
                      for n in names[i:i + BATCH]]
            features.predict(preprocess(np.stack(arrays)), batch_size=BATCH, verbose=0)

    start, start_cpu = time.perf_counter(), time.process_time()
    end_to_end()
    record(out, engine="tensorflow", what="end-to-end", version=tf.__version__,
           runs=[len(names) / (time.perf_counter() - start)], cpu_runs=[len(names) / (time.process_time() - start_cpu)])


def run_ort(out):
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(onnx_path(out), options, providers=["CPUExecutionProvider"])
    x = preprocessed_batch(out)
    rates, cpu_rates = timed_runs(lambda: session.run(["features"], {"input": x}), len(x))
    record(out, engine="onnxruntime", what="network", version=ort.__version__, runs=rates, cpu_runs=cpu_rates)
    got = session.run(["features"], {"input": x})[0]
    tf_path = os.path.join(out, "tf_features.npy")
    if os.path.exists(tf_path):
        want = np.load(tf_path)
        err = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))
        print(f"onnxruntime vs tensorflow features: max relative difference {err:.2e}")
        if err > 1e-3:
            sys.exit(f"cpu_bench: the ONNX graph disagrees with Keras ({err:.2e}); its timing would be meaningless")


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


def report(out, doc):
    rows = [json.loads(line) for line in open(os.path.join(out, "results.jsonl"))]
    groups, cpu_groups = {}, {}
    for r in rows:
        if (r["alpha"], r["size"], r["batch"], r["threads"]) != (ALPHA, SIZE, BATCH, THREADS):
            continue
        groups.setdefault((r["engine"], r["what"]), []).extend(r["runs"])
        cpu_groups.setdefault((r["engine"], r["what"]), []).extend(r.get("cpu_runs", []))
    ours = median(groups.get(("imgfeat-cpu", "network"), [float("nan")]))
    ours_cpu = median(cpu_groups.get(("imgfeat-cpu", "network")) or [float("nan")])
    load = open("/proc/loadavg").read().split()[0]
    cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512" if "avx512f" in flags else ("AVX2+FMA" if "avx2" in flags else "SSE")
    lines = [
        f"Machine: {cpu or platform.processor()}, {os.cpu_count()} cores, {isa}; Linux {platform.release()}. "
        f"MobileNetV2 alpha {ALPHA}, {SIZE}×{SIZE}, batch {BATCH}, {THREADS} threads for every engine, the same "
        f"seeded random weights (Keras `.h5` / ONNX graph / imgfeat), {IMAGES} generated 100×100 JPEGs.",
        "",
        f"Command: `bash bench/cpu_bench.sh` (BENCH_RUNS={RUNS} timed runs per engine and round after a warm-up, "
        f"engines interleaved round by round; medians over all runs). Load average when the report was written: {load} "
        "(the machine is shared; CPU-seconds count the time all of a process's threads ran, so they are less "
        "sensitive to other load, but they also count any spin-waiting).",
        "",
        "| engine | measures | images/s (median) | ratio | images per CPU-second | ratio | runs |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    order = [("imgfeat-cpu", "network"), ("onnxruntime", "network"), ("tensorflow", "network"), ("tensorflow", "end-to-end")]
    for key in order + sorted(k for k in groups if k not in order):
        if key not in groups:
            continue
        m = median(groups[key])
        c = median(cpu_groups[key]) if cpu_groups.get(key) else float("nan")
        lines.append(f"| {key[0]} | {key[1]} | {m:.1f} | {ours / m:.2f}× | {c:.1f} | {ours_cpu / c:.2f}× | {len(groups[key])} |")
    lines.append("")
    lines.append("ratio = imgfeat fast CPU ÷ that engine (above 1: imgfeat is faster).")
    table = "\n".join(lines)
    print(table)
    profile_path = os.path.join(out, "profile.txt")
    extra = ""
    if os.path.exists(profile_path):
        extra = "\n\nWhere imgfeat's time goes (one profiled batch; each block is expand + depthwise + project fused):\n\n" + \
            open(profile_path).read().strip()
    write_section(doc, table + extra)


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


if __name__ == "__main__":
    command, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    {"prepare": lambda: prepare(out), "tf": lambda: run_tf(out), "ort": lambda: run_ort(out),
     "report": lambda: report(out, sys.argv[3])}[command]()
