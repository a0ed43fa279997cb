// Max pooling over NCHW feature maps (no padding; a partial window at the edge is dropped, as
// PyTorch does), the contract of CpuBackend.maxPool2d / maxPool2dBackward.
//
// max_pool2d: one thread per output element walks its window in row order and keeps the first
//   maximum (strict >); a NaN replaces a non-NaN best and then stays, as the CPU's comparison does.
//   argmax gets the position within the input plane, h*W + w. Same comparisons, same order as the
//   CPU: y and argmax are identical to the CPU's.
// max_pool2d_backward: dx is zeroed, then one thread per output adds dy to dx[argmax]. When windows
//   do not overlap (stride >= window; every pool of this project is 2x2 stride 2) each input
//   position receives at most one gradient, so 0 + dy is exact and the result is the CPU's bit for
//   bit. With overlapping windows the few additions into one position are float atomics, whose
//   order (and so the last bit) may differ from the CPU's output-order loop. An argmax outside the
//   plane is skipped (the CPU would throw; the kernels never write outside dx).
#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

__global__ void max_pool2d_kernel(float* __restrict__ y, int* __restrict__ argmax, const float* __restrict__ x,
                                  int64_t total, int h, int w, int window, int stride, int ho, int wo) {
    const int64_t out_plane = (int64_t)ho * wo;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
        const int64_t plane = i / out_plane;
        const int o = (int)(i - plane * out_plane);
        const int oh = o / wo;
        const int ow = o - oh * wo;
        const float* xp = x + plane * h * (int64_t)w;
        int best = oh * stride * w + ow * stride;
        float bv = xp[best];
        for (int r = 0; r < window; r++) {
            const int row = (oh * stride + r) * w + ow * stride;
            for (int c = 0; c < window; c++) {
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
    if (planes < 0 || h < 0 || w < 0 || window < 1 || stride < 1 || window > h || window > w) {
        return (int)cudaErrorInvalidValue;
    }
    const int ho = (h - window) / stride + 1;
    const int wo = (w - window) / stride + 1;
    const int64_t total = (int64_t)planes * ho * wo;
    if (total == 0) return (int)cudaSuccess;
    if (y == nullptr || argmax == nullptr || x == nullptr) return (int)cudaErrorInvalidValue;
    max_pool2d_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, p4j::as_stream(stream)>>>(y, argmax, x, total, h, w, window,
                                                                                      stride, ho, wo);
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
