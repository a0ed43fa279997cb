// Shared helpers for the prune4j CUDA kernels.
//
// Rules every launcher follows:
//  * it is declared extern "C" in src/main/cpp/prune4j_kernels.h and returns an int that is a
//    cudaError_t code (0 = cudaSuccess); it never prints, aborts or exits;
//  * the stream is passed as void* (0 / NULL = the legacy default stream);
//  * empty problems (any size 0) return cudaSuccess without launching anything.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

// Evaluates a CUDA runtime call; on failure returns its cudaError_t from the enclosing function.
#define P4J_CHECK(call)                                   \
    do {                                                  \
        cudaError_t p4j_err_ = (call);                    \
        if (p4j_err_ != cudaSuccess) return (int)p4j_err_; \
    } while (0)

// After a <<<...>>> launch: returns the launch error (bad configuration, no device, ...).
#define P4J_CHECK_LAUNCH() P4J_CHECK(cudaGetLastError())

namespace p4j {

constexpr int kBlock = 256;            // default threads per block for 1-D element-wise kernels
constexpr int kMaxGrid = 65535 * 8;    // cap on grid-stride grids (kernels loop over the rest)

inline cudaStream_t as_stream(void* s) { return reinterpret_cast<cudaStream_t>(s); }

// Number of blocks for a grid-stride loop over `count` elements.
inline int grid_for(int64_t count, int block = kBlock) {
    int64_t g = (count + block - 1) / block;
    if (g < 1) g = 1;
    if (g > kMaxGrid) g = kMaxGrid;
    return static_cast<int>(g);
}

// ---- reductions -------------------------------------------------------------------------------

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    return v;
}

template <typename T>
__device__ __forceinline__ T warp_max(T v) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        T o = __shfl_down_sync(0xffffffffu, v, off);
        v = o > v ? o : v;
    }
    return v;
}

// Block-wide sum; every thread of the block must call it. The result is valid in thread 0.
// `shared` must hold at least 32 elements.
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* shared) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    v = warp_sum(v);
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    const int nwarps = (blockDim.x + 31) >> 5;
    v = (threadIdx.x < nwarps) ? shared[lane] : T(0);
    if (warp == 0) v = warp_sum(v);
    __syncthreads();  // shared may be reused by the caller afterwards
    return v;
}

}  // namespace p4j
