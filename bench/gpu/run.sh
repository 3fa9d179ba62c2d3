#!/usr/bin/env bash
# The imgfeat GPU kit (made by bench/gpu/pack.sh): on a bare x86-64 Linux machine with a Vulkan driver,
# prints `imgfeat devices`, runs the side-by-side Vulkan benchmark (imgfeat, ncnn, ONNX Runtime, PyTorch)
# and end-to-end `imgfeat featurize --device vulkan` runs, and writes results.json and report.md (both
# rewritten after every step, so a run cut short keeps what it measured), log.txt, devices.txt and kit.txt
# to the output folder. Installs nothing outside the kit and /tmp; never waits without bound
# (every step has a timeout, and the whole run a time budget); an engine that fails gets a row saying why.
#
#   bash run.sh [--quick] [--out DIR] [--budget SECONDS]     (DIR: $KIT_OUT, else <kit>/out)
#
# Environment: VK_DRIVER_FILES (the ICD JSON files to use; default: NVIDIA's where a driver keeps it, else
# the loader's own search), PYTHON (default python3), KIT_WORK (scratch, default /tmp/imgfeat-kit).
set -uo pipefail
KIT=$(cd "$(dirname "$0")" && pwd)
OUT=${KIT_OUT:-$KIT/out}
QUICK=()
BUDGET=()
while (( $# )); do
  case "$1" in
    --quick) QUICK=(--quick) ;;
    --out) OUT=$2; shift ;;
    --budget) BUDGET=(--budget "$2"); shift ;;
    *) echo "run.sh: unknown argument $1 (use --quick, --out DIR, --budget SECONDS)" >&2; exit 2 ;;
  esac
  shift
done
WORK=${KIT_WORK:-/tmp/imgfeat-kit}
PY=${PYTHON:-python3}
export HOME=${HOME:-/tmp} TMPDIR=${TMPDIR:-/tmp} XDG_CACHE_HOME=$WORK/cache PYTHONUNBUFFERED=1
mkdir -p "$OUT" "$WORK/cache"
start=$SECONDS
say() { echo "kit: $*" | tee -a "$OUT/kit.txt" >&2; }
: > "$OUT/kit.txt"

