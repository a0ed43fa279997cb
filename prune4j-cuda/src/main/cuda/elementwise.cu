// Element-wise kernels.
#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

// y[r, c] += bias[c]; optionally y = max(y, 0). y is row-major [rows, n].
// Idx is uint32_t when rows*n (plus one grid stride) fits, else uint64_t: 32-bit modulo is much
// cheaper than 64-bit on the GPU.
template <bool kRelu, typename Idx>
__global__ void bias_add_kernel(float* __restrict__ y, const float* __restrict__ bias,
                                Idx total, Idx n) {
    const Idx stride = (Idx)blockDim.x * gridDim.x;
    for (Idx i = (Idx)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        float v = y[i] + __ldg(bias + (i % n));
        if (kRelu) v = fmaxf(v, 0.0f);
        y[i] = v;
    }
}

}  // namespace

extern "C" int p4j_bias_add(float* y, const float* bias, int rows, int n, int relu, void* stream) {
    if (rows < 0 || n < 0) return (int)cudaErrorInvalidValue;
    const int64_t total = (int64_t)rows * n;
    if (total == 0) return (int)cudaSuccess;
    if (y == nullptr || bias == nullptr) return (int)cudaErrorInvalidValue;
    const int grid = p4j::grid_for(total);
    cudaStream_t s = p4j::as_stream(stream);
    const bool small = total + (int64_t)grid * p4j::kBlock <= (int64_t)UINT32_MAX;
    if (small) {
        const uint32_t t = (uint32_t)total, nn = (uint32_t)n;
        if (relu) bias_add_kernel<true, uint32_t><<<grid, p4j::kBlock, 0, s>>>(y, bias, t, nn);
        else      bias_add_kernel<false, uint32_t><<<grid, p4j::kBlock, 0, s>>>(y, bias, t, nn);
    } else {
        const uint64_t t = (uint64_t)total, nn = (uint64_t)n;
        if (relu) bias_add_kernel<true, uint64_t><<<grid, p4j::kBlock, 0, s>>>(y, bias, t, nn);
        else      bias_add_kernel<false, uint64_t><<<grid, p4j::kBlock, 0, s>>>(y, bias, t, nn);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- plain element-wise maps ----------------------------------------------------------------------
//
// Each one does, per element, exactly the float operations of the CPU backend's loop (explicit
// __fmul_rn/__fadd_rn: nvcc would otherwise contract a*b + c into one fused multiply-add, which
// rounds once instead of twice), so the two backends agree bit for bit. Grid-stride loops with
// 64-bit indices; any n fits.

namespace {

__global__ void fill_kernel(float* __restrict__ y, int64_t n, float value) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = value;
}

__global__ void axpy_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t n, float alpha) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i]));
    }
}

__global__ void scale_kernel(float* __restrict__ y, int64_t n, float alpha) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = __fmul_rn(y[i], alpha);
}

// no __restrict__: y may be a or b
__global__ void mul_kernel(float* y, const float* a, const float* b, int64_t n) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = __fmul_rn(a[i], b[i]);
}

// Math.max(x, 0f): NaN stays NaN (fmaxf would return 0), -0 becomes +0.
__global__ void relu_kernel(float* y, const float* x, int64_t n) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float v = x[i];
        y[i] = v != v ? v : (v > 0.f ? v : 0.f);
    }
}

__global__ void relu_backward_kernel(float* dx, const float* dy, const float* __restrict__ y, int64_t n) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        dx[i] = y[i] > 0.f ? dy[i] : 0.f;
    }
}

__global__ void masked_fill_kernel(float* __restrict__ s, const float* __restrict__ mask, int64_t n, float value) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        if (mask[i] == 0.f) s[i] = value;
    }
}

__global__ void broadcast_rows_kernel(float* __restrict__ out, const float* __restrict__ v, int rows, int64_t cols) {
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {   // 64-bit: rows + gridDim.y may pass INT_MAX
        const float value = __ldg(v + r);
        float* o = out + r * cols;
        for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += (int64_t)gridDim.x * blockDim.x) {
            o[c] = value;
        }
    }
}

}  // namespace

