// Max and average pooling over NCHW feature maps (a partial window at the edge is dropped, as
// PyTorch does with ceil_mode=False; max pooling may keep it, ceil_mode=True), the contracts of
// Backend.maxPool2d / maxPool2dBackward / avgPool2d / avgPool2dBackward.
//
// max_pool2d: one thread per output element walks its window in row order and keeps the first
//   maximum (strict >); a NaN replaces a non-NaN best and then stays, as the CPU's comparison does.
//   argmax gets the position within the input plane, h*W + w. Same comparisons, same order as the
//   CPU: y and argmax are identical to the CPU's. Padding is -inf, i.e. the window is clipped to
//   the plane: a padded position is never the maximum, not even of a window whose real values are
//   all -inf (the first real position is), and argmax never points outside the plane. pad <=
//   window / 2 guarantees every window holds at least one real position.
// max_pool2d_backward: dx is zeroed, then one thread per output adds dy to dx[argmax]. When windows
//   do not overlap (stride >= window; every pool of this project is 2x2 stride 2) each input
//   position receives at most one gradient, so 0 + dy is exact and the result is the CPU's bit for
//   bit. With overlapping windows the few additions into one position are float atomics, whose
//   order (and so the last bit) may differ from the CPU's output-order loop. An argmax outside the
//   plane is skipped (the CPU would throw; the kernels never write outside dx).
// zero_pad2d: one thread per padded output element copies its input element or writes 0; its
//   gradient, a crop, one thread per input element copies the window's element. Both are copies, so
//   the results are the CPU's bit for bit.
// avg_pool2d: one thread per output sums its window clipped to the plane (zero padding adds
//   nothing) in row order in float, then divides once by window^2 (count_include_pad; in ceil mode a
//   partial window counts its positions up to the far padding) or by the number of real positions. Results track the CPU within float rounding (its summation order or
//   precision may differ).
// avg_pool2d_backward: a gather, not a scatter: one thread per INPUT position adds dy/divisor of
//   every output whose window covers it, outputs in row order. No atomics, so deterministic, and
//   dx is overwritten (no memset). The terms come in the order a CPU loop over the outputs in row
//   order would add them, each rounded once (dy / divisor), starting from 0.
#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

__global__ void max_pool2d_kernel(float* __restrict__ y, int* __restrict__ argmax, const float* __restrict__ x,
                                  int64_t total, int h, int w, int window, int stride, int pad, int ho, int wo) {
    const int64_t out_plane = (int64_t)ho * wo;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
        const int64_t plane = i / out_plane;
        const int o = (int)(i - plane * out_plane);
        const int oh = o / wo;
        const int ow = o - oh * wo;
        const float* xp = x + plane * h * (int64_t)w;
        // the window clipped to the plane (the -inf padding can never win)
        const int h0 = oh * stride - pad, w0 = ow * stride - pad;
        const int hs = h0 > 0 ? h0 : 0, ws = w0 > 0 ? w0 : 0;
        const int he = h0 + window < h ? h0 + window : h, we = w0 + window < w ? w0 + window : w;
        int best = hs * w + ws;
        float bv = xp[best];
        for (int r = hs; r < he; r++) {
            const int row = r * w;
            for (int c = ws; c < we; c++) {
                const float v = xp[row + c];
                if (v > bv || (v != v && bv == bv)) {
                    bv = v;
                    best = row + c;
                }
            }
        }
        y[i] = bv;
        argmax[i] = best;
    }
}

// First and one-past-last output index along one axis whose window covers input position `in`
// (windows of `window` positions `stride` apart starting at -pad; `out` outputs). Empty when
// first >= last.
__device__ __forceinline__ void covering_outputs(int in, int window, int stride, int pad, int out, int* first, int* last) {
    const int a = in + pad - window + 1;   // the first output's window must end at or after `in`
    *first = a <= 0 ? 0 : (a + stride - 1) / stride;
    const int l = (in + pad) / stride + 1; // ... and start at or before it
    *last = l < out ? l : out;
}

// The number of real (unpadded) positions of the window starting at `start` along an axis of `extent`.
__device__ __forceinline__ int inside(int start, int window, int extent) {
    const int s = start > 0 ? start : 0;
    const int e = start + window < extent ? start + window : extent;
    return e - s;
}

