"""Side-by-side CPU throughput of imgfeat's fast CPU engine, TensorFlow/Keras and ONNX Runtime on the
same MobileNetV2 (same seeded random weights), the same inputs and the same thread count.

Subcommands (bench/cpu_bench.sh runs them in order):
  prepare  OUT           exactly BENCH_IMAGES JPEGs in OUT/images (100×100, like the notebook's fruit
                         images), the Keras model as a legacy .h5 (the file every engine loads) and an ONNX
                         graph built from the same weights
  imgfeat  OUT BIN       end to end: `BIN featurize OUT/images --device cpu ...` as a whole process, JPEG
                         files in, Parquet out (wall seconds; CPU seconds from the child's rusage)
  tf       OUT           Keras model.predict on batches of preprocessed images (network only), and the
                         notebook's own loop: Pillow open + resize + preprocess_input + predict, then the
                         features written to Parquet with pyarrow (end to end)
  ort      OUT           ONNX Runtime on the same preprocessed batches (network only), and the same loop
                         with ONNX Runtime instead of Keras: Pillow open + RGB + resize + x/127.5-1 + run,
                         Parquet with pyarrow (end to end)
  check    OUT           the end-to-end Parquet outputs agree: imgfeat vs Pillow + ONNX Runtime (fails
                         above 1e-3 relative: the timings would not compare the same computation), and the
                         notebook's loop vs Pillow + ONNX Runtime; writes OUT/check.json
  sgemm    OUT           the machine's SGEMM peak: OpenBLAS (numpy's) float32 matrix product of 4096×4096
                         matrices on BENCH_THREADS threads, GFLOP/s per run
  report   OUT DOC       medians of all runs -> table on stdout, in OUT/report.md and (unless
                         BENCH_WRITE_DOCS=0) in DOC's `## Fast CPU` section
Each timing subcommand appends JSON lines to OUT/results.jsonl.
"""

import glob
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

