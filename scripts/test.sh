#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (CTest). The README's second command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j "${CORTADO_JOBS:-$(nproc)}" "$@"
