// Batch normalisation (Ioffe & Szegedy 2015) over x [batch, channels, spatial] (spatial = H*W for
// BatchNorm2d, 1 for BatchNorm1d: a [batch, C] input is the spatial case with H = W = 1), the
// contract of Backend.batchNorm / batchNormBackward. Our kernels rather than cuDNN's
// cudnnBatchNormalization* (deprecated in cuDNN 9's legacy API) so that the contract holds by
// construction: deterministic statistics (no float atomics; the grid depends only on the sizes),
// double sums like the CPU reference, any eps > 0, y may be x, and every launch is a p4j_* launcher
// the GPU benchmark can time. Both passes are bandwidth-bound and move what cuDNN's spatial kernels
// move: forward training reads x twice and writes y once, backward reads x and dy twice and writes dx.
//
// Three steps per call, queued back to back on the stream:
//  1. per-channel partial sums, one (s1, s2) pair of doubles per block and column, in a fixed order.
//     Forward: s1 = sum(x - K), s2 = sum((x - K)^2) with K = x[0, c, 0], the channel's first value:
//     the shift keeps the one-pass variance s2/n - (s1/n)^2 accurate even when |mean| >> std.
//     Backward: s1 = sum(dy), s2 = sum(dy * (x - saveMean)).
//     Two kernels: for spatial >= 32 a warp takes one segment of one (example, channel) plane at a
//     time (contiguous, coalesced); below that, where planes are too short for a warp, x is read as
//     the matrix [batch, channels*spatial] and a thread owns one column (coalesced across columns).
//  2. a finish kernel, one thread per channel, adds the partials in a fixed order, writes the
//     statistics (saveMean, saveInvStd, the running averages with the unbiased variance; or dGamma,
//     dBeta) and four per-channel float coefficients for step 3 into the workspace.
//  3. an element-wise pass: y = (x - mean) * (gamma * invStd) + beta, or
//     dx = gamma * invStd * ((dy - sum(dy)/n) - (x - mean) * invStd^2 * sum(dy (x - mean))/n).
//     The channel of element i is (i / spatial) % channels, by multiply-high division (FastDiv):
//     two hardware divisions per element would cost more than the element's memory traffic.
#include <math.h>

#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kSegment = 1024;      // positions of one plane a warp sums at a time (plane kernel)
constexpr int kColumnRows = 8;      // rows of threads per block of the column kernel (32 columns x 8)
constexpr int kPlaneMinSpatial = 32;
// About this many blocks per statistics pass (a fixed number, not the device's SM count, so that
// the partials, and so the sums, are the same on every GPU).
constexpr int64_t kTargetBlocks = 2048;
constexpr int kCoefficients = 4;    // floats per channel in the workspace: mean, scale, a, b

// q = n / d for 0 <= n < 2^31 and 1 <= d < 2^31 by a multiply-high and a shift (Granlund and
// Montgomery's round-up method): with l = ceil(log2 d) and m = floor(2^32 (2^l - d) / d) + 1,
// n / d = (umulhi(n, m) + n) >> l. umulhi(n, m) <= n < 2^31, so the sum never overflows 32 bits.
struct FastDiv {
    uint32_t d;
    uint32_t mul;
    uint32_t shift;
};

FastDiv fast_div(uint32_t d) {
    uint32_t l = 0;
    while (l < 31 && (1u << l) < d) l++;
    FastDiv f;
    f.d = d;
    f.shift = l;
    f.mul = (uint32_t)((((uint64_t)1 << 32) * (((uint64_t)1 << l) - d)) / d + 1);
    return f;
}

__device__ __forceinline__ uint32_t quotient(uint32_t n, const FastDiv& f) { return (__umulhi(n, f.mul) + n) >> f.shift; }

// How the statistics pass splits its work; shared by the launchers and the workspace query.
struct StatsPlan {
    bool columns;       // the column kernel (spatial < 32)
    int splits;         // blocks per channel (plane kernel) or per 32 columns (column kernel)
    int64_t width;      // partial pairs per split: channels, or channels * spatial
    int per_channel;    // partial pairs of one channel per split: 1, or spatial
    int segments;       // plane kernel: segments per plane
    int64_t coef_offset, partial_offset, bytes;
};

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