extern "C" int p4j_fill(float* y, int n, float value, void* stream) {
    if (n < 0 || (n > 0 && y == nullptr)) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    fill_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, n, value);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_axpy(float* y, const float* x, int n, float alpha, void* stream) {
    if (n < 0 || (n > 0 && (y == nullptr || x == nullptr))) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    axpy_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, x, n, alpha);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_scale(float* y, int n, float alpha, void* stream) {
    if (n < 0 || (n > 0 && y == nullptr)) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    scale_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, n, alpha);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_mul(float* y, const float* a, const float* b, int n, void* stream) {
    if (n < 0 || (n > 0 && (y == nullptr || a == nullptr || b == nullptr))) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    mul_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, a, b, n);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_relu(float* y, const float* x, int n, void* stream) {
    if (n < 0 || (n > 0 && (y == nullptr || x == nullptr))) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    relu_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, x, n);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_relu_backward(float* dx, const float* dy, const float* y, int n, void* stream) {
    if (n < 0 || (n > 0 && (dx == nullptr || dy == nullptr || y == nullptr))) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    relu_backward_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(dx, dy, y, n);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_masked_fill(float* s, const float* mask, int n, float value, void* stream) {
    if (n < 0 || (n > 0 && (s == nullptr || mask == nullptr))) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    masked_fill_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(s, mask, n, value);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_broadcast_rows(float* out, const float* v, int rows, int cols, void* stream) {
    if (rows < 0 || cols < 0) return (int)cudaErrorInvalidValue;
    if (rows == 0 || cols == 0) return (int)cudaSuccess;
    if (out == nullptr || v == nullptr) return (int)cudaErrorInvalidValue;
    const unsigned gy = rows < 65535 ? (unsigned)rows : 65535u;
    int64_t gx = ((int64_t)cols + p4j::kBlock - 1) / p4j::kBlock;
    if (gx > 4096 / (int64_t)gy) gx = 4096 / (int64_t)gy;
    if (gx < 1) gx = 1;
    broadcast_rows_kernel<<<dim3((unsigned)gx, gy, 1), p4j::kBlock, 0, p4j::as_stream(stream)>>>(out, v, rows, cols);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- per-channel bias (the epilogue of a convolution) ---------------------------------------------
//
// y[b, c, s] += bias[c], then y = 0 where y < 0 when relu: CpuConv.forward's epilogue, whose ReLU
// keeps NaN and -0 (unlike Math.max), with the same single rounding of the add. Bit-identical.
// Idx as in bias_add: 32-bit when the whole index range fits (two integer divisions per element).
// A bias-free convolution (bias NULL) keeps only the ReLU, which needs no channel index at all.

namespace {

template <bool kRelu, typename Idx>
__global__ void bias_add_channels_kernel(float* __restrict__ y, const float* __restrict__ bias, Idx total, Idx spatial,
                                         Idx channels) {
    const Idx stride = (Idx)blockDim.x * gridDim.x;
    for (Idx i = (Idx)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const float v = __fadd_rn(y[i], __ldg(bias + (i / spatial) % channels));
        y[i] = (kRelu && v < 0.f) ? 0.f : v;
    }
}

// The epilogue's ReLU alone (v < 0 becomes 0; NaN and -0 stay), for a convolution without bias.
__global__ void relu_epilogue_kernel(float* __restrict__ y, int64_t total) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        if (y[i] < 0.f) y[i] = 0.f;
    }
}

}  // namespace

extern "C" int p4j_bias_add_channels(float* y, const float* bias, int batch, int channels, int spatial, int relu,
                                     void* stream) {
    if (batch < 0 || channels < 0 || spatial < 0) return (int)cudaErrorInvalidValue;
    const int64_t total = (int64_t)batch * channels * spatial;
    if (total == 0) return (int)cudaSuccess;
    if (y == nullptr) return (int)cudaErrorInvalidValue;
    const int grid = p4j::grid_for(total);
    cudaStream_t s = p4j::as_stream(stream);
    if (bias == nullptr) {
        if (!relu) return (int)cudaSuccess;   // nothing to add, nothing to clip
        relu_epilogue_kernel<<<grid, p4j::kBlock, 0, s>>>(y, total);
    } else if (total + (int64_t)grid * p4j::kBlock <= (int64_t)UINT32_MAX) {
        const uint32_t t = (uint32_t)total, sp = (uint32_t)spatial, ch = (uint32_t)channels;
        if (relu) bias_add_channels_kernel<true, uint32_t><<<grid, p4j::kBlock, 0, s>>>(y, bias, t, sp, ch);
        else      bias_add_channels_kernel<false, uint32_t><<<grid, p4j::kBlock, 0, s>>>(y, bias, t, sp, ch);
    } else {
        const uint64_t t = (uint64_t)total, sp = (uint64_t)spatial, ch = (uint64_t)channels;
        if (relu) bias_add_channels_kernel<true, uint64_t><<<grid, p4j::kBlock, 0, s>>>(y, bias, t, sp, ch);
        else      bias_add_channels_kernel<false, uint64_t><<<grid, p4j::kBlock, 0, s>>>(y, bias, t, sp, ch);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- the graph networks' element-wise operations ---------------------------------------------------
//
// clamp (ReLU6 and hardtanh), its gradient, the residual add, the per-channel product of a gate and
// its gradient, and the channel copies of a concatenation. Like the maps above: the CPU's float operations per element, grid-stride loops,
// and no __restrict__ on the pairs the contracts let alias (y may be x, a or b; dx may be dy).
//
// clamp is Java's Math.min(Math.max(x, lo), hi) to the bit: a NaN x stays NaN (fminf/fmaxf would
// return the bound), and for equal zeros Math.max prefers +0 and Math.min -0. The bounds are never
// NaN (the backend checks lo <= hi first).
//
// mul_channels scales each channel plane by its gate (a squeeze-and-excitation block): one float
// product per element, the plane index one division per element (32-bit when the whole index range
// fits, as in bias_add_channels). mul_channels_backward reduces each plane's dy*x, one warp per
// plane: every product is exact in double (two 24-bit significands), each lane adds its elements in
// order and a butterfly adds the lanes, so only that order differs from the CPU's double sum in
// plane order, and the float results agree within an ulp (a contraction into a double FMA changes
// nothing, the product being exact).
//
// copy_channels copies, per example b, one contiguous run of channels*spatial 4-byte words from
// src[b, src_offset.., :] to dst[b, dst_offset.., :]: a strided memcpy. The run is moved in 16- or
// 8-byte words when the run, both row pitches, both offsets and both base addresses allow it, as
// the row gathers do; the example index is one 32-bit division per word (cheap next to the 16 bytes
// it moves).

namespace {

__global__ void clamp_kernel(float* y, const float* x, int64_t n, float lo, float hi) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        y[i] = p4j::java_min(p4j::java_max(x[i], lo), hi);
    }
}

// hardtanh_backward: the gradient passes only strictly inside the bounds (a NaN y passes nothing).
__global__ void clamp_backward_kernel(float* dx, const float* dy, const float* __restrict__ y, int64_t n, float lo,
                                      float hi) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float v = y[i];
        dx[i] = (v > lo && v < hi) ? dy[i] : 0.f;
    }
}

