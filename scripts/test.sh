#!/usr/bin/env bash
# The project's test command: installs what it needs, regenerates the oracle fixtures with the real
# libraries (Pillow, Keras, pyarrow, ...), then runs the Swift tests and the Python cross-checks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/fixtures/generate.sh

# Module layering (docs/ARCHITECTURE.md): every import declared in Package.swift and allowed by its layer.
imports_status=0
python3 scripts/check_imports.py || imports_status=$?

# Every SIMD kernel set against the scalar one in C: natively, under AddressSanitizer, and NEON under
# qemu-aarch64 (about 35 s on an idle machine).
ck_status=0
bash scripts/test_ckernels.sh || ck_status=$?

# The Vulkan tests run on whatever Vulkan device the loader finds (lavapipe on a machine without a
# GPU) with the Khronos validation layer on; any validation message fails the test that caused it.
export IMGFEAT_VULKAN_VALIDATION=1
# Release mode: the reference engine at alpha 1.0 / 224 is far too slow unoptimised. Tests use only
# public API, so they need no -enable-testing.
swift build -c release --build-tests
swift_status=0
swift test -c release --skip-build || swift_status=$?

py_status=0
if compgen -G "Tests/python/test_*.py" >/dev/null; then
  .venv/bin/python -m pytest -q Tests/python || py_status=$?
fi
[ "$imports_status" -eq 0 ] && [ "$ck_status" -eq 0 ] && [ "$swift_status" -eq 0 ] && [ "$py_status" -eq 0 ]
