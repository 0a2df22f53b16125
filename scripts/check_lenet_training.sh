#!/usr/bin/env bash
# LeNet training check (too slow for CI): trains our LeNet (testdata/solvers) with the
# golden solver settings for 1000 iterations on the CPU on the full Fashion-MNIST (60k
# train, 10k test), and compares the final test accuracy with Caffe's 0.8599
# (../shared/golden/README.md); it must be within one point.
# The LMDBs come from Debian's dataset-fashion-mnist: the idx files are written out as
# 28x28 gray PNGs in file order (scripts/fashion_mnist_to_png.py) and converted with
# create_lmdb --gray: the same 1x28x28 uint8 datums as Caffe's convert_mnist_data, in the
# same order (keys %08d_<file>).
# Usage: scripts/check_lenet_training.sh [WORKDIR]   (WORKDIR is kept if given)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/bin"
data="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
if [[ $# -ge 1 ]]; then
  work="$1"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
cd "$work"

make_lmdb() {  # prefix (train|t10k), lmdb name
  [[ -d "$2" ]] && return
  python3 "$root/scripts/fashion_mnist_to_png.py" "$data/$1-images-idx3-ubyte.gz" \
    "$data/$1-labels-idx1-ubyte.gz" "png_$1"
  "$bin/create_lmdb" --list "png_$1/list.txt" --gray "png_$1" "$2" 2>"create_$1.log"
  rm -rf "png_$1"
}
make_lmdb train fashion_mnist_train_lmdb
make_lmdb t10k fashion_mnist_test_lmdb

sed -e 's/fashion_mnist_train1000_lmdb/fashion_mnist_train_lmdb/' \
    -e 's/fashion_mnist_test200_lmdb/fashion_mnist_test_lmdb/' \
    "$root/testdata/solvers/lenet_train_test.prototxt" >lenet_train_test.prototxt
cp "$root/testdata/solvers/lenet_solver.prototxt" lenet_solver.prototxt

start=$(date +%s.%N)
"$bin/train" --solver lenet_solver.prototxt --metrics metrics.jsonl 2>train.log
end=$(date +%s.%N)
grep -E "Test net output|Iteration [0-9]+, loss|Iteration [0-9]+ \(" train.log | sed 's/^.*\] //'
python3 - "$start" "$end" <<'PY'
import json, sys
tests = [json.loads(l) for l in open("metrics.jsonl") if '"phase":"test"' in l]
final = tests[-1]
acc, loss = final["outputs"]["accuracy"], final["outputs"]["loss"]
ok = final["iter"] == 1000 and abs(acc - 0.8599) <= 0.01
print("wall %.1f s; iteration %d: accuracy = %.4f, loss = %.6f; Caffe: 0.8599, 0.389776 -> %s"
      % (float(sys.argv[2]) - float(sys.argv[1]), final["iter"], acc, loss,
         "PASS (within one point)" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