// The activations of io.prune4j.backend.ActivationKind, the kind (its ordinal) a template
// parameter. The piecewise-linear ones (LeakyReLU, HardSigmoid, HardSwish) and every gradient but
// ELU's and GELU's are the CPU's float operations (__fmul_rn & co: no contraction into an FMA) and
// agree with it bit for bit, given the same x and y. Sigmoid, tanh and ELU call expf, tanhf and expm1f
// (expm1f: e^x - 1 without the cancellation near 0 that expf(x) - 1 would have), which track the
// CPU's double evaluation rounded once to float within a few ulps rather than bit for bit; a
// sigmoid below about -88 underflows to 0 here a little earlier than there. NaN comes through
// every forward (java_min/java_max keep it where fminf/fmaxf would drop it); the gradients keep
// PyTorch's comparisons, so a NaN x takes the branch they give it, as on the CPU. GELU, x·Φ(x), and
// its gradient take Φ from normcdff (5 ulps at most over the whole range, the tail below 0 included)
// rather than 0.5f·erfcf(-x·0.70710678f), whose rounded argument costs about 2z²·2^-24 relative in the
// tail (2e-6 at x = -6); both track the CPU's double evaluation rounded once within a few ulps, not
// bit for bit, and the gradient's Φ(x) + x·φ(x), which cancels near its root at x ≈ -0.75, within a
// few ulps of 0.23 absolute there.
// SELU, CELU, Softplus and Mish call expm1f, expf, log1pf and tanhf: a few ulps from the CPU's double
// evaluation rounded once, as ELU's; their gradients too (from x, like ELU's and GELU's), Mish's
// t + x·σ(x)·(1 - t²) within a few ulps of 0.26 absolute where it cancels, near x ≈ -1.19. Below
// about -87 Mish is x times a subnormal e^x here: 1e-36 absolute rather than relative.
// GELU's tanh approximation, x·σ(2u) with u = √(2/π)·(x + 0.044715·x³), and its gradient are computed in
// double and rounded once, as on the CPU (in float, the rounding of x³ in u would cost 2|u|·2^-23 of
// the tail below 0: 1e-5 relative at x = -8): the CPU's result but for the last bit of a double.
enum : int { kLeakyRelu = 0, kSigmoid, kTanh, kHardSigmoid, kHardSwish, kElu, kGelu, kSelu, kCelu, kSoftplus, kMish, kGeluTanh,
             kActivationKinds };

