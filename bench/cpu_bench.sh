#!/usr/bin/env bash
# Side-by-side CPU throughput: imgfeat's fast CPU engine vs TensorFlow/Keras vs ONNX Runtime, same
# machine, same MobileNetV2 weights (one Keras .h5 file), same generated JPEGs, same thread count.
# Network only (preprocessed batch in, features out) and end to end (JPEG files in, Parquet out:
# `imgfeat featurize`, a Pillow + ONNX Runtime loop, the notebook's Pillow + Keras loop), and the
# machine's SGEMM peak (OpenBLAS, same threads) to read the network's GFLOP/s against. Writes the
# table to the `## Fast CPU` section of docs/PERFORMANCE.md (between the generated markers).
#
#   bash bench/cpu_bench.sh                                                  # the full measurement
#   BENCH_IMAGES=64 BENCH_RUNS=1 BENCH_E2E_RUNS=1 BENCH_ROUNDS=1 BENCH_WRITE_DOCS=0 bash bench/cpu_bench.sh  # smoke
#
# Environment: BENCH_ALPHA (1.0), BENCH_SIZE (224), BENCH_BATCH (64), BENCH_THREADS (2), BENCH_IMAGES
# (generated JPEGs, 512), BENCH_RUNS (timed network runs per engine and round, 5), BENCH_E2E_RUNS
# (end-to-end runs over all the JPEGs per engine and round, 2), BENCH_ROUNDS (rounds, engines
# interleaved, 3), BENCH_EXTRA_KERNELS (other imgfeat kernel sets to time as well, e.g. "avx2"),
# BENCH_WRITE_DOCS (0: leave docs/PERFORMANCE.md alone; the report is in $BENCH_OUT/report.md either
# way), BENCH_OUT (working folder, bench/out), IMGFEAT_BIN (the imgfeat binary, $SCRATCH/release/imgfeat
# with SCRATCH defaulting to .build; always brought up to date with an incremental `swift build -c release
# --scratch-path` of its build folder; BENCH_BUILD=0 takes it as it is), IMGFEAT_BENCH_CPU_BIN
# (the network benchmark binary, beside IMGFEAT_BIN; same rule). Installs TensorFlow, ONNX Runtime,
# Pillow and pyarrow into bench/.venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

export BENCH_ALPHA=${BENCH_ALPHA:-1.0} BENCH_SIZE=${BENCH_SIZE:-224} BENCH_BATCH=${BENCH_BATCH:-64}
export BENCH_THREADS=${BENCH_THREADS:-2} BENCH_RUNS=${BENCH_RUNS:-5} BENCH_IMAGES=${BENCH_IMAGES:-512}
export BENCH_E2E_RUNS=${BENCH_E2E_RUNS:-2} BENCH_WRITE_DOCS=${BENCH_WRITE_DOCS:-1}
ROUNDS=${BENCH_ROUNDS:-3}
OUT=${BENCH_OUT:-bench/out}
VENV=bench/.venv
IMGFEAT_BIN=${IMGFEAT_BIN:-${SCRATCH:-.build}/release/imgfeat}
BENCH=${IMGFEAT_BENCH_CPU_BIN:-$(dirname "$IMGFEAT_BIN")/imgfeat-bench-cpu}
# TensorFlow and ONNX Runtime pick their own pools from these too; pin them to the same count.
export OMP_NUM_THREADS=$BENCH_THREADS OPENBLAS_NUM_THREADS=$BENCH_THREADS
export TF_NUM_INTRAOP_THREADS=$BENCH_THREADS TF_NUM_INTEROP_THREADS=1
export TF_CPP_MIN_LOG_LEVEL=2

if ! "$VENV/bin/python" -c "import tensorflow, onnxruntime, onnx, PIL, h5py, pyarrow" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q tensorflow-cpu onnxruntime onnx pillow h5py numpy pyarrow
fi

# Both binaries come from one SwiftPM build folder: the one IMGFEAT_BIN lies in (<scratch>/release/imgfeat).
for pair in "imgfeat:$IMGFEAT_BIN" "imgfeat-bench-cpu:$BENCH"; do
  product=${pair%%:*} binary=${pair#*:}
  # Brought up to date from the working tree (incremental), so a benchmark never times a stale binary.
  if [[ "$binary" == */release/"$product" ]] && [[ "${BENCH_BUILD:-1}" != 0 || ! -x "$binary" ]]; then
    swift build -c release --scratch-path "${binary%/release/$product}" --product "$product"
  fi
  [[ -x "$binary" ]] || { echo "cpu_bench: $binary is missing and is not <scratch>/release/$product, so it cannot be built here" >&2; exit 1; }
  echo "cpu_bench: $product = $binary (built $(date -r "$binary" '+%F %T'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
done

WEIGHTS="$OUT/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${BENCH_ALPHA}_${BENCH_SIZE}.h5"
ARGS=(--alpha "$BENCH_ALPHA" --size "$BENCH_SIZE" --batch "$BENCH_BATCH" --threads "$BENCH_THREADS" --weights "$WEIGHTS")

mkdir -p "$OUT"
rm -f "$OUT/results.jsonl" "$OUT/profile.txt" "$OUT/check.json" "$OUT/report.md"
"$VENV/bin/python" bench/cpu_bench.py prepare "$OUT"

for round in $(seq "$ROUNDS"); do
  echo "== round $round of $ROUNDS (${SECONDS}s since the start)"
  # (Not `tee /dev/stderr`: that reopens a redirected log file at offset 0 and overwrites its start.)
  "$BENCH" "${ARGS[@]}" --runs "$BENCH_RUNS" > "$OUT/imgfeat-bench-cpu.txt"
  cat "$OUT/imgfeat-bench-cpu.txt"
  tail -n 1 "$OUT/imgfeat-bench-cpu.txt" >> "$OUT/results.jsonl"
  # Other kernel sets of imgfeat's own on this machine (BENCH_EXTRA_KERNELS="avx2 scalar"), as extra network rows.
  for kernels in ${BENCH_EXTRA_KERNELS:-}; do
    "$BENCH" "${ARGS[@]}" --runs "$BENCH_RUNS" --kernels "$kernels" | tail -n 1 |
      sed "s/\"engine\": \"imgfeat-cpu\"/\"engine\": \"imgfeat-cpu, $kernels kernels\"/" >> "$OUT/results.jsonl"
  done
  "$VENV/bin/python" bench/cpu_bench.py imgfeat "$OUT" "$IMGFEAT_BIN"
  "$VENV/bin/python" bench/cpu_bench.py tf "$OUT"
  "$VENV/bin/python" bench/cpu_bench.py ort "$OUT"
  # The machine's SGEMM peak on the same threads, every round, so it sees the same conditions as the engines.
  "$VENV/bin/python" bench/cpu_bench.py sgemm "$OUT"
  # After the first round: the end-to-end outputs must hold the same features, or stop here.
  if [[ $round == 1 ]]; then "$VENV/bin/python" bench/cpu_bench.py check "$OUT"; fi
done

# Where imgfeat's time goes: one profiled batch, per step (stem, each fused block, head + pool).
{
  echo "| step | ms (summed over threads) | share |"
  echo "| --- | ---: | ---: |"
  "$BENCH" "${ARGS[@]}" --runs 1 --profile | sed -nE 's/^ +(.*[^ ]) +([0-9.]+) ms +([0-9.]+)%$/| \1 | \2 | \3% |/p'
} > "$OUT/profile.txt"

"$VENV/bin/python" bench/cpu_bench.py report "$OUT" docs/PERFORMANCE.md
echo "cpu_bench: done in ${SECONDS}s"
