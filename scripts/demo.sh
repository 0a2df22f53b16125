#!/usr/bin/env bash
# The Caffe cookbook, end to end, on Fashion-MNIST: the README's first command.
#
#   scripts/demo.sh [--quick] [--no-setup] [--work DIR]
#
# Installs what is missing and builds (scripts/setup.sh), then runs every step in
# a work folder (default: ./demo-work), printing each one as the command a user
# would type. --quick is the one-minute version the test suite runs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
SETUP=1
WORK="$ROOT/demo-work"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --no-setup) SETUP=0 ;;
    --work) WORK="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

[ "$SETUP" = 1 ] && "$ROOT/scripts/setup.sh"
BIN="${CORTADO_BIN:-$ROOT/build/bin}"
export PATH="$BIN:$PATH"
# The GPU when this build can use one (a one-iteration `time --gpu 0` is the probe),
# the CPU otherwise; every training and inference step below takes $GPU.
GPU=""
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 &&
   "$BIN/time" --model "$ROOT/testdata/nets/lenet_time.prototxt" --iterations 1 --gpu 0 \
     >/dev/null 2>&1; then
  GPU="--gpu 0"
fi
DATASET=/usr/share/datasets/fashion-mnist
CLASSES=tshirt,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle_boot

if [ "$QUICK" = 1 ]; then
  TRAIN_IMAGES=3000 TEST_IMAGES=500 MAX_ITER=200 TEST_INTERVAL=100 SNAPSHOT=100
  TEST_ITER=3 FINAL_TEST_ITER=5 FT_ITER=60 RESUME_ITER=150
else
  TRAIN_IMAGES=60000 TEST_IMAGES=10000 MAX_ITER=6000 TEST_INTERVAL=1000 SNAPSHOT=2000
  TEST_ITER=60 FINAL_TEST_ITER=100 FT_ITER=500 RESUME_ITER=1000
fi

# `test` and `time` are also shell builtins, so the demo calls those two by path.
# Every step is shown as the command a user would type, then run.
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; eval "$@"; }

start=$(date +%s)
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
WHERE="the CPU"
[ -n "$GPU" ] && WHERE="GPU 0"
echo "demo: working in $WORK, computing on $WHERE"

step "1. Data: Fashion-MNIST as image files named by class, then two LMDBs"
run python3 "$ROOT/scripts/fashion_mnist_to_png.py" $DATASET/train-images-idx3-ubyte.gz \
  $DATASET/train-labels-idx1-ubyte.gz images/train --limit $TRAIN_IMAGES
run python3 "$ROOT/scripts/fashion_mnist_to_png.py" $DATASET/t10k-images-idx3-ubyte.gz \
  $DATASET/t10k-labels-idx1-ubyte.gz images/test --limit $TEST_IMAGES
run "ls images/train | sed -n 1,3p"
run create_lmdb --classes $CLASSES --gray --shuffle --seed 1 --valid-fraction 0.1 images/train data
run create_lmdb --classes $CLASSES --gray images/test data/test_lmdb

step "2. Looking into the database"
run retrieve_lmdb --summary data/train_lmdb
run retrieve_lmdb --limit 5 data/valid_lmdb
run retrieve_lmdb --limit 5 --export samples data/valid_lmdb

step "3. The mean image"
run compute_image_mean data/train_lmdb mean.binaryproto
run convert_mean mean.binaryproto mean.npy
run convert_mean mean.binaryproto mean.png
run convert_mean --per-channel mean.binaryproto mean.txt

step "4. Nets and solver, written by netgen; the net drawn"
run netgen lenet --source data/train_lmdb --test-source data/valid_lmdb --batch-size 64 \
  --test-batch-size 100 --mean-file mean.binaryproto --scale 0.00390625 --num-output 10 \
  --out-train lenet_train.prototxt --out-test lenet_valid.prototxt
run netgen lenet --phase test --source data/test_lmdb --batch-size 100 \
  --mean-file mean.binaryproto --scale 0.00390625 --num-output 10 -o lenet_test.prototxt