StatsPlan plan_stats(int batch, int channels, int spatial) {
    StatsPlan p;
    p.columns = spatial < kPlaneMinSpatial;
    p.segments = 1;
    int64_t splits;
    if (!p.columns) {
        p.segments = (int)ceil_div(spatial, kSegment);
        const int64_t useful = ceil_div((int64_t)batch * p.segments, kWarps);
        splits = ceil_div(kTargetBlocks, channels < 1 ? 1 : channels);
        if (splits > useful) splits = useful;
        p.width = channels;
        p.per_channel = 1;
    } else {
        const int64_t cols = (int64_t)channels * spatial;
        const int64_t useful = ceil_div(batch, kColumnRows);
        splits = ceil_div(kTargetBlocks, ceil_div(cols < 1 ? 1 : cols, 32));
        if (splits > useful) splits = useful;
        p.width = cols;
        p.per_channel = spatial;
    }
    if (splits > 65535) splits = 65535;
    if (splits < 1) splits = 1;
    p.splits = (int)splits;
    p.coef_offset = 0;
    p.partial_offset = p4j::align_up((int64_t)kCoefficients * channels * (int64_t)sizeof(float));
    p.bytes = p.partial_offset + p4j::align_up((int64_t)p.splits * p.width * (int64_t)sizeof(double2));
    return p;
}

// ---- step 1: partial sums ---------------------------------------------------------------------------

template <bool kBackward>
__global__ void __launch_bounds__(kThreads)
stats_planes_kernel(double2* __restrict__ partials, const float* __restrict__ x, const float* __restrict__ dy,
                    const float* __restrict__ mean, int batch, int channels, int spatial, int segments) {
    __shared__ double red[kThreads];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int64_t units = (int64_t)batch * segments;
    for (int c = blockIdx.y; c < channels; c += gridDim.y) {
        const double shift = kBackward ? (double)mean[c] : (double)x[(int64_t)c * spatial];
        double s1 = 0.0, s2 = 0.0;
        for (int64_t u = (int64_t)blockIdx.x * kWarps + warp; u < units; u += (int64_t)gridDim.x * kWarps) {
            const int b = (int)(u / segments);
            const int seg = (int)(u - (int64_t)b * segments);
            const int64_t base = ((int64_t)b * channels + c) * spatial;
            const int end = (int64_t)(seg + 1) * kSegment < spatial ? (seg + 1) * kSegment : spatial;
#pragma unroll 4
            for (int s = seg * kSegment + lane; s < end; s += 32) {
                const double d = (double)x[base + s] - shift;
                if (kBackward) {
                    const double g = (double)dy[base + s];
                    s1 += g;
                    s2 += g * d;
                } else {
                    s1 += d;
                    s2 += d * d;
                }
            }
        }
        const auto add = [](double a, double b) { return a + b; };
        s1 = p4j::block_reduce_tree(s1, red, add);
        s2 = p4j::block_reduce_tree(s2, red, add);
        if (threadIdx.x == 0) partials[(int64_t)blockIdx.x * channels + c] = make_double2(s1, s2);
    }
}

template <bool kBackward>
__global__ void __launch_bounds__(32 * kColumnRows)
stats_columns_kernel(double2* __restrict__ partials, const float* __restrict__ x, const float* __restrict__ dy,
                     const float* __restrict__ mean, int batch, int64_t cols, int spatial) {
    __shared__ double sh1[kColumnRows][32];
    __shared__ double sh2[kColumnRows][32];
    const int64_t j = (int64_t)blockIdx.x * 32 + threadIdx.x;
    double s1 = 0.0, s2 = 0.0;
    if (j < cols) {
        const int64_t c = j / spatial;
        const double shift = kBackward ? (double)mean[c] : (double)x[c * spatial];
        for (int b = blockIdx.y * kColumnRows + threadIdx.y; b < batch; b += gridDim.y * kColumnRows) {
            const double d = (double)x[(int64_t)b * cols + j] - shift;
            if (kBackward) {
                const double g = (double)dy[(int64_t)b * cols + j];
                s1 += g;
                s2 += g * d;
            } else {
                s1 += d;
                s2 += d * d;
            }
        }
    }
    sh1[threadIdx.y][threadIdx.x] = s1;
    sh2[threadIdx.y][threadIdx.x] = s2;
    __syncthreads();
    if (threadIdx.y == 0 && j < cols) {
        double t1 = 0.0, t2 = 0.0;
        for (int r = 0; r < kColumnRows; r++) {
            t1 += sh1[r][threadIdx.x];
            t2 += sh2[r][threadIdx.x];
        }
        partials[(int64_t)blockIdx.y * cols + j] = make_double2(t1, t2);
    }
}

