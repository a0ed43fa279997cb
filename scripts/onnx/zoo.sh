#!/usr/bin/env bash
# Runs prune4j on every ONNX file in DIR (as export_zoo.py writes them): import, a data-free 50%
# magnitude prune of every prunable channel group, export, and --verify in ONNX Runtime on 4 random
# inputs. Prints one markdown row per file: parameters and FLOPs before and after, the largest
# difference from ONNX Runtime relative to the largest output, seconds; or the one-line error.
#     scripts/onnx/zoo.sh DIR [OUTDIR]          (OUTDIR, default DIR/pruned, receives the pruned files)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:?usage: zoo.sh DIR [OUTDIR]}"
out="${2:-$dir/pruned}"
mkdir -p "$out"
echo "| file | params | params pruned | FLOPs | FLOPs pruned | verify (relative) | seconds |"
echo "|---|---|---|---|---|---|---|"
for f in "$dir"/*.onnx; do
  name=$(basename "$f")
  start=$(date +%s)
  log=$("$here/prune4j" prune --model "$f" --data none --criterion magnitude --sparsity 0.5 --finetune-epochs 0 \
        --save "$out/$name" --verify 4 --report "$out/$name.json" 2>&1)
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ $rc -ne 0 ]; then
    echo "| $name | — | — | — | — | $(echo "$log" | grep -m1 -i 'error' | sed 's/^prune4j: error: [^:]*: //; s/|/\\|/g') | $secs |"
    continue
  fi
  params=$(echo "$log" | awk '/^parameters /{print $2" | "$3; exit}')
  flops=$(echo "$log" | awk '/^FLOPs \/ example/{print $4" | "$5; exit}')
  rel=$(echo "$log" | sed -n 's/.*(\([0-9.e+-]*\) of the largest output).*/\1/p' | head -1)
  zero=$(echo "$log" | grep -q "gives the same output" && echo " (output independent of the input)")
  echo "| $name | $params | $flops | $rel$zero | $secs |"
done