run netgen lenet --phase deploy --batch-size 1 --num-output 10 -o lenet_deploy.prototxt
run netgen solver --train-net lenet_train.prototxt --test-net lenet_valid.prototxt \
  --test-iter $TEST_ITER --test-interval $TEST_INTERVAL --base-lr 0.01 --momentum 0.9 \
  --weight-decay 0.0005 --lr-policy inv --gamma 0.0001 --power 0.75 --display 100 \
  --max-iter $MAX_ITER --snapshot $SNAPSHOT --snapshot-prefix snapshots/lenet \
  --random-seed 1701 -o lenet_solver.prototxt
run cat lenet_solver.prototxt
run draw_net lenet_train.prototxt lenet.png --rankdir TB
mkdir -p snapshots

step "5. Training, with test phases and snapshots"
run "train --solver lenet_solver.prototxt $GPU 2>&1 | tee train.log"
FINAL=snapshots/lenet_iter_$MAX_ITER.caffemodel
run "$BIN/test" --model lenet_test.prototxt --weights $FINAL --iterations $FINAL_TEST_ITER $GPU "2>&1 | tee test.log"

step "5b. A run interrupted with Ctrl-C (SIGINT snapshots, then stops) and resumed"
run "sed -e 's#snapshots/lenet#snapshots/interrupted#' -e 's#^max_iter: .*#max_iter: $RESUME_ITER#' lenet_solver.prototxt > interrupted_solver.prototxt"
printf '$ train --solver interrupted_solver.prototxt %s2>interrupted.log &  # then Ctrl-C\n' "${GPU:+$GPU }"
train --solver interrupted_solver.prototxt $GPU 2>interrupted.log &
pid=$!
# Ctrl-C once the run is under way (its first display line is in the log).
for _ in $(seq 600); do
  grep -q 'Iteration 100 (' interrupted.log 2>/dev/null && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
kill -INT $pid 2>/dev/null || true
wait $pid
run "grep -E 'Snapshotting|Optimization' interrupted.log"
STATE=$(ls -t snapshots/interrupted_iter_*.solverstate | sed -n 1p)
run "resume --solver interrupted_solver.prototxt --snapshot $STATE $GPU 2>&1 | grep -E 'Resuming|Restor|Test net output|Optimization'"

step "6. Fine-tuning: a two-class 'footwear or not' net from the trained weights"
run "ls images/train | grep png | awk '{ print \$1, (\$1 ~ /^(sandal|sneaker|ankle_boot)\\./) ? 1 : 0 }' > footwear.txt"
run create_lmdb --list footwear.txt --gray --shuffle --seed 2 --valid-fraction 0.1 images/train footwear
run netgen lenet --source footwear/train_lmdb --test-source footwear/valid_lmdb --batch-size 64 \
  --test-batch-size 100 --mean-file mean.binaryproto --scale 0.00390625 --num-output 2 \
  --rename-last footwear_score --out-train footwear_train.prototxt --out-test footwear_valid.prototxt
run netgen solver --train-net footwear_train.prototxt --test-net footwear_valid.prototxt \
  --test-iter $TEST_ITER --test-interval $FT_ITER --base-lr 0.001 --momentum 0.9 \
  --weight-decay 0.0005 --display 50 --max-iter $FT_ITER --snapshot $FT_ITER \
  --snapshot-prefix snapshots/footwear --random-seed 1701 -o footwear_solver.prototxt
run "finetune --solver footwear_solver.prototxt --weights $FINAL $GPU 2>&1 | tee finetune.log | grep -E '^(copied|new|frozen)|Test net output|Optimization'"

step "7. The training log as tables and a chart"
run parse_log train.log . --plot loss.png
run "head -4 train.log.train train.log.test"

step "8. Deploying: classifying held-out images"
run "printf '%s\n' ${CLASSES//,/ } > labels.txt"
SAMPLES=$(ls images/test | grep png | sed -n 1,4p | sed 's#^#images/test/#' | tr '\n' ' ')
run classify --model lenet_deploy.prototxt --weights $FINAL --mean mean.binaryproto \
  --scale 0.00390625 --gray --labels labels.txt --top-k 3 $GPU $SAMPLES

accuracy=$(grep -oE 'accuracy = [0-9.]+' test.log | tail -1 | awk '{print $3}')
echo
echo "demo: done in $(( $(date +%s) - start )) s; test accuracy $accuracy on $TEST_IMAGES held-out images."
echo "demo: files are in $WORK (train.log, loss.png, lenet.png, mean.png, snapshots/)"
