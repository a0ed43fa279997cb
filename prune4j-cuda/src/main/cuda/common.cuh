// Shared helpers for the prune4j CUDA kernels.
//
// Rules every launcher follows:
//  * it is declared extern "C" in src/main/cpp/prune4j_kernels.h and returns an int that is a
//    cudaError_t code (0 = cudaSuccess); it never prints, aborts or exits;
//  * the stream is passed as void* (0 / NULL = the legacy default stream);
//  * empty problems (any size 0) return cudaSuccess without launching anything;
//  * a loop counter that advances by a stride (grid, block rows, warp lanes) and is bounded by a
//    size is 64-bit: sizes go up to INT_MAX, and a 32-bit counter just below it plus its stride
//    would wrap (the callers refuse only what does not fit an int, see io.prune4j.backend.ArgChecks).
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>
#include <string.h>

// Evaluates a CUDA runtime call; on failure returns its cudaError_t from the enclosing function.
#define P4J_CHECK(call)                                   \
    do {                                                  \
        cudaError_t p4j_err_ = (call);                    \
        if (p4j_err_ != cudaSuccess) return (int)p4j_err_; \
    } while (0)

// After a <<<...>>> launch: returns the launch error (bad configuration, no device, ...).
#define P4J_CHECK_LAUNCH() P4J_CHECK(cudaGetLastError())

namespace p4j {

// Scratch for the launchers that reduce a whole tensor (sum, normalize, accumulate_normalized_abs,
// softmax_xent): per-block partials, at most 1024 blocks. p4j_reduce_workspace_bytes reports it.
constexpr long long kReduceWorkspaceBytes = 32768;

constexpr int kBlock = 256;            // default threads per block for 1-D element-wise kernels
constexpr int kMaxGrid = 65535 * 8;    // cap on grid-stride grids (kernels loop over the rest)

inline cudaStream_t as_stream(void* s) { return reinterpret_cast<cudaStream_t>(s); }

constexpr unsigned kFullMask = 0xffffffffu;

// Multiprocessor count of the current device, for grids sized to fill the GPU once (histograms,
// reductions whose result does not depend on the grid).
inline cudaError_t sm_count(int* sms) {
    int dev = 0;
    cudaError_t err = cudaGetDevice(&dev);
    if (err != cudaSuccess) return err;
    return cudaDeviceGetAttribute(sms, cudaDevAttrMultiProcessorCount, dev);
}

// Workspace carving: every piece starts on a 256-byte boundary (what cudaMalloc guarantees), so
// vector loads stay aligned whatever the piece sizes.
constexpr int64_t kWorkspaceAlign = 256;
__host__ __device__ inline int64_t align_up(int64_t bytes) {
    return (bytes + kWorkspaceAlign - 1) / kWorkspaceAlign * kWorkspaceAlign;
}

// ---- ranking keys -----------------------------------------------------------------------------

// Order-preserving map from float to uint32: a > b as floats (with the CPU's ranking key: NaN
// counts as -inf, -0 equals +0) iff order_key(a) > order_key(b) as unsigned integers. Positive
// floats get the sign bit set so they sort above all negatives; negative floats are inverted so
// that a larger magnitude gives a smaller key.
__host__ __device__ __forceinline__ uint32_t order_key(float v) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    if (v != v) b = 0xff800000u;      // NaN ranks with -inf, as Selection.key() does on the CPU
    if (b == 0x80000000u) b = 0u;     // -0 ties with +0
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

// Inverse of order_key (NaN never comes back: it was mapped to -inf).
__host__ __device__ __forceinline__ float key_to_float(uint32_t k) {
    uint32_t b = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

// Java's Math.max / Math.min on floats, bit for bit: a NaN operand wins (fmaxf/fminf would drop
// it), and of two zeros Math.max prefers +0 and Math.min -0. For kernels that must agree with a
// CPU loop written with Math.max / Math.min.
__host__ __device__ __forceinline__ bool negative_bit(float v) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return (b >> 31) != 0;
}

__host__ __device__ __forceinline__ float java_max(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.f && b == 0.f) return negative_bit(a) ? b : a;
    return a >= b ? a : b;
}

__host__ __device__ __forceinline__ float java_min(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.f && b == 0.f) return negative_bit(b) ? b : a;
    return a <= b ? a : b;
}

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

// Block-wide reduction with an arbitrary associative `op`, in a fixed tree order (so the result
// does not depend on scheduling: deterministic, unlike float atomics). Every thread of the block
// must call it; blockDim.x must be a power of two <= 1024 and `shared` hold blockDim.x elements.
// The result is valid in thread 0.
template <typename T, typename Op>
__device__ __forceinline__ T block_reduce_tree(T v, T* shared, Op op) {
    shared[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x >> 1; s > 0; s >>= 1) {
        if (threadIdx.x < s) shared[threadIdx.x] = op(shared[threadIdx.x], shared[threadIdx.x + s]);
        __syncthreads();
    }
    T r = shared[0];
    __syncthreads();  // shared may be reused by the caller afterwards
    return r;
}

}  // namespace p4j