ALPHA = float(os.environ.get("BENCH_ALPHA", "1.0"))
SIZE = int(os.environ.get("BENCH_SIZE", "224"))
BATCH = int(os.environ.get("BENCH_BATCH", "64"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
IMAGES = int(os.environ.get("BENCH_IMAGES", "512"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
E2E_RUNS = int(os.environ.get("BENCH_E2E_RUNS", "2"))
WRITE_DOCS = os.environ.get("BENCH_WRITE_DOCS", "1") != "0"
SEED = 1234
# Above this the imgfeat and Pillow + ONNX Runtime end-to-end features do not come from the same computation.
AGREEMENT_LIMIT = 1e-3


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

    folder = images_folder(out)
    os.makedirs(folder, exist_ok=True)
    # Exactly IMAGES files: every engine, imgfeat's folder listing included, reads the same set.
    wanted = {f"fruit_{i:05d}.jpg" for i in range(IMAGES)}
    for name in os.listdir(folder):
        if name not in wanted:
            os.remove(os.path.join(folder, name))
    # Image i is the same whatever IMAGES is and whichever files already exist.
    rng = np.random.default_rng(SEED)
    yy, xx = np.mgrid[0:100, 0:100] / 100.0
    for i in range(IMAGES):
        path = os.path.join(folder, f"fruit_{i:05d}.jpg")
        # Smooth colour blobs plus noise: compresses like a photo, unlike pure noise.
        a, b, c = rng.uniform(0, 6, 3)
        noise = rng.normal(0, 12, (100, 100, 3))
        if os.path.exists(path):
            continue
        base = np.stack([np.sin(a * xx + b * yy + c), np.cos(b * xx - a * yy), np.sin(c * xx * yy + a)], -1)
        pixels = np.clip(127.5 + 100 * base + noise, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(path, quality=90)

    rng = np.random.default_rng(SEED + 1)
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

    arrays = [np.asarray(Image.open(path).convert("RGB").resize((SIZE, SIZE), Image.BICUBIC), dtype=np.float32)
              for path in image_paths(out)[:BATCH]]
    return np.stack(arrays) / np.float32(127.5) - np.float32(1.0)


def images_folder(out):
    return os.path.join(out, "images")


def image_paths(out):
    """The benchmark's JPEGs, absolute paths in name order (the order every end-to-end loop uses)."""
    folder = os.path.abspath(images_folder(out))
    return [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.lower().endswith((".jpg", ".jpeg"))]


def e2e_folder(out, engine):
    """A fresh, empty output folder for one end-to-end run of `engine`."""
    folder = os.path.join(out, "e2e", engine)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def write_features_parquet(folder, paths, features):
    """What imgfeat writes per image, with pyarrow: path, label (the parent folder's name, as the notebook's
    `element_at(split(path, '/'), -2)`), features list<float>; one snappy file."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    n, d = features.shape
    values = pa.array(np.ascontiguousarray(features, dtype=np.float32).reshape(-1), type=pa.float32())
    lists = pa.ListArray.from_arrays(pa.array(np.arange(0, n * d + 1, d, dtype=np.int32)), values)
    table = pa.table({"path": pa.array(paths, pa.string()),
                      "label": pa.array([os.path.basename(os.path.dirname(p)) for p in paths], pa.string()),
                      "features": lists})
    pq.write_table(table, os.path.join(folder, "part-00000.snappy.parquet"), compression="snappy")


def timed_e2e(fn, images):
    """E2E_RUNS runs of a whole end-to-end loop in this process: images per wall second and per CPU-second."""
    rates, cpu_rates = [], []
    for _ in range(E2E_RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        rates.append(images / (time.perf_counter() - start))
        cpu_rates.append(images / (time.process_time() - start_cpu))
    return rates, cpu_rates


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

    # The notebook's loop (its `preprocess` + `featurize_series`, without Spark): open each JPEG with Pillow,
    # resize to SIZE² (Pillow's default filter, bicubic), preprocess_input, predict per batch; then, as its
    # `features_df.write.parquet` does, the features go to Parquet (pyarrow here).
    paths = image_paths(out)
    preprocess = keras.applications.mobilenet_v2.preprocess_input

    def end_to_end():
        folder = e2e_folder(out, "tensorflow")
        batches = []
        for i in range(0, len(paths), BATCH):
            arrays = []
            for path in paths[i:i + BATCH]:
                with Image.open(path) as image:
                    arrays.append(np.asarray(image.resize((SIZE, SIZE)), dtype=np.float32))
            batches.append(features.predict(preprocess(np.stack(arrays)), batch_size=BATCH, verbose=0))
        write_features_parquet(folder, paths, np.concatenate(batches))

    rates, cpu_rates = timed_e2e(end_to_end, len(paths))
    record(out, engine="tensorflow", what="end-to-end", version=tf.__version__, images=len(paths),
           runs=rates, cpu_runs=cpu_rates)


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

    # A straightforward single-process user loop doing what `imgfeat featurize` does, with ONNX Runtime:
    # Pillow open + RGB + resize to SIZE² (bicubic, as the notebook), x / 127.5 - 1, batches of BATCH
    # through the same session (THREADS intra-op threads), features to Parquet with pyarrow at the end.
    from PIL import Image

    paths = image_paths(out)

    def end_to_end():
        folder = e2e_folder(out, "onnxruntime")
        batches = []
        for i in range(0, len(paths), BATCH):
            arrays = []
            for path in paths[i:i + BATCH]:
                with Image.open(path) as image:
                    arrays.append(np.asarray(image.convert("RGB").resize((SIZE, SIZE), Image.BICUBIC), dtype=np.float32))
            x = np.stack(arrays) / np.float32(127.5) - np.float32(1.0)
            batches.append(session.run(["features"], {"input": x})[0])
        write_features_parquet(folder, paths, np.concatenate(batches))

    import PIL
    import pyarrow

    rates, cpu_rates = timed_e2e(end_to_end, len(paths))
    record(out, engine="onnxruntime", what="end-to-end", images=len(paths), runs=rates, cpu_runs=cpu_rates,
           version=f"{ort.__version__}, Pillow {PIL.__version__}, pyarrow {pyarrow.__version__}")


def run_imgfeat(out, binary):
    """`imgfeat featurize` as a user runs it, E2E_RUNS times into a fresh folder: the whole process (start,
    listing, weights load, decode + resize, network, Parquet parts, PCA statistics, summary) is timed."""
    paths = image_paths(out)
    command = [binary, "featurize", os.path.abspath(images_folder(out)), "--output", "", "--device", "cpu",
               "--threads", str(THREADS), "--batch", str(BATCH), "--weights", os.path.abspath(weights_path(out)),
               "--alpha", str(ALPHA), "--size", str(SIZE), "--quiet"]
    rates, cpu_rates, summary = [], [], {}
    for _ in range(E2E_RUNS):
        command[command.index("--output") + 1] = folder = e2e_folder(out, "imgfeat")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            sys.exit(f"cpu_bench: {' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        summary = json.load(open(os.path.join(folder, "_summary.json")))
        if summary.get("featurized") != len(paths) or summary.get("errors") or \
                not os.path.exists(os.path.join(folder, "_SUCCESS")):
            sys.exit(f"cpu_bench: imgfeat featurize did not featurize all {len(paths)} images: {summary}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rates.append(len(paths) / seconds)
        cpu_rates.append(len(paths) / cpu)
        print(f"imgfeat featurize: {len(paths)} images, {seconds:.2f} s wall, {cpu:.2f} s CPU "
              f"(its own stage times: {json.dumps(summary.get('secondsPerStage'))})", flush=True)
    record(out, engine="imgfeat-cpu", what="end-to-end", images=len(paths), device=summary.get("device"),
           version=f"`{binary}`", runs=rates, cpu_runs=cpu_rates)


def read_features(folder):
    """{file name: features} from the Parquet files of an end-to-end output folder, and their metadata."""
    import numpy as np
    import pyarrow.parquet as pq

    rows, metadata = {}, {}
    files = sorted(f for f in glob.glob(os.path.join(folder, "*.parquet")) if not os.path.basename(f).startswith("_"))
    if not files:
        sys.exit(f"cpu_bench: no Parquet files in {folder}; run the end-to-end rows first")
    for file in files:
        table = pq.read_table(file)
        metadata.update({k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()})
        for path, values in zip(table.column("path").to_pylist(), table.column("features").to_pylist()):
            rows[os.path.basename(path)] = np.asarray(values, dtype=np.float32)
    return rows, metadata


def max_relative_difference(got, want):
    """Over the images both have: max |got - want| / max |want| per image, the largest of them."""
    import numpy as np

    common = sorted(set(got) & set(want))
    if len(common) != len(want) or len(common) != len(got):
        sys.exit(f"cpu_bench: the outputs hold different images ({len(got)} vs {len(want)}, {len(common)} in common)")
    return max(float(np.abs(got[k] - want[k]).max() / max(float(np.abs(want[k]).max()), 1e-30)) for k in common), len(common)


def check(out):
    imgfeat, metadata = read_features(os.path.join(out, "e2e", "imgfeat"))
    onnx_rows, _ = read_features(os.path.join(out, "e2e", "onnxruntime"))
    result = {}
    # imgfeat must have loaded the very .h5 file the other engines load.
    digest = hashlib.sha256(open(weights_path(out), "rb").read()).hexdigest()
    identity = metadata.get("imgfeat.weights", "")
    result["imgfeat_weights"] = identity
    if digest not in identity:
        sys.exit(f"cpu_bench: imgfeat's output says weights {identity!r}, not {weights_path(out)} (sha256 {digest})")
    err, n = max_relative_difference(imgfeat, onnx_rows)
    result.update(images=n, imgfeat_vs_onnxruntime=err)
    print(f"imgfeat featurize vs Pillow + ONNX Runtime loop: {n} images, max relative difference {err:.2e} "
          f"(weights {identity})")
    if err > AGREEMENT_LIMIT:
        sys.exit(f"cpu_bench: imgfeat's end-to-end features disagree with the Pillow + ONNX Runtime loop ({err:.2e} "
                 f"> {AGREEMENT_LIMIT:.0e}); the end-to-end rows would not time the same computation")
    if os.path.isdir(os.path.join(out, "e2e", "tensorflow")):
        tf_rows, _ = read_features(os.path.join(out, "e2e", "tensorflow"))
        result["tensorflow_vs_onnxruntime"], _ = max_relative_difference(tf_rows, onnx_rows)
        print(f"notebook's Pillow + Keras loop vs Pillow + ONNX Runtime loop: max relative difference "
              f"{result['tensorflow_vs_onnxruntime']:.2e}")
    with open(os.path.join(out, "check.json"), "w") as f:
        json.dump(result, f)


def run_sgemm(out):
    # OpenBLAS reads its thread count at load time: cpu_bench.sh exports OPENBLAS_NUM_THREADS, and a
    # direct call sets it here before numpy is imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))
    import numpy as np
    n = int(os.environ.get("BENCH_SGEMM_SIZE", "4096"))
    rng = np.random.default_rng(SEED)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm-up: threads, pages
    rates, cpu_rates = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        a @ b
        rates.append(2.0 * n ** 3 / (time.perf_counter() - start) / 1e9)
        cpu_rates.append(2.0 * n ** 3 / (time.process_time() - start_cpu) / 1e9)
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        version = f"{blas.get('name', 'blas')} {blas.get('version', '')} via numpy {np.__version__}"
    except Exception:
        version = f"numpy {np.__version__}'s BLAS"
    record(out, engine="openblas-sgemm", what="sgemm", size_n=n, runs=rates, cpu_runs=cpu_rates, version=version)


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


if __name__ == "__main__":
    command, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    {"prepare": lambda: prepare(out), "tf": lambda: run_tf(out), "ort": lambda: run_ort(out),
     "imgfeat": lambda: run_imgfeat(out, sys.argv[3]), "check": lambda: check(out),
     "sgemm": lambda: run_sgemm(out), "report": lambda: report(out, sys.argv[3])}[command]()
