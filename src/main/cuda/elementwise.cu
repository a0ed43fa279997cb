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
