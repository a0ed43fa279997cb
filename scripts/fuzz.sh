#!/usr/bin/env bash
# Fuzzes the file readers with Jazzer: each @FuzzTest target in its own Maven run (Jazzer fuzzes
# one target per JVM), for SECONDS each, with a 512 MiB test heap so that a reader allocating what a
# header claims fails at once instead of swapping.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     fuzz (default 600 s for each of the six targets)
#   scripts/fuzz.sh --seeds                   rewrite the seed corpora (after a file-format change)
#
# CI runs `scripts/fuzz.sh 60` after `mvn -B test`. A TARGET is Class#method, e.g.
# ModelFileFuzzTest#modelHeader. Per target it prints executions, seconds and executions/s (from
# libFuzzer's "Done N runs in S second(s)"), and logs everything to target/fuzz/<target>.log.
#
# A finding (an exception other than the reader's own format exception, an OutOfMemoryError, a
# hang) stops that target and fails the script; Jazzer writes the input next to the seeds, in
# prune4j-core/src/test/resources/io/prune4j/<pkg>/<Class>Inputs/<method>/crash-<sha1>, so that plain `mvn test`
# replays it from then on. Fix the reader, give the file a name that says what it is, add a JUnit
# test for the fix, and commit all three. The growing corpus stays in .cifuzz-corpus/ (not committed),
# so later runs on the same machine go on from where this one stopped.
#
# Environment: MVN_FLAGS (e.g. -o for offline), FUZZ_HEAP (default 512m).
set -euo pipefail
cd "$(dirname "$0")/.."

MVN=(mvn -B ${MVN_FLAGS:-})

if [[ "${1:-}" == "--seeds" ]]; then
    "${MVN[@]}" -q -pl prune4j-core test-compile
    "${MVN[@]}" -q -pl prune4j-core dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
    cd prune4j-core
    java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" io.prune4j.testing.FuzzSeeds .
    find src/test/resources -path '*FuzzTestInputs/*/seed-*' -exec chmod 644 {} +
    echo "seeds rewritten; git diff --stat prune4j-core/src/test/resources shows what changed"
    exit 0
fi

seconds="${1:-600}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
    echo "fuzz.sh: SECONDS must be a positive integer, got '$seconds'" >&2
    exit 2
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(IdxReaderFuzzTest#idxBytes IdxReaderFuzzTest#idxBehindGzip ModelFileFuzzTest#modelBytes ModelFileFuzzTest#modelHeader
             OnnxReaderFuzzTest#onnxBytes OnnxReaderFuzzTest#onnxMutations)
fi

"${MVN[@]}" -q -pl prune4j-core test-compile
mkdir -p target/fuzz
status=0
for t in "${targets[@]}"; do
    log="target/fuzz/${t/\#/.}.log"
    start=$(date +%s)
    if JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${seconds}s" "${MVN[@]}" -pl prune4j-core surefire:test -Dtest="$t" \
            -Dtest.heap="${FUZZ_HEAP:-512m}" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1; then
        verdict="no findings"
    else
        verdict="FINDING or failure (see $log)"
        status=1
    fi
    done_line=$(grep -a -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)
    runs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/' <<<"$done_line")
    secs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/' <<<"$done_line")
    if [[ -n "$done_line" && "$secs" -gt 0 ]]; then
        printf 'fuzz %-32s %10d executions in %4d s (%6d/s), %s; wall %d s\n' "$t" "$runs" "$secs" $((runs / secs)) "$verdict" \
            $(($(date +%s) - start))
    else
        printf 'fuzz %-32s %s; wall %d s\n' "$t" "$verdict" $(($(date +%s) - start))
    fi
    grep -a -E 'Test unit written to|FuzzTestFinding|Caused by' "$log" | head -5 || true
done
exit "$status"