__device__ __forceinline__ double gelu_tanh_argument(double x) {
    return 0.7978845608028654 * (x + 0.044715 * x * x * x);
}

// ln(1 + e^x), as x + ln(1 + e^-x) above 0 so that e^x does not overflow; NaN gives NaN.
__device__ __forceinline__ float softplus(float x) {
    return x > 0.f ? __fadd_rn(x, log1pf(expf(-x))) : log1pf(expf(x));
}

// e^(x/α) with the rounding of x/α taken back (|x/α|·2^-24 relative, 1.6e-6 at x/α = -27, otherwise):
// q = x/α rounded, x - q·α exact (an FMA: a correctly rounded quotient's remainder is a float), and
// e^(x/α) = e^q·e^((x - q·α)/α) = e^q·(1 + (x - q·α)/α) to float precision.
__device__ __forceinline__ float exp_ratio(float x, float alpha) {
    const float q = __fdiv_rn(x, alpha);
    const float e = expf(q);
    if (!isfinite(q) || e == 0.f || isinf(e)) return e;
    return __fmul_rn(e, __fadd_rn(1.f, __fdiv_rn(__fmaf_rn(-q, alpha, x), alpha)));
}

__device__ __forceinline__ float logistic(float x) {
    return __fdiv_rn(1.f, __fadd_rn(1.f, expf(-x)));
}

// e^(-x²/2), with the rounding of x² (x²/2·2^-24 relative: 2e-6 at 8) taken back: x² = h + l exactly
// (l from an FMA), and e^(-l/2) = 1 - l/2 to float precision. From |x| = 16 on it is 0 in float
// (and where x² overflows, l would be -inf, the product 0·inf).
__device__ __forceinline__ float exp_minus_half_square(float x) {
    const float h = __fmul_rn(x, x);
    if (h >= 256.f) return 0.f;
    const float l = __fmaf_rn(x, x, -h);
    return __fmul_rn(expf(__fmul_rn(-0.5f, h)), __fsub_rn(1.f, __fmul_rn(0.5f, l)));
}

template <int K>
__device__ __forceinline__ float activate(float x, float alpha, float beta) {
    if constexpr (K == kLeakyRelu) return x > 0.f ? x : __fmul_rn(alpha, x);
    if constexpr (K == kSigmoid) return __fdiv_rn(1.f, __fadd_rn(1.f, expf(-x)));
    if constexpr (K == kTanh) return tanhf(x);
    if constexpr (K == kHardSigmoid) return p4j::java_min(p4j::java_max(__fadd_rn(__fmul_rn(alpha, x), beta), 0.f), 1.f);
    if constexpr (K == kHardSwish) return __fdiv_rn(__fmul_rn(x, p4j::java_min(p4j::java_max(__fadd_rn(x, 3.f), 0.f), 6.f)), 6.f);
    if constexpr (K == kElu) return x > 0.f ? x : __fmul_rn(alpha, expm1f(x));
    if constexpr (K == kGelu) return __fmul_rn(x, normcdff(x));   // -inf·0 is NaN, as on the CPU and in PyTorch
    if constexpr (K == kSelu) return x > 0.f ? __fmul_rn(beta, x) : __fmul_rn(__fmul_rn(beta, alpha), expm1f(x));
    if constexpr (K == kCelu) return x > 0.f ? x : __fmul_rn(alpha, expm1f(__fdiv_rn(x, alpha)));
    if constexpr (K == kSoftplus) return softplus(x);
    if constexpr (K == kGeluTanh) {
        const double v = x;
        return (float)(v * (1.0 / (1.0 + exp(-2.0 * gelu_tanh_argument(v)))));   // -inf·0 is NaN, as on the CPU
    }
    return __fmul_rn(x, tanhf(softplus(x)));   // kMish: -inf·0 is NaN, as on the CPU and in PyTorch
}