// The positions of the window starting at `start` (padding included) up to the far padding, `end` = extent + pad:
// the window's side but for a ceil-mode window that overhangs it (count_include_pad, as PyTorch and ONNX Runtime count).
__device__ __forceinline__ int counted(int start, int window, int end) {
    return (start + window < end ? start + window : end) - start;
}

template <bool kIncludePad>
__global__ void avg_pool2d_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t total, int h, int w,
                                  int window, int stride, int pad, int ho, int wo) {
    const int64_t out_plane = (int64_t)ho * wo;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
        const int64_t plane = i / out_plane;
        const int o = (int)(i - plane * out_plane);
        const int oh = o / wo;
        const int ow = o - oh * wo;
        const float* xp = x + plane * h * (int64_t)w;
        const int h0 = oh * stride - pad, w0 = ow * stride - pad;
        const int hs = h0 > 0 ? h0 : 0, ws = w0 > 0 ? w0 : 0;
        const int he = h0 + window < h ? h0 + window : h, we = w0 + window < w ? w0 + window : w;
        float sum = 0.f;
        for (int r = hs; r < he; r++) {
            for (int c = ws; c < we; c++) sum = __fadd_rn(sum, xp[r * w + c]);
        }
        y[i] = __fdiv_rn(sum, kIncludePad ? (float)(counted(h0, window, h + pad) * counted(w0, window, w + pad))
                                          : (float)((he - hs) * (we - ws)));
    }
}

template <bool kIncludePad>
__global__ void avg_pool2d_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy, int64_t total, int h,
                                           int w, int window, int stride, int pad, int ho, int wo) {
    const int64_t in_plane = (int64_t)h * w;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
        const int64_t plane = i / in_plane;
        const int e = (int)(i - plane * in_plane);
        const int ih = e / w;
        const int iw = e - ih * w;
        const float* g = dy + plane * ho * (int64_t)wo;
        int oh0, oh1, ow0, ow1;
        covering_outputs(ih, window, stride, pad, ho, &oh0, &oh1);
        covering_outputs(iw, window, stride, pad, wo, &ow0, &ow1);
        float acc = 0.f;
        for (int oh = oh0; oh < oh1; oh++) {
            const int rows = kIncludePad ? counted(oh * stride - pad, window, h + pad) : inside(oh * stride - pad, window, h);
            for (int ow = ow0; ow < ow1; ow++) {
                const int cols = kIncludePad ? counted(ow * stride - pad, window, w + pad) : inside(ow * stride - pad, window, w);
                const float div = (float)(rows * cols);
                acc = __fadd_rn(acc, __fdiv_rn(g[oh * wo + ow], div));
            }
        }
        dx[i] = acc;
    }
}

// The pooling geometry shared by the launchers (the backend's ArgChecks.pooling rules): false when invalid.
bool pooling_fits(int planes, int h, int w, int window, int stride, int pad) {
    return planes >= 0 && h >= 0 && w >= 0 && window >= 1 && stride >= 1 && pad >= 0 && pad <= window / 2
           && window <= h + 2 * pad && window <= w + 2 * pad;
}

__global__ void max_pool2d_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy,
                                           const int* __restrict__ argmax, int64_t total, int in_plane,
                                           int out_plane) {
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
        const int64_t plane = i / out_plane;
        const int a = argmax[i];
        if (a >= 0 && a < in_plane) atomicAdd(dx + plane * in_plane + a, dy[i]);
    }
}

}  // namespace

extern "C" int p4j_max_pool2d(float* y, int* argmax, const float* x, int planes, int h, int w, int window, int stride,
                              void* stream) {
    return p4j_max_pool2d_pad(y, argmax, x, planes, h, w, window, stride, 0, stream);
}

extern "C" int p4j_max_pool2d_pad(float* y, int* argmax, const float* x, int planes, int h, int w, int window, int stride,
                                  int pad, void* stream) {
    return p4j_max_pool2d_ceil(y, argmax, x, planes, h, w, window, stride, pad, 0, stream);
}

