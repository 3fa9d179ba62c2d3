#!/usr/bin/env bash
# Holds every SIMD kernel set of Sources/CKernels against the scalar kernels with a C test driver
# (Tests/CKernels/kernel_sets_test.c): natively for the sets this CPU has (avx2, avx512 on x86-64),
# and cross-compiled for aarch64 and run under qemu-user for the NEON set, which no x86 machine can
# run natively. About 10 s. Needs qemu-user, libc6-dev-arm64-cross and gcc-aarch64-linux-gnu
# (scripts/setup.sh installs them). Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${TMPDIR:-/tmp}/imgfeat-ckernels-test
mkdir -p "$OUT"
SRC=(Tests/CKernels/kernel_sets_test.c Sources/CKernels/*.c)
FLAGS=(-O3 -fno-math-errno -Wall -Werror -ISources/CKernels/include)
CC=${CC:-$(command -v clang || command -v cc)}

echo "test_ckernels: native ($(uname -m), $CC)"
"$CC" "${FLAGS[@]}" "${SRC[@]}" -lm -lpthread -o "$OUT/native"
"$OUT/native"
# Again with AddressSanitizer where the compiler has it: a kernel writing past its scratch or output
# fails here even when the values it leaves happen to be right.
if "$CC" "${FLAGS[@]}" -g -fsanitize=address "${SRC[@]}" -lm -lpthread -o "$OUT/native-asan" >"$OUT/asan.log" 2>&1; then
  echo "test_ckernels: native with AddressSanitizer"
  "$OUT/native-asan"
fi

# aarch64: the same clang the Swift toolchain builds CKernels with on Arm, else the GNU cross compiler.
SYSROOT=/usr/aarch64-linux-gnu
if [[ "$(uname -m)" != aarch64 ]]; then
  command -v qemu-aarch64 >/dev/null || { echo "test_ckernels: qemu-aarch64 missing (run scripts/setup.sh)" >&2; exit 1; }
  built=0
  if command -v clang >/dev/null &&
     clang --target=aarch64-linux-gnu "${FLAGS[@]}" "${SRC[@]}" -lm -lpthread -o "$OUT/aarch64-clang" 2>"$OUT/clang.log"; then
    echo "test_ckernels: aarch64 under qemu (clang --target=aarch64-linux-gnu)"
    qemu-aarch64 -L "$SYSROOT" "$OUT/aarch64-clang" neon
    built=1
  fi
  if command -v aarch64-linux-gnu-gcc >/dev/null; then
    echo "test_ckernels: aarch64 under qemu (aarch64-linux-gnu-gcc)"
    aarch64-linux-gnu-gcc "${FLAGS[@]}" "${SRC[@]}" -lm -lpthread -o "$OUT/aarch64-gcc"
    qemu-aarch64 -L "$SYSROOT" "$OUT/aarch64-gcc" neon
    built=1
  fi
  [[ $built == 1 ]] || { echo "test_ckernels: no aarch64 compiler worked:"; cat "$OUT/clang.log"; exit 1; } >&2
fi
echo "test_ckernels: ok"
