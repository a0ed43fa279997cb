// Training kernels: bias gradient, fused softmax + cross-entropy with on-device metrics, and the
// SGD and Adam updates.
//
// sum_rows: out[c] = beta*out[c] + sum_r x[r, c]. A block owns 32 columns; its 32 row lanes each
//   sum every 32nd row in order and the 32 partials are added in lane order: a fixed order, so
//   the result is the same on every run (no float atomics).
// softmax_xent: one warp per row (max and arg-max, then log-sum-exp in double, as the CPU does);
//   per-block partial loss and correct count go to a workspace, and a one-block kernel adds them
//   in block order into metrics[0] (loss) and metrics[1] (correct): deterministic, and a whole
//   epoch accumulates on the device. The grid depends only on the number of rows.
//   Labels out of range: the device cannot throw, so such a row adds NaN to the loss and gets a zero
//   gradient; with a report buffer (the _checked launchers) each block also leaves its first bad row
//   in the workspace, and the one-block finish takes the first of all and, if the report is still
//   empty, writes {row + 1, label, classes} there. No atomics and no race: the finish runs after the
//   rows in stream order, and the next call's after it, so the report holds the first bad row of the
//   first call that had one since the caller last cleared it (the CPU throws at that row).
// sgd_step / adam_step: the CPU backend's float arithmetic, operation for operation (explicit
//   __fmul_rn/__fadd_rn/__fdiv_rn so nvcc contracts nothing into FMAs): the same weights come out.
// sum_channels: the bias gradient of a convolution, db[c] = sum over examples and positions of
//   dy[b, c, s]. One block per channel: its warps take one example each and sum its positions in
//   double; the per-example sums, rounded to float, are then added in example order by one thread,
//   as CpuConv.backward does (only the order of the double sum differs).
// distillation: Hinton et al.'s loss and gradient (CpuOps.distillation), one warp per row: three
//   passes over the row (maxima and arg-max; the three normalisers in double; KL, loss and gradient),
//   then per-block partials and the same fixed-order finish as softmax_xent.
#include <math.h>

#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

constexpr int kXentRowsPerBlock = 8;   // one warp per row
constexpr int kXentThreads = kXentRowsPerBlock * 32;
constexpr int kXentMaxBlocks = 1024;
constexpr int kNoBadRow = 0x7fffffff;
// the workspace: per-block partial loss and correct count, then per-block first bad row
constexpr int64_t kBadRowsOffset = kXentMaxBlocks * 2 * sizeof(double);
static_assert(kBadRowsOffset + kXentMaxBlocks * sizeof(int) <= p4j::kReduceWorkspaceBytes, "xent partials and bad rows fit the workspace");

__global__ void __launch_bounds__(1024) sum_rows_kernel(float* __restrict__ out, const float* __restrict__ x, int rows,
                                                        int n, float beta) {
    __shared__ float part[32][33];
    // 64-bit: the last block's columns and the row stride may pass INT_MAX when n or rows is near it
    const int64_t c = (int64_t)blockIdx.x * 32 + threadIdx.x;
    float s = 0.f;
    if (c < n) {
        for (int64_t r = threadIdx.y; r < rows; r += 32) s += x[r * n + c];
    }
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < n) {
        float t = 0.f;
        for (int k = 0; k < 32; k++) t += part[k][threadIdx.x];
        // beta == 0 overwrites (whatever out held, NaN included), as the CPU's fill does
        const float prev = beta == 0.f ? 0.f : (beta == 1.f ? out[c] : __fmul_rn(out[c], beta));
        out[c] = prev + t;
    }
}

__device__ __forceinline__ double warp_sum_xor(double v) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(p4j::kFullMask, v, off);
    return v;
}