// f'(x)·dy from x or y, whichever the kind's formula reads (ActivationKind says which).
template <int K>
__device__ __forceinline__ float activate_backward(float dy, float x, float y, float alpha, float beta) {
    if constexpr (K == kLeakyRelu) return x > 0.f ? dy : __fmul_rn(dy, alpha);
    if constexpr (K == kSigmoid) return __fmul_rn(__fmul_rn(dy, __fsub_rn(1.f, y)), y);
    if constexpr (K == kTanh) return __fmul_rn(dy, __fsub_rn(1.f, __fmul_rn(y, y)));
    if constexpr (K == kHardSigmoid) return (y > 0.f && y < 1.f) ? __fmul_rn(dy, alpha) : 0.f;
    if constexpr (K == kHardSwish) return x < -3.f ? 0.f : x <= 3.f ? __fmul_rn(dy, __fadd_rn(__fdiv_rn(x, 3.f), 0.5f)) : dy;
    if constexpr (K == kElu) return x <= 0.f ? __fmul_rn(__fmul_rn(dy, alpha), expf(x)) : dy;
    if constexpr (K == kGelu) {
        // dy·(Φ(x) + x·φ(x)), φ(x) = e^(-x²/2)/√(2π); NaN at ±inf (±inf·0), as on the CPU
        const float pdf = __fmul_rn(exp_minus_half_square(x), 0.3989422804f);
        return __fmul_rn(dy, __fadd_rn(normcdff(x), __fmul_rn(x, pdf)));
    }
    if constexpr (K == kSelu) return x <= 0.f ? __fmul_rn(dy, __fmul_rn(__fmul_rn(beta, alpha), expf(x))) : __fmul_rn(dy, beta);
    if constexpr (K == kCelu) return x <= 0.f ? __fmul_rn(dy, exp_ratio(x, alpha)) : dy;
    if constexpr (K == kSoftplus) return __fmul_rn(dy, logistic(x));
    if constexpr (K == kGeluTanh) {
        const double v = x;
        const double u = gelu_tanh_argument(v);
        const double s = 1.0 / (1.0 + exp(-2.0 * u));
        const double r = 1.0 / (1.0 + exp(2.0 * u));
        const double du = 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * v * v);
        return __fmul_rn(dy, (float)(s + 2.0 * v * s * r * du));
    }
    // kMish: dy·(t + x·σ(x)·(1 - t²)), t = tanh(softplus(x)); NaN at ±inf (±inf·0), as on the CPU
    const float t = tanhf(softplus(x));
    return __fmul_rn(dy, __fadd_rn(t, __fmul_rn(__fmul_rn(x, logistic(x)), __fsub_rn(1.f, __fmul_rn(t, t)))));
}

template <int K>
__global__ void activation_kernel(float* y, const float* x, int64_t n, float alpha, float beta) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        y[i] = activate<K>(x[i], alpha, beta);
    }
}

template <int K>
__global__ void activation_backward_kernel(float* dx, const float* dy, const float* __restrict__ x,
                                           const float* __restrict__ y, int64_t n, float alpha, float beta) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        dx[i] = activate_backward<K>(dy[i], x[i], y[i], alpha, beta);
    }
}

template <int K>
void launch_activation(float* y, const float* x, int64_t n, float alpha, float beta, cudaStream_t s) {
    activation_kernel<K><<<p4j::grid_for(n), p4j::kBlock, 0, s>>>(y, x, n, alpha, beta);
}

template <int K>
void launch_activation_backward(float* dx, const float* dy, const float* x, const float* y, int64_t n, float alpha,
                                float beta, cudaStream_t s) {
    activation_backward_kernel<K><<<p4j::grid_for(n), p4j::kBlock, 0, s>>>(dx, dy, x, y, n, alpha, beta);
}

__global__ void add_kernel(float* y, const float* a, const float* b, int64_t n) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = __fadd_rn(a[i], b[i]);
}

template <typename Idx>
__global__ void mul_channels_kernel(float* y, const float* x, const float* __restrict__ s, Idx total, Idx spatial) {
    const Idx stride = (Idx)blockDim.x * gridDim.x;
    for (Idx i = (Idx)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        y[i] = __fmul_rn(x[i], __ldg(s + i / spatial));
    }
}

