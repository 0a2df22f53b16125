#!/usr/bin/env bash
# LeNet training check (too slow for CI): trains our LeNet (testdata/solvers) with the
# golden solver settings for 1000 iterations on the CPU on the full Fashion-MNIST (60k
# train, 10k test), and compares the final test accuracy with Caffe's 0.8599
# (../shared/golden/README.md); it must be within one point.
# With --gpu N it then trains the same net on GPU N and requires the GPU run's final
# test accuracy to be within half a point of the CPU run's (scripts/gpu_check.sh runs
# this on the lent GPU machine).
# The LMDBs come from Debian's dataset-fashion-mnist: the idx files are written out as
# 28x28 gray PNGs in file order (scripts/fashion_mnist_to_png.py) and converted with
# create_lmdb --gray: the same 1x28x28 uint8 datums as Caffe's convert_mnist_data, in the
# same order (keys %08d_<file>).
# Usage: scripts/check_lenet_training.sh [--gpu N] [--lmdb-dir DIR] [--lmdb-only] [WORKDIR]
#   --lmdb-dir DIR  where the two LMDBs are (made there when missing; default WORKDIR)
#   --lmdb-only     make the LMDBs and stop (needs the dataset and create_lmdb)
#   WORKDIR         kept if given; a temporary folder otherwise
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${CORTADO_BIN:-$root/build/bin}"
data="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
gpu="" lmdb_dir="" lmdb_only=0 work=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --gpu) gpu="$2"; shift ;;
    --lmdb-dir) lmdb_dir="$2"; shift ;;
    --lmdb-only) lmdb_only=1 ;;
    -*) echo "check_lenet_training.sh: unknown option '$1'" >&2; exit 2 ;;
    *) work="$1" ;;
  esac
  shift
done
if [[ -n "$work" ]]; then
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
work="$(cd "$work" && pwd)"
lmdb_dir="${lmdb_dir:-$work}"
mkdir -p "$lmdb_dir"
lmdb_dir="$(cd "$lmdb_dir" && pwd)"
cd "$work"

make_lmdb() {  # prefix (train|t10k), lmdb name
  [[ -d "$lmdb_dir/$2" ]] && return
  python3 "$root/scripts/fashion_mnist_to_png.py" "$data/$1-images-idx3-ubyte.gz" \
    "$data/$1-labels-idx1-ubyte.gz" "png_$1"
  "$bin/create_lmdb" --list "png_$1/list.txt" --gray "png_$1" "$lmdb_dir/$2" 2>"create_$1.log"
  rm -rf "png_$1"
}
make_lmdb train fashion_mnist_train_lmdb
make_lmdb t10k fashion_mnist_test_lmdb
[[ "$lmdb_only" = 1 ]] && exit 0

sed -e "s|fashion_mnist_train1000_lmdb|$lmdb_dir/fashion_mnist_train_lmdb|" \
    -e "s|fashion_mnist_test200_lmdb|$lmdb_dir/fashion_mnist_test_lmdb|" \
    "$root/testdata/solvers/lenet_train_test.prototxt" >lenet_train_test.prototxt
cp "$root/testdata/solvers/lenet_solver.prototxt" lenet_solver.prototxt

# train_run NAME [train flags...]: trains into NAME/, prints its log's key lines.
train_run() {
  local name="$1"
  shift
  mkdir -p "$name"
  sed "s|^snapshot_prefix: .*|snapshot_prefix: \"$name/lenet\"|" lenet_solver.prototxt >"$name/solver.prototxt"
  local start end
  start=$(date +%s.%N)
  "$bin/train" --solver "$name/solver.prototxt" --metrics "$name/metrics.jsonl" "$@" 2>"$name/train.log"
  end=$(date +%s.%N)
  echo "== $name: $(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}') s"
  grep -E "Test net output|Iteration [0-9]+, loss|Iteration [0-9]+ \(" "$name/train.log" | sed 's/^.*\] //'
}
train_run cpu
if [[ -n "$gpu" ]]; then train_run gpu --gpu "$gpu"; fi

python3 - "$gpu" <<'PY'
import json, sys
def final(run):
    tests = [json.loads(l) for l in open(run + "/metrics.jsonl") if '"phase":"test"' in l]
    t = tests[-1]
    return t["iter"], t["outputs"]["accuracy"], t["outputs"]["loss"]
it, acc, loss = final("cpu")
ok = it == 1000 and abs(acc - 0.8599) <= 0.01
print("CPU: iteration %d: accuracy = %.4f, loss = %.6f; Caffe: 0.8599, 0.389776 -> %s"
      % (it, acc, loss, "PASS (within one point)" if ok else "FAIL"))
if sys.argv[1]:
    git, gacc, gloss = final("gpu")
    gok = git == 1000 and abs(gacc - acc) <= 0.005
    print("GPU: iteration %d: accuracy = %.4f, loss = %.6f; CPU run: %.4f -> %s"
          % (git, gacc, gloss, acc, "PASS (within half a point)" if gok else "FAIL"))
    ok = ok and gok
sys.exit(0 if ok else 1)
PY