// Lanes stride over the classes; each keeps its first maximum (strict >), then the butterfly keeps
// the larger value and, on a tie, the lower class: the first maximum, as torch.argmax and the CPU
// pick. Nothing above -inf (all -inf or NaN) gives class 0, like the CPU's initial argmax.
__global__ void __launch_bounds__(kXentThreads)
softmax_xent_kernel(float* __restrict__ grad, double* __restrict__ partials, int* __restrict__ bad_rows,
                    const float* __restrict__ logits, const int* __restrict__ labels, int rows, int classes, float grad_scale) {
    __shared__ double warp_loss[kXentRowsPerBlock];
    __shared__ double warp_correct[kXentRowsPerBlock];
    __shared__ int warp_bad[kXentRowsPerBlock];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    double loss = 0.0, correct = 0.0;   // meaningful in lane 0
    int first_bad = kNoBadRow;          // a warp's rows increase, so its first bad row is its smallest
    // Row and class counters are 64-bit: a counter below INT_MAX plus its stride may pass it.
    for (int64_t r = (int64_t)blockIdx.x * kXentRowsPerBlock + warp; r < rows; r += (int64_t)gridDim.x * kXentRowsPerBlock) {
        const float* x = logits + r * classes;
        const int label = labels[r];
        float best = -HUGE_VALF;
        int arg = 0x7fffffff;
        for (int64_t c = lane; c < classes; c += 32) {
            const float v = x[c];
            if (v > best) {
                best = v;
                arg = (int)c;
            }
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) {
            const float ob = __shfl_xor_sync(p4j::kFullMask, best, off);
            const int oa = __shfl_xor_sync(p4j::kFullMask, arg, off);
            if (ob > best || (ob == best && oa < arg)) {
                best = ob;
                arg = oa;
            }
        }
        const int argmax = arg == 0x7fffffff ? 0 : arg;
        const float mx = best;
        double se = 0.0;
        for (int64_t c = lane; c < classes; c += 32) se += exp((double)(x[c] - mx));
        se = warp_sum_xor(se);
        const bool bad = label < 0 || label >= classes;
        if (lane == 0) {
            // The device cannot throw: a label out of range makes the loss NaN and that row's
            // gradient 0, and is reported through bad_rows when the caller asked for it.
            if (bad) {
                loss += (double)NAN;
                if (first_bad == kNoBadRow) first_bad = (int)r;
            } else {
                loss += log(se) - (double)(x[label] - mx);
                correct += argmax == label ? 1.0 : 0.0;
            }
        }
        if (grad != nullptr) {
            float* g = grad + r * classes;
            const double inv = 1.0 / se;
            for (int64_t c = lane; c < classes; c += 32) {
                const double p = exp((double)(x[c] - mx)) * inv;
                g[c] = bad ? 0.f : (float)((p - (c == label ? 1.0 : 0.0)) * (double)grad_scale);
            }
        }
    }
    if (lane == 0) {
        warp_loss[warp] = loss;
        warp_correct[warp] = correct;
        warp_bad[warp] = first_bad;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        double l = 0.0, k = 0.0;
        int b = kNoBadRow;
        for (int w = 0; w < kXentRowsPerBlock; w++) {
            l += warp_loss[w];
            k += warp_correct[w];
            b = warp_bad[w] < b ? warp_bad[w] : b;
        }
        partials[2 * blockIdx.x] = l;
        partials[2 * blockIdx.x + 1] = k;
        if (bad_rows != nullptr) bad_rows[blockIdx.x] = b;
    }
}

// Adds the partials into metrics in a fixed order; with a report (bad_label not NULL), also finds the
// first bad row of all blocks and, when the report is still empty, fills it (see the file comment).
__global__ void __launch_bounds__(kXentMaxBlocks)
xent_finish_kernel(float* __restrict__ metrics, int* __restrict__ bad_label, const double* __restrict__ partials,
                   const int* __restrict__ bad_rows, const int* __restrict__ labels, int blocks, int classes) {
    __shared__ double red[kXentMaxBlocks];
    const int t = threadIdx.x;
    const auto add = [](double a, double b) { return a + b; };
    const double l = p4j::block_reduce_tree(t < blocks ? partials[2 * t] : 0.0, red, add);
    const double k = p4j::block_reduce_tree(t < blocks ? partials[2 * t + 1] : 0.0, red, add);
    if (t == 0) {
        metrics[0] = metrics[0] + (float)l;
        metrics[1] = metrics[1] + (float)k;
    }
    if (bad_label == nullptr) return;   // the same for every thread of the block
    // row numbers are below 2^31, exact in a double
    const auto lowest = [](double a, double b) { return b < a ? b : a; };
    const double first = p4j::block_reduce_tree(t < blocks ? (double)bad_rows[t] : (double)kNoBadRow, red, lowest);
    if (t == 0 && first < (double)kNoBadRow && bad_label[0] == 0) {
        const int row = (int)first;
        bad_label[0] = row + 1;
        bad_label[1] = labels[row];
        bad_label[2] = classes;
    }
}

