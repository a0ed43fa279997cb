// Ranking kernels: exact k-th-largest selection and top-k masks by radix select, and a count of
// scores at or above a threshold.
//
// select_topk (the launcher p4j_select_topk) finds the k-th largest score K of n floats without
// sorting them:
//   1. every float becomes an order-preserving uint32 key (common.cuh: NaN ranks with -inf, -0
//      with +0, exactly the CPU's Selection.key());
//   2. three histogram passes over the keys, 11 + 11 + 10 bits from the top. Pass p counts only the
//      candidates whose higher bits equal the prefix fixed so far; a one-block kernel then walks the
//      histogram from the top bin down to the bin holding the k-th largest candidate, fixes those
//      bits of the prefix and subtracts the candidates above it from k. The prefix and the rest of
//      k live in device memory, so the passes run back to back with no host round trip; after the
//      third pass the prefix is K's key, k_rem is how many elements equal to K are to be kept and
//      the last bin's count is how many there are;
//   3. the mask: elements above K are kept; of those equal to K the k_rem lowest-indexed are kept
//      (the CPU's tie rule). When every tie is kept (the common case for distinct scores) one pass
//      writes the mask. Otherwise the pass also counts ties per 4096-element tile, a one-block
//      kernel scans those counts, and a last kernel revisits only the tiles that hold ties and
//      ranks their ties by index with warp ballots.
// Memory traffic: 3 reads of the scores for K, plus one read and one write for the mask (plus a
// re-read of tiles with ties when ties are split). Integer atomics only: the result is exact and
// deterministic.
//
// Ideas from radix top-k on GPUs (AIR top-k, RAFT select_k): digit histograms with on-device
// bucket choice; the code is this project's own.
#include <math.h>

#include <cub/block/block_scan.cuh>

#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

constexpr int kPasses = 3;
constexpr int kShift[kPasses] = {21, 10, 0};
constexpr int kBits[kPasses] = {11, 11, 10};
constexpr int kMaxBins = 2048;

constexpr int kHistThreads = 1024;
constexpr int kBucketThreads = 1024;   // 2 bins per thread
constexpr int kTileThreads = 256;
constexpr int kTileItems = 16;
constexpr int kTile = kTileThreads * kTileItems;
constexpr int kScanThreads = 1024;
constexpr int kScanItems = 4;

// Written by the bucket kernels, read by the next pass and the mask kernels (device memory, so no
// host round trip between the passes).
struct SelectState {
    uint32_t prefix;       // key bits fixed so far; after the last pass: the k-th largest key
    uint32_t prefix_mask;  // which bits of prefix are fixed
    uint32_t k_rem;        // how many of the current candidates (key matches prefix) to keep
    uint32_t eq_total;     // after the last pass: how many elements equal the k-th key
    uint32_t all_ties;     // after the last pass: 1 when all of them are kept (eq_total == k_rem)
};

struct Layout {
    int64_t state, hist, tile_eq, tile_prefix, total;
};

int64_t tiles_for(int64_t n) { return (n + kTile - 1) / kTile; }

Layout layout_for(int64_t n) {
    Layout l;
    l.state = 0;
    l.hist = p4j::align_up(sizeof(SelectState));
    l.tile_eq = l.hist + p4j::align_up((int64_t)kPasses * kMaxBins * sizeof(uint32_t));
    l.tile_prefix = l.tile_eq + p4j::align_up(tiles_for(n) * (int64_t)sizeof(uint32_t));
    l.total = l.tile_prefix + p4j::align_up(tiles_for(n) * (int64_t)sizeof(uint32_t));
    return l;
}

// Adds one to h[bin] for every lane with bin >= 0. All 32 lanes must call it together. Lanes that
// share lane 0's bin add through one atomic: scores pruned earlier are often all equal (a masked
// value, or exact zeros), and 32 lanes hitting one shared counter would serialise.
__device__ __forceinline__ void warp_hist_add(uint32_t* h, int bin) {
    const int lead = __shfl_sync(p4j::kFullMask, bin, 0);
    const unsigned same = __ballot_sync(p4j::kFullMask, bin >= 0 && bin == lead);
    if (bin >= 0 && bin != lead) atomicAdd(&h[bin], 1u);
    if ((threadIdx.x & 31) == 0 && same != 0u) atomicAdd(&h[lead], (uint32_t)__popc(same));
}

