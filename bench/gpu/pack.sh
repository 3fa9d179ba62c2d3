#!/usr/bin/env bash
# Packs a self-contained kit that runs bench/vulkan_bench.py and an end-to-end `imgfeat featurize --device
# vulkan` on a bare x86-64 Linux machine with an NVIDIA driver and Python 3 (PyTorch and Pillow optional):
# no Swift, no compilers, no network there. See bench/README.md for the device call.
#
#   bash bench/gpu/pack.sh DIR        # e.g. bench/gpu/kit (git-ignored), then: bash DIR/run.sh [--quick]
#
# DIR gets: run.sh; imgfeat.tar.xz (bin/imgfeat built with --static-swift-stdlib, its shaders beside it in
# bin/imgfeat_Shaders.resources/glsl, lib/ with every non-glibc shared library `ldd` names and Debian's Vulkan
# loader); x11.tar.xz (libGLdispatch and the X11 client libraries NVIDIA's Vulkan driver may need, used only
# where the machine lacks them); wheels/ (the PyPI ncnn wheel for CPython 3.12 manylinux, and for this
# machine's python3 when that is another version, so the kit's own check runs here); bench/ (the benchmark
# scripts and ncnn's mobilenet_v2.param); seeds/ (JPEGs to copy where Pillow is missing); KIT.txt.
# Environment: SCRATCH (build folder of the static binary, .build-static; always brought up to date from
# the working tree, an incremental build, so a kit never carries a stale binary; BENCH_BUILD=0 packs it as it is), PYTHON (python with pip and Pillow, for `pip download` and the seed JPEGs; default bench/.venv/bin/python,
# made with Pillow when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${1:?usage: pack.sh DIR}
SCRATCH=${SCRATCH:-.build-static}
NCNN=ncnn==1.0.20261020
# The JPEG seeds are made with Pillow: on a fresh clone bench/.venv (which the benchmarks share) gets it here.
if [[ -z "${PYTHON:-}" ]] && ! bench/.venv/bin/python -c "import PIL" 2>/dev/null; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q pillow
fi
PY=${PYTHON:-bench/.venv/bin/python}
LIMIT_MIB=60

bin="$SCRATCH/release/imgfeat"
if [[ "${BENCH_BUILD:-1}" != 0 || ! -x "$bin" ]]; then
  swift build -c release --static-swift-stdlib --product imgfeat --scratch-path "$SCRATCH"
fi
resources="$SCRATCH/release/imgfeat_Shaders.resources/glsl"
[[ -d "$resources" ]] || { echo "pack: $resources is missing (the shader bundle of the build)" >&2; exit 1; }

rm -rf "$DIR"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/root/bin" "$stage/root/lib" "$stage/debs" "$stage/x11/lib"

# The binary, stripped, and its shaders where ShaderSource looks for them (beside the executable).
cp "$bin" "$stage/root/bin/imgfeat"
strip "$stage/root/bin/imgfeat" 2>/dev/null || true
mkdir -p "$stage/root/bin/imgfeat_Shaders.resources"
cp -r "$resources" "$stage/root/bin/imgfeat_Shaders.resources/glsl"

# Every shared library ldd resolves that glibc does not provide.
glibc='^(linux-vdso|ld-linux|libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|libmvec)\.so'
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r name path; do
  [[ "$name" =~ $glibc ]] && continue
  cp -L "$path" "$stage/root/lib/$name"
done
if ldd "$bin" | grep -q "not found"; then echo "pack: ldd $bin: a library is not found" >&2; exit 1; fi

# Debian's Vulkan loader, and the small client libraries of the NVIDIA ICD (kept apart: fallbacks only).
(cd "$stage/debs" && apt-get download -q libvulkan1 libglvnd0 libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 >/dev/null)
for deb in "$stage"/debs/*.deb; do dpkg -x "$deb" "$stage/unpacked"; done
libs="$stage/unpacked/usr/lib/x86_64-linux-gnu"
cp -L "$libs/libvulkan.so.1" "$stage/root/lib/libvulkan.so.1"
ln -s libvulkan.so.1 "$stage/root/lib/libvulkan.so"
for name in libGLdispatch.so.0 libX11.so.6 libXext.so.6 libxcb.so.1 libXau.so.6 libXdmcp.so.6; do
  cp -L "$libs/$name" "$stage/x11/lib/$name"
done
for name in libbsd.so.0 libmd.so.0; do cp -L "$stage/unpacked/usr/lib/x86_64-linux-gnu/$name" "$stage/x11/lib/$name" 2>/dev/null ||
  cp -L "$stage/unpacked/lib/x86_64-linux-gnu/$name" "$stage/x11/lib/$name"; done

XZ_OPT="-9 -T0" tar -C "$stage/root" -cJf "$DIR/imgfeat.tar.xz" bin lib
XZ_OPT="-9 -T0" tar -C "$stage/x11" -cJf "$DIR/x11.tar.xz" lib

# ncnn wheels: CPython 3.12 (the GPU machine's), and this machine's python3 when it is another version.
mkdir -p "$DIR/wheels"
versions="3.12 $(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
for v in $(echo "$versions" | tr ' ' '\n' | sort -u); do
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$v" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$DIR/wheels" "$NCNN"
done

# The benchmark scripts (the driver needs only the standard library) and ncnn's network description.
mkdir -p "$DIR/bench/gpu" "$DIR/bench/ncnn"
cp bench/vulkan_*.py bench/cpu_bench.py bench/cpu_bench_model.py "$DIR/bench/"
cp bench/gpu/gen_jpegs.py "$DIR/bench/gpu/"
cp bench/ncnn/mobilenet_v2.param bench/ncnn/README.md "$DIR/bench/ncnn/"
cp bench/gpu/run.sh "$DIR/run.sh"
chmod +x "$DIR/run.sh"

# Seed JPEGs for a Python without Pillow (drawn here with Pillow, then named by size).
"$PY" bench/gpu/gen_jpegs.py "$stage/s100" 64 100 100 --seed 11 >/dev/null
"$PY" bench/gpu/gen_jpegs.py "$stage/s640" 8 640 480 --seed 12 >/dev/null
mkdir -p "$DIR/seeds"
i=0; for f in "$stage"/s100/*/*.jpg; do cp "$f" "$DIR/seeds/seed_$((i++))_100x100.jpg"; done
i=0; for f in "$stage"/s640/*/*.jpg; do cp "$f" "$DIR/seeds/seed_$((i++))_640x480.jpg"; done

{
  echo "imgfeat GPU kit, packed $(date -u '+%F %T UTC') on $(uname -n) from commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "binary: $bin, swift build -c release --static-swift-stdlib --product imgfeat"
  echo "libraries in imgfeat.tar.xz/lib: $(ls "$stage/root/lib" | tr '\n' ' ')"
  echo "fallback libraries in x11.tar.xz: $(ls "$stage/x11/lib" | tr '\n' ' ')"
  echo "wheels: $(ls "$DIR/wheels" | tr '\n' ' ')"
  echo "Debian packages: $(cd "$stage/debs" && ls | tr '\n' ' ')"
} > "$DIR/KIT.txt"

bytes=$(du -sb "$DIR" | cut -f1)
echo "pack: $DIR is $(du -sh "$DIR" | cut -f1) ($bytes bytes)"
(( bytes <= LIMIT_MIB * 1048576 )) || { echo "pack: the kit is over $LIMIT_MIB MiB" >&2; exit 1; }
