"""PCA fit time on 100,000 × 1280 float32 features: imgfeat's CPU path next to numpy and scikit-learn.

Usage: .venv/bin/python bench/pca_bench.py [--rows 100000] [--dim 1280] [--k 50] [--runs 3]
                                           [--binary .build-pca/release/imgfeat-bench-pca]
Build the binary first: swift build -c release --scratch-path .build-pca --product imgfeat-bench-pca
Features are seeded random with a decaying spectrum (as in scripts/fixtures/pca.py), written to
bench/out/pca_features.f32. Prints one JSON line per run and a Markdown table of medians.

With --eigen the eigen step alone is timed on the statistics of those features: LAPACK dgesdd (the CPU
fit), the subspace iteration's host face, and with --device vulkan its Vulkan face (pca_subspace.comp),
interleaved run by run, with the iteration's products, steps and where its time went:
  .venv/bin/python bench/pca_bench.py --eigen --device vulkan --rows 20000 --runs 3
"""
import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def make_features(n, d, seed=2024):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    sigma = 2.0 * 0.995 ** np.arange(d) + 1e-3
    mean = rng.uniform(0.2, 1.5, d)
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 10_000):
        z = rng.standard_normal((min(10_000, n - start), d))
        out[start:start + len(z)] = mean + (z * sigma) @ q.T
    return out


def time_numpy(x, k):
    t0 = time.perf_counter()
    cov = np.cov(x.astype(np.float64), rowvar=False, ddof=1)
    values, vectors = np.linalg.eigh(cov)
    _ = vectors[:, ::-1][:, :k], values[::-1][:k] / values.sum()
    return time.perf_counter() - t0


def time_sklearn(x, k, solver):
    from sklearn.decomposition import PCA
    t0 = time.perf_counter()
    PCA(n_components=k, svd_solver=solver, random_state=0).fit(x.astype(np.float64))
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default=str(ROOT / ".build-pca/release/imgfeat-bench-pca"))
    parser.add_argument("--solvers", default="covariance_eigh,randomized,full")
    parser.add_argument("--eigen", action="store_true", help="time the eigen step alone (see above)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "vulkan"])
    args = parser.parse_args()

    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "pca_features.f32"
    x = make_features(args.rows, args.dim)
    x.tofile(path)
    results = {}
    if args.eigen:
        return eigen(args, path)

    proc = subprocess.run([args.binary, "--features", str(path), "--dim", str(args.dim), "--k", str(args.k),
                           "--runs", str(args.runs)], check=True, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        run = json.loads(line)
        print(line, flush=True)
        results.setdefault("imgfeat (OpenBLAS dsyrk + LAPACK dgesdd)", []).append(run["total_s"])

    for _ in range(args.runs):
        t = time_numpy(x, args.k)
        print(json.dumps({"tool": "numpy cov + eigh", "total_s": t}), flush=True)
        results.setdefault("numpy (np.cov float64 + eigh)", []).append(t)
    for solver in args.solvers.split(","):
        for _ in range(args.runs):
            t = time_sklearn(x, args.k, solver)
            print(json.dumps({"tool": f"sklearn {solver}", "total_s": t}), flush=True)
            results.setdefault(f"scikit-learn PCA(svd_solver=\"{solver}\")", []).append(t)

    print(f"\n| fit of {args.rows:,} × {args.dim} float32, k = {args.k} | median of {args.runs} (s) |")
    print("| --- | ---: |")
    for name, times in results.items():
        print(f"| {name} | {statistics.median(times):.2f} |")
    print(f"\nthreads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"cpus: {os.cpu_count()}")


def eigen(args, path):
    proc = subprocess.run([args.binary, "--features", str(path), "--dim", str(args.dim), "--k", str(args.k),
                           "--runs", str(args.runs), "--eigen", "1", "--device", args.device],
                          check=True, capture_output=True, text=True)
    runs = {}
    for line in proc.stdout.splitlines():
        print(line, flush=True)
        run = json.loads(line)
        runs.setdefault((run["solver"], run.get("device", "host")), []).append(run)
    print(f"\n| eigen step, d = {args.dim}, k = {args.k} (statistics of {args.rows:,} rows) | median s | products | "
          f"steps | in products (s) | on the host (s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for (solver, device), rows in runs.items():
        med = lambda key: statistics.median(r[key] for r in rows) if key in rows[0] else None
        cells = [f"{med('eigen_s'):.3f}"] + [f"{med(key):.0f}" if med(key) is not None else "–" for key in ("products", "steps")]
        cells += [f"{med(key):.3f}" if med(key) is not None else "–" for key in ("product_s", "host_s")]
        print(f"| {solver} ({device}) | " + " | ".join(cells) + " |")
    print(f"\nthreads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