constexpr int kChannelThreads = 256;
constexpr int kChannelWarps = kChannelThreads / 32;

__global__ void __launch_bounds__(kChannelThreads)
sum_channels_kernel(float* __restrict__ db, const float* __restrict__ dy, int batch, int channels, int spatial) {
    __shared__ float part[kChannelThreads];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    // 64-bit counters: each may be just below INT_MAX (one extent nearly all of the tensor) before its stride
    for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
        float acc = 0.f;   // meaningful in thread 0
        for (int64_t b0 = 0; b0 < batch; b0 += kChannelThreads) {
            const int chunk = batch - b0 < kChannelThreads ? (int)(batch - b0) : kChannelThreads;
            for (int j = warp; j < chunk; j += kChannelWarps) {
                const float* p = dy + ((b0 + j) * channels + c) * spatial;
                double s = 0.0;
                for (int64_t k = lane; k < spatial; k += 32) s += (double)p[k];
                s = warp_sum_xor(s);
                if (lane == 0) part[j] = (float)s;
            }
            __syncthreads();
            if (threadIdx.x == 0) {
                for (int j = 0; j < chunk; j++) acc = __fadd_rn(acc, part[j]);
            }
            __syncthreads();   // part is refilled by the next chunk
        }
        if (threadIdx.x == 0) db[c] = acc;
    }
}

constexpr int kKdRowsPerBlock = 8;   // one warp per row
constexpr int kKdThreads = kKdRowsPerBlock * 32;

__device__ __forceinline__ double warp_max_xor(double v) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        const double o = __shfl_xor_sync(p4j::kFullMask, v, off);
        v = (o > v || o != o) ? o : v;   // NaN wins, as Java's Math.max
    }
    return v;
}

