#!/usr/bin/env bash
# Installs everything imgfeat needs to build and test on a fresh Debian 12 machine:
# the C libraries behind the Swift shims, lavapipe + the validation layer for the Vulkan path,
# and the Python oracles (Keras, Pillow, pyarrow, ...) in .venv inside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  pkg-config
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  glslang-dev glslang-tools spirv-tools
  libjpeg62-turbo-dev libjpeg-turbo-progs
  libcurl4-openssl-dev
  libopenblas-dev liblapacke-dev
  libhdf5-dev
  libsnappy-dev libzstd-dev zlib1g-dev
  default-jre-headless
  # The NEON kernels' test under emulation (scripts/test_ckernels.sh).
  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python oracles and test tools, kept inside the checkout.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
REQ=scripts/requirements-test.txt
STAMP=.venv/.requirements.sha
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r "$REQ"
  echo "$want" > "$STAMP"
fi
