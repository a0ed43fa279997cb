// Compaction kernels: keep masks to index lists, and the gathers that build the smaller dense
// tensors of a structurally pruned network.
//
// mask_to_indices: CUB's single-pass DeviceSelect (a decoupled look-back prefix sum) over the
//   indices 0..n-1 flagged by mask != 0; the count goes to device memory, so a caller that only
//   feeds the list to the gathers never copies it to the host.
// gather_rows: out[r, :] = src[idx[r], :] for 4-byte elements (FLOAT32 and INT32 alike: kept rows
//   of W_l and b_l, and batches gathered from a device-resident data set). Rows are contiguous, so
//   the copy uses 16-byte (or 8-byte) loads and stores whenever the row length and the pointers
//   allow it.
// gather_blocks: out[r, c*block + j] = src[row_idx[r], col_idx[c]*block + j]: kept columns
//   (block = 1), the kept input channels of the next conv (block = kh*kw) and the kept column
//   blocks of a dense layer after a flatten (block = h*w), optionally fused with a row gather. The
//   writes are coalesced; each read hits the same row that neighbouring threads read, so a warp's
//   loads touch only the sectors holding kept columns.
// An out-of-range index never reads outside src: its outputs are written as 0 and, when `bad` is
// given, *bad becomes nonzero (the caller checks it once, off the hot path).
#include <thrust/iterator/counting_iterator.h>

#include <cub/device/device_select.cuh>

#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

struct NonZero {
    __host__ __device__ __forceinline__ bool operator()(float f) const { return f != 0.0f; }  // NaN counts as kept, as on the CPU
};

cudaError_t select_flagged(void* temp, size_t& temp_bytes, int* indices, int* count, const float* mask, int n,
                           cudaStream_t s) {
    thrust::counting_iterator<int> first(0);
    return cub::DeviceSelect::FlaggedIf(temp, temp_bytes, first, mask, indices, count, n, NonZero{}, s);
}

template <typename V>
__global__ void gather_rows_kernel(V* __restrict__ out, const V* __restrict__ src, const int* __restrict__ idx, int rows,
                                   int64_t vcols, int src_rows, unsigned int* __restrict__ bad) {
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {   // 64-bit: rows + gridDim.y may pass INT_MAX
        const int s = __ldg(idx + r);
        const bool ok = s >= 0 && s < src_rows;
        if (!ok && bad != nullptr && blockIdx.x == 0 && threadIdx.x == 0) atomicAdd(bad, 1u);
        V* o = out + r * vcols;
        const V* in = src + (int64_t)(ok ? s : 0) * vcols;
        for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < vcols; c += (int64_t)gridDim.x * blockDim.x) {
            o[c] = ok ? in[c] : V{};
        }
    }
}

constexpr int kGatherUnroll = 4;

// Four independent loads per thread before the stores: the index load and the dependent data load
// are two round trips to memory, which only enough loads in flight hide.
template <bool kUnitBlock>
__global__ void gather_blocks_kernel(uint32_t* __restrict__ out, const uint32_t* __restrict__ src,
                                     const int* __restrict__ row_idx, const int* __restrict__ col_idx, int rows_out,
                                     int cols_out, int block, int src_rows, int src_blocks, int64_t src_cols,
                                     unsigned int* __restrict__ bad) {
    for (int64_t r = blockIdx.y; r < rows_out; r += gridDim.y) {   // 64-bit: rows_out + gridDim.y may pass INT_MAX
        const int sr = row_idx != nullptr ? __ldg(row_idx + r) : (int)r;
        const bool row_ok = sr >= 0 && sr < src_rows;
        const uint32_t* in = src + (int64_t)(row_ok ? sr : 0) * src_cols;
        uint32_t* o = out + r * cols_out;
        const int step = blockDim.x * kGatherUnroll;
        for (int c0 = blockIdx.x * step + threadIdx.x; c0 < cols_out; c0 += gridDim.x * step) {
            uint32_t v[kGatherUnroll];
            bool any_bad = false;
#pragma unroll
            for (int u = 0; u < kGatherUnroll; u++) {
                const int c = c0 + u * blockDim.x;
                v[u] = 0u;
                if (c < cols_out) {
                    int cb = c, j = 0;
                    if (!kUnitBlock) {
                        cb = c / block;
                        j = c - cb * block;
                    }
                    const int sc = col_idx != nullptr ? __ldg(col_idx + cb) : cb;
                    if (row_ok && sc >= 0 && sc < src_blocks) v[u] = in[(int64_t)sc * block + j];
                    else any_bad = true;
                }
            }
#pragma unroll
            for (int u = 0; u < kGatherUnroll; u++) {
                const int c = c0 + u * blockDim.x;
                if (c < cols_out) o[c] = v[u];
            }
            if (any_bad && bad != nullptr) atomicAdd(bad, 1u);
        }
    }
}