__global__ void __launch_bounds__(kKdThreads)
distillation_kernel(float* __restrict__ grad, double* __restrict__ partials, int* __restrict__ bad_rows,
                    const float* __restrict__ student, const float* __restrict__ teacher, const int* __restrict__ labels,
                    int rows, int classes, float temperature, float alpha, float grad_scale) {
    __shared__ double warp_loss[kKdRowsPerBlock];
    __shared__ double warp_correct[kKdRowsPerBlock];
    __shared__ int warp_bad[kKdRowsPerBlock];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    int first_bad = kNoBadRow;   // in lane 0, as in softmax_xent_kernel
    const double T = (double)temperature;
    const float one_minus_alpha = __fsub_rn(1.f, alpha);
    const float soft_weight = __fmul_rn(__fmul_rn(alpha, temperature), temperature);   // Java: alpha * T * T, in float
    double loss = 0.0, correct = 0.0;   // meaningful in lane 0
    // 64-bit row and class counters, as in softmax_xent_kernel
    for (int64_t r = (int64_t)blockIdx.x * kKdRowsPerBlock + warp; r < rows; r += (int64_t)gridDim.x * kKdRowsPerBlock) {
        const float* s = student + r * classes;
        const float* t = teacher + r * classes;
        const int label = labels[r];
        const bool bad = label < 0 || label >= classes;
        // pass 1: the arg-max of s (first maximum) and the maxima of s, s/T and t/T
        float best = -HUGE_VALF;
        int arg = 0x7fffffff;
        double mr = -HUGE_VAL, mp = -HUGE_VAL, mq = -HUGE_VAL;
        for (int64_t c = lane; c < classes; c += 32) {
            const float sv = s[c];
            if (sv > best) {
                best = sv;
                arg = (int)c;
            }
            const double ds = (double)sv;
            const double dp = ds / T;
            const double dq = (double)t[c] / T;
            mr = (ds > mr || ds != ds) ? ds : mr;
            mp = (dp > mp || dp != dp) ? dp : mp;
            mq = (dq > mq || dq != dq) ? dq : mq;
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) {
            const float ob = __shfl_xor_sync(p4j::kFullMask, best, off);
            const int oa = __shfl_xor_sync(p4j::kFullMask, arg, off);
            if (ob > best || (ob == best && oa < arg)) {
                best = ob;
                arg = oa;
            }
        }
        mr = warp_max_xor(mr);
        mp = warp_max_xor(mp);
        mq = warp_max_xor(mq);
        // the CPU starts its arg-max at class 0 and compares with >, so a NaN there is never replaced
        const int argmax = (arg == 0x7fffffff || s[0] != s[0]) ? 0 : arg;
        // pass 2: the normalisers
        double zr = 0.0, zp = 0.0, zq = 0.0;
        for (int64_t c = lane; c < classes; c += 32) {
            const double ds = (double)s[c];
            zr += exp(ds - mr);
            zp += exp(ds / T - mp);
            zq += exp((double)t[c] / T - mq);
        }
        zr = warp_sum_xor(zr);
        zp = warp_sum_xor(zp);
        zq = warp_sum_xor(zq);
        const double log_zr = mr + log(zr);
        const double log_zp = mp + log(zp);
        const double log_zq = mq + log(zq);
        // pass 3: KL(q || p) and the gradient
        double kl = 0.0;
        float* g = grad + r * classes;
        for (int64_t c = lane; c < classes; c += 32) {
            const float sv = s[c];
            const float tv = t[c];
            const double q = exp((double)tv / T - mq) / zq;
            const double p = exp((double)sv / T - mp) / zp;
            const double rr = exp((double)sv - mr) / zr;
            if (q > 0.0) {
                // Java divides float by float here (t[c] / temperature), then widens
                const double logq = (double)__fdiv_rn(tv, temperature) - log_zq;
                const double logp = (double)__fdiv_rn(sv, temperature) - log_zp;
                kl += q * (logq - logp);
            }
            const double hard = rr - (c == label ? 1.0 : 0.0);
            const double soft = (double)temperature * (p - q);
            g[c] = bad ? 0.f
                       : (float)((double)grad_scale * ((double)one_minus_alpha * hard + (double)alpha * soft));
        }
        kl = warp_sum_xor(kl);
        if (lane == 0) {
            if (bad) {
                loss += (double)NAN;
                if (first_bad == kNoBadRow) first_bad = (int)r;
            } else {
                const double ce = log_zr - (double)s[label];
                loss += (double)one_minus_alpha * ce + (double)soft_weight * kl;
                correct += argmax == label ? 1.0 : 0.0;
            }
        }
    }
    if (lane == 0) {
        warp_loss[warp] = loss;
        warp_correct[warp] = correct;
        warp_bad[warp] = first_bad;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        double l = 0.0, k = 0.0;
        int b = kNoBadRow;
        for (int w = 0; w < kKdRowsPerBlock; w++) {
            l += warp_loss[w];
            k += warp_correct[w];
            b = warp_bad[w] < b ? warp_bad[w] : b;
        }
        partials[2 * blockIdx.x] = l;
        partials[2 * blockIdx.x + 1] = k;
        if (bad_rows != nullptr) bad_rows[blockIdx.x] = b;
    }
}

__global__ void sgd_kernel(float* __restrict__ w, const float* __restrict__ g, int64_t n, float lr, float wd) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float wi = w[i];
        w[i] = __fsub_rn(wi, __fmul_rn(lr, __fadd_rn(g[i], __fmul_rn(wd, wi))));
    }
}