// The output extent, as ArgChecks.poolExtent: floor, or ceil less one when the last window would start
// in the far padding (so every window, clipped to the plane, keeps at least one real position).
static int pool_extent(int in, int window, int stride, int pad, int ceil_mode) {
    const int span = in + 2 * pad - window;
    if (!ceil_mode) return span / stride + 1;
    const int out = (span + stride - 1) / stride + 1;
    return (out - 1) * stride >= in + pad ? out - 1 : out;
}

extern "C" int p4j_max_pool2d_ceil(float* y, int* argmax, const float* x, int planes, int h, int w, int window, int stride,
                                   int pad, int ceil_mode, void* stream) {
    if (!pooling_fits(planes, h, w, window, stride, pad)) return (int)cudaErrorInvalidValue;
    const int ho = pool_extent(h, window, stride, pad, ceil_mode);
    const int wo = pool_extent(w, window, stride, pad, ceil_mode);
    const int64_t total = (int64_t)planes * ho * wo;
    if (total == 0) return (int)cudaSuccess;
    if (y == nullptr || argmax == nullptr || x == nullptr) return (int)cudaErrorInvalidValue;
    max_pool2d_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, argmax, x, total, h, w, window,
                                                                                      stride, pad, ho, wo);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_avg_pool2d(float* y, const float* x, int planes, int h, int w, int window, int stride, int pad,
                              int count_include_pad, void* stream) {
    return p4j_avg_pool2d_ceil(y, x, planes, h, w, window, stride, pad, count_include_pad, 0, stream);
}

