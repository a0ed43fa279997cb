#!/usr/bin/env bash
# prune4j vs PyTorch on the CPU: the MLP of MlpBench and torch_mlp.py, run one after the other (never
# at the same time: they would compete for the cores) and summed up in one table.
#
#   benchmarks/compare-cpu.sh                 build, run both, print the table
#   THREADS="1 2" benchmarks/compare-cpu.sh   several thread counts (one row per hidden × threads)
#
# Environment:
#   THREADS      thread counts, space-separated (default "2")
#   HIDDEN       hidden configurations, space-separated (default "300,100 150,50")
#   SKIP_BUILD=1 use the installed library and the existing benchmarks/target/benchmarks.jar
#   MVN_ARGS     extra Maven arguments, e.g. "-o" to stay offline
#   TORCH_PYTHON interpreter with PyTorch (default /usr/bin/python3, Debian's python3-torch)
#   JMH_ARGS     extra JMH arguments, e.g. "-wi 1 -w 1 -i 2 -r 1" for a quick look
#   TORCH_ARGS   extra torch_mlp.py arguments, e.g. "--warmup 1 --rounds 2 --seconds 1"
#
# Raw outputs go to benchmarks/results/<timestamp>-*: the JMH log and JSON, the PyTorch JSON per
# thread count, and the table.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
THREADS=${THREADS:-2}
HIDDEN=${HIDDEN:-"300,100 150,50"}
TORCH_PYTHON=${TORCH_PYTHON:-/usr/bin/python3}
MVN_ARGS=${MVN_ARGS:-}
JMH_ARGS=${JMH_ARGS:-}
TORCH_ARGS=${TORCH_ARGS:-}
RESULTS="$BENCH_DIR/results"
STAMP=$(date +%Y%m%d-%H%M%S)
PREFIX="$RESULTS/$STAMP"
mkdir -p "$RESULTS"

# ---- build ----------------------------------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "== installing the prune4j jar into the local Maven repository (tests skipped, CPU only)"
    # -P'!native': the benchmarks only use the CPU backend, so there is no point in compiling the CUDA
    # kernels here even where nvcc exists.
    (cd "$REPO_DIR" && mvn -q $MVN_ARGS install -DskipTests -Dp4j.skipDocs -P'!native')
    echo "== building benchmarks/target/benchmarks.jar"
    mvn -q $MVN_ARGS -f "$BENCH_DIR/pom.xml" package
fi
JAR="$BENCH_DIR/target/benchmarks.jar"
[[ -f "$JAR" ]] || { echo "missing $JAR (run without SKIP_BUILD=1)" >&2; exit 1; }

{
    echo "date: $(date -Iseconds)"
    echo "host: $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "java: $(java -version 2>&1 | head -1)"
    echo "threads: $THREADS; hidden: $HIDDEN"
} | tee "$PREFIX-env.txt"

# ---- prune4j (JMH) --------------------------------------------------------------------------------
# JMH's -p splits values at commas, so 300,100 is passed as 300x100 (MlpBench accepts both).
jmh_hidden=$(echo $HIDDEN | tr ',' 'x' | tr ' ' ',')
jmh_threads=$(echo $THREADS | tr ' ' ',')
echo "== prune4j: JMH MlpBench (hidden=$jmh_hidden, threads=$jmh_threads)"
# shellcheck disable=SC2086  # JMH_ARGS is a list of words
java -jar "$JAR" 'io.prune4j.bench.MlpBench' -p hidden="$jmh_hidden" -p threads="$jmh_threads" $JMH_ARGS \
    -rf json -rff "$PREFIX-jmh.json" 2>&1 | tee "$PREFIX-jmh.txt"

# ---- PyTorch --------------------------------------------------------------------------------------
torch_files=()
for t in $THREADS; do
    echo "== PyTorch: torch_mlp.py --threads $t"
    # shellcheck disable=SC2086  # one --hidden argument per configuration; TORCH_ARGS is a list of words
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$TORCH_PYTHON" "$BENCH_DIR/torch_mlp.py" --threads "$t" --hidden $HIDDEN \
        $TORCH_ARGS > "$PREFIX-torch-t$t.json"
    torch_files+=("$PREFIX-torch-t$t.json")
done

# ---- table ----------------------------------------------------------------------------------------
python3 - "$PREFIX-jmh.json" "${torch_files[@]}" <<'EOF' | tee "$PREFIX-table.txt"
import json
import re
import sys

def key(hidden):
    """'300,100', '300x100' → '300,100'."""
    return ",".join(re.findall(r"\d+", str(hidden)))

# prune4j: trainStep and inferB256 are throughput scores already per example (OperationsPerInvocation
# = batch); inferB1 is microseconds per call.
jmh = {}
for r in json.load(open(sys.argv[1])):
    bench = r["benchmark"].rsplit(".", 1)[1]
    k = (key(r["params"]["hidden"]), int(r["params"]["threads"]))
    m = r["primaryMetric"]
    score, err = float(m["score"]), float(m["scoreError"])  # JMH writes "NaN" (a string) with < 3 iterations
    if bench == "inferB1":
        score, err = score / 1000.0, err / 1000.0  # us → ms
    if err != err:
        err = None
    jmh.setdefault(k, {})[bench] = (score, err)

# PyTorch: mean over rounds; ± is half the spread between the slowest and the fastest round.
torch = {}
names = {"trainStep": "train_samples_per_s", "inferB256": "infer_samples_per_s_b256", "inferB1": "latency_ms_b1"}
for path in sys.argv[2:]:
    doc = json.load(open(path))
    for r in doc["results"]:
        k = (key(r["hidden"]), int(doc["threads"]))
        torch[k] = {b: (r[n], (max(r["rounds"][n]) - min(r["rounds"][n])) / 2) for b, n in names.items()}

def cell(v):
    if v is None:
        return "n/a"
    score, err = v
    text = f"{score:,.0f}" if score >= 100 else f"{score:.3f}"
    return text if err is None else f"{text} ±{100 * err / score:.0f}%"

rows = [("hidden", "thr", "measure", "prune4j", "PyTorch", "prune4j/PyTorch")]
for k in sorted(set(jmh) | set(torch), key=lambda k: (-sum(map(int, k[0].split(","))), k[1])):
    for bench, label in (("trainStep", "train b128 samples/s"), ("inferB256", "infer b256 samples/s"),
                         ("inferB1", "latency b1 ms")):
        p, t = jmh.get(k, {}).get(bench), torch.get(k, {}).get(bench)
        if p and t:
            # always "how many times faster prune4j is": rates divide one way, latencies the other
            ratio = f"{(t[0] / p[0] if bench == 'inferB1' else p[0] / t[0]):.2f}x"
        else:
            ratio = "n/a"
        rows.append((k[0], str(k[1]), label, cell(p), cell(t), ratio))

widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for n, r in enumerate(rows):
    print("  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
print()
print("ratio > 1: prune4j faster (for latency: PyTorch ms / prune4j ms).")
print("±: prune4j = JMH 99.9% confidence half-width; PyTorch = half the min-max spread of its rounds.")
EOF
echo "raw results: $PREFIX-*"