__global__ void sgd_momentum_kernel(float* __restrict__ w, float* __restrict__ v, const float* __restrict__ g, int64_t n,
                                    float lr, float momentum, float wd) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float wi = w[i];
        const float gi = __fadd_rn(g[i], __fmul_rn(wd, wi));
        const float vi = __fadd_rn(__fmul_rn(momentum, v[i]), gi);
        v[i] = vi;
        w[i] = __fsub_rn(wi, __fmul_rn(lr, vi));
    }
}

__global__ void adam_kernel(float* __restrict__ w, float* __restrict__ m, float* __restrict__ v, const float* __restrict__ g,
                            int64_t n, float beta1, float beta2, float b1c, float b2c, float eps, float wd,
                            float step_size, float inv_sqrt_bc2) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float wi = w[i];
        const float gi = __fadd_rn(g[i], __fmul_rn(wd, wi));
        const float mi = __fadd_rn(__fmul_rn(beta1, m[i]), __fmul_rn(b1c, gi));
        const float vi = __fadd_rn(__fmul_rn(beta2, v[i]), __fmul_rn(__fmul_rn(b2c, gi), gi));
        m[i] = mi;
        v[i] = vi;
        const float den = __fadd_rn(__fmul_rn(__fsqrt_rn(vi), inv_sqrt_bc2), eps);
        w[i] = __fsub_rn(wi, __fdiv_rn(__fmul_rn(step_size, mi), den));
    }
}

}  // namespace

