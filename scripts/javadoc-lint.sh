#!/usr/bin/env bash
# Lists the Javadoc problems of a module's public API, one line per warning or error
# (path:line: warning: ...), as the Javadoc build of `mvn install` finds them (doclint all,
# missing comments included; the generated ONNX protobuf classes left out), and ends with a count.
#
#   scripts/javadoc-lint.sh [MODULE...]     default: prune4j-core prune4j-cuda prune4j-cli
#
# Needs the modules compiled (mvn -o -q -Dp4j.skipDocs test-compile). Exit status 1 when any
# module has a warning or an error.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=("$@")
[[ ${#modules[@]} -gt 0 ]] || modules=(prune4j-core prune4j-cuda prune4j-cli)
total=0
for m in "${modules[@]}"; do
    [[ -d "$m/src/main/java" ]] || { echo "javadoc-lint: no module $m" >&2; exit 2; }
    cpf="$m/target/javadoc-lint.classpath"
    if [[ ! -f "$cpf" || "$m/pom.xml" -nt "$cpf" ]]; then
        mvn -o -q -B -Dp4j.skipDocs -pl "$m" -am test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/$cpf" \
            -Dmdep.includeScope=compile >/dev/null
    fi
    cp="$(cat "$cpf")"
    for d in prune4j-core prune4j-cuda; do cp="$cp:$PWD/$d/target/classes"; done
    src="$m/src/main/java"
    [[ -d "$m/target/generated-sources/protobuf/java" ]] && src="$src:$m/target/generated-sources/protobuf/java"
    pkgs=$(cd "$m/src/main/java" && find . -name '*.java' -printf '%h\n' | sed 's|^\./||; s|/|.|g' | sort -u)
    out="$m/target/javadoc-lint"
    rm -rf "$out"
    log=$(javadoc -Xdoclint:all -Xmaxwarns 100000 -Xmaxerrs 100000 -quiet -notimestamp -d "$out" \
        -cp "$cp" -sourcepath "$src" $pkgs 2>&1 || true)
    lines=$(grep -E ': (warning|error):' <<<"$log" | grep -v '/onnx/proto/' || true)
    [[ -n "$lines" ]] && echo "$lines"
    n=$(grep -c . <<<"$lines" || true)
    echo "javadoc-lint: $m: $n" >&2
    total=$((total + n))
done
echo "javadoc-lint: total $total" >&2
[[ $total -eq 0 ]]
