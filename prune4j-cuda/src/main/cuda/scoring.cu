// Importance-scoring kernels.
//
// taylor_accumulate: the fused activation x gradient score (Molchanov et al. 2017). Reads
// A[batch, units, spatial] and G (same shape) once and adds, per unit n,
//   scale * |sum_b t_b|       (abs_inside == 0)   or   scale * sum_b |t_b|   (abs_inside != 0)
// with t_b = mean_s a*g (just a*g for dense layers), never storing a*g.
//
// Determinism: one thread owns one unit and walks the batch in order, so the result does not depend
// on scheduling (no float atomics). The per-example product and mean are done in float without
// contraction (__fmul_rn/__fadd_rn) and the batch sum in double, exactly as the CPU backend does,
// so the two backends agree bit for bit. Consecutive threads own consecutive units: for dense
// layers (spatial == 1) every row of A and G is read coalesced.
//
// The other scorers' building blocks follow the same rules (one owner per output, fixed order):
//   accumulate (identity, |x| or x^2: the squared gradient is the empirical Fisher of OBD),
//   accumulate_abs_product, count_positive (APoZ / activation frequency), row_norms (L1/L2 of a
//   unit's weights), row_sums, composite_scores: element-wise or one warp per row, double sums
//   where the CPU sums in double;
//   sum, normalize (L2 / max / L1) and accumulate_normalized_abs need a reduction over the whole
//   tensor first: per-block partials in double, then one block adds them in a fixed tree order and
//   leaves the factor in the workspace for the element-wise pass. The grid depends only on n, so
//   the result is the same on every run.
//
// The graph networks' scorers:
//   fpgm_scores (He et al. 2019): out[r] = sum_j ||w[r, :] - w[j, :]||_2. Directly, not through a
//     Gram matrix: n_i + n_j - 2 G_ij cancels badly for rows close to each other, which are exactly
//     the ones FPGM is about. A 32 x 32 tile of row pairs per block, the rows' columns staged through
//     shared memory 32 at a time, every squared difference summed in double in column order (the
//     same sum for (i, j) and (j, i)); each block adds its 32 distances per row in a fixed butterfly
//     and leaves one partial per row and column tile; a last kernel adds those in tile order.
//   lamp_scores (Lee et al. 2021): CUB's stable radix sort of (|w| bits, index) pairs puts the
//     elements in increasing magnitude, equal magnitudes by increasing index; the suffix sums of the
//     squares are then a deterministic scan of our own (CUB's device-wide scan combines tiles in an
//     order that depends on timing, which for doubles changes the last bits): per 2048-element tile
//     a fixed-order total, one block scanning the totals from the end, and per tile a block scan
//     from the end plus the later tiles' total. All in double: the denominators add up to millions
//     of squares. The scores are scattered back to the elements' positions.
//   segment_reduce: one warp per segment, lanes striding over the segment in order and a fixed
//     butterfly (sums in double), so the result does not depend on scheduling. An index outside src
//     (or offsets that are not a non-decreasing range inside perm) is never read through: that
//     segment is written as 0 and *bad is incremented, as the gathers do.
#include <math.h>

#include <cub/block/block_exchange.cuh>
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/device/device_radix_sort.cuh>

#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

template <bool kAbsInside>
__global__ void taylor_accumulate_kernel(float* __restrict__ acc, const float* __restrict__ a,
                                         const float* __restrict__ g, int batch, int units, int spatial,
                                         float inv_spatial, float scale) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t n = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; n < units; n += stride) {
        double sum = 0.0;
        for (int b = 0; b < batch; b++) {
            const int64_t base = ((int64_t)b * units + n) * spatial;
            float t = 0.0f;
            for (int s = 0; s < spatial; s++) {
                t = __fadd_rn(t, __fmul_rn(a[base + s], g[base + s]));
            }
            t = __fmul_rn(t, inv_spatial);
            sum += kAbsInside ? fabs((double)t) : (double)t;
        }
        acc[n] = __fadd_rn(acc[n], (float)((double)scale * fabs(sum)));
    }
}

// Dense layers (spatial == 1): the same arithmetic (t = a*g; the CPU's 0 + a*g differs only for
// -0, which adds nothing to the double sum), with four examples' loads issued before their adds so
// that each thread keeps eight loads in flight: one thread per unit has few threads for a 256 x 2^20
// batch and is otherwise latency-bound.
template <bool kAbsInside>
__global__ void taylor_dense_kernel(float* __restrict__ acc, const float* __restrict__ a, const float* __restrict__ g,
                                    int batch, int units, float scale) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t n = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; n < units; n += stride) {
        double sum = 0.0;
        int b = 0;
        for (; b + 4 <= batch; b += 4) {
            float av[4], gv[4];
#pragma unroll
            for (int i = 0; i < 4; i++) {
                av[i] = a[(int64_t)(b + i) * units + n];
                gv[i] = g[(int64_t)(b + i) * units + n];
            }
#pragma unroll
            for (int i = 0; i < 4; i++) {
                const float t = __fmul_rn(av[i], gv[i]);
                sum += kAbsInside ? fabs((double)t) : (double)t;
            }
        }
        for (; b < batch; b++) {
            const float t = __fmul_rn(a[(int64_t)b * units + n], g[(int64_t)b * units + n]);
            sum += kAbsInside ? fabs((double)t) : (double)t;
        }
        acc[n] = __fadd_rn(acc[n], (float)((double)scale * fabs(sum)));
    }
}

}  // namespace