// Channel c's two sums: its partials in split order, then column order.
__device__ __forceinline__ double2 channel_sums(const double2* __restrict__ partials, int c, int splits, int64_t width,
                                                int per_channel) {
    double t1 = 0.0, t2 = 0.0;
    for (int k = 0; k < splits; k++) {
        const double2* p = partials + (int64_t)k * width + (int64_t)c * per_channel;
        for (int q = 0; q < per_channel; q++) {
            t1 += p[q].x;
            t2 += p[q].y;
        }
    }
    return make_double2(t1, t2);
}

// ---- step 2: per-channel statistics and coefficients ---------------------------------------------------

__global__ void forward_finish_kernel(float* __restrict__ coef, float* __restrict__ save_mean, float* __restrict__ save_inv_std,
                                      float* __restrict__ running_mean, float* __restrict__ running_var,
                                      const double2* __restrict__ partials, const float* __restrict__ x,
                                      const float* __restrict__ gamma, int channels, int spatial, double n, double momentum,
                                      double eps, int splits, int64_t width, int per_channel) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < channels; c += stride) {
        const double2 t = channel_sums(partials, (int)c, splits, width, per_channel);
        const double m1 = t.x / n;
        double var = t.y / n - m1 * m1;   // biased: the batch's own variance normalises the batch
        if (var < 0.0) var = 0.0;         // rounding of the one-pass formula, never a real negative
        const double mean = (double)x[c * spatial] + m1;
        const double inv = 1.0 / sqrt(var + eps);
        save_mean[c] = (float)mean;
        save_inv_std[c] = (float)inv;
        // PyTorch's running averages, with the unbiased variance (Bessel's n/(n-1)) for runningVar
        running_mean[c] = (float)((1.0 - momentum) * (double)running_mean[c] + momentum * mean);
        running_var[c] = (float)((1.0 - momentum) * (double)running_var[c] + momentum * var * n / (n - 1.0));
        coef[c] = (float)mean;
        coef[channels + c] = (float)(inv * (double)gamma[c]);
    }
}

__global__ void inference_coef_kernel(float* __restrict__ coef, const float* __restrict__ running_mean,
                                      const float* __restrict__ running_var, const float* __restrict__ gamma, int channels,
                                      double eps) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < channels; c += stride) {
        coef[c] = running_mean[c];
        coef[channels + c] = (float)((double)gamma[c] / sqrt((double)running_var[c] + eps));
    }
}

__global__ void backward_finish_kernel(float* __restrict__ coef, float* __restrict__ d_gamma, float* __restrict__ d_beta,
                                       const double2* __restrict__ partials, const float* __restrict__ gamma,
                                       const float* __restrict__ save_mean, const float* __restrict__ save_inv_std,
                                       int channels, double n, int splits, int64_t width, int per_channel) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < channels; c += stride) {
        const double2 t = channel_sums(partials, (int)c, splits, width, per_channel);
        const double inv = (double)save_inv_std[c];
        d_beta[c] = (float)t.x;
        d_gamma[c] = (float)(t.y * inv);   // sum(dy * xhat), xhat = (x - mean) * invStd
        coef[c] = save_mean[c];
        coef[channels + c] = (float)((double)gamma[c] * inv);
        coef[2 * channels + c] = (float)(t.x / n);
        coef[3 * channels + c] = (float)(t.y * inv * inv / n);
    }
}

// ---- step 3: the element-wise passes -------------------------------------------------------------------
// No __restrict__ on x and y (y may be x) or dx and dy; the coefficients are read through the cache.

__global__ void forward_apply_kernel(float* y, const float* x, const float* __restrict__ coef, const float* __restrict__ beta,
                                     uint32_t total, FastDiv spatial, FastDiv channels) {
    const uint32_t stride = blockDim.x * gridDim.x;
    const int nc = (int)channels.d;
    for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const uint32_t q = quotient(i, spatial);
        const uint32_t c = q - quotient(q, channels) * channels.d;
        const float v = __fmul_rn(__fsub_rn(x[i], __ldg(coef + c)), __ldg(coef + nc + c));
        y[i] = __fadd_rn(v, __ldg(beta + c));
    }
}

__global__ void backward_apply_kernel(float* dx, const float* dy, const float* __restrict__ x, const float* __restrict__ coef,
                                      uint32_t total, FastDiv spatial, FastDiv channels) {
    const uint32_t stride = blockDim.x * gridDim.x;
    const int nc = (int)channels.d;
    for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const uint32_t q = quotient(i, spatial);
        const uint32_t c = q - quotient(q, channels) * channels.d;
        const float centred = __fmul_rn(__fsub_rn(x[i], __ldg(coef + c)), __ldg(coef + 3 * nc + c));
        const float g = __fsub_rn(__fsub_rn(dy[i], __ldg(coef + 2 * nc + c)), centred);
        dx[i] = __fmul_rn(__ldg(coef + nc + c), g);
    }
}

