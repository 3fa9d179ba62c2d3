#!/usr/bin/env bash
# EMR bootstrap action (also usable by hand on any node): installs a Vulkan driver, imgfeat's shared
# libraries and the imgfeat bundle from S3, so that Spark executors can run `imgfeat featurize`.
#
#   emr-bootstrap.sh s3://BUCKET/path/imgfeat-linux-x86_64.tar.gz [--weights s3://BUCKET/path/FILE.h5]
#                    [--gpu | --cpu]
#
# The bundle is a tar.gz holding `imgfeat` and, next to it, `imgfeat_Shaders.resources/` (the GLSL
# sources SwiftPM copies beside the executable; imgfeat finds them there). Build it on the nodes'
# OS (docs/SPARK.md, "Building the bundle"). It is unpacked into /opt/imgfeat and linked as
# /usr/local/bin/imgfeat. With --weights the Keras file is copied to /opt/imgfeat/weights/; pass that
# path as the job's --weights. GPU or CPU is detected (nvidia-smi / an NVIDIA PCI device) unless given.
set -euo pipefail

usage() { echo "usage: $0 s3://…/imgfeat.tar.gz [--weights s3://…/FILE.h5] [--gpu|--cpu]" >&2; exit 2; }
[ $# -ge 1 ] || usage
BUNDLE=$1; shift
WEIGHTS=""
MODE=auto
while [ $# -gt 0 ]; do
  case $1 in
    --weights) [ $# -ge 2 ] || usage; WEIGHTS=$2; shift 2 ;;
    --gpu) MODE=gpu; shift ;;
    --cpu) MODE=cpu; shift ;;
    *) usage ;;
  esac
done

if [ "$MODE" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 || grep -qi '^0x10de$' /sys/bus/pci/devices/*/vendor 2>/dev/null; then
    MODE=gpu
  else
    MODE=cpu
  fi
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Runtime libraries of imgfeat (the -dev packages of scripts/setup.sh, without headers); GPU nodes add
# the Vulkan loader (imgfeat opens it at run time; CPU nodes run --device cpu and need no Vulkan).
if command -v apt-get >/dev/null 2>&1; then
  packages=(libjpeg62-turbo libcurl4 libopenblas0 liblapacke libhdf5-103-1 libsnappy1v5 libzstd1 zlib1g
            ca-certificates)
  [ "$MODE" = gpu ] && packages+=(libvulkan1 vulkan-tools)
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
  if [ "$MODE" = gpu ]; then
    # Debian ships the ICD in non-free, matching its own driver package; NVIDIA's .run installer and
    # cloud GPU images install nvidia_icd.json themselves, so a missing package is only a warning.
    $SUDO apt-get install -y -qq --no-install-recommends nvidia-vulkan-icd ||
      echo "emr-bootstrap: nvidia-vulkan-icd not installable here (non-free not enabled?)" >&2
  fi
elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then
  PM=$(command -v dnf || command -v yum)
  packages=(libjpeg-turbo libcurl openblas hdf5 snappy libzstd zlib)
  # On EMR GPU instances the NVIDIA driver is preinstalled and brings its Vulkan ICD
  # (/usr/share/vulkan/icd.d/nvidia_icd.json).
  [ "$MODE" = gpu ] && packages+=(vulkan-loader vulkan-tools)
  $SUDO "$PM" install -y -q "${packages[@]}" || {
    echo "emr-bootstrap: some packages are not in this distribution's repositories; the bundle must carry them in lib/" >&2
  }
else
  echo "emr-bootstrap: neither apt-get nor dnf/yum found; install imgfeat's libraries (and on GPU nodes the Vulkan loader and driver) by hand" >&2
  exit 1
fi

if [ "$MODE" = gpu ] && ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  echo "emr-bootstrap: GPU node without the NVIDIA Vulkan ICD (nvidia_icd.json); imgfeat --device vulkan will not find the GPU" >&2
fi

fetch() {  # fetch SOURCE DEST: s3:// through the AWS CLI (present on EMR), anything else through curl
  case $1 in
    s3://*|s3a://*) aws s3 cp --only-show-errors "s3://${1#*://}" "$2" ;;
    *) curl -fsSL "$1" -o "$2" ;;
  esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch "$BUNDLE" "$work/imgfeat.tar.gz"
$SUDO mkdir -p /opt/imgfeat
$SUDO tar -xzf "$work/imgfeat.tar.gz" -C /opt/imgfeat
binary=$(find /opt/imgfeat -maxdepth 2 -type f -name imgfeat | head -n 1)
[ -n "$binary" ] || { echo "emr-bootstrap: $BUNDLE holds no imgfeat executable" >&2; exit 1; }
$SUDO chmod 755 "$binary"
# Libraries the distribution lacks may travel in the bundle's lib/ folder.
if [ -d /opt/imgfeat/lib ]; then
  echo /opt/imgfeat/lib | $SUDO tee /etc/ld.so.conf.d/imgfeat.conf >/dev/null
  $SUDO ldconfig
fi
$SUDO ln -sf "$binary" /usr/local/bin/imgfeat

if [ -n "$WEIGHTS" ]; then
  $SUDO mkdir -p /opt/imgfeat/weights
  fetch "$WEIGHTS" "$work/weights.h5"
  $SUDO mv "$work/weights.h5" "/opt/imgfeat/weights/$(basename "$WEIGHTS")"
  $SUDO chmod -R a+rX /opt/imgfeat/weights
fi

# Fails the bootstrap (and so the node) early when the binary cannot start or, on a GPU node, see a
# Vulkan device.
if [ "$MODE" = gpu ]; then
  /usr/local/bin/imgfeat devices
else
  /usr/local/bin/imgfeat --help >/dev/null
fi
echo "emr-bootstrap: imgfeat installed ($MODE node); use --device $([ "$MODE" = gpu ] && echo vulkan || echo cpu)"
