#!/usr/bin/env bash
# Side-by-side Vulkan benchmark on this machine's Vulkan device and CPU, in one run, engines interleaved
# round by round, medians reported: imgfeat `bench --device vulkan` (fp32 and fp16, network only and decoded
# pixels in, per-stage GPU times), ncnn's Vulkan and CPU paths (PyPI `ncnn`, its benchmark mobilenet_v2.param),
# ONNX Runtime CPU on imgfeat's own random:0 weights, PyTorch CUDA where torch is importable, and an end-to-end
# `imgfeat featurize --device vulkan`. On a CPU Vulkan device (lavapipe) the workloads are scaled down.
#
#   bash bench/vulkan_bench.sh                      # the measurement; table on stdout and in $BENCH_OUT
#   bash bench/vulkan_bench.sh --quick              # fewer batches and runs
#   BENCH_WRITE_DOCS=1 bash bench/vulkan_bench.sh   # also into docs/PERFORMANCE.md (## Vulkan, generated markers)
#
# Other arguments go to bench/vulkan_bench.py (--rounds N, --budget SECONDS, --baseline OTHER_IMGFEAT). Environment: BENCH_OUT (working
# folder, bench/out/vulkan; vulkan.json, report.md, log.txt), IMGFEAT_BIN (the binary; default
# ${SCRATCH:-.build}/release/imgfeat, always brought up to date with an incremental `swift build -c release
# --scratch-path`; BENCH_BUILD=0 takes it as it is). Installs ncnn, ONNX Runtime, onnx, numpy, Pillow and pyarrow into bench/.venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-bench/out/vulkan}
VENV=bench/.venv
IMGFEAT_BIN=${IMGFEAT_BIN:-${SCRATCH:-.build}/release/imgfeat}

if ! "$VENV/bin/python" -c "import ncnn, onnxruntime, onnx, numpy, PIL, pyarrow" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q ncnn==1.0.20261020 onnxruntime onnx numpy pillow pyarrow
fi

# A <scratch>/release/imgfeat is brought up to date from the working tree (incremental; BENCH_BUILD=0 takes
# it as it is), so a benchmark never times a stale binary; any other IMGFEAT_BIN is taken as it is.
if [[ "$IMGFEAT_BIN" == */release/imgfeat ]] && [[ "${BENCH_BUILD:-1}" != 0 || ! -x "$IMGFEAT_BIN" ]]; then
  swift build -c release --scratch-path "${IMGFEAT_BIN%/release/imgfeat}" --product imgfeat
fi
[[ -x "$IMGFEAT_BIN" ]] || { echo "vulkan_bench: $IMGFEAT_BIN is missing and is not <scratch>/release/imgfeat, so it cannot be built here" >&2; exit 1; }
echo "vulkan_bench: imgfeat = $IMGFEAT_BIN (built $(date -r "$IMGFEAT_BIN" '+%F %T'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"

docs=()
[[ "${BENCH_WRITE_DOCS:-0}" == 1 ]] && docs=(--docs docs/PERFORMANCE.md)
exec "$VENV/bin/python" bench/vulkan_bench.py --imgfeat "$IMGFEAT_BIN" --out "$OUT" "${docs[@]}" \
  --command "bash bench/vulkan_bench.sh${*:+ $*}" "$@"