extern "C" int p4j_taylor_accumulate(float* acc, const float* a, const float* g, int batch, int units,
                                     int spatial, int abs_inside, float scale, void* stream) {
    if (batch < 0 || units < 0 || spatial < 1) return (int)cudaErrorInvalidValue;
    if (units == 0) return (int)cudaSuccess;
    if (acc == nullptr || (batch > 0 && (a == nullptr || g == nullptr))) return (int)cudaErrorInvalidValue;
    const int grid = p4j::grid_for(units);
    cudaStream_t s = p4j::as_stream(stream);
    const float inv_spatial = 1.0f / (float)spatial;
    if (spatial == 1) {
        if (abs_inside) taylor_dense_kernel<true><<<grid, p4j::kBlock, 0, s>>>(acc, a, g, batch, units, scale);
        else taylor_dense_kernel<false><<<grid, p4j::kBlock, 0, s>>>(acc, a, g, batch, units, scale);
    } else if (abs_inside) {
        taylor_accumulate_kernel<true><<<grid, p4j::kBlock, 0, s>>>(acc, a, g, batch, units, spatial, inv_spatial, scale);
    } else {
        taylor_accumulate_kernel<false><<<grid, p4j::kBlock, 0, s>>>(acc, a, g, batch, units, spatial, inv_spatial, scale);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- element-wise accumulation -----------------------------------------------------------------

namespace {

// Transform codes, the ordinals of io.prune4j.backend.Transform.
constexpr int kIdentity = 0, kAbs = 1, kSquare = 2;

template <int kTransform>
__global__ void accumulate_kernel(float* __restrict__ acc, const float* __restrict__ x, int64_t n, float scale) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float v = x[i];
        float t;
        if (kTransform == kIdentity) t = __fmul_rn(scale, v);
        else if (kTransform == kAbs) t = __fmul_rn(scale, fabsf(v));
        else t = __fmul_rn(__fmul_rn(scale, v), v);   // Java's scale * v * v, left to right
        acc[i] = __fadd_rn(acc[i], t);
    }
}

__global__ void accumulate_abs_product_kernel(float* __restrict__ acc, const float* __restrict__ a,
                                              const float* __restrict__ b, int64_t n, float scale) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        acc[i] = __fadd_rn(acc[i], __fmul_rn(scale, fabsf(__fmul_rn(a[i], b[i]))));
    }
}

// One thread per unit, examples in order: the CPU's float additions, in the CPU's order.
__global__ void count_positive_kernel(float* __restrict__ acc, const float* __restrict__ a, int batch, int units,
                                      int spatial) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    const float fs = (float)spatial;
    for (int64_t n = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; n < units; n += stride) {
        float c = acc[n];
        for (int b = 0; b < batch; b++) {
            const float* p = a + ((int64_t)b * units + n) * spatial;
            int count = 0;
            for (int s = 0; s < spatial; s++) count += p[s] > 0.f ? 1 : 0;
            c = __fadd_rn(c, __fdiv_rn((float)count, fs));
        }
        acc[n] = c;
    }
}

// ---- one warp per row ---------------------------------------------------------------------------

constexpr int kRowThreads = 256;

__device__ __forceinline__ double warp_sum_double(double v) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(p4j::kFullMask, v, off);
    return v;
}

// kind: 1 = L1 norm, 2 = L2 norm, 0 = plain sum.
__global__ void __launch_bounds__(kRowThreads)
row_reduce_kernel(float* __restrict__ out, const float* __restrict__ w, int rows, int64_t cols, int kind) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t)gridDim.x * (kRowThreads / 32);
    for (int64_t r = (int64_t)blockIdx.x * (kRowThreads / 32) + (threadIdx.x >> 5); r < rows; r += warps) {
        const float* x = w + r * cols;
        double s = 0.0;
        for (int64_t c = lane; c < cols; c += 32) {
            const float v = x[c];
            s += kind == 1 ? fabs((double)v) : (kind == 2 ? (double)v * v : (double)v);
        }
        s = warp_sum_double(s);
        if (lane == 0) out[r] = (float)(kind == 2 ? sqrt(s) : s);
    }
}

