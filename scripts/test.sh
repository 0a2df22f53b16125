#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (CTest). The README's second command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="${CORTADO_JOBS:-$(nproc)}"
(cd build && ctest --output-on-failure -j "$jobs" "$@")

# The GPU backend's own code (kernels, streams, CUDA graphs, cuBLAS/cuDNN calls) on the
# CPU: test_gpu built against cuda_emu (test/support/cuda_emu), since CI has no GPU and
# the GPU tests of the build above skip there. CORTADO_EMU_TESTS=0 leaves this out.
if [ "${CORTADO_EMU_TESTS:-1}" = 1 ] && [ $# -eq 0 ]; then
  echo "test: the GPU tests on the CPU emulator (build-emu/)"
  cmake -S . -B build-emu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORTADO_CUDA=EMU >/dev/null
  cmake --build build-emu -j "$jobs" --target test_gpu
  (cd build-emu && ctest --output-on-failure -j "$jobs" -R '^gpu:')
fi
