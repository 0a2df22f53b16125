#!/usr/bin/env bash
# Benchmark of the data tools against Caffe's numbers (../shared/golden/README.md,
# same 2-core VM): writes all 70,000 Fashion-MNIST images as PNG files, then times
#   create_lmdb --gray (no resize)        vs convert_imageset --gray         17,490 img/s
#   create_lmdb, colour, 32x32 resize     vs convert_imageset resize 32x32   12,260 img/s
#   compute_image_mean on the 60k LMDB    vs compute_image_mean              231,700 img/s
# on the 60,000 training images, with a warm page cache; each figure is the median of
# RUNS runs (default 5). Not a test: run it by hand, copy the figures to docs/BENCHMARKS.md.
#
#   scripts/bench_data.sh [WORKDIR]      (default /tmp/cortado-bench-data; BIN=build/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin}
WORK=${1:-/tmp/cortado-bench-data}
RUNS=${RUNS:-5}
DATA=/usr/share/datasets/fashion-mnist
for t in create_lmdb compute_image_mean; do
  [[ -x $BIN/$t ]] || { echo "bench_data: $BIN/$t not built" >&2; exit 1; }
done
[[ -f $DATA/train-images-idx3-ubyte.gz ]] ||
  { echo "bench_data: $DATA missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }

mkdir -p "$WORK"
if [[ ! -f $WORK/train/list.txt || ! -f $WORK/test/list.txt ]]; then
  echo "writing 70,000 PNG files to $WORK/{train,test} ..."
  python3 scripts/fashion_mnist_to_png.py "$DATA/train-images-idx3-ubyte.gz" \
    "$DATA/train-labels-idx1-ubyte.gz" "$WORK/train"
  python3 scripts/fashion_mnist_to_png.py "$DATA/t10k-images-idx3-ubyte.gz" \
    "$DATA/t10k-labels-idx1-ubyte.gz" "$WORK/test"
fi
N=$(wc -l <"$WORK/train/list.txt")
find "$WORK/train" -name "*.png" -exec cat {} + >/dev/null  # warm the page cache, as for Caffe's medians

# "wall cpu" seconds for one run of "$@" (whole process; cpu = user + sys, which a
# busy machine inflates less than wall time)
seconds() {
  /usr/bin/time -f "%e %U %S" -o "$WORK/.time" "$@" >/dev/null 2>&1
  awk '{printf "%s %.3f\n", $1, $2 + $3}' "$WORK/.time"
}

# RUNS runs of "$@"; prints "median min max cpu_median" (seconds)
measure() {
  local runs=()
  for ((i = 0; i < RUNS; i++)); do runs+=("$(seconds "$@")"); done
  local wall cpu
  wall=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f1 | sort -g | awk '{a[NR]=$1} END {printf "%.3f %.3f %.3f", a[int((NR+1)/2)], a[1], a[NR]}')
  cpu=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f2 | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}')
  echo "$wall $cpu"
}

report() {  # name, caffe img/s, "median min max cpu" seconds
  local name=$1 caffe=$2 med min max cpu
  read -r med min max cpu <<<"$3"
  local rate best
  rate=$(echo "$N / $med" | bc -l)
  best=$(echo "$N / $min" | bc -l)
  printf '%-40s median %6.3f s %7.0f img/s (best %7.0f)  Caffe %6d img/s  ratio %.2f (best %.2f)  cpu %.3f s\n' \
    "$name" "$med" "$rate" "$best" "$caffe" "$(echo "$rate / $caffe" | bc -l)" "$(echo "$best / $caffe" | bc -l)" "$cpu"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u +%Y-%m-%d); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "images: $N (28x28 gray PNG)"
report "create_lmdb --gray (no resize)" 17490 \
  "$(measure "$BIN/create_lmdb" --force --gray --list "$WORK/train/list.txt" "$WORK/train" "$WORK/gray_lmdb")"
report "create_lmdb colour, resize 32x32" 12260 \
  "$(measure "$BIN/create_lmdb" --force --resize-height 32 --resize-width 32 --list "$WORK/train/list.txt" "$WORK/train" "$WORK/resize32_lmdb")"
report "compute_image_mean (60k 1x28x28 LMDB)" 231700 \
  "$(measure "$BIN/compute_image_mean" "$WORK/gray_lmdb" "$WORK/mean.binaryproto")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
