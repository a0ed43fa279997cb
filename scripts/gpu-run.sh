#!/usr/bin/env bash
# Runs prune4j's GPU tests (and GPU benchmarks, once there are any) from dist/gpu-bundle.tgz on a
# Linux x86-64 GPU machine that has no Java: the bundle carries its own jlink runtime.
#
#   OUT=/some/dir scripts/gpu-run.sh [path/to/gpu-bundle.tgz]
#
# What it does, failing loudly (nonzero exit, ERROR line) at the first problem:
#   1. unpacks the bundle into a temporary folder;
#   2. builds LD_LIBRARY_PATH: /usr/local/cuda/lib64, then every nvidia/*/lib (and nvidia/*/*/lib)
#      folder of python3's site-packages (the CUDA 13 wheels PyTorch brings: cuBLAS, cuDNN, NVRTC,
#      cudart ...), then the driver's folders if present, then the LD_LIBRARY_PATH it was given;
#   3. prints nvidia-smi;
#   4. preflight: `java io.prune4j.backend.cuda.CudaRuntime` prints the CUDA runtime, driver and
#      devices. With a GPU expected (P4J_REQUIRE_GPU=1; the default when nvidia-smi exists) an
#      unusable CUDA is an error; otherwise the GPU tests run and skip with the printed reason;
#   5. runs the JUnit tests tagged "gpu" (console launcher, scanning the bundle's test classes);
#      with a GPU expected, with -Dprune4j.requireGpu=true, so that a test that finds no usable GPU
#      fails instead of skipping; a failure is reported but does not stop the benchmarks (one run
#      must give all the numbers);
#   5b. times the prune pipeline (`prune4j prune`: train the default MLP, Taylor-score, prune half
#      the hidden units, fine-tune, measure) on the bundle's Fashion-MNIST subset, --device cuda
#      and then --device cpu, and prints both reports and the wall-time ratio;
#   5c. runs the same pipeline in PyTorch eager (bench/torch_prune_pipeline.py, 3 runs) and prints
#      the in-process pipeline times side by side;
#   5d. runs `prune4j prune --arch cnn --device cuda` (cuDNN; the report has the compacted CNN's
#      GPU throughput against the dense one);
#   5e. runs `prune4j sweep --device cuda --no-plot` (all criteria, all default sparsities);
#   5f. runs `prune4j prune --reconstruct --finetune-epochs 0`, structured Taylor 50% and unstructured
#      global magnitude 90%, --device cuda (the refit from the device's Gram matrices) and then cpu;
#   5g. runs `prune4j prune --arch resnet --device cuda --target-flops 0.4 --criterion taylor
#      --finetune-epochs 3 --epochs 5` and the same pipeline in PyTorch eager on the same GPU
#      (bench/torch_resnet_pipeline.py, 2 runs, the second the warm one); the summary at the end
#      gives the ratio prune4j/PyTorch of the in-process times (train + score + prune + finetune);
#   5h. runs the same with --arch mobilenet (prune4j only);
#   6. times torch.topk / torch.kthvalue (bench/torch_topk.py from benchmarks/gpu/) when python3
#      has torch with CUDA;
#   7. BENCHMARK HOOK: runs io.prune4j.bench.GpuBench's main when the bundle has that class (it
#      prints the torch timings beside its own selection timings);
#   8. optionally (P4J_SANITIZE=1) the GPU tests again under compute-sanitizer memcheck.
# The exit status is nonzero when any step failed; the summary at the end names them.
# Logs go to $OUT (default ./out), at most 8 files (what the device tool brings back, at most two
# folders down): gpu-run.log (everything, including nvidia-smi and the CUDA preflight),
# junit-gpu.log, junit/TEST-junit-jupiter.xml, torch_topk.tsv, bench.log, gpubench.tsv,
# and sanitizer.log with P4J_SANITIZE=1.
#
# Environment:
#   OUT                    log folder (default ./out)
#   P4J_REQUIRE_GPU        1: fail without a usable GPU, and run the tests with -Dprune4j.requireGpu=true;
#                          0: let the GPU tests skip (default: 1 when nvidia-smi is on the PATH, else 0)
#   P4J_JAVA_OPTS          JVM options (default -Xmx16g)
#   P4J_TEST_ARGS          extra JUnit console arguments (e.g. --select-class=...)
#   P4J_ALL_TESTS=1        run every test, not only the "gpu"-tagged ones
#   P4J_SKIP_PIPELINE=1    do not time the prune pipeline (cuda against cpu)
#   P4J_PIPELINE_ARGS      extra arguments for both `prune4j prune` runs (e.g. "--epochs 3")
#   P4J_BENCH_ARGS         arguments for io.prune4j.bench.GpuBench
#   P4J_SKIP_CNN=1         do not run the CNN pipeline on the GPU
#   P4J_CNN_ARGS           arguments for that run (default: --epochs 5)
#   P4J_SKIP_SWEEP=1       do not run the sweep on the GPU
#   P4J_SKIP_RECONSTRUCT=1 do not run the reconstruction jobs on the GPU
#   P4J_SKIP_RESNET=1      do not run the ResNet pipeline (prune4j and PyTorch) on the GPU
#   P4J_RESNET_EPOCHS      training epochs of the ResNet pipeline, both sides (default 5)
#   P4J_SKIP_MOBILENET=1   do not run the MobileNet pipeline on the GPU
#   P4J_MOBILENET_EPOCHS   its training epochs (default: P4J_RESNET_EPOCHS)
#   P4J_SKIP_BENCH=1       do not run the benchmark hook (nor the torch timings)
#   P4J_SKIP_TORCH=1       do not run the torch timings nor the PyTorch pipelines
#   P4J_TORCH_ARGS         arguments for torch_topk.py (e.g. --quick)
#   P4J_SANITIZE=1         also run the GPU tests under compute-sanitizer --tool memcheck (slow)
#   P4J_SANITIZE_ARGS      JUnit console arguments for the sanitizer run instead of P4J_TEST_ARGS
#                          (e.g. --include-classname='.*KernelTest' : memcheck is slow)
#   P4J_KEEP_WORK=1        keep the unpacked bundle (its path is printed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TGZ="${1:-$ROOT/dist/gpu-bundle.tgz}"
OUT="${OUT:-$PWD/out}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
LOG="$OUT/gpu-run.log"
: > "$LOG"
exec > >(tee -a "$LOG") 2>&1

