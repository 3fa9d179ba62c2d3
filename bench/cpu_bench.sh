#!/usr/bin/env bash
# Side-by-side CPU throughput: imgfeat's fast CPU engine vs TensorFlow/Keras vs ONNX Runtime, same
# machine, same MobileNetV2 weights, same inputs, same thread count. Writes the table to the
# `## Fast CPU` section of docs/PERFORMANCE.md.
#
#   bash bench/cpu_bench.sh
#
# Environment: BENCH_ALPHA (1.0), BENCH_SIZE (224), BENCH_BATCH (64), BENCH_THREADS (2), BENCH_RUNS
# (timed runs per engine and round, 5), BENCH_ROUNDS (rounds, engines interleaved, 3), SCRATCH (the
# SwiftPM scratch path, .build). Installs TensorFlow and ONNX Runtime into bench/.venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

export BENCH_ALPHA=${BENCH_ALPHA:-1.0} BENCH_SIZE=${BENCH_SIZE:-224} BENCH_BATCH=${BENCH_BATCH:-64}
export BENCH_THREADS=${BENCH_THREADS:-2} BENCH_RUNS=${BENCH_RUNS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
SCRATCH=${SCRATCH:-.build}
OUT=bench/out
VENV=bench/.venv
# TensorFlow and ONNX Runtime pick their own pools from these too; pin them to the same count.
export OMP_NUM_THREADS=$BENCH_THREADS TF_NUM_INTRAOP_THREADS=$BENCH_THREADS TF_NUM_INTEROP_THREADS=1
export TF_CPP_MIN_LOG_LEVEL=2

if ! "$VENV/bin/python" -c "import tensorflow, onnxruntime, onnx, PIL, h5py" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q tensorflow-cpu onnxruntime onnx pillow h5py numpy
fi

swift build -c release --scratch-path "$SCRATCH" --product imgfeat-bench-cpu
BENCH="$SCRATCH/release/imgfeat-bench-cpu"
WEIGHTS="$OUT/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${BENCH_ALPHA}_${BENCH_SIZE}.h5"
ARGS=(--alpha "$BENCH_ALPHA" --size "$BENCH_SIZE" --batch "$BENCH_BATCH" --threads "$BENCH_THREADS" --weights "$WEIGHTS")

mkdir -p "$OUT"
rm -f "$OUT/results.jsonl" "$OUT/profile.txt"
"$VENV/bin/python" bench/cpu_bench.py prepare "$OUT"

for round in $(seq "$ROUNDS"); do
  echo "== round $round of $ROUNDS"
  "$BENCH" "${ARGS[@]}" --runs "$BENCH_RUNS" | tee /dev/stderr | tail -n 1 >> "$OUT/results.jsonl"
  "$VENV/bin/python" bench/cpu_bench.py tf "$OUT"
  "$VENV/bin/python" bench/cpu_bench.py ort "$OUT"
done

# Where imgfeat's time goes: one profiled batch, per step (stem, each fused block, head + pool).
{
  echo "| step | ms (summed over threads) | share |"
  echo "| --- | ---: | ---: |"
  "$BENCH" "${ARGS[@]}" --runs 1 --profile | sed -nE 's/^ +(.*[^ ]) +([0-9.]+) ms +([0-9.]+)%$/| \1 | \2 | \3% |/p'
} > "$OUT/profile.txt"

"$VENV/bin/python" bench/cpu_bench.py report "$OUT" docs/PERFORMANCE.md
