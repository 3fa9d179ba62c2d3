"""Side-by-side CPU throughput of imgfeat's fast CPU engine, TensorFlow/Keras and ONNX Runtime on the
same MobileNetV2 (same seeded random weights), the same inputs and the same thread count.

Subcommands (bench/cpu_bench.sh runs them in order):
  prepare  OUT           (cpu_bench_model.py) exactly BENCH_IMAGES JPEGs in OUT/images (100×100, like the notebook's fruit
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
  report   OUT DOC       (cpu_bench_report.py) medians of all runs -> table on stdout, in OUT/report.md and (unless
                         BENCH_WRITE_DOCS=0) in DOC's `## Fast CPU` section
Each timing subcommand appends JSON lines to OUT/results.jsonl.
"""

import glob
import hashlib
import json
import os
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


if __name__ == "__main__":
    command, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    # Imported here, not at the top: both modules import this one for its settings.
    from cpu_bench_model import prepare
    from cpu_bench_report import report
    {"prepare": lambda: prepare(out), "tf": lambda: run_tf(out), "ort": lambda: run_ort(out),
     "imgfeat": lambda: run_imgfeat(out, sys.argv[3]), "check": lambda: check(out),
     "sgemm": lambda: run_sgemm(out), "report": lambda: report(out, sys.argv[3])}[command]()