extern "C" int p4j_avg_pool2d_ceil(float* y, const float* x, int planes, int h, int w, int window, int stride, int pad,
                                   int count_include_pad, int ceil_mode, void* stream) {
    if (!pooling_fits(planes, h, w, window, stride, pad)) return (int)cudaErrorInvalidValue;
    const int ho = pool_extent(h, window, stride, pad, ceil_mode);
    const int wo = pool_extent(w, window, stride, pad, ceil_mode);
    const int64_t total = (int64_t)planes * ho * wo;
    if (total == 0) return (int)cudaSuccess;
    if (y == nullptr || x == nullptr) return (int)cudaErrorInvalidValue;
    const int grid = p4j::grid_for(total);
    cudaStream_t s = p4j::as_stream(stream);
    if (count_include_pad) avg_pool2d_kernel<true><<<grid, p4j::kBlock, 0, s>>>(y, x, total, h, w, window, stride, pad, ho, wo);
    else avg_pool2d_kernel<false><<<grid, p4j::kBlock, 0, s>>>(y, x, total, h, w, window, stride, pad, ho, wo);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_avg_pool2d_backward(float* dx, const float* dy, int planes, int h, int w, int window, int stride, int pad,
                                       int count_include_pad, void* stream) {
    return p4j_avg_pool2d_backward_ceil(dx, dy, planes, h, w, window, stride, pad, count_include_pad, 0, stream);
}

extern "C" int p4j_avg_pool2d_backward_ceil(float* dx, const float* dy, int planes, int h, int w, int window, int stride,
                                            int pad, int count_include_pad, int ceil_mode, void* stream) {
    if (!pooling_fits(planes, h, w, window, stride, pad)) return (int)cudaErrorInvalidValue;
    const int ho = pool_extent(h, window, stride, pad, ceil_mode);
    const int wo = pool_extent(w, window, stride, pad, ceil_mode);
    const int64_t total = (int64_t)planes * h * w;
    if (total == 0) return (int)cudaSuccess;
    if (dx == nullptr || dy == nullptr) return (int)cudaErrorInvalidValue;
    const int grid = p4j::grid_for(total);
    cudaStream_t s = p4j::as_stream(stream);
    if (count_include_pad) {
        avg_pool2d_backward_kernel<true><<<grid, p4j::kBlock, 0, s>>>(dx, dy, total, h, w, window, stride, pad, ho, wo);
    } else {
        avg_pool2d_backward_kernel<false><<<grid, p4j::kBlock, 0, s>>>(dx, dy, total, h, w, window, stride, pad, ho, wo);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_max_pool2d_backward(float* dx, const float* dy, const int* argmax, int planes, int in_plane,
                                       int out_plane, void* stream) {
    if (planes < 0 || in_plane < 0 || out_plane < 0) return (int)cudaErrorInvalidValue;
    const int64_t in_total = (int64_t)planes * in_plane;
    const int64_t out_total = (int64_t)planes * out_plane;
    if (in_total == 0) return (int)cudaSuccess;
    if (dx == nullptr || (out_total > 0 && (dy == nullptr || argmax == nullptr))) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    P4J_CHECK(cudaMemsetAsync(dx, 0, (size_t)in_total * sizeof(float), s));
    if (out_total == 0) return (int)cudaSuccess;
    max_pool2d_backward_kernel<<<p4j::grid_for(out_total), p4j::kBlock, 0, s>>>(dx, dy, argmax, out_total, in_plane,
                                                                               out_plane);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

__global__ void zero_pad2d_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t total, int h, int w, int top,
                                  int left, int hp, int wp) {
    const int64_t out_plane = (int64_t)hp * wp;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
        const int64_t plane = i / out_plane;
        const int e = (int)(i - plane * out_plane);
        const int r = e / wp - top;
        const int q = e - (e / wp) * wp - left;
        y[i] = (r >= 0 && r < h && q >= 0 && q < w) ? x[(plane * h + r) * w + q] : 0.f;
    }
}

__global__ void crop2d_kernel(float* __restrict__ dx, const float* __restrict__ dy, int64_t total, int h, int w, int top,
                              int left, int hp, int wp) {
    const int64_t in_plane = (int64_t)h * w;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
        const int64_t plane = i / in_plane;
        const int e = (int)(i - plane * in_plane);
        const int r = e / w;
        const int q = e - r * w;
        dx[i] = dy[(plane * hp + top + r) * wp + left + q];
    }
}

namespace {

bool padding_fits(int planes, int h, int w, int top, int left, int hp, int wp) {
    return planes >= 0 && h >= 0 && w >= 0 && top >= 0 && left >= 0 && (int64_t)top + h <= hp && (int64_t)left + w <= wp;
}

}  // namespace

extern "C" int p4j_zero_pad2d(float* y, const float* x, int planes, int h, int w, int top, int left, int hp, int wp,
                              void* stream) {
    if (!padding_fits(planes, h, w, top, left, hp, wp)) return (int)cudaErrorInvalidValue;
    const int64_t total = (int64_t)planes * hp * wp;
    if (total == 0) return (int)cudaSuccess;
    if (y == nullptr || (x == nullptr && (int64_t)h * w > 0)) return (int)cudaErrorInvalidValue;
    zero_pad2d_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, x, total, h, w, top, left, hp, wp);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_zero_pad2d_backward(float* dx, const float* dy, int planes, int h, int w, int top, int left, int hp,
                                       int wp, void* stream) {
    if (!padding_fits(planes, h, w, top, left, hp, wp)) return (int)cudaErrorInvalidValue;
    const int64_t total = (int64_t)planes * h * w;
    if (total == 0) return (int)cudaSuccess;
    if (dx == nullptr || dy == nullptr) return (int)cudaErrorInvalidValue;
    crop2d_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, p4j::as_stream(stream)>>>(dx, dy, total, h, w, top, left, hp, wp);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- global max pooling ---------------------------------------------------------------------------
//
// The contract of Backend.globalMaxPool: per plane of x [planes, n], its maximum and that maximum's
// position, the first in row order, a NaN winning (the first NaN), as the CPU's sequential scan. One
// warp per plane: each lane scans its strided positions in order, then the warp combines the
// (value, position) pairs by a rule that is associative and commutative (a NaN beats a number,
// a greater value a smaller, and between equals the smaller position), so the result is the scan's.
namespace {

constexpr int kGmpWarps = 8;

__device__ __forceinline__ bool gmp_better(float v, int i, float bv, int bi) {
    const bool vn = isnan(v), bn = isnan(bv);
    if (vn != bn) return vn;
    if (!vn && v != bv) return v > bv;
    return i < bi;
}

__global__ void __launch_bounds__(32 * kGmpWarps)
global_max_pool_kernel(float* __restrict__ y, int* __restrict__ argmax, const float* __restrict__ x, int64_t planes, int n) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t)gridDim.x * kGmpWarps;
    for (int64_t p = (int64_t)blockIdx.x * kGmpWarps + (threadIdx.x >> 5); p < planes; p += warps) {
        const float* xp = x + p * n;
        float bv = 0.f;
        int bi = -1;
        for (int i = lane; i < n; i += 32) {
            const float v = xp[i];
            if (bi < 0 || gmp_better(v, i, bv, bi)) {
                bv = v;
                bi = i;
            }
        }
        for (int off = 16; off > 0; off >>= 1) {
            const float ov = __shfl_down_sync(p4j::kFullMask, bv, off);
            const int oi = __shfl_down_sync(p4j::kFullMask, bi, off);
            if (oi >= 0 && (bi < 0 || gmp_better(ov, oi, bv, bi))) {
                bv = ov;
                bi = oi;
            }
        }
        if (lane == 0) {
            y[p] = bv;
            argmax[p] = bi;
        }
    }
}

}  // namespace