constexpr int kPlaneThreads = 256;   // 8 warps, one plane each

__global__ void __launch_bounds__(kPlaneThreads)
mul_channels_backward_kernel(float* __restrict__ ds, const float* __restrict__ dy, const float* __restrict__ x, int planes,
                             int64_t spatial) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t)gridDim.x * (kPlaneThreads / 32);
    for (int64_t p = (int64_t)blockIdx.x * (kPlaneThreads / 32) + (threadIdx.x >> 5); p < planes; p += warps) {
        const float* g = dy + p * spatial;
        const float* v = x + p * spatial;
        double sum = 0.0;
        for (int64_t i = lane; i < spatial; i += 32) sum += (double)g[i] * (double)v[i];
        sum = p4j::warp_sum(sum);   // every lane of the warp is here: they share p
        if (lane == 0) ds[p] = (float)sum;
    }
}

// All sizes in words of V; total = batch * run < 2^31 (a tensor holds at most 2^31 - 1 elements).
template <typename V>
__global__ void copy_channels_kernel(V* __restrict__ dst, const V* __restrict__ src, uint32_t total, uint32_t run,
                                     int64_t dst_pitch, int64_t src_pitch) {
    const uint32_t stride = blockDim.x * gridDim.x;
    for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const uint32_t b = i / run;
        const uint32_t j = i - b * run;
        dst[(int64_t)b * dst_pitch + j] = src[(int64_t)b * src_pitch + j];
    }
}

template <typename V>
int launch_copy_channels(void* dst, const void* src, int64_t batch, int64_t run, int64_t dst_pitch, int64_t src_pitch,
                         cudaStream_t s) {
    const int64_t w = (int64_t)(sizeof(V) / 4);
    const int64_t total = batch * (run / w);
    const int grid = p4j::grid_for(total);
    copy_channels_kernel<V><<<grid, p4j::kBlock, 0, s>>>(static_cast<V*>(dst), static_cast<const V*>(src), (uint32_t)total,
                                                         (uint32_t)(run / w), dst_pitch / w, src_pitch / w);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// augment: one thread per output value; each draws its example's shift and mirror from the same
// splitmix64 finaliser as the CPU (ArgChecks.augmentDraw), a few integer multiplies next to one load.
__device__ __forceinline__ unsigned long long augment_draw(unsigned long long seed, int row) {
    unsigned long long z = seed + (unsigned long long)(row + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

__global__ void augment_kernel(float* __restrict__ out, const float* __restrict__ in, int64_t total, int channels, int height,
                               int width, unsigned long long seed, int max_shift, int flip) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    const int64_t plane = (int64_t)height * width;
    const unsigned long long span = 2ull * (unsigned long long)max_shift + 1ull;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const int64_t image = i / plane;           // (row, channel)
        const int64_t at = i - image * plane;
        const int row = (int)(image / channels);
        const int y = (int)(at / width);
        const int x = (int)(at - (int64_t)y * width);
        const unsigned long long z = augment_draw(seed, row);
        const bool mirror = flip && (z & 1ull);
        const int dx = (int)((z >> 8) % span) - max_shift;
        const int dy = (int)((z >> 32) % span) - max_shift;
        const int sy = y + dy;
        const int sx = (mirror ? width - 1 - x : x) + dx;
        out[i] = (sy >= 0 && sy < height && sx >= 0 && sx < width) ? in[image * plane + (int64_t)sy * width + sx] : 0.f;
    }
}

}  // namespace

