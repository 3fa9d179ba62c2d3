"""dsyevr (the former CPU fit) next to dgesdd (Spark's, the current one) on the same d×d covariance,
through the system LAPACKE/OpenBLAS that imgfeat links, interleaved so both see the same load.

Usage: .venv/bin/python bench/pca_solver_bench.py [--dim 1280] [--rows 4000] [--runs 5]
Prints one JSON line per run and the medians with their ratio.
"""
import argparse
import ctypes
import json
import statistics
import time

import numpy as np

ctypes.CDLL("libopenblas.so.0", mode=ctypes.RTLD_GLOBAL)
LAPACKE = ctypes.CDLL("liblapacke.so.3")
P = ctypes.POINTER(ctypes.c_double)
I = ctypes.c_int


def ptr(a):
    return a.ctypes.data_as(P)


def dsyevr(cov):
    d = cov.shape[0]
    a, w, z = cov.copy(), np.zeros(d), np.zeros((d, d))
    found, isuppz = I(0), np.zeros(2 * d, dtype=np.int32)
    f = LAPACKE.LAPACKE_dsyevr
    f.argtypes = [I, ctypes.c_char, ctypes.c_char, ctypes.c_char, I, P, I, ctypes.c_double, ctypes.c_double,
                  I, I, ctypes.c_double, ctypes.POINTER(I), P, P, I, ctypes.POINTER(ctypes.c_int32)]
    info = f(101, b"V", b"A", b"U", d, ptr(a), d, 0, 0, 0, 0, 0, ctypes.byref(found), ptr(w), ptr(z), d,
             isuppz.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)))
    assert info == 0


def dgesdd(cov):
    d = cov.shape[0]
    a, s, u, vt = cov.copy(), np.zeros(d), np.zeros((d, d)), np.zeros((d, d))
    f = LAPACKE.LAPACKE_dgesdd
    f.argtypes = [I, ctypes.c_char, I, I, P, I, P, P, I, P, I]
    assert f(102, b"A", d, d, ptr(a), d, ptr(s), ptr(u), d, ptr(vt), d) == 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((args.rows, args.dim)) * (2.0 * 0.995 ** np.arange(args.dim) + 1e-3)
    cov = np.ascontiguousarray(np.cov(x, rowvar=False))
    times = {"dsyevr": [], "dgesdd": []}
    for run in range(args.runs):
        for name, solve in (("dsyevr", dsyevr), ("dgesdd", dgesdd)):
            t0 = time.perf_counter()
            solve(cov)
            times[name].append(time.perf_counter() - t0)
            print(json.dumps({"run": run, "solver": name, "seconds": round(times[name][-1], 4)}), flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"| {args.dim}×{args.dim} | dsyevr {med['dsyevr']:.3f} s | dgesdd {med['dgesdd']:.3f} s | "
          f"ratio {med['dgesdd'] / med['dsyevr']:.2f} |")


if __name__ == "__main__":
    main()