extern "C" int p4j_global_max_pool(float* y, int* argmax, const float* x, int planes, int plane, void* stream) {
    if (planes < 0 || plane < 1) return (int)cudaErrorInvalidValue;
    if (planes == 0) return (int)cudaSuccess;
    if (y == nullptr || argmax == nullptr || x == nullptr) return (int)cudaErrorInvalidValue;
    const int64_t blocks = ((int64_t)planes + kGmpWarps - 1) / kGmpWarps;
    global_max_pool_kernel<<<(int)(blocks < p4j::kMaxGrid ? blocks : p4j::kMaxGrid), 32 * kGmpWarps, 0, p4j::as_stream(stream)>>>(
        y, argmax, x, planes, plane);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- nearest upsampling by whole factors ---------------------------------------------------------
//
// Backend.upsampleNearest: y[p, i, j] = x[p, i / sh, j / sw]; one thread per output value. Its
// gradient: one thread per input value summing its sh x sw block of dy, rows then columns, in float:
// the CPU's order, so the two agree bit for bit.
namespace {

__global__ void upsample_nearest_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t total, int h, int w,
                                        int sh, int sw) {
    const int64_t outW = (int64_t)w * sw, outH = (int64_t)h * sh;
    for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < total; k += (int64_t)gridDim.x * blockDim.x) {
        const int64_t j = k % outW;
        const int64_t t = k / outW;
        const int64_t i = t % outH;
        const int64_t p = t / outH;
        y[k] = x[(p * h + i / sh) * w + j / sw];
    }
}

__global__ void upsample_nearest_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy, int64_t total, int h,
                                                 int w, int sh, int sw) {
    const int64_t outW = (int64_t)w * sw;
    for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < total; k += (int64_t)gridDim.x * blockDim.x) {
        const int64_t j = k % w;
        const int64_t t = k / w;
        const int64_t i = t % h;
        const int64_t p = t / h;
        const float* base = dy + (p * h * sh + i * sh) * outW + j * sw;
        float s = 0.f;
        for (int a = 0; a < sh; a++) {
            for (int b = 0; b < sw; b++) {
                s += base[a * outW + b];
            }
        }
        dx[k] = s;
    }
}

}  // namespace

extern "C" int p4j_upsample_nearest(float* y, const float* x, int planes, int h, int w, int sh, int sw, void* stream) {
    if (planes < 0 || h < 1 || w < 1 || sh < 1 || sw < 1) return (int)cudaErrorInvalidValue;
    const int64_t total = (int64_t)planes * h * sh * w * sw;
    if (total == 0) return (int)cudaSuccess;
    if (y == nullptr || x == nullptr) return (int)cudaErrorInvalidValue;
    upsample_nearest_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, x, total, h, w, sh, sw);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_upsample_nearest_backward(float* dx, const float* dy, int planes, int h, int w, int sh, int sw, void* stream) {
    if (planes < 0 || h < 1 || w < 1 || sh < 1 || sw < 1) return (int)cudaErrorInvalidValue;
    const int64_t total = (int64_t)planes * h * w;
    if (total == 0) return (int)cudaSuccess;
    if (dx == nullptr || dy == nullptr) return (int)cudaErrorInvalidValue;
    upsample_nearest_backward_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, p4j::as_stream(stream)>>>(dx, dy, total, h, w, sh, sw);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}
