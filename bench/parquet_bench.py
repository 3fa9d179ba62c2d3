"""Write and read throughput of imgfeat's Parquet writer/reader against pyarrow on the same data.

Prepares N rows × 1280 float32 features (seeded) plus paths and labels in bench/out/parquet/, times
pyarrow's write_table/read_table on them, then runs the gated Swift benchmark
(Tests/ParquetTests/ParquetBenchmark.swift) on the same data and prints medians in MB/s, where MB
is the raw feature bytes (N × 1280 × 4 / 1e6).

  .venv/bin/python bench/parquet_bench.py [--rows 20000] [--runs 5] [--package-path .] [--scratch-path .build]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--dim", type=int, default=1280)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--package-path", default=ROOT)
    ap.add_argument("--scratch-path", default=None)
    ap.add_argument("--skip-build", action="store_true")
    args = ap.parse_args()

    out = os.path.join(ROOT, "bench", "out", "parquet")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1280)
    values = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
    labels_set = [f"class_{i}" for i in range(10)]
    paths = [f"s3://bucket/images/{labels_set[i % 10]}/img_{i:07d}.jpg" for i in range(args.rows)]
    labels = [labels_set[i % 10] for i in range(args.rows)]
    values.tofile(os.path.join(out, "data.f32"))
    with open(os.path.join(out, "data.json"), "w") as f:
        json.dump({"rows": args.rows, "dimension": args.dim, "paths": paths, "labels": labels}, f)

    mb = args.rows * args.dim * 4 / 1e6
    offsets = pa.array(np.arange(0, args.rows * args.dim + 1, args.dim, dtype=np.int32))
    table = pa.table({"path": pa.array(paths), "label": pa.array(labels),
                      "features": pa.ListArray.from_arrays(offsets, pa.array(values.ravel()))})
    results = {}
    for codec in ["snappy", "zstd", "none"]:
        file = os.path.join(out, f"pyarrow_{codec}.parquet")
        w, r, wc, rc = [], [], [], []
        for _ in range(args.runs):
            t, c = time.perf_counter(), time.process_time()
            # Same row-group size as imgfeat's default (8192 rows); pyarrow's other defaults.
            pq.write_table(table, file, compression=codec, row_group_size=8192)
            w.append(time.perf_counter() - t)
            wc.append(time.process_time() - c)
            t, c = time.perf_counter(), time.process_time()
            got = pq.read_table(file)
            r.append(time.perf_counter() - t)
            rc.append(time.process_time() - c)
            assert got.num_rows == args.rows
        results[f"pyarrow write {codec}"] = (w, wc)
        results[f"pyarrow read {codec}"] = (r, rc)

    env = dict(os.environ, IMGFEAT_BENCH="1", IMGFEAT_BENCH_DIR=out, IMGFEAT_BENCH_RUNS=str(args.runs))
    scratch = ["--scratch-path", args.scratch_path] if args.scratch_path else []
    package = ["--package-path", args.package_path]
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--build-tests", *package, *scratch], check=True)
    subprocess.run(["swift", "test", "-c", "release", "--skip-build", *package, *scratch,
                    "--filter", "ParquetBenchmark"], check=True, env=env)
    swift = json.load(open(os.path.join(out, "swift.json")))
    for key, name in [("write_snappy_s", "imgfeat write snappy"), ("read_snappy_s", "imgfeat read snappy"),
                      ("write_zstd_s", "imgfeat write zstd"), ("read_zstd_s", "imgfeat read zstd"),
                      ("write_uncompressed_s", "imgfeat write none"), ("read_uncompressed_s", "imgfeat read none"),
                      ("read_pyarrow_file_snappy_s", "imgfeat read pyarrow's snappy file")]:
        if key in swift:
            results[name] = (swift[key], swift[key[:-2] + "_cpu"])

    sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out)) if f.endswith(".parquet")}
    print(f"\n{args.rows} rows × {args.dim} float32 = {mb:.1f} MB of features, median of {args.runs} runs")
    print(f"{'':40} {'wall s':>8} {'MB/s':>7} {'CPU s':>8} {'MB/CPU-s':>9}")
    for name, (wall, cpu) in results.items():
        w, c = statistics.median(wall), statistics.median(cpu)
        print(f"{name:40} {w:8.3f} {mb / w:7.0f} {c:8.3f} {mb / c:9.0f}")
    print("file sizes:", ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items()))


if __name__ == "__main__":
    sys.exit(main())