# Unpack the binary, its shaders and libraries once per kit (the stamp is the archive's size and time).
stamp="$(stat -c '%s %Y' "$KIT/imgfeat.tar.xz")"
if [[ "$(cat "$WORK/root/.stamp" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$WORK/root" && mkdir -p "$WORK/root" &&
    tar -C "$WORK/root" -xJf "$KIT/imgfeat.tar.xz" && tar -C "$WORK/root" -xJf "$KIT/x11.tar.xz" --transform 's,^lib,x11,' &&
    echo "$stamp" > "$WORK/root/.stamp" || { say "could not unpack the kit into $WORK/root"; exit 1; }
fi

# Library paths. imgfeat gets the kit's libraries through a wrapper, never the Python engines (the kit's
# libstdc++ could shadow a newer one that torch needs); every process gets the Vulkan loader alone, NVIDIA's
# driver folder where there is one, and the X11/GLdispatch fallbacks only for names the system lacks.
common=$WORK/vulkan
rm -rf "$common" && mkdir -p "$common" &&
  ln -s "$WORK/root/lib/libvulkan.so.1" "$common/libvulkan.so.1" && ln -s "$WORK/root/lib/libvulkan.so.1" "$common/libvulkan.so"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu/nvidia; do [[ -d $d ]] && common+=:$d; done
mkdir -p "$WORK/fallback" && rm -f "$WORK/fallback"/*
known=$(/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true)
for f in "$WORK"/root/x11/*; do
  name=$(basename "$f")
  grep -q "$name " <<<"$known" || ln -s "$f" "$WORK/fallback/$name"
done
[[ -n "$(ls "$WORK/fallback")" ]] && common+=:$WORK/fallback
export LD_LIBRARY_PATH=$common${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
IMGFEAT=$WORK/imgfeat
printf '#!/bin/sh\nLD_LIBRARY_PATH=%s:$LD_LIBRARY_PATH IMGFEAT_VULKAN_LOADER=%s exec %s "$@"\n' \
  "$WORK/root/lib" "$WORK/root/lib/libvulkan.so.1" "$WORK/root/bin/imgfeat" > "$IMGFEAT"
chmod +x "$IMGFEAT"

# The Vulkan driver: VK_DRIVER_FILES if given, else NVIDIA's ICD where drivers keep it.
if [[ -z "${VK_DRIVER_FILES:-}" && -z "${VK_ICD_FILENAMES:-}" ]]; then
  icds=()
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for f in "$d"/nvidia*.json; do [[ -f $f ]] && icds+=("$f"); done
  done
  if (( ${#icds[@]} )); then
    export VK_DRIVER_FILES=${icds[0]}
    say "Vulkan driver: ${icds[0]} (found ${#icds[@]} NVIDIA ICD file(s))"
  else
    say "no NVIDIA ICD in the usual folders: the loader's own search decides (lavapipe on a machine without a GPU)"
  fi
else
  say "Vulkan driver files from the environment: ${VK_DRIVER_FILES:-$VK_ICD_FILENAMES}"
fi

# ncnn: the wheel for this Python, unzipped (no pip, no network).
tag=$("$PY" -c 'import sys; print("cp%d%d" % sys.version_info[:2])' 2>/dev/null)
wheel=$(ls "$KIT"/wheels/ncnn-*-"$tag"-*.whl 2>/dev/null | head -1)
if [[ -n "$wheel" ]]; then
  [[ -d "$WORK/site-$tag/ncnn" ]] || "$PY" -m zipfile -e "$wheel" "$WORK/site-$tag"
  export PYTHONPATH=$WORK/site-$tag${PYTHONPATH:+:$PYTHONPATH}
else
  say "no ncnn wheel for ${tag:-this python} in the kit ($(ls "$KIT/wheels" | tr '\n' ' ')): ncnn rows will say so"
fi

{
  echo "kit: $(head -1 "$KIT/KIT.txt")"
  echo "host: $(uname -srm); $(ldd --version 2>&1 | head -1); python: $("$PY" --version 2>&1) at $(command -v "$PY")"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "\$ imgfeat devices"
  timeout 60 "$IMGFEAT" devices 2>&1
  echo "(exit $?)"
} > "$OUT/devices.txt" 2>&1
cat "$OUT/devices.txt" >&2
if ! grep -q "^\[0\]" "$OUT/devices.txt"; then
  say "imgfeat found no Vulkan device; what the driver's library needs:"
  for f in ${VK_DRIVER_FILES//:/ }; do
    lib=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$f")
    path=$(ldconfig -p 2>/dev/null | awk -v n="$lib" '$1 == n { print $NF; exit }')
    echo "  $f -> $lib (${path:-not in ldconfig}): $(ldd "${path:-$lib}" 2>&1 | grep -c 'not found') missing" | tee -a "$OUT/devices.txt" >&2
    [[ -n "$path" ]] && ldd "$path" 2>&1 | grep "not found" | tee -a "$OUT/devices.txt" >&2
  done
fi

command="bash run.sh ${QUICK[*]} ${BUDGET[*]}"
# The benchmark keeps its own time budget; this outer bound only catches a driver that ignores it.
timeout 2700 "$PY" "$KIT/bench/vulkan_bench.py" --imgfeat "$IMGFEAT" --out "$WORK/bench" --seeds "$KIT/seeds" \
  --results "$OUT" --json-name results.json --param "$KIT/bench/ncnn/mobilenet_v2.param" --command "${command% }" \
  "${QUICK[@]}" "${BUDGET[@]}"
status=$?
say "done in $((SECONDS - start)) s (benchmark exit $status); results in $OUT: $(ls "$OUT" | tr '\n' ' ')"
exit $status