__global__ void __launch_bounds__(kRowThreads)
composite_scores_kernel(float* __restrict__ out, const float* __restrict__ w, const float* __restrict__ g_abs,
                        const float* __restrict__ freq, int rows, int64_t cols, int64_t block) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t)gridDim.x * (kRowThreads / 32);
    for (int64_t r = (int64_t)blockIdx.x * (kRowThreads / 32) + (threadIdx.x >> 5); r < rows; r += warps) {
        double num = 0.0, den = 0.0;
        for (int64_t c = lane; c < cols; c += 32) {
            const double aw = fabs((double)w[r * cols + c]);
            num += aw * fabs((double)g_abs[r * cols + c]) * (double)freq[block == 1 ? c : c / block];
            den += aw;
        }
        num = warp_sum_double(num);
        den = warp_sum_double(den);
        if (lane == 0) out[r] = den == 0.0 ? 0.f : (float)(num / den);
    }
}

unsigned row_blocks(int rows) {
    const int64_t b = ((int64_t)rows + kRowThreads / 32 - 1) / (kRowThreads / 32);
    return (unsigned)(b < 65535 * 8 ? b : 65535 * 8);
}

// ---- whole-tensor reductions ----------------------------------------------------------------------

constexpr int kReduceThreads = 256;
constexpr int kReduceMaxBlocks = 1024;
constexpr int kReduceItemsPerThread = 8;
// Reduction ops.
constexpr int kSum = 0, kAbsSum = 1, kSqSum = 2, kMaxAbs = 3;

struct ReduceSlots {   // at the start of the workspace, then the partials
    double total;
    float factor;
    int apply;
};
constexpr int64_t kPartialsOffset = 256;
static_assert(kPartialsOffset + kReduceMaxBlocks * sizeof(double) <= p4j::kReduceWorkspaceBytes, "partials fit");

int reduce_blocks(int64_t n) {
    const int64_t b = (n + (int64_t)kReduceThreads * kReduceItemsPerThread - 1) / ((int64_t)kReduceThreads * kReduceItemsPerThread);
    return (int)(b < 1 ? 1 : (b > kReduceMaxBlocks ? kReduceMaxBlocks : b));
}

// Java's Math.max propagates NaN (so a NaN score skips normalisation on the CPU); fmax would drop it.
__device__ __forceinline__ double nan_max(double a, double b) { return (a != a || a > b) ? a : b; }

template <int kOp>
__device__ __forceinline__ double reduce_combine(double a, double b) {
    return kOp == kMaxAbs ? nan_max(a, b) : a + b;
}

template <int kOp>
__global__ void __launch_bounds__(kReduceThreads)
reduce_partials_kernel(double* __restrict__ partials, const float* __restrict__ x, int64_t n) {
    __shared__ double red[kReduceThreads];
    double acc = 0.0;
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const double v = (double)x[i];
        const double t = kOp == kSum ? v : (kOp == kSqSum ? v * v : fabs(v));
        acc = reduce_combine<kOp>(acc, t);
    }
    const double r = p4j::block_reduce_tree(acc, red, [](double a, double b) { return reduce_combine<kOp>(a, b); });
    if (threadIdx.x == 0) partials[blockIdx.x] = r;
}

// What the whole-tensor result is for: 0 = write (float) total to out[0]; 1 = normalise (factor
// 1/d where d is the L2 norm, the max or the L1 norm, applied only when d > 0 and finite, as the
// CPU does); 2 = accumulate_normalized_abs (factor 1/total unless total == 0).
template <int kOp>
__global__ void __launch_bounds__(kReduceMaxBlocks)
reduce_finish_kernel(ReduceSlots* __restrict__ slots, float* __restrict__ out, const double* __restrict__ partials, int blocks,
                     int purpose) {
    __shared__ double red[kReduceMaxBlocks];
    const double v = threadIdx.x < blocks ? partials[threadIdx.x] : 0.0;
    double d = p4j::block_reduce_tree(v, red, [](double a, double b) { return reduce_combine<kOp>(a, b); });
    if (threadIdx.x != 0) return;
    if (kOp == kSqSum) d = sqrt(d);
    slots->total = d;
    if (purpose == 0) {
        out[0] = (float)d;
    } else if (purpose == 1) {
        const bool apply = d > 0.0 && isfinite(d);
        slots->apply = apply ? 1 : 0;
        slots->factor = apply ? (float)(1.0 / d) : 1.f;
    } else {
        slots->apply = d != 0.0 ? 1 : 0;
        slots->factor = (float)(1.0 / d);
    }
}

__global__ void scale_by_slot_kernel(float* __restrict__ s, int64_t n, const ReduceSlots* __restrict__ slots) {
    if (slots->apply == 0) return;
    const float f = slots->factor;
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) s[i] = __fmul_rn(s[i], f);
}

__global__ void add_abs_scaled_by_slot_kernel(float* __restrict__ acc, const float* __restrict__ x, int64_t n,
                                              const ReduceSlots* __restrict__ slots) {
    if (slots->apply == 0) return;
    const float f = slots->factor;
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        acc[i] = __fadd_rn(acc[i], __fmul_rn(fabsf(x[i]), f));
    }
}

