#!/usr/bin/env bash
# Golden check (not a CI test): Caffe's LeNet at iteration 1000, scored by our `test`
# tool on the full 10k Fashion-MNIST test set, must give Caffe's numbers:
#   accuracy = 0.8599, loss = 0.389776   (golden/lenet/caffe_test_iter_1000.log)
# The test LMDB is rebuilt from Debian's dataset-fashion-mnist: the t10k idx files are
# written out as 28x28 gray PNGs in file order (plain Python, no modules needed) and
# converted with create_lmdb --gray, which stores the same 1x28x28 uint8 datums as
# Caffe's convert_mnist_data, in the same order (keys %08d_<file>).
# Usage: scripts/check_golden_lenet.sh [caffemodel]   (default: testdata/lenet/lenet_iter_1000.caffemodel)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/bin"
weights="${1:-$root/testdata/lenet/lenet_iter_1000.caffemodel}"
data="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$data" "$work/png" <<'PY'
import gzip, os, struct, sys, zlib
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
def png(path, w, h, pixels):
    raw = b"".join(b"\0" + pixels[r * w:(r + 1) * w] for r in range(h))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
images = gzip.open(os.path.join(src, "t10k-images-idx3-ubyte.gz")).read()
labels = gzip.open(os.path.join(src, "t10k-labels-idx1-ubyte.gz")).read()
magic, n, rows, cols = struct.unpack(">IIII", images[:16])
assert magic == 2051 and struct.unpack(">II", labels[:8]) == (2049, n)
with open(os.path.join(out, "list.txt"), "w") as lst:
    for i in range(n):
        name = "%05d.png" % i
        png(os.path.join(out, name), cols, rows, images[16 + i * rows * cols:16 + (i + 1) * rows * cols])
        lst.write("%s %d\n" % (name, labels[8 + i]))
print("wrote %d images" % n, file=sys.stderr)
PY

"$bin/create_lmdb" --list "$work/png/list.txt" --gray "$work/png" "$work/fashion_mnist_test_lmdb" \
  >"$work/create.log" 2>&1
cd "$work"
"$bin/test" --model "$root/testdata/nets/lenet_train_test.prototxt" --weights "$weights" \
  --iterations 100 2>"$work/test.log"
grep -E "\] (Loss: |accuracy = |loss = )" "$work/test.log" | sed 's/^.*\] //'
acc=$(grep -E "\] accuracy = " "$work/test.log" | tail -1 | sed 's/.*accuracy = //')
loss=$(grep -E "\] loss = " "$work/test.log" | tail -1 | sed 's/.*loss = \([0-9.e-]*\).*/\1/')
python3 - "$acc" "$loss" <<'PY'
import sys
acc, loss = float(sys.argv[1]), float(sys.argv[2])
ok = abs(acc - 0.8599) < 5e-5 and abs(loss - 0.389776) < 5e-5
print("golden Caffe: accuracy = 0.8599, loss = 0.389776 -> %s" % ("MATCH" if ok else "MISMATCH"))
sys.exit(0 if ok else 1)
PY
