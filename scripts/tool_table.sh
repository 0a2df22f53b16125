#!/usr/bin/env bash
# Prints the README's table of tools and flags, read from each tool's --help, so
# the README cannot drift from the tools. Usage: scripts/tool_table.sh [BIN_DIR]
#   scripts/tool_table.sh --check README.md [BIN_DIR]   exits 1 when README's table is stale
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHECK=""
if [ "${1:-}" = "--check" ]; then CHECK=$2; shift 2; fi
BIN=${1:-$ROOT/build/bin}
TOOLS="create_lmdb retrieve_lmdb compute_image_mean convert_mean netgen draw_net train resume finetune parse_log test classify time"

# Flag names: the first word of each option line (short and long forms).
flags_of() {
  "$@" --help 2>&1 | sed -n '/^Options:/,$p' | awk '/^  +-/ && !/--help/ {print $1}' |
    tr '\n' ' ' | sed 's/ $//'
}
usage_of() { "$@" --help 2>&1 | awk '/^Usage:/ {sub(/^Usage: /, ""); print; exit}'; }

table() {
  echo "| tool | usage | flags |"
  echo "|---|---|---|"
  for t in $TOOLS; do
    if [ "$t" = netgen ]; then
      for sub in spec lenet caffenet solver; do
        echo "| \`netgen $sub\` | \`$(usage_of "$BIN/netgen" $sub)\` | \`$(flags_of "$BIN/netgen" $sub)\` |"
      done
    else
      echo "| \`$t\` | \`$(usage_of "$BIN/$t")\` | \`$(flags_of "$BIN/$t")\` |"
    fi
  done
}

if [ -n "$CHECK" ]; then
  expected=$(table)
  actual=$(sed -n '/<!-- tools:begin -->/,/<!-- tools:end -->/p' "$CHECK" | sed '1d;$d')
  if [ "$expected" != "$actual" ]; then
    echo "$CHECK: the tool table is stale; regenerate it with scripts/tool_table.sh" >&2
    diff <(echo "$expected") <(echo "$actual") >&2 || true
    exit 1
  fi
  exit 0
fi
table
