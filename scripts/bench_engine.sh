#!/usr/bin/env bash
# Engine benchmark (not a test): our `time` tool on LeNet (batch 64, 50 iterations) and
# CaffeNet (batch 16 at 227x227, 10 iterations) beside PyTorch CPU on the same nets
# (scripts/bench_torch_cpu.py), alternated in one sitting, RUNS times (default 3);
# prints the medians and the ratios, also against BVLC Caffe's golden figures
# (../shared/golden/README.md: LeNet fwd+bwd 52.22 ms, CaffeNet 1383 ms, medians of 5).
# Usage: RUNS=3 THREADS=2 scripts/bench_engine.sh     (needs Debian's python3-torch)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-3}"
threads="${THREADS:-2}"
# Debian's interpreter: python3-torch lives there, not in a pyenv python3 on PATH.
py="${PYTHON:-/usr/bin/python3}"
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
trap 'echo "bench_engine.sh: failed at line $LINENO" >&2' ERR
# A private copy: a rebuild of build/bin during the sitting must not break or change it.
cp "$root/build/bin/time" "$work/time"

# Prints "fwd bwd fwdbwd" in ms from a `time` log.
ours() {
  "$work/time" --model "$root/testdata/nets/$1" --iterations "$2" 2>"$work/log"
  local f b t
  f=$(sed -n 's/.*Average Forward pass: \([0-9.e+-]*\) ms\./\1/p' "$work/log")
  b=$(sed -n 's/.*Average Backward pass: \([0-9.e+-]*\) ms\./\1/p' "$work/log")
  t=$(sed -n 's/.*Average Forward-Backward: \([0-9.e+-]*\) ms\./\1/p' "$work/log")
  echo "$f $b $t"
  grep -E $'\t(forward|backward): ' "$work/log" | sed 's/^.*\] //' >"$work/layers_$1.txt"
}

torch_peer() {
  "$py" "$root/scripts/bench_torch_cpu.py" "$1" --threads "$threads" |
    "$py" -c 'import json,sys; r=json.load(sys.stdin); print(r["fwd_ms"], r["bwd_ms"], r["fwdbwd_ms"])'
}

for net in lenet caffenet; do : >"$work/ours_$net"; : >"$work/torch_$net"; done
for ((r = 1; r <= runs; r++)); do
  ours lenet_time.prototxt 50 >>"$work/ours_lenet"
  torch_peer lenet >>"$work/torch_lenet"
  ours caffenet_time.prototxt 10 >>"$work/ours_caffenet"
  torch_peer caffenet >>"$work/torch_caffenet"
  echo "run $r of $runs done" >&2
done

"$py" - "$work" <<'PY'
import os, statistics, sys
work = sys.argv[1]
# Golden BVLC Caffe medians (2 threads: fwd, bwd, fwd+bwd; 1 thread: fwd+bwd only).
threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
if threads == 1:
    caffe = {"lenet": (None, None, 43.62), "caffenet": (None, None, 1816.0)}
else:
    caffe = {"lenet": (25.15, 26.93, 52.22), "caffenet": (531.3, 847.1, 1383.0)}
def med(path):
    rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
    return [statistics.median(c) for c in zip(*rows)], len(rows)
print("| net | what | Cortado ms | PyTorch ms (same sitting) | Caffe ms (golden) | vs PyTorch | vs Caffe |")
print("|---|---|---|---|---|---|---|")
for net in ("lenet", "caffenet"):
    (o, n), (t, _) = med(os.path.join(work, "ours_" + net)), med(os.path.join(work, "torch_" + net))
    for i, what in enumerate(("forward", "backward", "fwd+bwd")):
        c = caffe[net][i]
        print("| %s | %s | %.2f | %.2f | %s | %.2fx | %s |"
              % (net, what, o[i], t[i], "%.2f" % c if c else "n/a", t[i] / o[i],
                 "%.2fx" % (c / o[i]) if c else "n/a"))
print("\n(%d thread(s); medians of %d runs; a ratio above 1 means Cortado is faster)" % (threads, n))
for net in ("lenet_time.prototxt", "caffenet_time.prototxt"):
    print("\nper-layer (last run), %s:" % net)
    print(open(os.path.join(work, "layers_" + net + ".txt")).read(), end="")
PY
