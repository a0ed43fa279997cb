#!/usr/bin/env bash
# Builds dist/gpu-bundle/ and dist/gpu-bundle.tgz: everything needed to run prune4j and its GPU
# tests on a Linux x86-64 GPU machine that has no Java (scripts/gpu-run.sh runs it there).
#
#   scripts/build-gpu-bundle.sh [extra mvn args, e.g. -Pnative]
#
# Layout of the bundle:
#   jre/                      jlink runtime (modules found with jdeps, plus a fixed base set)
#   app/prune4j.jar           the command line's jar (prune4j-cli)
#   app/lib/*.jar             its runtime dependencies (the jar's manifest Class-Path is lib/...), among them
#                             prune4j-core and prune4j-cuda (CUDA kernels under io/prune4j/backend/cuda/linux-x86_64/)
#   test/classes/             compiled tests of the three modules
#   test/lib/*.jar            test-scope jars that are not runtime jars and not JUnit itself
#   test/junit-platform-console-standalone.jar
#   bench/*.py                the PyTorch side of the GPU benchmarks (benchmarks/gpu/*.py: torch_topk.py,
#                             torch_prune_pipeline.py (MLP), torch_resnet_pipeline.py (ResNet))
#   data/fashion-mnist/       a Fashion-MNIST subset (the first P4J_DATA_TRAIN training images, all
#                             10,000 test images) for the timed prune pipelines (MLP cuda against cpu,
#                             CNN, ResNet and MobileNet on cuda, the PyTorch peers)
#   BUNDLE-INFO.txt           what was built, from which commit, with which modules
#
# Environment:
#   P4J_ALLOW_CPU_ONLY=1   bundle even when the jar has no CUDA kernels (default: fail)
#   P4J_SLIM=0             keep the dependency jars untouched (default: drop natives that a Linux
#                          x86-64 run never loads: other platforms, unused CUDA library bindings,
#                          OpenBLAS variants the code does not reference)
#   P4J_SKIP_MVN=1         reuse the modules' target/ as they are (no mvn package)
#   JUNIT_PLATFORM_VERSION console launcher version (default 1.11.4, matching JUnit Jupiter 5.11.4)
#   P4J_DATA               MNIST-format folder to take the subset from (default /usr/share/datasets/fashion-mnist;
#                          none there: no data in the bundle, and gpu-run.sh skips the pipeline timing)
#   P4J_BUNDLE_FUZZ=1      keep the fuzz tests, their seeds and the Jazzer jar (default: left out; they never run there)
#   P4J_BUNDLE_DNNL=1      keep oneDNN's jars (28 MB; default: left out, the CPU convolutions there are
#                          the Java ones, which the CPU backend says once on stderr, and the bundle fits 64 MiB)
#   P4J_BUNDLE_ORT=1       keep ONNX Runtime's jar (54 MB: the bundle then exceeds 64 MiB; default: left
#                          out, and the tests that run it skip with their reason)
#   P4J_DATA_TRAIN         training images in the subset (default 6000; 0 = no data). The whole
#                          training set would push the bundle past the 64 MiB a device run carries
#                          (at 8000 the bundle and the working tree left 13 KB of it on 2026-12-03).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

JUNIT_PLATFORM_VERSION="${JUNIT_PLATFORM_VERSION:-1.11.4}"
DIST="$ROOT/dist"
B="$DIST/gpu-bundle"
TGZ="$DIST/gpu-bundle.tgz"
PLATFORM=linux-x86_64

log() { printf '[build-gpu-bundle] %s\n' "$*"; }
die() { printf '[build-gpu-bundle] ERROR: %s\n' "$*" >&2; exit 1; }

for tool in mvn jlink jdeps zip unzip tar; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done

# ---- 1. the jars, the command line's runtime deps (prune4j-cli/target/lib) and the compiled tests --
MODULES_DIRS=(prune4j-core prune4j-cuda prune4j-cli)
CLASSES=() TEST_CLASSES=()
for m in "${MODULES_DIRS[@]}"; do CLASSES+=("$m/target/classes"); TEST_CLASSES+=("$m/target/test-classes"); done
if [[ "${P4J_SKIP_MVN:-0}" != 1 ]]; then
    log "mvn -q -DskipTests -Dp4j.skipDocs package $*"
    mvn -q -DskipTests -Dp4j.skipDocs package "$@"