extern "C" int p4j_augment_images(float* out, const float* in, int batch, int channels, int height, int width, long long seed,
                                  int max_shift, int flip, void* stream) {
    if (batch < 0 || channels < 0 || height < 0 || width < 0 || max_shift < 0) return (int)cudaErrorInvalidValue;
    const int64_t total = (int64_t)batch * channels * height * width;
    if (total == 0) return (int)cudaSuccess;
    if (out == nullptr || in == nullptr) return (int)cudaErrorInvalidValue;
    augment_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, p4j::as_stream(stream)>>>(out, in, total, channels, height, width,
                                                                                     (unsigned long long)seed, max_shift, flip);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_clamp(float* y, const float* x, int n, float lo, float hi, void* stream) {
    if (n < 0 || (n > 0 && (y == nullptr || x == nullptr)) || !(lo <= hi)) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    clamp_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, x, n, lo, hi);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_clamp_backward(float* dx, const float* dy, const float* y, int n, float lo, float hi, void* stream) {
    if (n < 0 || (n > 0 && (dx == nullptr || dy == nullptr || y == nullptr))) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    clamp_backward_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(dx, dy, y, n, lo, hi);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// A kind outside [0, kActivationKinds) or a parameter its formula has that is not finite is
// cudaErrorInvalidValue (the backend checks both first).
static bool activation_arguments_ok(int kind, float alpha, float beta) {
    const bool has_alpha = kind == kLeakyRelu || kind == kHardSigmoid || kind == kElu || kind == kSelu || kind == kCelu;
    const bool has_beta = kind == kHardSigmoid || kind == kSelu;
    return kind >= 0 && kind < kActivationKinds && (!has_alpha || isfinite(alpha)) && (!has_beta || isfinite(beta))
           && (kind != kCelu || alpha != 0.f);
}

extern "C" int p4j_activation(float* y, const float* x, int n, int kind, float alpha, float beta, void* stream) {
    if (n < 0 || (n > 0 && (y == nullptr || x == nullptr)) || !activation_arguments_ok(kind, alpha, beta)) {
        return (int)cudaErrorInvalidValue;
    }
    if (n == 0) return (int)cudaSuccess;
    cudaStream_t s = p4j::as_stream(stream);
    switch (kind) {
        case kLeakyRelu:   launch_activation<kLeakyRelu>(y, x, n, alpha, beta, s); break;
        case kSigmoid:     launch_activation<kSigmoid>(y, x, n, alpha, beta, s); break;
        case kTanh:        launch_activation<kTanh>(y, x, n, alpha, beta, s); break;
        case kHardSigmoid: launch_activation<kHardSigmoid>(y, x, n, alpha, beta, s); break;
        case kHardSwish:   launch_activation<kHardSwish>(y, x, n, alpha, beta, s); break;
        case kElu:         launch_activation<kElu>(y, x, n, alpha, beta, s); break;
        case kGelu:        launch_activation<kGelu>(y, x, n, alpha, beta, s); break;
        case kSelu:        launch_activation<kSelu>(y, x, n, alpha, beta, s); break;
        case kCelu:        launch_activation<kCelu>(y, x, n, alpha, beta, s); break;
        case kSoftplus:    launch_activation<kSoftplus>(y, x, n, alpha, beta, s); break;
        case kMish:        launch_activation<kMish>(y, x, n, alpha, beta, s); break;
        case kGeluTanh:    launch_activation<kGeluTanh>(y, x, n, alpha, beta, s); break;
        default:           return (int)cudaErrorInvalidValue;   // not reached: activation_arguments_ok checked the kind
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_activation_backward(float* dx, const float* dy, const float* x, const float* y, int n, int kind, float alpha,
                                       float beta, void* stream) {
    if (n < 0 || (n > 0 && (dx == nullptr || dy == nullptr || x == nullptr || y == nullptr))
        || !activation_arguments_ok(kind, alpha, beta)) {
        return (int)cudaErrorInvalidValue;
    }
    if (n == 0) return (int)cudaSuccess;
    cudaStream_t s = p4j::as_stream(stream);
    switch (kind) {
        case kLeakyRelu:   launch_activation_backward<kLeakyRelu>(dx, dy, x, y, n, alpha, beta, s); break;
        case kSigmoid:     launch_activation_backward<kSigmoid>(dx, dy, x, y, n, alpha, beta, s); break;
        case kTanh:        launch_activation_backward<kTanh>(dx, dy, x, y, n, alpha, beta, s); break;
        case kHardSigmoid: launch_activation_backward<kHardSigmoid>(dx, dy, x, y, n, alpha, beta, s); break;
        case kHardSwish:   launch_activation_backward<kHardSwish>(dx, dy, x, y, n, alpha, beta, s); break;
        case kElu:         launch_activation_backward<kElu>(dx, dy, x, y, n, alpha, beta, s); break;
        case kGelu:        launch_activation_backward<kGelu>(dx, dy, x, y, n, alpha, beta, s); break;
        case kSelu:        launch_activation_backward<kSelu>(dx, dy, x, y, n, alpha, beta, s); break;
        case kCelu:        launch_activation_backward<kCelu>(dx, dy, x, y, n, alpha, beta, s); break;
        case kSoftplus:    launch_activation_backward<kSoftplus>(dx, dy, x, y, n, alpha, beta, s); break;
        case kMish:        launch_activation_backward<kMish>(dx, dy, x, y, n, alpha, beta, s); break;
        case kGeluTanh:    launch_activation_backward<kGeluTanh>(dx, dy, x, y, n, alpha, beta, s); break;
        default:           return (int)cudaErrorInvalidValue;   // not reached: activation_arguments_ok checked the kind
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_add(float* y, const float* a, const float* b, int n, void* stream) {
    if (n < 0 || (n > 0 && (y == nullptr || a == nullptr || b == nullptr))) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    add_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, a, b, n);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_mul_channels(float* y, const float* x, const float* s, int planes, int spatial, void* stream) {
    if (planes < 0 || spatial < 0) return (int)cudaErrorInvalidValue;
    const int64_t total = (int64_t)planes * spatial;
    if (total == 0) return (int)cudaSuccess;
    if (y == nullptr || x == nullptr || s == nullptr) return (int)cudaErrorInvalidValue;
    const int grid = p4j::grid_for(total);
    cudaStream_t st = p4j::as_stream(stream);
    if (total + (int64_t)grid * p4j::kBlock <= (int64_t)UINT32_MAX) {
        mul_channels_kernel<uint32_t><<<grid, p4j::kBlock, 0, st>>>(y, x, s, (uint32_t)total, (uint32_t)spatial);
    } else {
        mul_channels_kernel<uint64_t><<<grid, p4j::kBlock, 0, st>>>(y, x, s, (uint64_t)total, (uint64_t)spatial);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_mul_channels_backward(float* ds, const float* dy, const float* x, int planes, int spatial, void* stream) {
    if (planes < 0 || spatial < 0) return (int)cudaErrorInvalidValue;
    if (planes == 0) return (int)cudaSuccess;
    if (ds == nullptr || (spatial > 0 && (dy == nullptr || x == nullptr))) return (int)cudaErrorInvalidValue;
    const int64_t per_block = kPlaneThreads / 32;
    const int64_t b = ((int64_t)planes + per_block - 1) / per_block;
    const unsigned blocks = (unsigned)(b < p4j::kMaxGrid ? b : p4j::kMaxGrid);
    mul_channels_backward_kernel<<<blocks, kPlaneThreads, 0, p4j::as_stream(stream)>>>(ds, dy, x, planes, spatial);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_copy_channels(void* dst, const void* src, int batch, int dst_channels, int dst_offset, int src_channels,
                                 int src_offset, int channels, int spatial, void* stream) {
    if (batch < 0 || spatial < 0 || channels < 0 || dst_offset < 0 || src_offset < 0
        || (int64_t)dst_offset + channels > dst_channels || (int64_t)src_offset + channels > src_channels) {
        return (int)cudaErrorInvalidValue;
    }
    const int64_t run = (int64_t)channels * spatial;
    const int64_t total = (int64_t)batch * run;
    if (total == 0) return (int)cudaSuccess;
    if (dst == nullptr || src == nullptr || total > (int64_t)INT32_MAX) return (int)cudaErrorInvalidValue;
    const int64_t dst_pitch = (int64_t)dst_channels * spatial;
    const int64_t src_pitch = (int64_t)src_channels * spatial;
    uint32_t* d = static_cast<uint32_t*>(dst) + (int64_t)dst_offset * spatial;
    const uint32_t* sp = static_cast<const uint32_t*>(src) + (int64_t)src_offset * spatial;
    // every word boundary the copy uses must be a multiple of the vector: run, pitches and the two start addresses
    const uint64_t words = (uint64_t)run | (uint64_t)dst_pitch | (uint64_t)src_pitch;
    const uintptr_t align = (uintptr_t)d | (uintptr_t)sp;
    cudaStream_t s = p4j::as_stream(stream);
    if (words % 4 == 0 && align % 16 == 0) return launch_copy_channels<uint4>(d, sp, batch, run, dst_pitch, src_pitch, s);
    if (words % 2 == 0 && align % 8 == 0) return launch_copy_channels<uint2>(d, sp, batch, run, dst_pitch, src_pitch, s);
    return launch_copy_channels<uint32_t>(d, sp, batch, run, dst_pitch, src_pitch, s);
}
