#!/usr/bin/env bash
# Builds the example consumer project against the prune4j-core installed in the local Maven
# repository and runs its two programs on a part of Fashion-MNIST; prints the class path it got
# (jar count and size: prune4j-core and what it brings, nothing of the command line or CUDA).
#
#   examples/run.sh [DATA_DIR] [TRAIN_IMAGES]     default /usr/share/datasets/fashion-mnist, 6000
#
# Install prune4j first: `mvn -B install -DskipTests` at the top of the repository (CI does).
# Environment: MVN_FLAGS (e.g. -o).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="${1:-/usr/share/datasets/fashion-mnist}"
images="${2:-6000}"
cd "$here"
mvn -B -q ${MVN_FLAGS:-} package
cp="$(cat target/classpath.txt)"
IFS=: read -r -a jars <<<"$cp"
bytes=0
for j in "${jars[@]}"; do bytes=$((bytes + $(stat -c %s "$j"))); done
echo "example: class path of a prune4j-core consumer: ${#jars[@]} jars, $((bytes / 1024)) KiB"
for j in "${jars[@]}"; do echo "  $(basename "$j")"; done
for j in "${jars[@]}"; do
    case "$(basename "$j")" in
        picocli-*|progressbar-*|jline-*|xchart-*|cuda-*|prune4j-cuda-*|prune4j-cli-*|onnxruntime-*)
            echo "example: ERROR: a core-only consumer got $(basename "$j")" >&2; exit 1 ;;
    esac
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for main in QuickStart CustomExtensions; do
    echo "example: $main"
    java -cp "target/classes:$cp" "com.example.prune4j.$main" "$data" "$out/$main.safetensors" "$images"
done