say() { printf '[gpu-run] %s\n' "$*"; }
die() { printf '[gpu-run] ERROR: %s\n' "$*"; exit 1; }
# the seconds since the script started close each section line (what a step costs, for the device-time budget)
section() { printf '\n[gpu-run] ==== %s ==== [%d s]\n' "$*" "$SECONDS"; }
FAILED=()
# step WHAT [--out FILE] CMD...: runs CMD without stopping the script when it fails (stdout to FILE
# with --out); a nonzero exit prints an ERROR line naming WHAT and adds WHAT to FAILED. Leaves the
# exit status in STEP_RC and the wall time (seconds, one decimal) in STEP_S.
step() {
    local what="$1" out="" t0 t1
    shift
    if [[ "$1" == --out ]]; then out="$2"; shift 2; fi
    t0=$(date +%s.%N)
    set +e
    if [[ -n "$out" ]]; then "$@" > "$out"; else "$@"; fi
    STEP_RC=$?
    set -e
    t1=$(date +%s.%N)
    STEP_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    if [[ $STEP_RC -ne 0 ]]; then
        say "ERROR: $what failed (exit $STEP_RC)"
        FAILED+=("$what (exit $STEP_RC)")
    fi
}

[[ -f "$TGZ" ]] || die "bundle not found: $TGZ (build it with scripts/build-gpu-bundle.sh)"