__device__ __forceinline__ int bin_of(float v, uint32_t prefix, uint32_t pmask, int shift, uint32_t digit_mask) {
    const uint32_t k = p4j::order_key(v);
    return (k & pmask) == prefix ? (int)((k >> shift) & digit_mask) : -1;
}

// One histogram pass. Loads are float4 over the 16-byte-aligned body of `scores` (a per-layer
// slice of a larger buffer need not be aligned); the at most 3 + 3 elements before and after it
// are counted by block 0. The loop bound is uniform per block, so whole warps reach
// warp_hist_add together.
__global__ void __launch_bounds__(kHistThreads)
radix_histogram_kernel(uint32_t* __restrict__ hist, const float* __restrict__ scores, int64_t n,
                       const SelectState* __restrict__ st, int shift, int bits, int first_pass) {
    __shared__ uint32_t h[kMaxBins];
    const int bins = 1 << bits;
    const uint32_t digit_mask = (uint32_t)bins - 1u;
    for (int i = threadIdx.x; i < bins; i += blockDim.x) h[i] = 0u;
    uint32_t prefix = 0u, pmask = 0u;
    if (!first_pass) {
        prefix = st->prefix;
        pmask = st->prefix_mask;
    }
    __syncthreads();

    int64_t head = (int64_t)(((16u - ((uint32_t)(uintptr_t)scores & 15u)) & 15u) >> 2);
    if (head > n) head = n;
    const int64_t nv = (n - head) >> 2;
    const float4* v4 = reinterpret_cast<const float4*>(scores + head);
    const int64_t step = 2 * (int64_t)blockDim.x;
    const int64_t stride = step * gridDim.x;
    for (int64_t base = (int64_t)blockIdx.x * step; base < nv; base += stride) {
        const int64_t i0 = base + threadIdx.x;
        const int64_t i1 = i0 + blockDim.x;
        const bool ok0 = i0 < nv, ok1 = i1 < nv;
        float4 a = make_float4(0.f, 0.f, 0.f, 0.f), b = a;
        if (ok0) a = v4[i0];
        if (ok1) b = v4[i1];
        warp_hist_add(h, ok0 ? bin_of(a.x, prefix, pmask, shift, digit_mask) : -1);
        warp_hist_add(h, ok0 ? bin_of(a.y, prefix, pmask, shift, digit_mask) : -1);
        warp_hist_add(h, ok0 ? bin_of(a.z, prefix, pmask, shift, digit_mask) : -1);
        warp_hist_add(h, ok0 ? bin_of(a.w, prefix, pmask, shift, digit_mask) : -1);
        warp_hist_add(h, ok1 ? bin_of(b.x, prefix, pmask, shift, digit_mask) : -1);
        warp_hist_add(h, ok1 ? bin_of(b.y, prefix, pmask, shift, digit_mask) : -1);
        warp_hist_add(h, ok1 ? bin_of(b.z, prefix, pmask, shift, digit_mask) : -1);
        warp_hist_add(h, ok1 ? bin_of(b.w, prefix, pmask, shift, digit_mask) : -1);
    }
    if (blockIdx.x == 0) {
        const int64_t tail0 = head + 4 * nv;
        const int64_t t = threadIdx.x;
        int64_t idx = -1;
        if (t < head) idx = t;
        else if (t - head < n - tail0) idx = tail0 + (t - head);
        if (idx >= 0) {
            const int bin = bin_of(scores[idx], prefix, pmask, shift, digit_mask);
            if (bin >= 0) atomicAdd(&h[bin], 1u);
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < bins; i += blockDim.x) {
        const uint32_t c = h[i];
        if (c != 0u) atomicAdd(&hist[i], c);
    }
}

// Finds the bin holding the k-th largest candidate: thread t owns bins (bins-1-2t) and
// (bins-2-2t), so a block-wide inclusive sum in thread order is the count of candidates at or
// above each bin, walking down from the top. Exactly one bin has (count above) < k <= (count
// above or in it); its thread fixes that digit of the prefix.
__global__ void __launch_bounds__(kBucketThreads)
radix_bucket_kernel(SelectState* __restrict__ st, float* __restrict__ kth_out, const uint32_t* __restrict__ hist,
                    int shift, int bits, uint32_t first_k, int first_pass, int last_pass) {
    using Scan = cub::BlockScan<uint32_t, kBucketThreads>;
    __shared__ typename Scan::TempStorage tmp;
    const int bins = 1 << bits;
    uint32_t k = first_k, prefix = 0u, pmask = 0u;
    if (!first_pass) {
        k = st->k_rem;
        prefix = st->prefix;
        pmask = st->prefix_mask;
    }
    uint32_t c[2], inc[2];
#pragma unroll
    for (int j = 0; j < 2; j++) {
        const int r = 2 * (int)threadIdx.x + j;
        c[j] = r < bins ? hist[bins - 1 - r] : 0u;
    }
    Scan(tmp).InclusiveSum(c, inc);   // has barriers: every read of st above happens before any write below
#pragma unroll
    for (int j = 0; j < 2; j++) {
        const int r = 2 * (int)threadIdx.x + j;
        const uint32_t above = inc[j] - c[j];
        if (r < bins && above < k && inc[j] >= k) {
            const uint32_t bin = (uint32_t)(bins - 1 - r);
            const uint32_t new_prefix = prefix | (bin << shift);
            const uint32_t k_rem = k - above;
            st->prefix = new_prefix;
            st->prefix_mask = pmask | (((uint32_t)bins - 1u) << shift);
            st->k_rem = k_rem;
            if (last_pass) {
                st->eq_total = c[j];
                st->all_ties = c[j] == k_rem ? 1u : 0u;
                if (kth_out != nullptr) *kth_out = p4j::key_to_float(new_prefix);
            }
        }
    }
}

// Tile t covers elements [t*kTile, (t+1)*kTile), striped: thread x, item j holds t*kTile + j*256 + x,
// so every load and store of a warp is one contiguous 128-byte line.
__global__ void __launch_bounds__(kTileThreads)
select_mask_kernel(float* __restrict__ mask, uint32_t* __restrict__ tile_eq, const float* __restrict__ scores,
                   int64_t n, const SelectState* __restrict__ st) {
    __shared__ uint32_t red[kTileThreads];
    const uint32_t kth = st->prefix;
    const bool all_ties = st->all_ties != 0u;
    const int64_t base = (int64_t)blockIdx.x * kTile + threadIdx.x;
    float v[kTileItems];
#pragma unroll
    for (int j = 0; j < kTileItems; j++) {
        const int64_t i = base + (int64_t)j * kTileThreads;
        v[j] = i < n ? scores[i] : 0.f;
    }
    uint32_t eq = 0u;
#pragma unroll
    for (int j = 0; j < kTileItems; j++) {
        const int64_t i = base + (int64_t)j * kTileThreads;
        if (i < n) {
            const uint32_t k = p4j::order_key(v[j]);
            const bool e = k == kth;
            eq += e ? 1u : 0u;
            mask[i] = (k > kth || (e && all_ties)) ? 1.f : 0.f;
        }
    }
    if (!all_ties) {   // uniform over the block: the barriers inside are safe
        const uint32_t total = p4j::block_reduce_tree(eq, red, [](uint32_t a, uint32_t b) { return a + b; });
        if (threadIdx.x == 0) tile_eq[blockIdx.x] = total;
    }
}

// Exclusive prefix of the per-tile tie counts, one block looping over chunks with a carry.
__global__ void __launch_bounds__(kScanThreads)
tile_scan_kernel(uint32_t* __restrict__ tile_prefix, const uint32_t* __restrict__ tile_eq, int64_t tiles,
                 const SelectState* __restrict__ st) {
    if (st->all_ties != 0u) return;
    using Scan = cub::BlockScan<uint32_t, kScanThreads>;
    __shared__ typename Scan::TempStorage tmp;
    uint32_t carry = 0u;
    for (int64_t base = 0; base < tiles; base += (int64_t)kScanThreads * kScanItems) {
        uint32_t c[kScanItems];
#pragma unroll
        for (int j = 0; j < kScanItems; j++) {
            const int64_t i = base + (int64_t)threadIdx.x * kScanItems + j;
            c[j] = i < tiles ? tile_eq[i] : 0u;
        }
        uint32_t aggregate = 0u;
        Scan(tmp).ExclusiveSum(c, c, aggregate);
#pragma unroll
        for (int j = 0; j < kScanItems; j++) {
            const int64_t i = base + (int64_t)threadIdx.x * kScanItems + j;
            if (i < tiles) tile_prefix[i] = carry + c[j];
        }
        carry += aggregate;
        __syncthreads();   // tmp is reused by the next chunk
    }
}

// Keeps the k_rem lowest-indexed elements equal to K. Only tiles whose ties start before k_rem do
// any work. Within a tile, index order is (item j, warp, lane), so a tie's rank is the tile's
// prefix + the ties of earlier (j, warp) pairs + those of lower lanes in its own ballot.
__global__ void __launch_bounds__(kTileThreads)
select_ties_kernel(float* __restrict__ mask, const uint32_t* __restrict__ tile_eq,
                   const uint32_t* __restrict__ tile_prefix, const float* __restrict__ scores, int64_t n,
                   const SelectState* __restrict__ st) {
    constexpr int kWarps = kTileThreads / 32;
    __shared__ uint32_t offs[kTileItems][kWarps];
    if (st->all_ties != 0u) return;
    const uint32_t count = tile_eq[blockIdx.x];
    if (count == 0u) return;
    const uint32_t before = tile_prefix[blockIdx.x];
    const uint32_t k_rem = st->k_rem;
    if (before >= k_rem) return;
    const uint32_t kth = st->prefix;
    const bool keep_all = (uint64_t)before + count <= (uint64_t)k_rem;
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int64_t base = (int64_t)blockIdx.x * kTile + threadIdx.x;

    uint32_t ballots[kTileItems];
    uint32_t mine = 0u;
#pragma unroll
    for (int j = 0; j < kTileItems; j++) {
        const int64_t i = base + (int64_t)j * kTileThreads;
        const bool e = i < n && p4j::order_key(scores[i]) == kth;
        ballots[j] = __ballot_sync(p4j::kFullMask, e);
        if (e) mine |= 1u << j;
    }
    if (keep_all) {   // uniform over the block
#pragma unroll
        for (int j = 0; j < kTileItems; j++) {
            if ((mine >> j) & 1u) mask[base + (int64_t)j * kTileThreads] = 1.f;
        }
        return;
    }
    if (lane == 0) {
#pragma unroll
        for (int j = 0; j < kTileItems; j++) offs[j][warp] = (uint32_t)__popc(ballots[j]);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        uint32_t run = before;
        for (int j = 0; j < kTileItems; j++) {
            for (int w = 0; w < kWarps; w++) {
                const uint32_t c = offs[j][w];
                offs[j][w] = run;
                run += c;
            }
        }
    }
    __syncthreads();
    const uint32_t lower_lanes = (1u << lane) - 1u;
#pragma unroll
    for (int j = 0; j < kTileItems; j++) {
        if ((mine >> j) & 1u) {
            const uint32_t rank = offs[j][warp] + (uint32_t)__popc(ballots[j] & lower_lanes);
            if (rank < k_rem) mask[base + (int64_t)j * kTileThreads] = 1.f;
        }
    }
}

__global__ void fill_kernel(float* __restrict__ y, int64_t n, float value) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = value;
}