extern "C" int p4j_sum_rows(float* out, const float* x, int rows, int n, float beta, void* stream) {
    if (rows < 0 || n < 0) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    if (out == nullptr || (rows > 0 && x == nullptr)) return (int)cudaErrorInvalidValue;
    const unsigned grid = (unsigned)(((int64_t)n + 31) / 32);
    sum_rows_kernel<<<grid, dim3(32, 32, 1), 0, p4j::as_stream(stream)>>>(out, x, rows, n, beta);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_softmax_xent(float* grad, float* metrics, const float* logits, const int* labels, int rows, int classes,
                                float grad_scale, void* workspace, long long workspace_bytes, void* stream) {
    return p4j_softmax_xent_checked(grad, metrics, logits, labels, rows, classes, grad_scale, workspace, workspace_bytes,
                                    nullptr, stream);
}

extern "C" int p4j_softmax_xent_checked(float* grad, float* metrics, const float* logits, const int* labels, int rows,
                                        int classes, float grad_scale, void* workspace, long long workspace_bytes,
                                        int* bad_label, void* stream) {
    if (rows < 0 || classes < 0) return (int)cudaErrorInvalidValue;
    if (rows == 0) return (int)cudaSuccess;
    if (classes == 0 || metrics == nullptr || logits == nullptr || labels == nullptr || workspace == nullptr ||
        workspace_bytes < p4j::kReduceWorkspaceBytes) {
        return (int)cudaErrorInvalidValue;
    }
    cudaStream_t s = p4j::as_stream(stream);
    const int64_t want = ((int64_t)rows + kXentRowsPerBlock - 1) / kXentRowsPerBlock;
    const int blocks = (int)(want < kXentMaxBlocks ? want : kXentMaxBlocks);
    double* partials = static_cast<double*>(workspace);
    int* bad_rows = bad_label == nullptr ? nullptr : reinterpret_cast<int*>(static_cast<char*>(workspace) + kBadRowsOffset);
    softmax_xent_kernel<<<blocks, kXentThreads, 0, s>>>(grad, partials, bad_rows, logits, labels, rows, classes, grad_scale);
    P4J_CHECK_LAUNCH();
    xent_finish_kernel<<<1, kXentMaxBlocks, 0, s>>>(metrics, bad_label, partials, bad_rows, labels, blocks, classes);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_sum_channels(float* db, const float* dy, int batch, int channels, int spatial, void* stream) {
    if (batch < 0 || channels < 0 || spatial < 0) return (int)cudaErrorInvalidValue;
    if (channels == 0) return (int)cudaSuccess;
    if (db == nullptr || (batch > 0 && spatial > 0 && dy == nullptr)) return (int)cudaErrorInvalidValue;
    const int grid = channels < 65535 ? channels : 65535;
    sum_channels_kernel<<<grid, kChannelThreads, 0, p4j::as_stream(stream)>>>(db, dy, batch, channels, spatial);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_distillation(float* grad, float* metrics, const float* student, const float* teacher,
                                const int* labels, int rows, int classes, float temperature, float alpha,
                                float grad_scale, void* workspace, long long workspace_bytes, void* stream) {
    return p4j_distillation_checked(grad, metrics, student, teacher, labels, rows, classes, temperature, alpha, grad_scale,
                                    workspace, workspace_bytes, nullptr, stream);
}

extern "C" int p4j_distillation_checked(float* grad, float* metrics, const float* student, const float* teacher,
                                        const int* labels, int rows, int classes, float temperature, float alpha,
                                        float grad_scale, void* workspace, long long workspace_bytes, int* bad_label,
                                        void* stream) {
    if (rows < 0 || classes < 0 || !(temperature > 0.f) || !(alpha >= 0.f && alpha <= 1.f)) {
        return (int)cudaErrorInvalidValue;
    }
    if (rows == 0) return (int)cudaSuccess;
    if (classes == 0 || grad == nullptr || metrics == nullptr || student == nullptr || teacher == nullptr ||
        labels == nullptr || workspace == nullptr || workspace_bytes < p4j::kReduceWorkspaceBytes) {
        return (int)cudaErrorInvalidValue;
    }
    cudaStream_t s = p4j::as_stream(stream);
    const int64_t want = ((int64_t)rows + kKdRowsPerBlock - 1) / kKdRowsPerBlock;
    const int blocks = (int)(want < kXentMaxBlocks ? want : kXentMaxBlocks);
    double* partials = static_cast<double*>(workspace);
    int* bad_rows = bad_label == nullptr ? nullptr : reinterpret_cast<int*>(static_cast<char*>(workspace) + kBadRowsOffset);
    distillation_kernel<<<blocks, kKdThreads, 0, s>>>(grad, partials, bad_rows, student, teacher, labels, rows, classes,
                                                      temperature, alpha, grad_scale);
    P4J_CHECK_LAUNCH();
    xent_finish_kernel<<<1, kXentMaxBlocks, 0, s>>>(metrics, bad_label, partials, bad_rows, labels, blocks, classes);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_sgd_step(float* w, float* velocity, const float* grad, int n, float lr, float momentum, float weight_decay,
                            void* stream) {
    if (n < 0) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    if (w == nullptr || grad == nullptr || (momentum != 0.f && velocity == nullptr)) return (int)cudaErrorInvalidValue;
    cudaStream_t s = p4j::as_stream(stream);
    if (momentum == 0.f) sgd_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, s>>>(w, grad, n, lr, weight_decay);
    else sgd_momentum_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, s>>>(w, velocity, grad, n, lr, momentum, weight_decay);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}

extern "C" int p4j_adam_step(float* w, float* m, float* v, const float* grad, int n, float lr, float beta1, float beta2,
                             float eps, float weight_decay, int step, void* stream) {
    if (n < 0 || step < 1) return (int)cudaErrorInvalidValue;
    if (n == 0) return (int)cudaSuccess;
    if (w == nullptr || m == nullptr || v == nullptr || grad == nullptr) return (int)cudaErrorInvalidValue;
    // The bias corrections are folded into the step size and epsilon's scale on the host, in
    // double, exactly as CpuOps.adamStep does.
    const double bc1 = 1.0 - pow((double)beta1, (double)step);
    const double bc2 = 1.0 - pow((double)beta2, (double)step);
    const float step_size = (float)((double)lr / bc1);
    const float inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    const float b1c = 1.0f - beta1;
    const float b2c = 1.0f - beta2;
    adam_kernel<<<p4j::grid_for(n), p4j::kBlock, 0, p4j::as_stream(stream)>>>(w, m, v, grad, n, beta1, beta2, b1c, b2c, eps,
                                                                            weight_decay, step_size, inv_sqrt_bc2);
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}