fi
shopt -s nullglob
jars=(prune4j-cli/target/prune4j-cli-*.jar)
cuda_jars=(prune4j-cli/target/lib/prune4j-cuda-*.jar)
shopt -u nullglob
JAR=""
for j in "${jars[@]}"; do
    case "$j" in *-sources.jar|*-javadoc.jar|*-tests.jar) ;; *) JAR="$j" ;; esac
done
[[ -n "$JAR" && -f "$JAR" ]] || die "no prune4j-cli/target/prune4j-cli-*.jar: did mvn package run?"
[[ -d prune4j-cli/target/lib ]] || die "no prune4j-cli/target/lib (the dependency plugin copies runtime jars there at package)"
[[ ${#cuda_jars[@]} -gt 0 ]] || die "no prune4j-cuda jar in prune4j-cli/target/lib"
CUDA_JAR="${cuda_jars[0]}"
for d in "${TEST_CLASSES[@]}"; do [[ -d "$d" ]] || die "no $d"; done

# grep without -q: with pipefail, grep -q quitting at the first match can fail the pipeline (SIGPIPE to unzip)
if unzip -l "$CUDA_JAR" | grep "io/prune4j/backend/cuda/$PLATFORM/libjniCudaKernels.so" >/dev/null; then
    log "CUDA kernels: present in $(basename "$CUDA_JAR")"
else
    if [[ "${P4J_ALLOW_CPU_ONLY:-0}" == 1 ]]; then
        log "WARNING: $(basename "$CUDA_JAR") has NO CUDA kernels (built without nvcc); the GPU tests will skip"
    else
        die "$(basename "$CUDA_JAR") has no CUDA kernels (io/prune4j/backend/cuda/$PLATFORM/libjniCudaKernels.so): build with nvcc (-Pnative), or set P4J_ALLOW_CPU_ONLY=1"
    fi
fi

# ---- 2. test-scope jars and the JUnit console launcher -----------------------------------------
TL="$ROOT/target/bundle-test-lib"
rm -rf "$TL" && mkdir -p "$TL"
log "copying test-scope dependencies"
# the modules' own jars are left out: their classes travel as test/classes and app/lib
# (package again, up to date by now: a module's reactor siblings resolve only once packaged in the same run)
mvn -q -DskipTests -Dp4j.skipDocs "$@" package dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$TL" \
    -DexcludeGroupIds=io.prune4j,org.junit.jupiter,org.junit.platform,org.junit.vintage,org.opentest4j,org.apiguardian
for f in "$TL"/*.jar; do
    [[ -e "$f" ]] || continue
    if [[ -e "prune4j-cli/target/lib/$(basename "$f")" ]]; then rm -f "$f"; fi   # already a runtime jar
done
CONSOLE_DIR="$ROOT/target/bundle-junit"
CONSOLE="$CONSOLE_DIR/junit-platform-console-standalone-$JUNIT_PLATFORM_VERSION.jar"
if [[ ! -f "$CONSOLE" ]]; then
    log "fetching junit-platform-console-standalone $JUNIT_PLATFORM_VERSION"
    mvn -q dependency:copy \
        -Dartifact="org.junit.platform:junit-platform-console-standalone:$JUNIT_PLATFORM_VERSION" \
        -DoutputDirectory="$CONSOLE_DIR"
fi
[[ -f "$CONSOLE" ]] || die "could not get $CONSOLE"

# ---- 3. lay out the bundle --------------------------------------------------------------------
rm -rf "$B" "$TGZ"
mkdir -p "$B/app/lib" "$B/test/lib" "$B/test/classes"
cp "$JAR" "$B/app/prune4j.jar"
cp prune4j-cli/target/lib/*.jar "$B/app/lib/"
for d in "${TEST_CLASSES[@]}"; do cp -r "$d"/. "$B/test/classes/"; done
for f in "$TL"/*.jar; do if [[ -e "$f" ]]; then cp "$f" "$B/test/lib/"; fi; done
# The fuzz tests (Jazzer, ~8 MB) never run on the GPU machine: leave them, their seed corpora (~0.5 MB)
# and Jazzer out unless asked.
if [[ "${P4J_BUNDLE_FUZZ:-0}" != 1 ]]; then
    rm -f "$B"/test/lib/jazzer*.jar
    find "$B/test/classes" -name '*FuzzTest.class' -o -name '*FuzzTest$*.class' | xargs -r rm -f
    find "$B/test/classes" -type d -name '*FuzzTestInputs' -prune -exec rm -rf {} +
fi
# oneDNN (the CPU convolutions) is 28 MB of natives the GPU run does not need: without it the CPU
# backend keeps its Java convolutions (DnnlConvTest checks that this is what it says and does).
if [[ "${P4J_BUNDLE_DNNL:-0}" != 1 ]]; then
    rm -f "$B"/app/lib/dnnl-*.jar "$B"/app/lib/opencl-*.jar
fi
# ONNX Runtime (54 MB, natives for four platforms) would not fit: the tests that run it skip with
# their reason there (OrtAvailable); ONNX import and export themselves need only protobuf-java.
if [[ "${P4J_BUNDLE_ORT:-0}" != 1 ]]; then
    rm -f "$B"/app/lib/onnxruntime-*.jar
fi
cp "$CONSOLE" "$B/test/junit-platform-console-standalone.jar"
mkdir -p "$B/bench"
cp benchmarks/gpu/*.py "$B/bench/"
[[ -f prune4j-cuda/target/test-classes/io/prune4j/bench/GpuBench.class ]] || log "WARNING: no GpuBench in the test classes: no GPU benchmarks"

# The data for the timed prune pipeline: an IDX subset, re-gzipped (the counts in the headers fixed).
DATA_SRC="${P4J_DATA:-/usr/share/datasets/fashion-mnist}"
DATA_TRAIN="${P4J_DATA_TRAIN:-6000}"
if [[ "$DATA_TRAIN" != 0 && -f "$DATA_SRC/train-images-idx3-ubyte.gz" ]]; then
    command -v python3 >/dev/null 2>&1 || die "python3 is needed to cut the data subset (or set P4J_DATA_TRAIN=0)"
    mkdir -p "$B/data/fashion-mnist"
    python3 - "$DATA_SRC" "$B/data/fashion-mnist" "$DATA_TRAIN" <<'PY'
import gzip, os, struct, sys
src, dst, n_train = sys.argv[1], sys.argv[2], int(sys.argv[3])
def cut(name, n):
    with gzip.open(os.path.join(src, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = list(struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims]))
    n = min(n, shape[0])
    per = 1
    for d in shape[1:]:
        per *= d
    head = data[:4] + struct.pack(">" + "I" * dims, n, *shape[1:])
    body = data[4 + 4 * dims: 4 + 4 * dims + n * per]
    with gzip.open(os.path.join(dst, name), "wb", compresslevel=9) as g:
        g.write(head + body)
    return n
a = cut("train-images-idx3-ubyte.gz", n_train)
cut("train-labels-idx1-ubyte.gz", n_train)
b = cut("t10k-images-idx3-ubyte.gz", 10**9)
cut("t10k-labels-idx1-ubyte.gz", 10**9)
print("[build-gpu-bundle] data: Fashion-MNIST subset, %d training and %d test images" % (a, b))
PY
else
    log "no data for the prune pipeline timing ($DATA_SRC/train-images-idx3-ubyte.gz missing or P4J_DATA_TRAIN=0)"
fi

# ---- 4. slim the dependency jars (copies in the bundle only) ----------------------------------
zdel() {  # zdel JAR PATTERN...: delete entries, quietly; no error when nothing matches
    local jar="$1"; shift
    zip -q -d "$jar" "$@" >/dev/null 2>&1 || true
}
refs_class() {  # refs_class INTERNAL/NAME: do the project's classes reference it?
    grep -rqaP "$1(?![A-Za-z0-9_\$])" "${CLASSES[@]}" "${TEST_CLASSES[@]}" 2>/dev/null
}
if [[ "${P4J_SLIM:-1}" == 1 ]]; then
    log "slimming dependency jars (P4J_SLIM=0 to keep them whole)"
    for j in "$B"/app/lib/*.jar "$B"/test/lib/*.jar; do
        [[ -e "$j" ]] || continue
        # other platforms' natives (bytedeco layout and jline's)
        zdel "$j" '*/linux-arm64/*' '*/linux-ppc64le/*' '*/linux-armhf/*' '*/linux-x86/*' \
            '*/macosx-*' '*/windows-*' '*/android-*' '*/ios-*' \
            'org/jline/nativ/FreeBSD/*' 'org/jline/nativ/Mac/*' 'org/jline/nativ/Windows/*' \
            'org/jline/nativ/Linux/arm*' 'org/jline/nativ/Linux/ppc64/*' 'org/jline/nativ/Linux/x86/*'
    done
    # CUDA: the jar has a JNI binding per CUDA library (~33 MB unpacked). Keep cudart (the tests
    # use it) and the bindings whose classes our code references (org/bytedeco/cuda/global/X or
    # org/bytedeco/cuda/X/), with the presets they inherit (cudnn -> cublas; cusolver -> cublas,
    # cusparse; all -> cudart); drop the rest (NPP, nvJPEG, nvCOMP, cuFFT, NCCL, ...).
    keep=" cudart "
    for lib in cublas cudnn cusolver cusparse curand nvrtc nvml cupti cufft cufftw nccl cufile nvjpeg \
               nvcomp nvblas nppc nppial nppicc nppidei nppif nppig nppim nppist nppisu nppitc npps; do
        if refs_class "org/bytedeco/cuda/global/$lib" || grep -rqa "org/bytedeco/cuda/$lib/" "${CLASSES[@]}" "${TEST_CLASSES[@]}" 2>/dev/null; then
            keep+="$lib "
            case "$lib" in
                cudnn) keep+="cublas " ;;
                cusolver) keep+="cublas cusparse " ;;
                cufftw) keep+="cufft " ;;
            esac
        fi
    done
    log "CUDA JNI bindings kept:${keep% }"
    for j in "$B"/app/lib/cuda-*-"$PLATFORM".jar; do
        [[ -e "$j" ]] || continue
        while read -r entry; do
            name="${entry##*/libjni}"; name="${name%.so}"
            if [[ "$keep" != *" $name "* ]]; then
                zdel "$j" "$entry" "META-INF/native-image/$PLATFORM/jni$name/*"
            fi
        done < <(unzip -Z1 "$j" | grep -E "^org/bytedeco/cuda/$PLATFORM/libjni[A-Za-z0-9_]+\.so$")
    done
    # OpenBLAS: the jar holds three JNI variants (openblas_nolapack, openblas, openblas "full").
    # Keep only those whose Java class the project references; never drop libopenblas.so.0 itself.
    for j in "$B"/app/lib/openblas-*-"$PLATFORM".jar; do
        [[ -e "$j" ]] || continue
        zdel "$j" "org/bytedeco/openblas/$PLATFORM/include/*" "org/bytedeco/openblas/$PLATFORM/lib/*"
        if ! refs_class 'org/bytedeco/openblas/global/openblas'; then
            zdel "$j" "org/bytedeco/openblas/$PLATFORM/libjniopenblas.so"
        fi
        if ! refs_class 'org/bytedeco/openblas/global/openblas_full'; then
            zdel "$j" "org/bytedeco/openblas/$PLATFORM/libjniopenblas_full.so"
        fi
        if ! refs_class 'org/bytedeco/openblas/global/openblas_nolapack' \
           && ! refs_class 'org/bytedeco/openblas/global/openblas'; then
            log "note: no OpenBLAS class referenced; keeping the OpenBLAS natives anyway"
        fi
    done
fi

# ---- 5. jlink runtime -------------------------------------------------------------------------
# Modules: a fixed base (java.base; jdk.unsupported: sun.misc.Unsafe for JavaCPP; java.management:
# JavaCPP's MXBean; java.logging: commons-logging, jline, JUnit; java.sql: Jackson's java.sql date
# handlers), plus what jdeps finds in our own classes and the JUnit launcher, plus java.desktop only
# when our classes use AWT/ImageIO/Swing/java.beans or the charting jars (xchart and its pdfbox /
# VectorGraphics2D): jdeps over the whole class path always reports java.desktop because Jackson
# merely references java.beans annotations (optional there), and java.desktop costs ~9 MB packed.
# P4J_JLINK_MODULES replaces the computed list; P4J_EXTRA_MODULES adds to it; P4J_NO_DESKTOP=1
# leaves java.desktop out even so (then no charts: the sweep command's plots need it).
BASE_MODULES="java.base,jdk.unsupported,java.logging,java.management,java.sql"
own=""
if ! own="$(jdeps --multi-release 17 --ignore-missing-deps --print-module-deps \
        "$B/app/prune4j.jar" "$B"/app/lib/prune4j-*.jar "$B/test/classes" "$B/test/junit-platform-console-standalone.jar" 2>/dev/null)"; then
    log "WARNING: jdeps failed; using the base modules plus java.desktop"
    own="java.desktop"
fi
desktop=""
if grep -rqaE 'java/awt/|javax/imageio/|javax/swing/|java/beans/|org/knowm/xchart/|de/erichseifert/|org/apache/pdfbox/' \
        "${CLASSES[@]}" "${TEST_CLASSES[@]}" 2>/dev/null && [[ "${P4J_NO_DESKTOP:-0}" != 1 ]]; then
    desktop="java.desktop"
fi
if [[ -n "${P4J_JLINK_MODULES:-}" ]]; then
    MODULES="$P4J_JLINK_MODULES"
else
    MODULES="$(printf '%s,%s,%s,%s\n' "$BASE_MODULES" "$own" "$desktop" "${P4J_EXTRA_MODULES:-}" \
        | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
fi
log "jlink modules: $MODULES"
# --compress=0: the .tgz's gzip packs the uncompressed module image ~6 MB smaller than jlink's own
# per-resource compression does. Headless runs never load the X11, splash-screen or sound natives.
jlink --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=0 \
      --exclude-files='**/libawt_xawt.so,**/libsplashscreen.so,**/libjsound.so,**/libjawt.so' \
      --output "$B/jre"
# The distribution's libjvm.so keeps its full symbol table (~4 MB); the dynamic symbols stay.
if command -v strip >/dev/null 2>&1; then
    strip --strip-unneeded "$B/jre/lib/server/libjvm.so" || log "WARNING: could not strip libjvm.so"
fi
"$B/jre/bin/java" -version >/dev/null 2>&1 || die "the jlink runtime does not start"

# ---- 6. info, pack, report --------------------------------------------------------------------
{
    echo "prune4j GPU bundle"
    echo "built:     $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
    echo "commit:    $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "jar:       $(basename "$JAR")"
    echo "java:      $("$B/jre/bin/java" -version 2>&1 | head -1)"
    echo "modules:   $MODULES"
    echo "junit:     console standalone $JUNIT_PLATFORM_VERSION"
    echo "natives:"
    for j in "$B"/app/lib/prune4j-*.jar; do unzip -l "$j" | awk '/\.so/ {print "  " $4 " (" $1 " bytes)"}'; done
} > "$B/BUNDLE-INFO.txt"

tar -C "$DIST" -cf - gpu-bundle | gzip -9 > "$TGZ"
log "bundle: $B ($(du -sh "$B" | cut -f1) unpacked: jre $(du -sh "$B/jre" | cut -f1), app $(du -sh "$B/app" | cut -f1), test $(du -sh "$B/test" | cut -f1)$([[ -d "$B/data" ]] && echo ", data $(du -sh "$B/data" | cut -f1)"))"
log "packed: $TGZ ($(du -h "$TGZ" | cut -f1), $(stat -c %s "$TGZ") bytes)"
# a device run carries at most 64 MiB in all: the working tree (tracked files and untracked ones git
# does not ignore) plus the carried bundle
LIMIT=$((64 * 1024 * 1024))
TREE=$(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard 2>/dev/null | xargs -0 -r stat -c %s 2>/dev/null \
    | awk '{ s += $1 } END { print s + 0 }')
log "travels: bundle $(stat -c %s "$TGZ") + working tree $TREE = $(( $(stat -c %s "$TGZ") + TREE )) bytes of $LIMIT"
if (( $(stat -c %s "$TGZ") + TREE >= LIMIT )); then
    die "$TGZ ($(stat -c %s "$TGZ") bytes) and the working tree ($TREE bytes) are over the 64 MiB a device run carries:" \
        "lower P4J_DATA_TRAIN (now $DATA_TRAIN) or set it to 0"
fi