__global__ void count_at_least_kernel(uint32_t* __restrict__ count, const float* __restrict__ x, int64_t n,
                                      float threshold) {
    __shared__ uint32_t red[p4j::kBlock];
    uint32_t c = 0u;
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        c += x[i] >= threshold ? 1u : 0u;   // NaN compares false, as in Java
    }
    c = p4j::block_reduce_tree(c, red, [](uint32_t a, uint32_t b) { return a + b; });
    if (threadIdx.x == 0 && c != 0u) atomicAdd(count, c);   // integer: order does not matter
}

}  // namespace

extern "C" int p4j_select_topk_workspace_bytes(int n, long long* bytes) {
    if (bytes == nullptr) return (int)cudaErrorInvalidValue;
    *bytes = 0;
    if (n < 0) return (int)cudaErrorInvalidValue;
    *bytes = (long long)layout_for(n).total;
    return (int)cudaSuccess;
}

extern "C" int p4j_select_topk(float* mask, float* kth, const float* scores, int n, int keep, void* workspace,
                               long long workspace_bytes, void* stream) {
    if (n < 0 || keep < 0 || keep > n) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    if (scores == nullptr || (mask == nullptr && kth == nullptr)) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    const float inf = HUGE_VALF;
    if (keep == 0) {
        if (mask != nullptr) P4J_CHECK(cudaMemsetAsync(mask, 0, (size_t)n * sizeof(float), s));
        if (kth != nullptr) {
            fill_kernel<<<1, 32, 0, s>>>(kth, 1, inf);
            P4J_CHECK_LAUNCH();
        }
        return (int)cudaSuccess;
    }
    if (keep == n && kth == nullptr) {
        fill_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, s>>>(mask, n, 1.f);
        P4J_CHECK_LAUNCH();
        return (int)cudaSuccess;
    }
    const Layout l = layout_for(n);
    if (workspace == nullptr || workspace_bytes < l.total) return (int)cudaErrorInvalidValue;
    char* ws = static_cast<char*>(workspace);
    SelectState* st = reinterpret_cast<SelectState*>(ws + l.state);
    uint32_t* hist = reinterpret_cast<uint32_t*>(ws + l.hist);
    uint32_t* tile_eq = reinterpret_cast<uint32_t*>(ws + l.tile_eq);
    uint32_t* tile_prefix = reinterpret_cast<uint32_t*>(ws + l.tile_prefix);

    int sms = 0;
    P4J_CHECK(p4j::sm_count(&sms));
    if (sms < 1) sms = 1;
    // Two resident blocks of 1024 threads per SM; more blocks would only add histogram merges.
    const int64_t vec_steps = ((int64_t)n / 4 + 2 * kHistThreads - 1) / (2 * kHistThreads);
    const int hist_grid = (int)(vec_steps < 1 ? 1 : (vec_steps < 2 * sms ? vec_steps : 2 * sms));

    P4J_CHECK(cudaMemsetAsync(hist, 0, (size_t)kPasses * kMaxBins * sizeof(uint32_t), s));
    for (int p = 0; p < kPasses; p++) {
        uint32_t* hp = hist + (size_t)p * kMaxBins;
        radix_histogram_kernel<<<hist_grid, kHistThreads, 0, s>>>(hp, scores, n, st, kShift[p], kBits[p], p == 0);
        P4J_CHECK_LAUNCH();
        radix_bucket_kernel<<<1, kBucketThreads, 0, s>>>(st, kth, hp, kShift[p], kBits[p], (uint32_t)keep, p == 0,
                                                          p == kPasses - 1);
        P4J_CHECK_LAUNCH();
    }
    if (mask != nullptr) {
        const int64_t tiles = tiles_for(n);
        select_mask_kernel<<<(unsigned)tiles, kTileThreads, 0, s>>>(mask, tile_eq, scores, n, st);
        P4J_CHECK_LAUNCH();
        tile_scan_kernel<<<1, kScanThreads, 0, s>>>(tile_prefix, tile_eq, tiles, st);
        P4J_CHECK_LAUNCH();
        select_ties_kernel<<<(unsigned)tiles, kTileThreads, 0, s>>>(mask, tile_eq, tile_prefix, scores, n, st);
        P4J_CHECK_LAUNCH();
    }
    return (int)cudaSuccess;
}

extern "C" int p4j_count_at_least(int* count, const float* scores, int n, float threshold, void* stream) {
    if (n < 0 || count == nullptr || (n > 0 && scores == nullptr)) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    P4J_CHECK(cudaMemsetAsync(count, 0, sizeof(int), s));
    if (n == 0) return (int)cudaSuccess;
    // One atomic per block: a few hundred blocks keep the loads in flight without contention.
    const int grid = p4j::grid_for(n) < 1024 ? p4j::grid_for(n) : 1024;
    count_at_least_kernel<<<grid, p4j::kBlock, 0, s>>>(reinterpret_cast<uint32_t*>(count), scores, n, threshold);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}