int launch_stats(bool backward, const StatsPlan& p, double2* partials, const float* x, const float* dy, const float* mean,
                 int batch, int channels, int spatial, cudaStream_t s) {
    if (!p.columns) {
        const dim3 grid((unsigned)p.splits, (unsigned)(channels < 65535 ? channels : 65535), 1);
        if (backward) stats_planes_kernel<true><<<grid, kThreads, 0, s>>>(partials, x, dy, mean, batch, channels, spatial, p.segments);
        else stats_planes_kernel<false><<<grid, kThreads, 0, s>>>(partials, x, dy, mean, batch, channels, spatial, p.segments);
    } else {
        const int64_t col_blocks = ceil_div(p.width, 32);
        if (col_blocks > INT32_MAX) return (int)cudaErrorInvalidValue;
        const dim3 grid((unsigned)col_blocks, (unsigned)p.splits, 1);
        const dim3 block(32, kColumnRows, 1);
        if (backward) stats_columns_kernel<true><<<grid, block, 0, s>>>(partials, x, dy, mean, batch, p.width, spatial);
        else stats_columns_kernel<false><<<grid, block, 0, s>>>(partials, x, dy, mean, batch, p.width, spatial);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

bool sizes_ok(int batch, int channels, int spatial) {
    return batch >= 0 && channels >= 0 && spatial >= 0 && (int64_t)batch * channels * spatial <= (int64_t)INT32_MAX;
}

}  // namespace

extern "C" int p4j_batch_norm_workspace_bytes(int batch, int channels, int spatial, long long* bytes) {
    if (bytes == nullptr) return (int)cudaErrorInvalidValue;
    *bytes = 0;
    if (!sizes_ok(batch, channels, spatial)) return (int)cudaErrorInvalidValue;
    *bytes = (long long)plan_stats(batch, channels, spatial).bytes;
    return (int)cudaSuccess;
}

extern "C" int p4j_batch_norm_forward(float* y, float* save_mean, float* save_inv_std, float* running_mean, float* running_var,
                                      const float* x, const float* gamma, const float* beta, int batch, int channels,
                                      int spatial, float momentum, float eps, int training, void* workspace,
                                      long long workspace_bytes, void* stream) {
    if (!sizes_ok(batch, channels, spatial) || !(eps > 0.f) || !(momentum >= 0.f && momentum <= 1.f)) {
        return (int)cudaErrorInvalidValue;
    }
    const int64_t n = (int64_t)batch * spatial;
    if (training && n < 2 && channels > 0) return (int)cudaErrorInvalidValue;   // no unbiased variance of one value
    if (channels == 0 || (!training && n == 0)) return (int)cudaSuccess;
    if (y == nullptr || x == nullptr || gamma == nullptr || beta == nullptr || running_mean == nullptr
        || running_var == nullptr || workspace == nullptr || (training && (save_mean == nullptr || save_inv_std == nullptr))) {
        return (int)cudaErrorInvalidValue;
    }
    const StatsPlan p = plan_stats(batch, channels, spatial);
    if (workspace_bytes < p.bytes) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    char* ws = static_cast<char*>(workspace);
    float* coef = reinterpret_cast<float*>(ws + p.coef_offset);
    double2* partials = reinterpret_cast<double2*>(ws + p.partial_offset);
    if (training) {
        const int rc = launch_stats(false, p, partials, x, nullptr, nullptr, batch, channels, spatial, s);
        if (rc != 0) return rc;
        forward_finish_kernel<<<p4j::grid_for(channels), p4j::kBlock, 0, s>>>(
            coef, save_mean, save_inv_std, running_mean, running_var, partials, x, gamma, channels, spatial, (double)n,
            (double)momentum, (double)eps, p.splits, p.width, p.per_channel);
    } else {
        inference_coef_kernel<<<p4j::grid_for(channels), p4j::kBlock, 0, s>>>(coef, running_mean, running_var, gamma, channels,
                                                                            (double)eps);
    }
    P4J_CHECK_LAUNCH();
    const int64_t total = n * channels;
    forward_apply_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, s>>>(y, x, coef, beta, (uint32_t)total,
                                                                    fast_div((uint32_t)(spatial < 1 ? 1 : spatial)),
                                                                    fast_div((uint32_t)channels));
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_batch_norm_backward(float* dx, float* d_gamma, float* d_beta, const float* dy, const float* x,
                                       const float* gamma, const float* save_mean, const float* save_inv_std, int batch,
                                       int channels, int spatial, void* workspace, long long workspace_bytes, void* stream) {
    if (!sizes_ok(batch, channels, spatial)) return (int)cudaErrorInvalidValue;
    if (channels == 0) return (int)cudaSuccess;
    if (d_gamma == nullptr || d_beta == nullptr) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    const int64_t n = (int64_t)batch * spatial;
    if (n == 0) {   // empty sums
        P4J_CHECK(cudaMemsetAsync(d_gamma, 0, (size_t)channels * sizeof(float), s));
        P4J_CHECK(cudaMemsetAsync(d_beta, 0, (size_t)channels * sizeof(float), s));
        return (int)cudaSuccess;
    }
    if (dy == nullptr || x == nullptr || gamma == nullptr || save_mean == nullptr || save_inv_std == nullptr
        || workspace == nullptr) {
        return (int)cudaErrorInvalidValue;
    }
    const StatsPlan p = plan_stats(batch, channels, spatial);
    if (workspace_bytes < p.bytes) return (int)cudaErrorInvalidValue;
    char* ws = static_cast<char*>(workspace);
    float* coef = reinterpret_cast<float*>(ws + p.coef_offset);
    double2* partials = reinterpret_cast<double2*>(ws + p.partial_offset);
    const int rc = launch_stats(true, p, partials, x, dy, save_mean, batch, channels, spatial, s);
    if (rc != 0) return rc;
    backward_finish_kernel<<<p4j::grid_for(channels), p4j::kBlock, 0, s>>>(coef, d_gamma, d_beta, partials, gamma, save_mean,
                                                                         save_inv_std, channels, (double)n, p.splits, p.width,
                                                                         p.per_channel);
    P4J_CHECK_LAUNCH();
    if (dx == nullptr) return (int)cudaSuccess;
    const int64_t total = n * channels;
    backward_apply_kernel<<<p4j::grid_for(total), p4j::kBlock, 0, s>>>(dx, dy, x, coef, (uint32_t)total,
                                                                     fast_div((uint32_t)spatial), fast_div((uint32_t)channels));
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- layer normalisation over the channels -----------------------------------------------------------
//
// The contract of Backend.layerNorm / layerNormBackward: for x [batch, channels, spatial], the
// statistics of each (example, position) column over the channels the mask keeps (all when mask is
// NULL). A thread owns one column and walks the channels in order, so neighbouring threads read
// neighbouring positions (coalesced for spatial >= 32; a [batch, C] input, spatial 1, reads with a
// stride of C, which only the classifier-sized tensors it is used on can afford). The sums are
// doubles over the channels in order, as on the CPU, and the element operations are the CPU's float
// operations without contraction (__fmul_rn & co), so y, save_mean and save_inv_std agree with it
// bit for bit; the kept count is counted from the mask on the device, so no host read is needed.
// dGamma and dBeta are one block per channel, a fixed-order tree over the columns' double partials:
// deterministic, within a few ulps of the CPU's sequential sums.
namespace {

__device__ __forceinline__ bool kept_channel(const float* mask, int c) { return mask == nullptr || mask[c] != 0.f; }

__global__ void layer_norm_forward_kernel(float* __restrict__ y, float* __restrict__ save_mean, float* __restrict__ save_inv_std,
                                          const float* __restrict__ x, const float* __restrict__ gamma,
                                          const float* __restrict__ beta, const float* __restrict__ mask, int batch,
                                          int channels, int spatial, float eps) {
    const int64_t cols = (int64_t)batch * spatial;
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t col = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; col < cols; col += stride) {
        const int64_t b = col / spatial;
        const int64_t p = col - b * spatial;
        const int64_t base = b * channels * (int64_t)spatial + p;
        double s = 0.0;
        int kept = 0;
        for (int c = 0; c < channels; c++) {
            if (kept_channel(mask, c)) {
                s += (double)x[base + (int64_t)c * spatial];
                kept++;
            }
        }
        const float mean = kept == 0 ? 0.f : (float)(s / kept);
        double q = 0.0;
        for (int c = 0; c < channels; c++) {
            if (kept_channel(mask, c)) {
                const double d = (double)x[base + (int64_t)c * spatial] - (double)mean;
                q += d * d;
            }
        }
        const float inv = (float)(1.0 / sqrt((kept == 0 ? 0.0 : q / kept) + (double)eps));
        for (int c = 0; c < channels; c++) {
            const int64_t i = base + (int64_t)c * spatial;
            y[i] = kept_channel(mask, c)
                ? __fadd_rn(__fmul_rn(__fmul_rn(__fsub_rn(x[i], mean), inv), gamma[c]), beta[c]) : 0.f;
        }
        if (save_mean != nullptr) {
            save_mean[col] = mean;
            save_inv_std[col] = inv;
        }
    }
}

__global__ void layer_norm_dx_kernel(float* __restrict__ dx, const float* __restrict__ dy, const float* __restrict__ x,
                                     const float* __restrict__ gamma, const float* __restrict__ mask,
                                     const float* __restrict__ save_mean, const float* __restrict__ save_inv_std, int batch,
                                     int channels, int spatial) {
    const int64_t cols = (int64_t)batch * spatial;
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t col = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; col < cols; col += stride) {
        const int64_t b = col / spatial;
        const int64_t p = col - b * spatial;
        const int64_t base = b * channels * (int64_t)spatial + p;
        const float mean = save_mean[col];
        const float inv = save_inv_std[col];
        double sg = 0.0, sgx = 0.0;
        int kept = 0;
        for (int c = 0; c < channels; c++) {
            if (kept_channel(mask, c)) {
                const int64_t i = base + (int64_t)c * spatial;
                const float g = __fmul_rn(dy[i], gamma[c]);
                const float xh = __fmul_rn(__fsub_rn(x[i], mean), inv);
                sg += (double)g;
                sgx += (double)g * (double)xh;
                kept++;
            }
        }
        const float mg = kept == 0 ? 0.f : (float)(sg / kept);
        const float mgx = kept == 0 ? 0.f : (float)(sgx / kept);
        for (int c = 0; c < channels; c++) {
            const int64_t i = base + (int64_t)c * spatial;
            if (!kept_channel(mask, c)) {
                dx[i] = 0.f;
                continue;
            }
            const float xh = __fmul_rn(__fsub_rn(x[i], mean), inv);
            dx[i] = __fmul_rn(inv, __fsub_rn(__fsub_rn(__fmul_rn(dy[i], gamma[c]), mg), __fmul_rn(xh, mgx)));
        }
    }
}

__global__ void __launch_bounds__(kThreads)
layer_norm_params_kernel(float* __restrict__ d_gamma, float* __restrict__ d_beta, const float* __restrict__ dy,
                         const float* __restrict__ x, const float* __restrict__ mask, const float* __restrict__ save_mean,
                         const float* __restrict__ save_inv_std, int batch, int channels, int spatial) {
    __shared__ double rg[kThreads];
    __shared__ double rb[kThreads];
    const int c = blockIdx.x;
    const int64_t cols = (int64_t)batch * spatial;
    double sg = 0.0, sb = 0.0;
    if (kept_channel(mask, c)) {
        for (int64_t col = threadIdx.x; col < cols; col += kThreads) {
            const int64_t b = col / spatial;
            const int64_t p = col - b * spatial;
            const int64_t i = (b * channels + c) * (int64_t)spatial + p;
            const float d = dy[i];
            sb += (double)d;
            sg += (double)d * (double)__fmul_rn(__fsub_rn(x[i], save_mean[col]), save_inv_std[col]);
        }
    }
    rg[threadIdx.x] = sg;
    rb[threadIdx.x] = sb;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            rg[threadIdx.x] += rg[threadIdx.x + half];
            rb[threadIdx.x] += rb[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        d_gamma[c] = (float)rg[0];
        d_beta[c] = (float)rb[0];
    }
}

}  // namespace

extern "C" int p4j_layer_norm_forward(float* y, float* save_mean, float* save_inv_std, const float* x, const float* gamma,
                                      const float* beta, const float* mask, int batch, int channels, int spatial, float eps,
                                      void* stream) {
    if (!sizes_ok(batch, channels, spatial) || !(eps > 0.f) || isinf(eps) || (save_mean == nullptr) != (save_inv_std == nullptr)) {
        return (int)cudaErrorInvalidValue;
    }
    const int64_t cols = (int64_t)batch * spatial;
    if (cols == 0 || channels == 0) return (int)cudaSuccess;
    if (y == nullptr || x == nullptr || gamma == nullptr || beta == nullptr || y == x) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    layer_norm_forward_kernel<<<p4j::grid_for(cols), p4j::kBlock, 0, s>>>(y, save_mean, save_inv_std, x, gamma, beta, mask, batch,
                                                                        channels, spatial, eps);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_layer_norm_backward(float* dx, float* d_gamma, float* d_beta, const float* dy, const float* x,
                                       const float* gamma, const float* mask, const float* save_mean, const float* save_inv_std,
                                       int batch, int channels, int spatial, void* stream) {
    if (!sizes_ok(batch, channels, spatial)) return (int)cudaErrorInvalidValue;
    if (channels == 0) return (int)cudaSuccess;
    if (d_gamma == nullptr || d_beta == nullptr) return (int)cudaErrorInvalidValue;
    const int64_t cols = (int64_t)batch * spatial;
    cudaStream_t s = p4j::as_stream(stream);
    if (cols > 0 && (dy == nullptr || x == nullptr || gamma == nullptr || save_mean == nullptr || save_inv_std == nullptr)) {
        return (int)cudaErrorInvalidValue;
    }
    if (dx != nullptr && cols > 0) {
        layer_norm_dx_kernel<<<p4j::grid_for(cols), p4j::kBlock, 0, s>>>(dx, dy, x, gamma, mask, save_mean, save_inv_std, batch,
                                                                       channels, spatial);
        P4J_CHECK_LAUNCH();
    }
    layer_norm_params_kernel<<<channels, kThreads, 0, s>>>(d_gamma, d_beta, dy, x, mask, save_mean, save_inv_std, batch, channels,
                                                         spatial);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

// ---- group normalisation ------------------------------------------------------------------------
//
// The contract of Backend.groupNorm / groupNormBackward: x [batch, channels, spatial] in `groups`
// consecutive blocks of channels; the statistics of each (example, group) unit over its
// M = (channels / groups) * spatial values, which are contiguous. One block of threads per unit
// (grid-stride over the units): a double sum per thread, then the block's fixed-order warp-shuffle
// tree (p4j::block_sum), so the statistics are deterministic and within a rounding of the CPU's
// sequential double sums; two passes (mean, then squared deviations) as on the CPU, then the element
// pass with the CPU's float operations without contraction. dGamma and dBeta are one block per
// channel over its (example, position) values, as for the layer norm.
namespace {

constexpr int kGroupThreads = 256;

// The sum of v over the block, in every thread (block_sum leaves it in thread 0).
__device__ __forceinline__ double group_total(double v, double* shared, double* result) {
    const double t = p4j::block_sum(v, shared);
    if (threadIdx.x == 0) *result = t;
    __syncthreads();
    const double r = *result;
    __syncthreads();
    return r;
}

__global__ void __launch_bounds__(kGroupThreads)
group_norm_forward_kernel(float* __restrict__ y, float* __restrict__ save_mean, float* __restrict__ save_inv_std,
                          const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ beta,
                          int64_t units, int groups, int per, int spatial, float eps) {
    __shared__ double shared[32];
    __shared__ double result;
    const int64_t m = (int64_t)per * spatial;
    for (int64_t u = blockIdx.x; u < units; u += gridDim.x) {
        const float* xu = x + u * m;
        double s = 0.0;
        for (int64_t i = threadIdx.x; i < m; i += kGroupThreads) s += (double)xu[i];
        const float mean = (float)(group_total(s, shared, &result) / (double)m);
        double q = 0.0;
        for (int64_t i = threadIdx.x; i < m; i += kGroupThreads) {
            const double d = (double)xu[i] - (double)mean;
            q += d * d;
        }
        const float inv = (float)(1.0 / sqrt(group_total(q, shared, &result) / (double)m + (double)eps));
        const int c0 = (int)(u % groups) * per;
        float* yu = y + u * m;
        for (int64_t i = threadIdx.x; i < m; i += kGroupThreads) {
            const int c = c0 + (int)(i / spatial);
            yu[i] = __fadd_rn(__fmul_rn(__fmul_rn(__fsub_rn(xu[i], mean), inv), gamma[c]), beta[c]);
        }
        if (threadIdx.x == 0 && save_mean != nullptr) {
            save_mean[u] = mean;
            save_inv_std[u] = inv;
        }
    }
}

__global__ void __launch_bounds__(kGroupThreads)
group_norm_dx_kernel(float* __restrict__ dx, const float* __restrict__ dy, const float* __restrict__ x,
                     const float* __restrict__ gamma, const float* __restrict__ save_mean, const float* __restrict__ save_inv_std,
                     int64_t units, int groups, int per, int spatial) {
    __shared__ double shared[32];
    __shared__ double result;
    const int64_t m = (int64_t)per * spatial;
    for (int64_t u = blockIdx.x; u < units; u += gridDim.x) {
        const int64_t off = u * m;
        const int c0 = (int)(u % groups) * per;
        const float mean = save_mean[u];
        const float inv = save_inv_std[u];
        double sg = 0.0, sgx = 0.0;
        for (int64_t i = threadIdx.x; i < m; i += kGroupThreads) {
            const float g = __fmul_rn(dy[off + i], gamma[c0 + (int)(i / spatial)]);
            const float xh = __fmul_rn(__fsub_rn(x[off + i], mean), inv);
            sg += (double)g;
            sgx += (double)g * (double)xh;
        }
        const float mg = (float)(group_total(sg, shared, &result) / (double)m);
        const float mgx = (float)(group_total(sgx, shared, &result) / (double)m);
        for (int64_t i = threadIdx.x; i < m; i += kGroupThreads) {
            const float xh = __fmul_rn(__fsub_rn(x[off + i], mean), inv);
            const float g = __fmul_rn(dy[off + i], gamma[c0 + (int)(i / spatial)]);
            dx[off + i] = __fmul_rn(inv, __fsub_rn(__fsub_rn(g, mg), __fmul_rn(xh, mgx)));
        }
    }
}

__global__ void __launch_bounds__(kGroupThreads)
group_norm_params_kernel(float* __restrict__ d_gamma, float* __restrict__ d_beta, const float* __restrict__ dy,
                         const float* __restrict__ x, const float* __restrict__ save_mean, const float* __restrict__ save_inv_std,
                         int batch, int channels, int groups, int spatial) {
    __shared__ double shared[32];
    const int c = blockIdx.x;
    const int per = channels / groups;
    const int64_t cols = (int64_t)batch * spatial;
    double sg = 0.0, sb = 0.0;
    for (int64_t col = threadIdx.x; col < cols; col += kGroupThreads) {
        const int64_t b = col / spatial;
        const int64_t p = col - b * spatial;
        const int64_t i = (b * channels + c) * (int64_t)spatial + p;
        const int64_t u = b * groups + c / per;
        const float d = dy[i];
        sb += (double)d;
        sg += (double)d * (double)__fmul_rn(__fsub_rn(x[i], save_mean[u]), save_inv_std[u]);
    }
    const double tg = p4j::block_sum(sg, shared);
    const double tb = p4j::block_sum(sb, shared);
    if (threadIdx.x == 0) {
        d_gamma[c] = (float)tg;
        d_beta[c] = (float)tb;
    }
}

int group_grid(int64_t units) { return (int)(units < p4j::kMaxGrid ? units : p4j::kMaxGrid); }

}  // namespace

extern "C" int p4j_group_norm_forward(float* y, float* save_mean, float* save_inv_std, const float* x, const float* gamma,
                                      const float* beta, int batch, int channels, int spatial, int groups, float eps, void* stream) {
    if (!sizes_ok(batch, channels, spatial) || groups < 1 || channels % groups != 0 || !(eps > 0.f) || isinf(eps)
        || (save_mean == nullptr) != (save_inv_std == nullptr)) {
        return (int)cudaErrorInvalidValue;
    }
    const int64_t units = (int64_t)batch * groups;
    if (units == 0 || spatial == 0) return (int)cudaSuccess;
    if (y == nullptr || x == nullptr || gamma == nullptr || beta == nullptr || y == x) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    group_norm_forward_kernel<<<group_grid(units), kGroupThreads, 0, s>>>(y, save_mean, save_inv_std, x, gamma, beta, units, groups,
                                                                         channels / groups, spatial, eps);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_group_norm_backward(float* dx, float* d_gamma, float* d_beta, const float* dy, const float* x,
                                       const float* gamma, const float* save_mean, const float* save_inv_std, int batch,
                                       int channels, int spatial, int groups, void* stream) {
    if (!sizes_ok(batch, channels, spatial) || groups < 1 || channels % groups != 0) return (int)cudaErrorInvalidValue;
    if (channels == 0) return (int)cudaSuccess;
    if (d_gamma == nullptr || d_beta == nullptr) return (int)cudaErrorInvalidValue;
    const int64_t units = (int64_t)batch * groups;
    const bool any = units > 0 && spatial > 0;
    if (any && (dy == nullptr || x == nullptr || gamma == nullptr || save_mean == nullptr || save_inv_std == nullptr)) {
        return (int)cudaErrorInvalidValue;
    }
    cudaStream_t s = p4j::as_stream(stream);
    if (dx != nullptr && any) {
        group_norm_dx_kernel<<<group_grid(units), kGroupThreads, 0, s>>>(dx, dy, x, gamma, save_mean, save_inv_std, units, groups,
                                                                        channels / groups, spatial);
        P4J_CHECK_LAUNCH();
    }
    group_norm_params_kernel<<<channels, kGroupThreads, 0, s>>>(d_gamma, d_beta, dy, x, save_mean, save_inv_std, batch, channels, groups,
                                                              spatial);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}
