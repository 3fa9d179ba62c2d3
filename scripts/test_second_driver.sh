#!/usr/bin/env bash
# The Vulkan tests on a second Vulkan implementation: the lavapipe of bookworm-backports' Mesa (25.x
# today), next to the system's (Debian 12's Mesa 22.3). The engine meets drivers no test has run on; a
# second, newer driver (another shader compiler, Vulkan 1.4, its own timings, so the launch tuning
# decides otherwise) checks that nothing in the engine or the tests leans on the first one. Not part of
# the test command: it takes about 12 minutes on the 2-core machine (docs/VULKAN.md, "Tests").
#
# The packages are downloaded with apt-get from bookworm-backports through a private source list and
# unpacked under $DIR (default .build/second-driver); nothing is installed. Needs a release build with
# tests (`swift build -c release --build-tests`). Arguments go to `swift test` (default: --filter VulkanTests).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(mkdir -p "${DIR:-.build/second-driver}" && cd "${DIR:-.build/second-driver}" && pwd)
apt_dir="$DIR/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$DIR/debs"
echo "deb http://deb.debian.org/debian bookworm-backports main" > "$apt_dir/sources.list"
apt_options=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=-"
             -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives" -o "APT::Get::List-Cleanup=0")
apt-get "${apt_options[@]}" update -qq
# mesa-vulkan-drivers wants a newer libdrm than bookworm's; the rest of its libraries are bookworm's.
(cd "$DIR/debs" && apt-get "${apt_options[@]}" download -t bookworm-backports mesa-vulkan-drivers libdrm2 libdrm-amdgpu1)
rm -rf "$DIR/root"
for deb in "$DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$DIR/root"; done
lib="$DIR/root/usr/lib/x86_64-linux-gnu"
[[ -f "$lib/libvulkan_lvp.so" ]] || { echo "test_second_driver: no libvulkan_lvp.so in the backports package" >&2; exit 1; }
sed "s|\"libvulkan_lvp.so\"|\"$lib/libvulkan_lvp.so\"|" "$DIR/root/usr/share/vulkan/icd.d/lvp_icd.json" > "$DIR/lvp_icd.json"

export VK_ICD_FILENAMES="$DIR/lvp_icd.json" VK_DRIVER_FILES="$DIR/lvp_icd.json" LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export IMGFEAT_VULKAN_VALIDATION=1
driver=$(.build/release/imgfeat devices | sed -n 's/^    driver: //p' | head -1)
case "$driver" in
  *bpo*) echo "test_second_driver: $driver" ;;
  *) echo "test_second_driver: the loader did not take the backports driver (found: ${driver:-none})" >&2; exit 1 ;;
esac
[[ $# -gt 0 ]] || set -- --filter VulkanTests
swift test -c release --skip-build "$@"