int reduce_launch(int op, ReduceSlots* slots, float* out, double* partials, const float* x, int64_t n, int purpose,
                  cudaStream_t s) {
    const int blocks = reduce_blocks(n);
    switch (op) {
        case kSum:
            reduce_partials_kernel<kSum><<<blocks, kReduceThreads, 0, s>>>(partials, x, n);
            P4J_CHECK_LAUNCH();
            reduce_finish_kernel<kSum><<<1, kReduceMaxBlocks, 0, s>>>(slots, out, partials, blocks, purpose);
            break;
        case kAbsSum:
            reduce_partials_kernel<kAbsSum><<<blocks, kReduceThreads, 0, s>>>(partials, x, n);
            P4J_CHECK_LAUNCH();
            reduce_finish_kernel<kAbsSum><<<1, kReduceMaxBlocks, 0, s>>>(slots, out, partials, blocks, purpose);
            break;
        case kSqSum:
            reduce_partials_kernel<kSqSum><<<blocks, kReduceThreads, 0, s>>>(partials, x, n);
            P4J_CHECK_LAUNCH();
            reduce_finish_kernel<kSqSum><<<1, kReduceMaxBlocks, 0, s>>>(slots, out, partials, blocks, purpose);
            break;
        default:
            reduce_partials_kernel<kMaxAbs><<<blocks, kReduceThreads, 0, s>>>(partials, x, n);
            P4J_CHECK_LAUNCH();
            reduce_finish_kernel<kMaxAbs><<<1, kReduceMaxBlocks, 0, s>>>(slots, out, partials, blocks, purpose);
            break;
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

}  // namespace

extern "C" int p4j_reduce_workspace_bytes(long long* bytes) {
    if (bytes == nullptr) return (int)cudaErrorInvalidValue;
    *bytes = p4j::kReduceWorkspaceBytes;
    return (int)cudaSuccess;
}

extern "C" int p4j_accumulate(float* acc, const float* x, int n, float scale, int transform, void* stream) {
    if (n < 0 || transform < kIdentity || transform > kSquare) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    if (acc == nullptr || x == nullptr) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    const int grid = p4j::grid_for(n);
    if (transform == kIdentity) accumulate_kernel<kIdentity><<<grid, p4j::kBlock, 0, s>>>(acc, x, n, scale);
    else if (transform == kAbs) accumulate_kernel<kAbs><<<grid, p4j::kBlock, 0, s>>>(acc, x, n, scale);
    else accumulate_kernel<kSquare><<<grid, p4j::kBlock, 0, s>>>(acc, x, n, scale);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_accumulate_abs_product(float* acc, const float* a, const float* b, int n, float scale, void* stream) {
    if (n < 0) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    if (acc == nullptr || a == nullptr || b == nullptr) return (int)cudaErrorInvalidValue;
    accumulate_abs_product_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(acc, a, b, n, scale);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_count_positive(float* acc, const float* a, int batch, int units, int spatial, void* stream) {
    if (batch < 0 || units < 0 || spatial < 1) return (int)cudaErrorInvalidValue;
    if (units == 0 || batch == 0) return (int)cudaSuccess;
    if (acc == nullptr || a == nullptr) return (int)cudaErrorInvalidValue;
    count_positive_kernel<<<p4j::grid_for(units), p4j::kBlock, 0, p4j::as_stream(stream)>>>(acc, a, batch, units, spatial);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_row_norms(float* out, const float* w, int rows, int cols, int p, void* stream) {
    if (rows < 0 || cols < 0 || (p != 1 && p != 2)) return (int)cudaErrorInvalidValue;
    if (rows == 0) return (int)cudaSuccess;
    if (out == nullptr || (cols > 0 && w == nullptr)) return (int)cudaErrorInvalidValue;
    row_reduce_kernel<<<row_blocks(rows), kRowThreads, 0, p4j::as_stream(stream)>>>(out, w, rows, cols, p);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_row_sums(float* out, const float* x, int rows, int cols, void* stream) {
    if (rows < 0 || cols < 0) return (int)cudaErrorInvalidValue;
    if (rows == 0) return (int)cudaSuccess;
    if (out == nullptr || (cols > 0 && x == nullptr)) return (int)cudaErrorInvalidValue;
    row_reduce_kernel<<<row_blocks(rows), kRowThreads, 0, p4j::as_stream(stream)>>>(out, x, rows, cols, 0);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_composite_scores(float* out, const float* w, const float* g_abs, const float* freq, int rows, int cols,
                                    int block, void* stream) {
    if (rows < 0 || cols < 0 || block < 1 || cols % block != 0) return (int)cudaErrorInvalidValue;
    if (rows == 0) return (int)cudaSuccess;
    if (out == nullptr || (cols > 0 && (w == nullptr || g_abs == nullptr || freq == nullptr))) return (int)cudaErrorInvalidValue;
    composite_scores_kernel<<<row_blocks(rows), kRowThreads, 0, p4j::as_stream(stream)>>>(out, w, g_abs, freq, rows, cols,
                                                                                         block);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_sum(float* out, const float* x, int n, void* workspace, long long workspace_bytes, void* stream) {
    if (n < 0 || out == nullptr || (n > 0 && x == nullptr)) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    if (n == 0) return (int)cudaMemsetAsync(out, 0, sizeof(float), s);
    if (workspace == nullptr || workspace_bytes < p4j::kReduceWorkspaceBytes) return (int)cudaErrorInvalidValue;
    char* ws = static_cast<char*>(workspace);
    return reduce_launch(kSum, reinterpret_cast<ReduceSlots*>(ws), out, reinterpret_cast<double*>(ws + kPartialsOffset), x, n,
                         0, s);
}

extern "C" int p4j_normalize(float* s, int n, int kind, void* workspace, long long workspace_bytes, void* stream) {
    // kind: the ordinal of io.prune4j.backend.Normalization (0 NONE, 1 L2, 2 MAX, 3 L1)
    if (n < 0 || kind < 0 || kind > 3) return (int)cudaErrorInvalidValue;
    if (n == 0 || kind == 0) return (int)cudaSuccess;
    if (s == nullptr || workspace == nullptr || workspace_bytes < p4j::kReduceWorkspaceBytes) return (int)cudaErrorInvalidValue;
    cudaStream_t st = p4j::as_stream(stream);
    char* ws = static_cast<char*>(workspace);
    ReduceSlots* slots = reinterpret_cast<ReduceSlots*>(ws);
    const int op = kind == 1 ? kSqSum : (kind == 2 ? kMaxAbs : kAbsSum);
    const int rc = reduce_launch(op, slots, nullptr, reinterpret_cast<double*>(ws + kPartialsOffset), s, n, 1, st);
    if (rc != 0) return rc;
    scale_by_slot_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, st>>>(s, n, slots);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_accumulate_normalized_abs(float* acc, const float* x, int n, void* workspace, long long workspace_bytes,
                                             void* stream) {
    if (n < 0) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    if (acc == nullptr || x == nullptr || workspace == nullptr || workspace_bytes < p4j::kReduceWorkspaceBytes) {
        return (int)cudaErrorInvalidValue;
    }
    cudaStream_t st = p4j::as_stream(stream);
    char* ws = static_cast<char*>(workspace);
    ReduceSlots* slots = reinterpret_cast<ReduceSlots*>(ws);
    const int rc = reduce_launch(kAbsSum, slots, nullptr, reinterpret_cast<double*>(ws + kPartialsOffset), x, n, 2, st);
    if (rc != 0) return rc;
    add_abs_scaled_by_slot_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, st>>>(acc, x, n, slots);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- FPGM: sums of Euclidean distances between rows ---------------------------------------------

namespace {

constexpr int kPairTile = 32;                  // rows i and rows j per block
constexpr int kPairRows = 8;                   // threadIdx.y; each thread owns kPairTile / kPairRows rows i
constexpr int kPairPerThread = kPairTile / kPairRows;
constexpr int kPairMaxTiles = 65535;           // grid y limit

__global__ void __launch_bounds__(kPairTile * kPairRows)
fpgm_tile_kernel(double* __restrict__ partials, const float* __restrict__ w, int rows, int64_t cols) {
    __shared__ float a[kPairTile][kPairTile + 1];   // +1: lanes read a column of b without bank conflicts
    __shared__ float b[kPairTile][kPairTile + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int i0 = blockIdx.y * kPairTile, j0 = blockIdx.x * kPairTile;
    double acc[kPairPerThread];
#pragma unroll
    for (int k = 0; k < kPairPerThread; k++) acc[k] = 0.0;
    for (int64_t d0 = 0; d0 < cols; d0 += kPairTile) {
        const bool col_ok = d0 + tx < cols;
#pragma unroll
        for (int k = 0; k < kPairPerThread; k++) {
            const int r = ty + kPairRows * k;
            a[r][tx] = (col_ok && i0 + r < rows) ? w[(int64_t)(i0 + r) * cols + d0 + tx] : 0.f;
            b[r][tx] = (col_ok && j0 + r < rows) ? w[(int64_t)(j0 + r) * cols + d0 + tx] : 0.f;
        }
        __syncthreads();
#pragma unroll 8
        for (int dd = 0; dd < kPairTile; dd++) {
            const double bv = (double)b[tx][dd];
#pragma unroll
            for (int k = 0; k < kPairPerThread; k++) {
                const double diff = (double)a[ty + kPairRows * k][dd] - bv;   // a warp reads one a: a broadcast
                acc[k] += diff * diff;
            }
        }
        __syncthreads();
    }
    const int j = j0 + tx;
#pragma unroll
    for (int k = 0; k < kPairPerThread; k++) {
        const int i = i0 + ty + kPairRows * k;
        double dist = (i < rows && j < rows) ? sqrt(acc[k]) : 0.0;
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) dist += __shfl_xor_sync(p4j::kFullMask, dist, off);
        if (tx == 0 && i < rows) partials[(int64_t)blockIdx.x * rows + i] = dist;
    }
}

__global__ void fpgm_finish_kernel(float* __restrict__ out, const double* __restrict__ partials, int rows, int tiles) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += stride) {
        double s = 0.0;
        for (int t = 0; t < tiles; t++) s += partials[(int64_t)t * rows + r];
        out[r] = (float)s;
    }
}

int64_t pair_tiles(int rows) { return ((int64_t)rows + kPairTile - 1) / kPairTile; }

}  // namespace

extern "C" int p4j_fpgm_workspace_bytes(int rows, long long* bytes) {
    if (bytes == nullptr) return (int)cudaErrorInvalidValue;
    *bytes = 0;
    if (rows < 0 || pair_tiles(rows) > kPairMaxTiles) return (int)cudaErrorInvalidValue;
    *bytes = (long long)(pair_tiles(rows) * rows * (int64_t)sizeof(double));
    return (int)cudaSuccess;
}

extern "C" int p4j_fpgm_scores(float* out, const float* w, int rows, int cols, void* workspace, long long workspace_bytes,
                               void* stream) {
    if (rows < 0 || cols < 0 || pair_tiles(rows) > kPairMaxTiles) return (int)cudaErrorInvalidValue;
    if (rows == 0) return (int)cudaSuccess;
    const int64_t tiles = pair_tiles(rows);
    if (out == nullptr || (cols > 0 && w == nullptr) || workspace == nullptr
        || workspace_bytes < tiles * rows * (int64_t)sizeof(double)) {
        return (int)cudaErrorInvalidValue;
    }
    cudaStream_t s = p4j::as_stream(stream);
    double* partials = static_cast<double*>(workspace);
    fpgm_tile_kernel<<<dim3((unsigned)tiles, (unsigned)tiles, 1), dim3(kPairTile, kPairRows, 1), 0, s>>>(partials, w, rows,
                                                                                                      cols);
    P4J_CHECK_LAUNCH();
    fpgm_finish_kernel<<<p4j::grid_for(rows), p4j::kBlock, 0, s>>>(out, partials, rows, (int)tiles);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- LAMP: squared magnitude over the suffix sum of squares in magnitude order -------------------

namespace {

constexpr int kLampThreads = 256;
constexpr int kLampItems = 8;
constexpr int kLampTile = kLampThreads * kLampItems;

using LampScan = cub::BlockScan<double, kLampThreads>;
using LampExchange = cub::BlockExchange<double, kLampThreads, kLampItems>;
using LampReduce = cub::BlockReduce<double, kLampThreads>;

struct LampLayout {
    int64_t keys[2], values[2], tile_sums, tile_suffix, temp, total;
    size_t temp_bytes;
};

cudaError_t lamp_sort(void* temp, size_t& temp_bytes, cub::DoubleBuffer<uint32_t>& keys, cub::DoubleBuffer<int>& values, int n,
                      cudaStream_t s) {
    // bit 31 (the sign) is clear in every key: 31 bits to sort
    return cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys, values, n, 0, 31, s);
}

cudaError_t lamp_layout(int n, LampLayout* l) {
    cub::DoubleBuffer<uint32_t> k(nullptr, nullptr);
    cub::DoubleBuffer<int> v(nullptr, nullptr);
    size_t temp = 0;
    const cudaError_t err = lamp_sort(nullptr, temp, k, v, n, 0);
    if (err != cudaSuccess) return err;
    const int64_t words = p4j::align_up((int64_t)n * 4);
    const int64_t tiles = ((int64_t)n + kLampTile - 1) / kLampTile;
    l->keys[0] = 0;
    l->keys[1] = words;
    l->values[0] = 2 * words;
    l->values[1] = 3 * words;
    l->tile_sums = 4 * words;
    l->tile_suffix = l->tile_sums + p4j::align_up(tiles * (int64_t)sizeof(double));
    l->temp = l->tile_suffix + p4j::align_up(tiles * (int64_t)sizeof(double));
    l->temp_bytes = temp;
    l->total = l->temp + p4j::align_up((int64_t)(temp < 1 ? 1 : temp));
    return cudaSuccess;
}

__global__ void lamp_keys_kernel(uint32_t* __restrict__ keys, int* __restrict__ values, const float* __restrict__ w, int64_t n) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        keys[i] = __float_as_uint(w[i]) & 0x7fffffffu;   // |w|: for non-negative floats the bits sort as the values
        values[i] = (int)i;
    }
}

__device__ __forceinline__ double square_of_key(uint32_t key) {
    const double v = (double)__uint_as_float(key);
    return v * v;
}

__global__ void __launch_bounds__(kLampThreads)
lamp_tile_sums_kernel(double* __restrict__ tile_sums, const uint32_t* __restrict__ keys, int64_t n) {
    __shared__ typename LampReduce::TempStorage temp;
    const int64_t start = (int64_t)blockIdx.x * kLampTile;
    double s = 0.0;
#pragma unroll
    for (int q = 0; q < kLampItems; q++) {
        const int64_t pos = start + q * kLampThreads + threadIdx.x;
        if (pos < n) s += square_of_key(keys[pos]);
    }
    const double total = LampReduce(temp).Sum(s);
    if (threadIdx.x == 0) tile_sums[blockIdx.x] = total;
}

// tile_suffix[t] = sum of tile_sums[t'] for t' > t: an exclusive scan of the totals read from the end.
__global__ void __launch_bounds__(kLampThreads)
lamp_tile_suffix_kernel(double* __restrict__ tile_suffix, const double* __restrict__ tile_sums, int64_t tiles) {
    __shared__ typename LampScan::TempStorage temp;
    double carry = 0.0;
    for (int64_t base = 0; base < tiles; base += kLampTile) {
        double items[kLampItems];
#pragma unroll
        for (int q = 0; q < kLampItems; q++) {
            const int64_t r = base + (int64_t)threadIdx.x * kLampItems + q;   // r-th tile from the end
            items[q] = r < tiles ? tile_sums[tiles - 1 - r] : 0.0;
        }
        double chunk = 0.0;
        LampScan(temp).ExclusiveSum(items, items, chunk);
        __syncthreads();   // temp is reused by the next chunk
#pragma unroll
        for (int q = 0; q < kLampItems; q++) {
            const int64_t r = base + (int64_t)threadIdx.x * kLampItems + q;
            if (r < tiles) tile_suffix[tiles - 1 - r] = items[q] + carry;
        }
        carry += chunk;
    }
}

__global__ void __launch_bounds__(kLampThreads)
lamp_score_kernel(float* __restrict__ out, const uint32_t* __restrict__ keys, const int* __restrict__ values,
                  const double* __restrict__ tile_suffix, int64_t n) {
    __shared__ union {
        typename LampScan::TempStorage scan;
        typename LampExchange::TempStorage exchange;
    } temp;
    const int64_t last = (int64_t)blockIdx.x * kLampTile + kLampTile - 1;   // the tile read from its end
    double sq[kLampItems];
#pragma unroll
    for (int q = 0; q < kLampItems; q++) {
        const int64_t pos = last - (q * kLampThreads + threadIdx.x);   // striped: coalesced loads
        sq[q] = pos < n ? square_of_key(keys[pos]) : 0.0;   // beyond n: zeros ahead of the real values
    }
    LampExchange(temp.exchange).StripedToBlocked(sq, sq);
    __syncthreads();
    double suffix[kLampItems];
    LampScan(temp.scan).InclusiveSum(sq, suffix);
    __syncthreads();
    const double later = tile_suffix[blockIdx.x];
    double score[kLampItems];
#pragma unroll
    for (int q = 0; q < kLampItems; q++) {
        const double den = suffix[q] + later;
        score[q] = den == 0.0 ? 0.0 : sq[q] / den;   // den 0: this and every larger element are 0 (0 / 0 scores 0)
    }
    LampExchange(temp.exchange).BlockedToStriped(score, score);
#pragma unroll
    for (int q = 0; q < kLampItems; q++) {
        const int64_t pos = last - (q * kLampThreads + threadIdx.x);
        if (pos < n) out[values[pos]] = (float)score[q];
    }
}

}  // namespace

extern "C" int p4j_lamp_workspace_bytes(int n, long long* bytes) {
    if (bytes == nullptr) return (int)cudaErrorInvalidValue;
    *bytes = 0;
    if (n < 0) return (int)cudaErrorInvalidValue;
    LampLayout l;
    P4J_CHECK(lamp_layout(n, &l));
    *bytes = (long long)l.total;
    return (int)cudaSuccess;
}

extern "C" int p4j_lamp_scores(float* out, const float* w, int n, void* workspace, long long workspace_bytes, void* stream) {
    if (n < 0) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    if (out == nullptr || w == nullptr || workspace == nullptr) return (int)cudaErrorInvalidValue;
    LampLayout l;
    P4J_CHECK(lamp_layout(n, &l));
    if (workspace_bytes < l.total) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    char* ws = static_cast<char*>(workspace);
    cub::DoubleBuffer<uint32_t> keys(reinterpret_cast<uint32_t*>(ws + l.keys[0]), reinterpret_cast<uint32_t*>(ws + l.keys[1]));
    cub::DoubleBuffer<int> values(reinterpret_cast<int*>(ws + l.values[0]), reinterpret_cast<int*>(ws + l.values[1]));
    lamp_keys_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, s>>>(keys.Current(), values.Current(), w, n);
    P4J_CHECK_LAUNCH();
    size_t temp_bytes = l.temp_bytes;
    P4J_CHECK(lamp_sort(ws + l.temp, temp_bytes, keys, values, n, s));   // leaves the sorted buffers Current()
    const int64_t tiles = ((int64_t)n + kLampTile - 1) / kLampTile;
    double* tile_sums = reinterpret_cast<double*>(ws + l.tile_sums);
    double* tile_suffix = reinterpret_cast<double*>(ws + l.tile_suffix);
    lamp_tile_sums_kernel<<<(unsigned)tiles, kLampThreads, 0, s>>>(tile_sums, keys.Current(), n);
    P4J_CHECK_LAUNCH();
    lamp_tile_suffix_kernel<<<1, kLampThreads, 0, s>>>(tile_suffix, tile_sums, tiles);
    P4J_CHECK_LAUNCH();
    lamp_score_kernel<<<(unsigned)tiles, kLampThreads, 0, s>>>(out, keys.Current(), values.Current(), tile_suffix, n);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- segmented reduction --------------------------------------------------------------------------

namespace {

constexpr int kSegmentThreads = 256;
// Reduction codes, the ordinals of io.prune4j.backend.Reduction.
constexpr int kSegSum = 0, kSegMean = 1, kSegMax = 2;

template <int kOp>
__global__ void __launch_bounds__(kSegmentThreads)
segment_reduce_kernel(float* __restrict__ out, const float* __restrict__ src, const int* __restrict__ perm,
                      const int* __restrict__ offsets, int segments, int src_size, int perm_size,
                      unsigned int* __restrict__ bad) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t)gridDim.x * (kSegmentThreads / 32);
    for (int64_t k = (int64_t)blockIdx.x * (kSegmentThreads / 32) + (threadIdx.x >> 5); k < segments; k += warps) {
        const int start = offsets[k], end = offsets[k + 1];
        const bool range_ok = start >= 0 && start <= end && end <= perm_size;
        bool wrong = !range_ok;
        double sum = 0.0;
        float best = -HUGE_VALF;
        if (range_ok) {
            for (int64_t i = start + lane; i < end; i += 32) {
                const int p = perm[i];
                if (p < 0 || p >= src_size) {
                    wrong = true;   // never read outside src
                    continue;
                }
                const float v = src[p];
                if (kOp == kSegMax) best = p4j::java_max(best, v);
                else sum += (double)v;
            }
        }
        wrong = __any_sync(p4j::kFullMask, wrong);
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) {
            if (kOp == kSegMax) best = p4j::java_max(best, __shfl_xor_sync(p4j::kFullMask, best, off));
            else sum += __shfl_xor_sync(p4j::kFullMask, sum, off);
        }
        if (lane == 0) {
            float r;
            if (wrong || end == start) r = 0.f;   // a bad segment is written as 0, as the gathers write zeros
            else if (kOp == kSegMax) r = best;
            else if (kOp == kSegMean) r = (float)(sum / (double)(end - start));
            else r = (float)sum;
            out[k] = r;
            if (wrong && bad != nullptr) atomicAdd(bad, 1u);
        }
    }
}

}  // namespace

extern "C" int p4j_segment_reduce(float* out, const float* src, const int* perm, const int* offsets, int segments,
                                  int src_size, int perm_size, int reduction, unsigned int* bad, void* stream) {
    if (segments < 0 || src_size < 0 || perm_size < 0 || reduction < kSegSum || reduction > kSegMax) {
        return (int)cudaErrorInvalidValue;
    }
    if (segments == 0) return (int)cudaSuccess;
    if (out == nullptr || offsets == nullptr || (perm_size > 0 && perm == nullptr) || (src_size > 0 && src == nullptr)) {
        return (int)cudaErrorInvalidValue;
    }
    const int64_t blocks64 = ((int64_t)segments + kSegmentThreads / 32 - 1) / (kSegmentThreads / 32);
    const unsigned blocks = (unsigned)(blocks64 < p4j::kMaxGrid ? blocks64 : p4j::kMaxGrid);
    cudaStream_t s = p4j::as_stream(stream);
    if (reduction == kSegSum) {
        segment_reduce_kernel<kSegSum><<<blocks, kSegmentThreads, 0, s>>>(out, src, perm, offsets, segments, src_size, perm_size, bad);
    } else if (reduction == kSegMean) {
        segment_reduce_kernel<kSegMean><<<blocks, kSegmentThreads, 0, s>>>(out, src, perm, offsets, segments, src_size, perm_size,
                                                                          bad);
    } else {
        segment_reduce_kernel<kSegMax><<<blocks, kSegmentThreads, 0, s>>>(out, src, perm, offsets, segments, src_size, perm_size, bad);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}