// Grid for a row-wise kernel: one block row per output row (up to 65535, then the y loop takes
// over), and enough x blocks that the whole grid covers the GPU a few times.
dim3 row_grid(int rows, int64_t per_row_threads, int sms) {
    const int gy = rows < 65535 ? rows : 65535;
    int64_t gx = (per_row_threads + p4j::kBlock - 1) / p4j::kBlock;
    const int64_t target = (int64_t)sms * 8 / gy;
    if (gx > target) gx = target;
    if (gx < 1) gx = 1;
    if (gx > 65535) gx = 65535;
    return dim3((unsigned)gx, (unsigned)gy, 1);
}

}  // namespace

extern "C" int p4j_mask_to_indices_workspace_bytes(int n, long long* bytes) {
    if (bytes == nullptr) return (int)cudaErrorInvalidValue;
    *bytes = 0;
    if (n < 0) return (int)cudaErrorInvalidValue;
    size_t b = 0;
    P4J_CHECK(select_flagged(nullptr, b, nullptr, nullptr, nullptr, n, 0));
    *bytes = (long long)(b < 1 ? 1 : b);
    return (int)cudaSuccess;
}

extern "C" int p4j_mask_to_indices(int* indices, int* count, const float* mask, int n, void* workspace,
                                   long long workspace_bytes, void* stream) {
    if (n < 0 || count == nullptr) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    if (n == 0) return (int)cudaMemsetAsync(count, 0, sizeof(int), s);
    if (indices == nullptr || mask == nullptr || workspace == nullptr) return (int)cudaErrorInvalidValue;
    size_t need = 0;
    P4J_CHECK(select_flagged(nullptr, need, indices, count, mask, n, s));
    if (workspace_bytes < 0 || (size_t)workspace_bytes < need) return (int)cudaErrorInvalidValue;
    size_t have = (size_t)workspace_bytes;
    P4J_CHECK(select_flagged(workspace, have, indices, count, mask, n, s));
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_gather_rows(void* out, const void* src, const int* idx, int rows, int cols, int src_rows,
                               unsigned int* bad, void* stream) {
    if (rows < 0 || cols < 0 || src_rows < 0) return (int)cudaErrorInvalidValue;
    if (rows == 0 || cols == 0) return (int)cudaSuccess;
    if (out == nullptr || idx == nullptr || (src == nullptr && src_rows > 0)) return (int)cudaErrorInvalidValue;
    int sms = 0;
    P4J_CHECK(p4j::sm_count(&sms));
    cudaStream_t s = p4j::as_stream(stream);
    const uintptr_t align = (uintptr_t)out | (uintptr_t)src;
    if (cols % 4 == 0 && align % 16 == 0) {
        const int64_t v = cols / 4;
        gather_rows_kernel<uint4><<<row_grid(rows, v, sms), p4j::kBlock, 0, s>>>(
            static_cast<uint4*>(out), static_cast<const uint4*>(src), idx, rows, v, src_rows, bad);
    } else if (cols % 2 == 0 && align % 8 == 0) {
        const int64_t v = cols / 2;
        gather_rows_kernel<uint2><<<row_grid(rows, v, sms), p4j::kBlock, 0, s>>>(
            static_cast<uint2*>(out), static_cast<const uint2*>(src), idx, rows, v, src_rows, bad);
    } else {
        gather_rows_kernel<uint32_t><<<row_grid(rows, cols, sms), p4j::kBlock, 0, s>>>(
            static_cast<uint32_t*>(out), static_cast<const uint32_t*>(src), idx, rows, cols, src_rows, bad);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_gather_blocks(void* out, const void* src, const int* row_idx, const int* col_idx, int rows_out,
                                 int blocks_out, int block, int src_rows, int src_cols, unsigned int* bad,
                                 void* stream) {
    if (rows_out < 0 || blocks_out < 0 || block < 1 || src_rows < 0 || src_cols < 0 || src_cols % block != 0) {
        return (int)cudaErrorInvalidValue;
    }
    const int64_t cols_out = (int64_t)blocks_out * block;
    // Column indices within a row are 32-bit (cheaper division); the grid stride must not overflow them.
    if (cols_out > (int64_t)1 << 30) return (int)cudaErrorInvalidValue;
    if (rows_out == 0 || cols_out == 0) return (int)cudaSuccess;
    if (out == nullptr || (src == nullptr && src_rows > 0 && src_cols > 0)) return (int)cudaErrorInvalidValue;
    int sms = 0;
    P4J_CHECK(p4j::sm_count(&sms));
    cudaStream_t s = p4j::as_stream(stream);
    const dim3 grid = row_grid(rows_out, (cols_out + kGatherUnroll - 1) / kGatherUnroll, sms);
    const int src_blocks = src_cols / block;
    if (block == 1) {
        gather_blocks_kernel<true><<<grid, p4j::kBlock, 0, s>>>(
            static_cast<uint32_t*>(out), static_cast<const uint32_t*>(src), row_idx, col_idx, rows_out, (int)cols_out,
            block, src_rows, src_blocks, src_cols, bad);
    } else {
        gather_blocks_kernel<false><<<grid, p4j::kBlock, 0, s>>>(
            static_cast<uint32_t*>(out), static_cast<const uint32_t*>(src), row_idx, col_idx, rows_out, (int)cols_out,
            block, src_rows, src_blocks, src_cols, bad);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}
