#!/usr/bin/env bash
# Installs Cortado's dependencies from Debian's packages (idempotent) and builds
# it into build/ (executables in build/bin). Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  protobuf-compiler libprotobuf-dev
  liblmdb-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libeigen3-dev libspdlog-dev libcli11-dev catch2 zlib1g-dev
  libgraphviz-dev libgvc6 gnuplot-nox
  libhdf5-dev
  dataset-fashion-mnist python3 python3-numpy
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "${1:-}" = "--no-build" ] && exit 0
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${CORTADO_CMAKE_ARGS:-} >/dev/null
cmake --build build -j "${CORTADO_JOBS:-$(nproc)}"
echo "setup: built; add the tools to your PATH with: export PATH=\"$PWD/build/bin:\$PATH\""