# ---- 1. unpack --------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/prune4j-gpu.XXXXXX")"
cleanup() {
    if [[ "${P4J_KEEP_WORK:-0}" == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
section "unpack $TGZ"
tar -xzf "$TGZ" -C "$WORK" || die "cannot unpack $TGZ"
B="$WORK/gpu-bundle"
JAVA="$B/jre/bin/java"
[[ -x "$JAVA" ]] || die "no Java runtime in the bundle ($JAVA)"
[[ -f "$B/app/prune4j.jar" ]] || die "no app/prune4j.jar in the bundle"
CONSOLE="$B/test/junit-platform-console-standalone.jar"
[[ -f "$CONSOLE" ]] || die "no JUnit console launcher in the bundle"
cat "$B/BUNDLE-INFO.txt" 2>/dev/null || true
"$JAVA" -version 2>&1 || die "the bundled Java runtime does not start on this machine"

# ---- 2. native library path -------------------------------------------------------------------
section "library path"
libdirs=()
add_dir() { [[ -d "$1" ]] && libdirs+=("$(cd "$1" && pwd -P)") || true; }
add_dir /usr/local/cuda/lib64
PY_NVIDIA_LIBS=""
if command -v python3 >/dev/null 2>&1; then
    # Every lib folder with shared libraries under the "nvidia" namespace package(s) of python3's
    # site-packages: nvidia/cublas/lib, nvidia/cudnn/lib, nvidia/cu13/lib, ...
    PY_NVIDIA_LIBS="$(python3 - <<'PY' 2>/dev/null || true
import glob, os, site, sys
roots = []
try:
    import nvidia  # namespace package of the NVIDIA wheels
    roots += list(getattr(nvidia, "__path__", []))
except Exception:
    pass
paths = []
try:
    paths += site.getsitepackages()
except Exception:
    pass
try:
    paths.append(site.getusersitepackages())
except Exception:
    pass
paths += [p for p in sys.path if p.endswith("-packages")]
roots += [os.path.join(p, "nvidia") for p in paths]
seen, out = set(), []
for r in roots:
    if not os.path.isdir(r):
        continue
    for pattern in ("*/lib", "*/*/lib", "*/lib64"):
        for d in sorted(glob.glob(os.path.join(r, pattern))):
            real = os.path.realpath(d)
            if real in seen or not os.path.isdir(real):
                continue
            if glob.glob(os.path.join(real, "*.so*")):
                seen.add(real)
                out.append(real)
print(":".join(out))
PY
)"
else
    say "WARNING: python3 not found: no pip NVIDIA libraries on the library path"
fi
IFS=':' read -r -a pydirs <<< "$PY_NVIDIA_LIBS"
for d in "${pydirs[@]}"; do [[ -n "$d" ]] && add_dir "$d"; done
# the driver (libcuda.so.1) where images mount it; never the toolkit's stubs
add_dir /usr/local/nvidia/lib64
add_dir /usr/local/nvidia/lib
LDP="$(IFS=':'; echo "${libdirs[*]}")"
export LD_LIBRARY_PATH="${LDP}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
say "python3 NVIDIA wheel libraries: ${#pydirs[@]} folder(s)"
say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

# ---- 3. nvidia-smi ----------------------------------------------------------------------------
section "nvidia-smi"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi 2>&1 || die "nvidia-smi failed"
    REQUIRE_GPU="${P4J_REQUIRE_GPU:-1}"
else
    echo "nvidia-smi not found: not a GPU machine (or no driver tools on the PATH)"
    REQUIRE_GPU="${P4J_REQUIRE_GPU:-0}"
fi

# ---- 4. preflight -----------------------------------------------------------------------------
# shellcheck disable=SC2206
JOPTS=(${P4J_JAVA_OPTS:--Xmx16g} "-Dorg.bytedeco.javacpp.cachedir=$WORK/javacpp-cache" -Djava.awt.headless=true)
APP_CP="$B/app/prune4j.jar"   # its manifest Class-Path brings lib/*.jar
TEST_CP="$B/test/classes:$APP_CP"
for j in "$B"/app/lib/*.jar "$B"/test/lib/*.jar; do
    if [[ -e "$j" ]]; then TEST_CP+=":$j"; fi
done

# the JUnit runs: with a GPU expected, every GPU test that would skip fails (Gpu.require)
TEST_JOPTS=("${JOPTS[@]}")
if [[ "$REQUIRE_GPU" == 1 ]]; then TEST_JOPTS+=(-Dprune4j.requireGpu=true); fi

section "CUDA preflight"
set +e
"$JAVA" "${JOPTS[@]}" -cp "$APP_CP" io.prune4j.backend.cuda.CudaRuntime 2>&1
pre=$?
set -e
if [[ $pre -ne 0 ]]; then
    if [[ "$REQUIRE_GPU" == 1 ]]; then
        die "CUDA is not usable here (exit $pre; see above). Set P4J_REQUIRE_GPU=0 to run the tests anyway (they will skip)."
    fi
    say "no usable GPU (P4J_REQUIRE_GPU=0): the GPU tests will run and skip with the reason above"
fi

# ---- 5. GPU tests -----------------------------------------------------------------------------
section "JUnit tests tagged gpu"
TAGS=(--include-tag gpu)
if [[ "${P4J_ALL_TESTS:-0}" == 1 ]]; then TAGS=(); fi
# shellcheck disable=SC2206
EXTRA=(${P4J_TEST_ARGS:-})
set +e
"$JAVA" "${TEST_JOPTS[@]}" -jar "$CONSOLE" execute \
    --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests \
    --include-engine=junit-jupiter \
    --class-path "$TEST_CP" --scan-class-path "$B/test/classes" \
    "${TAGS[@]}" --reports-dir "$OUT/junit" "${EXTRA[@]}" 2>&1 | tee "$OUT/junit-gpu.log"
rc=${PIPESTATUS[0]}
set -e
if [[ $rc -ne 0 ]]; then
    say "ERROR: GPU tests failed (JUnit exit $rc; see $OUT/junit-gpu.log and $OUT/junit/); going on with the benchmarks"
    FAILED+=("GPU tests (JUnit exit $rc)")
fi
# An assumption that fails (no device) shows as "aborted"; @Disabled as "skipped".
if [[ "$REQUIRE_GPU" == 1 ]] && grep -qE '\[ *[1-9][0-9]* tests (skipped|aborted) *\]' "$OUT/junit-gpu.log"; then
    say "ERROR: GPU tests were skipped or aborted on a GPU machine (see the reasons in $OUT/junit-gpu.log)"
    FAILED+=("GPU tests skipped or aborted")
fi

# ---- 5b. the prune pipeline, cuda against cpu ---------------------------------------------------
# Same seed, same data, same command; the reports (JSON) go into this log. Both runs train the
# default MLP from scratch, so the figures include training.
section "prune pipeline: --device cuda against --device cpu"
PDATA="$B/data/fashion-mnist"
# wanted WHAT SKIP_VAR: whether a step on the bundle's data runs (not with P4J_SKIP_PIPELINE=1 or
# SKIP_VAR=1, nor without the data); says why not when it does not.
wanted() {
    if [[ "${P4J_SKIP_PIPELINE:-0}" == 1 || "${!2:-0}" == 1 ]]; then say "$1 skipped"; return 1; fi
    if [[ ! -d "$PDATA" ]]; then say "no data/fashion-mnist in the bundle: no $1"; return 1; fi
}
# have_torch_cuda: whether python3 has a torch that sees a CUDA device (for the PyTorch peers)
have_torch_cuda() {
    command -v python3 >/dev/null 2>&1 && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null
}
if [[ "${P4J_SKIP_PIPELINE:-0}" == 1 ]]; then
    say "pipeline timing skipped (P4J_SKIP_PIPELINE=1)"
elif [[ ! -d "$PDATA" ]]; then
    say "no data/fashion-mnist in the bundle: no pipeline timing"
else
    # shellcheck disable=SC2206
    PARGS=(${P4J_PIPELINE_ARGS:-})
    declare -A PWALL=()
    pok=1
    for dev in cuda cpu; do
        say "prune4j prune --device $dev ${PARGS[*]}"
        step "prune pipeline --device $dev" "$JAVA" "${JOPTS[@]}" -jar "$B/app/prune4j.jar" prune --data "$PDATA" \
            --device "$dev" --seed 42 --no-progress --report "$WORK/prune-$dev.json" "${PARGS[@]}" 2>&1
        PWALL[$dev]=$STEP_S
        if [[ $STEP_RC -ne 0 ]]; then
            pok=0
        else
            say "report of --device $dev:"
            cat "$WORK/prune-$dev.json"
            echo
        fi
    done
    if [[ $pok == 1 ]]; then
        say "prune pipeline wall time (JVM start to exit): cuda ${PWALL[cuda]} s, cpu ${PWALL[cpu]} s" \
            "($(awk -v a="${PWALL[cuda]}" -v b="${PWALL[cpu]}" 'BEGIN { if (a > 0) printf "cpu/cuda %.2fx", b / a }'))"
    fi
fi

# ---- 5c. the same MLP pipeline in PyTorch eager ---------------------------------------------------
# benchmarks/gpu/torch_prune_pipeline.py: train, Taylor-score, prune half of each hidden layer,
# fine-tune, with the defaults of `prune4j prune`, on the same data subset and GPU. Compared on the
# in-process span train + score + prune + finetune (prune4j's report timings; the script's pipeline_s).
section "prune pipeline in PyTorch eager (same data, same GPU)"
if [[ "${P4J_SKIP_PIPELINE:-0}" == 1 || "${P4J_SKIP_TORCH:-0}" == 1 ]]; then
    say "PyTorch pipeline skipped"
elif [[ ! -d "$PDATA" || ! -f "$B/bench/torch_prune_pipeline.py" ]]; then
    say "no data or no bench/torch_prune_pipeline.py in the bundle: no PyTorch pipeline"
elif ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    say "python3 with CUDA-enabled torch not found: no PyTorch pipeline"
else
  for adam in foreach fused; do
    TFLAGS=(); [[ $adam == fused ]] && TFLAGS=(--fused-adam)
    step "PyTorch pipeline, Adam $adam" --out "$WORK/torch-pipeline.json" env PYTHONUNBUFFERED=1 \
        python3 "$B/bench/torch_prune_pipeline.py" --data "$PDATA" --seed 42 --repeat 3 "${TFLAGS[@]}"
    cat "$WORK/torch-pipeline.json"
    if [[ $STEP_RC -eq 0 ]]; then
        say "PyTorch pipeline (Adam $adam) process wall time (python start to exit, 3 runs): $STEP_S s"
        if [[ -f "$WORK/prune-cuda.json" ]]; then
            python3 - "$WORK/prune-cuda.json" "$WORK/torch-pipeline.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
jt = j["timings"]
jp = sum(jt[k] for k in ("train_s", "score_s", "prune_s", "finetune_s"))
print("[gpu-run] pipeline (train+score+prune+finetune), in-process seconds:")
print(f"[gpu-run]   prune4j --device cuda  {jp:8.3f}  (train {jt['train_s']:.3f}, score {jt['score_s']:.3f}, prune {jt['prune_s']:.3f},"
      f" finetune {jt['finetune_s']:.3f}); accuracy {j['baseline']['accuracy']:.4f} -> {j['pruned']['accuracy']:.4f}")
d = j.get("device_to_host")
if d:
    print(f"[gpu-run]   prune4j device->host copies: training {d['train']['copies']} ({d['train']['bytes']} bytes);"
          f" scoring + pruning + fine-tuning over {len(j.get('rounds', []))} round(s) {d['prune']['copies']} ({d['prune']['bytes']} bytes)")
for i, r in enumerate(t["runs"]):
    rt = r["timings"]
    print(f"[gpu-run]   PyTorch eager run {i + 1}  {rt['pipeline_s']:8.3f}  (train {rt['train_s']:.3f}, score {rt['score_s']:.3f},"
          f" prune {rt['prune_s']:.3f}, finetune {rt['finetune_s']:.3f}); accuracy {r['baseline_accuracy']:.4f} -> {r['pruned_accuracy']:.4f}"
          f"; PyTorch/prune4j {rt['pipeline_s'] / jp:.2f}x (Adam {t['adam']})")
PY
        fi
    fi
  done
fi

# ---- 5d. the CNN pipeline on the GPU --------------------------------------------------------------
# `prune4j prune --arch cnn --device cuda`: cuDNN training, channel Taylor scores, compaction of
# conv->conv and conv->flatten->dense, fine-tuning; the report's throughput rows are the compacted
# CNN's GPU speedup. P4J_CNN_ARGS adds options (default: --epochs 5).
section "CNN prune pipeline on the GPU"
if wanted "CNN pipeline" P4J_SKIP_CNN; then
    # shellcheck disable=SC2206
    CARGS=(${P4J_CNN_ARGS:---epochs 5})
    step "CNN pipeline --device cuda" "$JAVA" "${JOPTS[@]}" -jar "$B/app/prune4j.jar" prune --arch cnn --data "$PDATA" \
        --device cuda --seed 42 --no-progress --report "$WORK/prune-cnn-cuda.json" "${CARGS[@]}" 2>&1
    if [[ $STEP_RC -eq 0 ]]; then
        cat "$WORK/prune-cnn-cuda.json"; echo
    fi
fi

# ---- 5e. the sweep on the GPU -----------------------------------------------------------------------
# `prune4j sweep --device cuda`: every criterion at every default sparsity from one trained model;
# the numbers go into this log (--no-plot: the GPU machine lacks the font libraries Java 2D needs).
section "sweep on the GPU"
if wanted "sweep" P4J_SKIP_SWEEP; then
    step "sweep --device cuda" "$JAVA" "${JOPTS[@]}" -jar "$B/app/prune4j.jar" sweep --data "$PDATA" --device cuda --seed 42 \
        --no-progress --no-plot --json "$WORK/sweep.json" 2>&1
    if [[ $STEP_RC -eq 0 ]]; then
        cat "$WORK/sweep.json"; echo
        say "sweep --device cuda wall time (JVM start to exit): $STEP_S s"
    fi
fi

# ---- 5f. least-squares reconstruction on the GPU -------------------------------------------------
# `prune4j prune --device cuda --reconstruct --finetune-epochs 0`: the Gram matrices come from the
# device (cuBLAS), the solves run on the host; the accuracy should match the CPU's figures for the
# same subset within a few tenths of a point.
section "reconstruction on the GPU"
if wanted "reconstruction" P4J_SKIP_RECONSTRUCT; then
    for kind in structured unstructured; do
        if [[ $kind == structured ]]; then RARGS=(--criterion taylor --sparsity 0.5); else
            RARGS=(--unstructured --criterion magnitude --scope global --sparsity 0.9); fi
        for dev in cuda cpu; do
            step "reconstruction $kind --device $dev" "$JAVA" "${JOPTS[@]}" -jar "$B/app/prune4j.jar" prune --data "$PDATA" \
                --device "$dev" --seed 42 --no-progress --finetune-epochs 0 --reconstruct "${RARGS[@]}" \
                --report "$WORK/prune-reconstruct-$kind-$dev.json" 2>&1
            if [[ $STEP_RC -eq 0 ]]; then
                cat "$WORK/prune-reconstruct-$kind-$dev.json"; echo
            fi
        done
    done
fi

# ---- 5g. the ResNet pipeline on the GPU, and the same pipeline in PyTorch eager ------------------
# `prune4j prune --arch resnet --device cuda --target-flops 0.4 --criterion taylor`: cuDNN training of
# the default ResNet (width 16, one basic block per stage), Taylor scores at each conv's BatchNorm
# output, group scores over the dependency groups (each stage's residual stream, each block's conv1
# channels), the global ranking to 40% of the FLOPs, compaction, BatchNorm re-estimation, fine-tuning.
# bench/torch_resnet_pipeline.py is the same pipeline in PyTorch eager on the same GPU and data (two
# runs in one process: the first pays CUDA/cuDNN start-up, the second is the warm figure). Compared on
# the in-process span train + score + prune + finetune, as the MLP pipeline is (5c).
# --device cpu is not run: on this branch the CPU backend lacks the graph networks' operations
# (bias-free conv2d, batchNorm, add: "not implemented yet"), and it would take minutes if it had them.
#
# Time (estimated before any run of it, from the H100 figures in docs/gpu-h100): the ResNet costs
# 18.8 MFLOPs (9.4 M multiply-adds) per image forward, about half the default CNN's 33 MFLOPs, which
# trained at ~110-127k samples/s; but it has 31 nodes (CNN: 8) of narrow (16-64 channel) layers, so
# at batch 128 it is bound by kernel launches (~150 per step), not FLOPs: taken at 40k samples/s,
# i.e. ~3 ms a step, for prune4j and 30k samples/s for PyTorch eager (~126 operators a step, ~10 us
# each on the host). An epoch of the 15,000-image subset is then ~0.4-0.5 s plus ~0.1 s for the test
# evaluation; 5 + 3 epochs ~5 s. prune4j: + JVM and CUDA start, first-epoch cuDNN plans, the
# report's latency/throughput measurement (3 s for the CNN) = ~10-15 s (30 s allowed). PyTorch: two
# runs ~5 s each + start-up and the first run's warm-up (the MLP peer's first run took 7.5 s longer
# than the next) = ~20-25 s (60 s allowed). MobileNet (5h, 69 nodes, 13.3 MFLOPs, depthwise convs)
# ~15-20 s (40 s allowed). All three together: ~1 min expected, 2.2 min at worst. The steps before
# and after, read off the H100 log (which has no per-section times; the [N s] on each section line
# now gives them): GPU tests ~15-45 s (50 tests took 13 s; this branch has 335 GPU-tagged cases),
# MLP cuda + cpu ~13 s, its PyTorch peer ~45 s, CNN ~7 s, sweep ~5 s, reconstruction ~25 s, torch
# timings ~25 s, GpuBench ~1 min: the whole script ~4-5 min, under the 8 minutes a device run has.
# P4J_RESNET_EPOCHS sets the training epochs of both (default 5; prune4j's default is 10).
section "ResNet prune pipeline on the GPU, against PyTorch eager"
RESNET_EPOCHS="${P4J_RESNET_EPOCHS:-5}"
RESNET_OPTS=(--target-flops 0.4 --criterion taylor --finetune-epochs 3 --epochs "$RESNET_EPOCHS")
RESNET_SUMMARY="ResNet pipeline: not run (skipped, or no data in the bundle)"
if wanted "ResNet pipeline" P4J_SKIP_RESNET; then
    say "prune4j prune --arch resnet --device cuda ${RESNET_OPTS[*]}"
    step "ResNet pipeline --device cuda" "$JAVA" "${JOPTS[@]}" -jar "$B/app/prune4j.jar" prune --arch resnet --data "$PDATA" \
        --device cuda --seed 42 --no-progress --report "$WORK/prune-resnet-cuda.json" "${RESNET_OPTS[@]}" 2>&1
    RESNET_SUMMARY="ResNet pipeline: prune4j --device cuda failed (exit $STEP_RC)"
    if [[ $STEP_RC -eq 0 ]]; then
        cat "$WORK/prune-resnet-cuda.json"; echo
        say "ResNet pipeline --device cuda wall time (JVM start to exit): $STEP_S s"
        RESNET_SUMMARY="ResNet pipeline: prune4j --device cuda ran ($STEP_S s wall)"
    fi
    why=""
    if [[ "${P4J_SKIP_TORCH:-0}" == 1 ]]; then
        why="PyTorch ResNet pipeline skipped (P4J_SKIP_TORCH=1)"
    elif [[ ! -f "$B/bench/torch_resnet_pipeline.py" ]]; then
        why="no bench/torch_resnet_pipeline.py in the bundle: no PyTorch ResNet pipeline"
    elif ! have_torch_cuda; then
        why="python3 with CUDA-enabled torch not found: no PyTorch ResNet pipeline"
    fi
    if [[ -n "$why" ]]; then
        say "$why"
        RESNET_SUMMARY+="; $why"
    else
        step "PyTorch ResNet pipeline" --out "$WORK/torch-resnet.json" env PYTHONUNBUFFERED=1 \
            python3 "$B/bench/torch_resnet_pipeline.py" --data "$PDATA" --seed 42 --repeat 2 --epochs "$RESNET_EPOCHS" \
            --finetune-epochs 3 --target-flops 0.4
        cat "$WORK/torch-resnet.json"; echo
        if [[ $STEP_RC -eq 0 ]]; then
            say "PyTorch ResNet pipeline process wall time (python start to exit, 2 runs): $STEP_S s"
            if [[ -f "$WORK/prune-resnet-cuda.json" ]]; then
                RESNET_SUMMARY="$(python3 - "$WORK/prune-resnet-cuda.json" "$WORK/torch-resnet.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
jt = j["timings"]
phases = ("train_s", "score_s", "prune_s", "finetune_s")
jp = sum(jt[k] for k in phases)
def acc(m):
    return "n/a" if m is None or m.get("accuracy") is None else f"{m['accuracy']:.4f}"
rounds = j.get("rounds") or [{}]
jb, jq = j["baseline"], j["pruned"]
print("[gpu-run] ResNet pipeline (train+score+prune+finetune), in-process seconds:", file=sys.stderr)
print(f"[gpu-run]   prune4j --device cuda  {jp:8.3f}  (train {jt['train_s']:.3f}, score {jt['score_s']:.3f}, prune {jt['prune_s']:.3f},"
      f" finetune {jt['finetune_s']:.3f}); accuracy {acc(jb)} -> {acc(rounds[-1].get('beforeFinetune'))} after pruning -> {acc(jq)};"
      f" FLOPs {jb['flops']} -> {jq['flops']} ({jq['flops'] / jb['flops']:.3f})", file=sys.stderr)
d = j.get("device_to_host")
if d:
    print(f"[gpu-run]   prune4j device->host copies: training {d['train']['copies']}, scoring + pruning + fine-tuning {d['prune']['copies']}",
          file=sys.stderr)
for i, r in enumerate(t["runs"]):
    rt = r["timings"]
    print(f"[gpu-run]   PyTorch eager run {i + 1}  {rt['pipeline_s']:8.3f}  (train {rt['train_s']:.3f}, score {rt['score_s']:.3f},"
          f" prune {rt['prune_s']:.3f}, finetune {rt['finetune_s']:.3f}); accuracy {r['baseline_accuracy']:.4f} ->"
          f" {r['accuracy_after_prune']:.4f} after pruning -> {r['pruned_accuracy']:.4f}; FLOPs {r['baseline_flops']} ->"
          f" {r['pruned_flops']} ({r['flops_fraction']:.3f}); kept {r['groups']}", file=sys.stderr)
if jb["flops"] != t["runs"][-1]["baseline_flops"]:
    print(f"[gpu-run]   WARNING: the two count different baseline FLOPs ({jb['flops']} and {t['runs'][-1]['baseline_flops']})", file=sys.stderr)
w = t["runs"][-1]["timings"]["pipeline_s"]   # the warm run (the last of --repeat 2)
print(f"ResNet pipeline (train+score+prune+finetune, in-process): prune4j --device cuda {jp:.3f} s, PyTorch eager {w:.3f} s"
      f" (warm run, {t['device']}, torch {t['torch']}): prune4j/PyTorch {jp / w:.2f}x ({'prune4j faster' if jp < w else 'PyTorch faster'})")
PY
)" || RESNET_SUMMARY="ResNet pipeline: could not compare the two reports (see above)"
                say "$RESNET_SUMMARY"
            fi
        else
            RESNET_SUMMARY+="; the PyTorch peer failed (exit $STEP_RC)"
        fi
    fi
fi

# ---- 5h. the MobileNet pipeline on the GPU ----------------------------------------------------------
# `prune4j prune --arch mobilenet --device cuda`, the same options as the ResNet (5g): inverted
# residual blocks with depthwise convolutions (cuDNN grouped convolutions), ReLU6, the residual
# streams and expansion channels as groups. No PyTorch peer (time). P4J_MOBILENET_EPOCHS: training
# epochs (default: the ResNet's).
section "MobileNet prune pipeline on the GPU"
if wanted "MobileNet pipeline" P4J_SKIP_MOBILENET; then
    MOBILE_OPTS=(--target-flops 0.4 --criterion taylor --finetune-epochs 3 --epochs "${P4J_MOBILENET_EPOCHS:-$RESNET_EPOCHS}")
    say "prune4j prune --arch mobilenet --device cuda ${MOBILE_OPTS[*]}"
    step "MobileNet pipeline --device cuda" "$JAVA" "${JOPTS[@]}" -jar "$B/app/prune4j.jar" prune --arch mobilenet --data "$PDATA" \
        --device cuda --seed 42 --no-progress --report "$WORK/prune-mobilenet-cuda.json" "${MOBILE_OPTS[@]}" 2>&1
    if [[ $STEP_RC -eq 0 ]]; then
        cat "$WORK/prune-mobilenet-cuda.json"; echo
        say "MobileNet pipeline --device cuda wall time (JVM start to exit): $STEP_S s"
    fi
fi

# ---- 6. torch timings -------------------------------------------------------------------------
section "torch.topk / torch.kthvalue"
TORCH_TSV="$OUT/torch_topk.tsv"
if [[ "${P4J_SKIP_BENCH:-0}" == 1 || "${P4J_SKIP_TORCH:-0}" == 1 ]]; then
    say "torch timings skipped"
elif [[ ! -f "$B/bench/torch_topk.py" ]]; then
    say "no bench/torch_topk.py in the bundle"
elif ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    say "python3 with CUDA-enabled torch not found: no torch timings"
else
    # shellcheck disable=SC2206
    TARGS=(${P4J_TORCH_ARGS:-})
    step "torch timings" env PYTHONUNBUFFERED=1 python3 "$B/bench/torch_topk.py" --out "$TORCH_TSV" "${TARGS[@]}" 2>&1
fi

# ---- 7. BENCHMARK HOOK ------------------------------------------------------------------------
# A later benchmark harness: put a class io.prune4j.bench.GpuBench with a main(String[]) in the
# jar (or in the test classes); it is run here with P4J_BENCH_ARGS, and -Dprune4j.bench.out=$OUT
# tells it where to write its results (files directly under $OUT, or one folder down).
section "GPU benchmarks"
BENCH_CLASS=io.prune4j.bench.GpuBench
BENCH_FILE="${BENCH_CLASS//.//}.class"
has_bench=0
if [[ -f "$B/test/classes/$BENCH_FILE" ]]; then
    has_bench=1
elif command -v unzip >/dev/null 2>&1; then
    if unzip -Z1 "$B/app/prune4j.jar" 2>/dev/null | grep -x "$BENCH_FILE" >/dev/null; then has_bench=1; fi
elif command -v python3 >/dev/null 2>&1; then
    if python3 -c 'import sys, zipfile; sys.exit(0 if sys.argv[2] in zipfile.ZipFile(sys.argv[1]).namelist() else 1)' \
            "$B/app/prune4j.jar" "$BENCH_FILE"; then
        has_bench=1
    fi
fi
if [[ "${P4J_SKIP_BENCH:-0}" == 1 ]]; then
    say "benchmarks skipped (P4J_SKIP_BENCH=1)"
elif [[ $has_bench == 1 ]]; then
    # shellcheck disable=SC2206
    BARGS=(${P4J_BENCH_ARGS:-})
    set +e
    "$JAVA" "${JOPTS[@]}" "-Dprune4j.bench.out=$OUT" "-Dprune4j.bench.torch=$TORCH_TSV" -cp "$TEST_CP" "$BENCH_CLASS" \
        "${BARGS[@]}" 2>&1 | tee "$OUT/bench.log"
    brc=${PIPESTATUS[0]}
    set -e
    if [[ $brc -ne 0 ]]; then
        say "ERROR: $BENCH_CLASS failed (exit $brc; see $OUT/bench.log)"
        FAILED+=("$BENCH_CLASS (exit $brc)")
    fi
else
    say "no $BENCH_CLASS in the bundle: no benchmarks to run" | tee "$OUT/bench.log"
fi

# ---- 8. compute-sanitizer ---------------------------------------------------------------------
if [[ "${P4J_SANITIZE:-0}" == 1 ]]; then
    section "GPU tests under compute-sanitizer memcheck"
    SAN="$(command -v compute-sanitizer || true)"
    [[ -n "$SAN" ]] || SAN=/usr/local/cuda/bin/compute-sanitizer
    if [[ -x "$SAN" ]]; then
        # shellcheck disable=SC2206
        SAN_EXTRA=(${P4J_SANITIZE_ARGS:-${P4J_TEST_ARGS:-}})
        set +e
        # --report-api-errors no: API calls that fail on purpose (the out-of-memory test asks for 64 TiB)
        # are not memory errors; the tests check that every failing call becomes a Java exception.
        "$SAN" --tool memcheck --report-api-errors no --error-exitcode 86 --print-limit 20 \
            "$JAVA" "${TEST_JOPTS[@]}" -jar "$CONSOLE" execute \
            --disable-banner --disable-ansi-colors --details=summary --include-engine=junit-jupiter \
            --class-path "$TEST_CP" --scan-class-path "$B/test/classes" --include-tag gpu "${SAN_EXTRA[@]}" \
            > "$OUT/sanitizer.log" 2>&1
        src=$?
        set -e
        tail -40 "$OUT/sanitizer.log"
        if [[ $src -ne 0 ]]; then
            say "ERROR: compute-sanitizer run failed (exit $src; 86 = memcheck found errors; see $OUT/sanitizer.log)"
            FAILED+=("compute-sanitizer (exit $src)")
        fi
    else
        say "compute-sanitizer not found: skipped"
    fi
fi

section "done"
say "$RESNET_SUMMARY"
say "wall time of gpu-run.sh: $SECONDS s"
if [[ ${#FAILED[@]} -gt 0 ]]; then
    say "FAILED: ${FAILED[*]}"
    say "logs in $OUT"
    exit 1
fi
say "all GPU steps passed; logs in $OUT"
