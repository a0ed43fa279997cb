/*
 * prune4j_kernels.h: the one C interface of libprune4j_kernels.so.
 *
 * Conventions (every kernel family added later follows them):
 *  - plain C, extern "C", no CUDA types: streams are passed as void* (a cudaStream_t; 0 / NULL is
 *    the legacy default stream), so the header compiles with any C/C++ compiler (the JavaCPP JNI
 *    glue includes it without the CUDA headers);
 *  - argument order: outputs, inputs, sizes, flags, stream;
 *  - every launcher returns an int that is a cudaError_t code, 0 = success; launches are
 *    asynchronous, so errors raised while a kernel runs surface at the next synchronizing call;
 *  - sizes are int element counts; any size 0 is a no-op returning 0; a negative size or a NULL
 *    pointer for a non-empty problem returns cudaErrorInvalidValue (1);
 *  - matrices are row-major float32 on the device;
 *  - launchers that need scratch memory take (void* workspace, long long workspace_bytes) after the
 *    sizes; a p4j_*_workspace_bytes function says how much, so a caller allocates it once and
 *    reuses it. One workspace must not serve two streams at the same time. Too small a workspace
 *    is cudaErrorInvalidValue;
 *  - results that are counts or scalars (a count of kept elements, metrics) are written to device
 *    memory, so a pipeline can use them without a copy to the host;
 *  - an index out of range never makes a kernel read or write outside its buffers: gathers write 0
 *    there and report it through an optional device counter.
 */
#ifndef PRUNE4J_KERNELS_H
#define PRUNE4J_KERNELS_H

/* The library is built with hidden visibility; only what is declared here is exported. */
#if defined(_WIN32)
#define P4J_API
#else
#define P4J_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device / errors (device.cu) ------------------------------------------------------------ */

/* Number of visible CUDA devices into *count (0 on error); returns the cudaGetDeviceCount code. */
P4J_API int p4j_device_count(int* count);
/* cudaGetErrorString / cudaGetErrorName of a code; static strings, never NULL. */
P4J_API const char* p4j_error_string(int code);
P4J_API const char* p4j_error_name(int code);
/* cudaGetLastError(): returns and clears the last non-sticky error. */
P4J_API int p4j_last_error(void);
/* cudaRuntimeGetVersion / cudaDriverGetVersion (1000*major + 10*minor; driver 0 = none). */
P4J_API int p4j_runtime_version(int* version);
P4J_API int p4j_driver_version(int* version);
/* cudaGetDeviceProperties(device): name (NUL-terminated, truncated to name_len), compute
 * capability, global memory bytes, multiprocessor count; any output pointer may be NULL. */
P4J_API int p4j_device_props(int device, char* name, int name_len, int* cc_major, int* cc_minor,
                             long long* total_mem, int* sm_count);
/* cudaDeviceSynchronize / cudaStreamSynchronize. */
P4J_API int p4j_device_synchronize(void);
P4J_API int p4j_stream_synchronize(void* stream);

/* ---- memory, streams, events (device.cu) ---------------------------------------------------- */

/* cudaMalloc(*ptr, bytes) (1 byte for 0); *ptr = NULL on failure, which is not left sticky. */
P4J_API int p4j_malloc(void** ptr, long long bytes);
P4J_API int p4j_free(void* ptr);
/* Stream-ordered memory from a pool of the caller's own (device.cu explains the choices):
 * p4j_mem_pool_create makes a pool of device memory on `device` whose release threshold is UINT64_MAX
 * (freed memory stays reserved for later allocations across synchronisations, until trimmed or the
 * pool is destroyed); cudaErrorNotSupported when the device has no memory pools. p4j_mem_pool_trim
 * is cudaMemPoolTrimTo, p4j_mem_pool_usage reads the bytes reserved from the driver and the bytes in
 * use (either output may be NULL); destroy NULL is a no-op. p4j_malloc_async is
 * cudaMallocFromPoolAsync(ptr, bytes (1 for 0), pool, stream): usable by work queued on `stream`
 * from then on (by other streams only after a synchronisation); *ptr = NULL on failure, which is not
 * left sticky. p4j_free_async is cudaFreeAsync(ptr, stream): queued behind the work on `stream`,
 * returns without waiting; NULL is a no-op. Pool memory may also be freed with p4j_free once no work
 * uses it any more (cudaFree does not wait for such memory). */
P4J_API int p4j_mem_pool_create(void** pool, int device);
P4J_API int p4j_mem_pool_destroy(void* pool);
P4J_API int p4j_mem_pool_trim(void* pool, long long keep_bytes);
P4J_API int p4j_mem_pool_usage(void* pool, long long* reserved, long long* used);
P4J_API int p4j_malloc_async(void** ptr, long long bytes, void* pool, void* stream);
P4J_API int p4j_free_async(void* ptr, void* stream);
/* cudaMemGetInfo; either output may be NULL. */
P4J_API int p4j_mem_get_info(long long* free_bytes, long long* total_bytes);
/* cudaMemcpy (async == 0) or cudaMemcpyAsync on stream; kind is a cudaMemcpyKind (1 host to device,
 * 2 device to host, 3 device to device). */
P4J_API int p4j_memcpy(void* dst, const void* src, long long bytes, int kind, void* stream, int async);
/* cudaMemsetAsync(dst, value, bytes, stream). */
P4J_API int p4j_memset(void* dst, int value, long long bytes, void* stream);
/* A non-blocking stream (cudaStreamNonBlocking) into *stream; destroy NULL is a no-op. */
P4J_API int p4j_stream_create(void** stream);
P4J_API int p4j_stream_destroy(void* stream);
/* CUDA events for timing: create, record on a stream, elapsed milliseconds between two recorded
 * events (waits for end first), destroy. */
P4J_API int p4j_event_create(void** event);
P4J_API int p4j_event_destroy(void* event);
P4J_API int p4j_event_record(void* event, void* stream);
P4J_API int p4j_event_elapsed_ms(float* ms, void* start, void* end);
/* Page-locked host memory, also mapped into the device's address space (cudaHostAlloc with
 * cudaHostAllocMapped): *host is its host address, *device the address kernels may use (the same
 * under unified addressing). Zero-filled. The CUDA backend copies its error flags into it with each
 * synchronisation (an asynchronous copy needs page-locked memory). p4j_host_free(NULL) is a no-op. */
P4J_API int p4j_host_alloc_mapped(void** host, void** device, long long bytes);
P4J_API int p4j_host_free(void* host);
/* L2 cache size of a device in bytes (for benchmarks that scrub it). */
P4J_API int p4j_l2_cache_bytes(int device, int* bytes);

/* ---- element-wise (elementwise.cu) ---------------------------------------------------------- */

/* In place on y[rows, n]: y[r, c] += bias[c]; then y = max(y, 0) when relu != 0. */
P4J_API int p4j_bias_add(float* y, const float* bias, int rows, int n, int relu, void* stream);

/* The following do per element exactly the CPU backend's float operations (no FMA contraction),
 * so their results are bit-identical to CpuBackend's. */
/* y[i] = value. */
P4J_API int p4j_fill(float* y, int n, float value, void* stream);
/* y[i] += alpha * x[i]. */
P4J_API int p4j_axpy(float* y, const float* x, int n, float alpha, void* stream);
/* y[i] *= alpha. */
P4J_API int p4j_scale(float* y, int n, float alpha, void* stream);
/* y[i] = a[i] * b[i]; y may be a or b. With y = a and a 0/1 mask b this is the unstructured mask apply
 * after an optimiser step; with two activations, an element-wise product of a graph (SiLU's x * sigmoid(x)). */
P4J_API int p4j_mul(float* y, const float* a, const float* b, int n, void* stream);
/* y[i] = max(x[i], 0) as Java's Math.max (NaN stays NaN); y may be x. */
P4J_API int p4j_relu(float* y, const float* x, int n, void* stream);
/* dx[i] = y[i] > 0 ? dy[i] : 0; dx may be dy. */
P4J_API int p4j_relu_backward(float* dx, const float* dy, const float* y, int n, void* stream);
/* s[i] = value wherever mask[i] == 0. */
P4J_API int p4j_masked_fill(float* s, const float* mask, int n, float value, void* stream);
/* out[r, c] = v[r] for out[rows, cols]: a unit mask becomes a row mask. */
P4J_API int p4j_broadcast_rows(float* out, const float* v, int rows, int cols, void* stream);
/* In place on y[batch, channels, spatial] (a convolution's NCHW output): y[b, c, s] += bias[c], then
 * y = 0 where y < 0 when relu != 0 (NaN and -0 stay, as in the CPU's convolution). Bit-identical to
 * CpuBackend.conv2d's epilogue. bias may be NULL (a convolution without bias): the ReLU alone. */
P4J_API int p4j_bias_add_channels(float* y, const float* bias, int batch, int channels, int spatial, int relu,
                                  void* stream);
/* y[i] = Math.min(Math.max(x[i], lo), hi) (NaN stays NaN; ReLU6 is lo = 0, hi = 6); y may be x.
 * lo <= hi, neither NaN, else cudaErrorInvalidValue. Bit-identical to the CPU. */
P4J_API int p4j_clamp(float* y, const float* x, int n, float lo, float hi, void* stream);
/* dx[i] = lo < y[i] < hi ? dy[i] : 0 (hardtanh_backward, from the clamp's output y); dx may be dy. */
P4J_API int p4j_clamp_backward(float* dx, const float* dy, const float* y, int n, float lo, float hi, void* stream);
/* y[i] = f(x[i]) for the activation kind, the ordinal of io.prune4j.backend.ActivationKind: 0 LeakyReLU
 * (x > 0 ? x : alpha x), 1 sigmoid, 2 tanh, 3 HardSigmoid (min(max(alpha x + beta, 0), 1)), 4 HardSwish
 * (x min(max(x + 3, 0), 6) / 6), 5 ELU (x > 0 ? x : alpha expm1(x)), 6 GELU, 7 SELU (x > 0 ? beta x :
 * beta alpha expm1(x)), 8 CELU (x > 0 ? x : alpha expm1(x / alpha), alpha != 0), 9 Softplus (ln(1 + e^x)),
 * 10 Mish (x tanh(softplus(x))), 11 GELU's tanh approximation (x sigma(2u), in double); alpha and beta only where the formula has them, and finite there, else
 * cudaErrorInvalidValue, as is an unknown kind. NaN stays NaN; y may be x. The piecewise-linear kinds are
 * bit-identical to the CPU; the others (expf, tanhf, expm1f, log1pf, normcdff) track the CPU's double
 * evaluation rounded once within a few ulps. */
P4J_API int p4j_activation(float* y, const float* x, int n, int kind, float alpha, float beta, void* stream);
/* dx[i] = f'(x[i]) dy[i] of p4j_activation, from its input x or output y as ActivationKind says, with
 * PyTorch's choices at the kinks; dx may be dy. Bit-identical to the CPU for the same x and y, but for
 * the gradients computed from x with the device's functions (ELU, GELU, SELU, CELU, Softplus, Mish). */
P4J_API int p4j_activation_backward(float* dx, const float* dy, const float* x, const float* y, int n, int kind, float alpha,
                                    float beta, void* stream);
/* y[i] = a[i] + b[i]; y may be a or b (a residual connection). Bit-identical to the CPU. */
P4J_API int p4j_add(float* y, const float* a, const float* b, int n, void* stream);
/* y[p, i] = x[p, i] * s[p] for the planes p < planes of spatial values each (x [B, C, H, W] scaled per
 * channel by s [B, C]: a squeeze-and-excitation gate, and the gradient of its gated input); y may be x.
 * One float product per element: bit-identical to the CPU. */
P4J_API int p4j_mul_channels(float* y, const float* x, const float* s, int planes, int spatial, void* stream);
/* ds[p] = sum_i dy[p, i] * x[p, i] over each plane's spatial values (the gradient of p4j_mul_channels with
 * respect to s): every product exact in double, summed in double in a fixed order (lanes of one warp, then
 * a butterfly), rounded once; within an ulp of the CPU's sum in plane order. */
P4J_API int p4j_mul_channels_backward(float* ds, const float* dy, const float* x, int planes, int spatial, void* stream);
/* Backend.augmentImages: out[r, c, y, x] = in[r, c, y + dy, x' + dx] (x' mirrored when drawn), from splitmix64(seed + (r + 1)·γ). */
P4J_API int p4j_augment_images(float* out, const float* in, int batch, int channels, int height, int width, long long seed,
                               int max_shift, int flip, void* stream);
/* dst[b, dst_offset + c, s] = src[b, src_offset + c, s] for b < batch, c < channels, s < spatial, over
 * dst[batch, dst_channels, spatial] and src[batch, src_channels, spatial] of 4-byte elements: channel
 * concatenation and its gradient. Both channel ranges must lie inside their tensors; dst and src must
 * not overlap. Moves 16- or 8-byte words where the layout allows. */
P4J_API int p4j_copy_channels(void* dst, const void* src, int batch, int dst_channels, int dst_offset, int src_channels,
                              int src_offset, int channels, int spatial, void* stream);

/* ---- scoring (scoring.cu) -------------------------------------------------------------------- */

/* Fused activation x gradient accumulation over a, g [batch, units, spatial] (spatial = 1 for dense
 * layers): acc[n] += scale * |sum_b mean_s a*g|, or with abs_inside scale * sum_b |mean_s a*g|.
 * Deterministic; matches the CPU backend's taylorAccumulate bit for bit. */
P4J_API int p4j_taylor_accumulate(float* acc, const float* a, const float* g, int batch, int units,
                                  int spatial, int abs_inside, float scale, void* stream);
/* acc[i] += scale * t(x[i]), t = identity (0), |.| (1) or square (2; the empirical Fisher of OBD is
 * the accumulated squared gradient). Bit-identical to the CPU. */
P4J_API int p4j_accumulate(float* acc, const float* x, int n, float scale, int transform, void* stream);
/* acc[i] += scale * |a[i] * b[i]|. Bit-identical to the CPU. */
P4J_API int p4j_accumulate_abs_product(float* acc, const float* a, const float* b, int n, float scale,
                                       void* stream);
/* APoZ / activation frequency over a[batch, units, spatial]: acc[n] += sum_b (number of s with
 * a > 0) / spatial, in example order. Bit-identical to the CPU. */
P4J_API int p4j_count_positive(float* acc, const float* a, int batch, int units, int spatial, void* stream);
/* out[r] = ||w[r, :]||_p for p = 1 or 2 (double sums), w[rows, cols]. */
P4J_API int p4j_row_norms(float* out, const float* w, int rows, int cols, int p, void* stream);
/* out[r] = sum_c x[r, c] (double sums). */
P4J_API int p4j_row_sums(float* out, const float* x, int rows, int cols, void* stream);
/* out[r] = sum_c |w[r,c]| * |g_abs[r,c]| * freq[c / block] / sum_c |w[r,c]| (0 for an all-zero row):
 * freq has cols / block entries, one per input (block = 1) or one per input channel of a convolution
 * (block = kh*kw, shared by that channel's weights); cols must be a multiple of block >= 1. */
P4J_API int p4j_composite_scores(float* out, const float* w, const float* g_abs, const float* freq, int rows,
                                 int cols, int block, void* stream);
/* Bytes of workspace p4j_sum, p4j_normalize, p4j_accumulate_normalized_abs and p4j_softmax_xent
 * need (a constant, whatever the sizes). */
P4J_API int p4j_reduce_workspace_bytes(long long* bytes);
/* out[0] = (float) sum x (double partials, fixed order: deterministic); out[0] = 0 when n == 0. */
P4J_API int p4j_sum(float* out, const float* x, int n, void* workspace, long long workspace_bytes,
                    void* stream);
/* In place: s /= d with d the L2 norm (kind 1), the largest magnitude (2) or the L1 norm (3) of s,
 * computed in double; nothing when d is 0 or not finite, or kind is 0 (none). The kinds are the
 * ordinals of io.prune4j.backend.Normalization. */
P4J_API int p4j_normalize(float* s, int n, int kind, void* workspace, long long workspace_bytes, void* stream);
/* acc[i] += |x[i]| / sum|x| (nothing when the sum is 0): one batch's share of gradient magnitude. */
P4J_API int p4j_accumulate_normalized_abs(float* acc, const float* x, int n, void* workspace,
                                          long long workspace_bytes, void* stream);

/* Bytes of workspace p4j_fpgm_scores needs for `rows` rows (a double per row per 32-row tile);
 * rows <= 65535 * 32. */
P4J_API int p4j_fpgm_workspace_bytes(int rows, long long* bytes);
/* FPGM (He et al. 2019): out[r] = sum_j ||w[r, :] - w[j, :]||_2 over w[rows, cols], the distances
 * from the row differences directly (squares summed in double), deterministic. */
P4J_API int p4j_fpgm_scores(float* out, const float* w, int rows, int cols, void* workspace, long long workspace_bytes,
                            void* stream);
/* Bytes of workspace p4j_lamp_scores needs for n elements (about 16 n bytes plus CUB's radix sort
 * scratch; asks CUB, so it needs a device). */
P4J_API int p4j_lamp_workspace_bytes(int n, long long* bytes);
/* LAMP (Lee et al. 2021): with w[n] sorted by magnitude, increasing (equal magnitudes by increasing
 * index), out[i] = w_u^2 / sum_{v >= u} w_v^2 for the element i at sorted position u; 0 where that
 * sum is 0. Suffix sums in double, in a fixed order: deterministic. */
P4J_API int p4j_lamp_scores(float* out, const float* w, int n, void* workspace, long long workspace_bytes, void* stream);
/* out[k] = reduce(src[perm[i]] for offsets[k] <= i < offsets[k + 1]) for k < segments, reduction 0 sum,
 * 1 mean, 2 max (the ordinals of io.prune4j.backend.Reduction; max as Java's Math.max, NaN wins); an
 * empty segment gives 0. One warp per segment in a fixed order (sums in double): deterministic. A
 * perm entry outside [0, src_size), or offsets that are not a non-decreasing range inside
 * [0, perm_size], is never read through: that segment is written as 0 and, when bad is not NULL,
 * *bad (device) is incremented. */
P4J_API int p4j_segment_reduce(float* out, const float* src, const int* perm, const int* offsets, int segments,
                               int src_size, int perm_size, int reduction, unsigned int* bad, void* stream);

/* ---- ranking (selection.cu) ------------------------------------------------------------------ */

/* Bytes of workspace p4j_select_topk needs for n scores (about n/1024 + 25 KiB). */
P4J_API int p4j_select_topk_workspace_bytes(int n, long long* bytes);
/* Exact top-k selection by radix select (no sort) over scores[n], NaN ranking with -inf and -0
 * with +0 (the CPU's key). For 0 <= keep <= n:
 *   mask (nullable) gets 1 for exactly `keep` elements and 0 elsewhere: every element above the
 *     keep-th largest value, then of those equal to it the lowest-indexed ones (the CPU's tie rule);
 *   kth (nullable, one float on the device) gets the keep-th largest value (-inf when that is a
 *     NaN), or +inf when keep == 0.
 * At least one of mask and kth must be given. No host round trip: the whole selection is queued on
 * stream. Bit-identical masks to CpuBackend.selectTopK. */
P4J_API int p4j_select_topk(float* mask, float* kth, const float* scores, int n, int keep, void* workspace,
                            long long workspace_bytes, void* stream);
/* *count (device int) = number of i with scores[i] >= threshold (NaN never counts); 0 when n == 0. */
P4J_API int p4j_count_at_least(int* count, const float* scores, int n, float threshold, void* stream);

/* ---- compaction (compaction.cu) -------------------------------------------------------------- */

/* Bytes of workspace p4j_mask_to_indices needs for n mask elements (asks CUB; needs a device). */
P4J_API int p4j_mask_to_indices_workspace_bytes(int n, long long* bytes);
/* The indices i with mask[i] != 0 (NaN counts as kept), in increasing order, to the front of
 * indices[n]; their number to *count (device int; 0 when n == 0). */
P4J_API int p4j_mask_to_indices(int* indices, int* count, const float* mask, int n, void* workspace,
                                long long workspace_bytes, void* stream);
/* out[r, :] = src[idx[r], :] for 4-byte elements (FLOAT32 or INT32), rows of `cols` elements,
 * src[src_rows, cols]: kept rows of a weight matrix or bias (cols = 1), or a batch gathered from a
 * device-resident data set (pass idx + offset). A row whose index is outside [0, src_rows) is
 * written as zeros and, when bad is not NULL, *bad (device) is incremented. */
P4J_API int p4j_gather_rows(void* out, const void* src, const int* idx, int rows, int cols, int src_rows,
                            unsigned int* bad, void* stream);
/* out[r, c*block + j] = src[row_idx[r], col_idx[c]*block + j] for r < rows_out, c < blocks_out,
 * j < block; out is [rows_out, blocks_out*block], src is [src_rows, src_cols] with src_cols a
 * multiple of block. row_idx NULL = rows in order (no row gather), col_idx NULL = blocks in order.
 * block = 1 gathers columns; block = kh*kw the kept input channels of the next conv; block = h*w
 * the kept channels of a flattened feature map for the next dense layer. 4-byte elements.
 * Out-of-range indices give zeros and a nonzero *bad as in p4j_gather_rows. */
P4J_API int p4j_gather_blocks(void* out, const void* src, const int* row_idx, const int* col_idx, int rows_out,
                              int blocks_out, int block, int src_rows, int src_cols, unsigned int* bad,
                              void* stream);

/* ---- training (training.cu) ------------------------------------------------------------------ */

/* out[c] = beta * out[c] + sum_r x[r, c] over x[rows, n] (beta == 0 overwrites): the bias
 * gradient. Fixed summation order: deterministic. */
P4J_API int p4j_sum_rows(float* out, const float* x, int rows, int n, float beta, void* stream);
/* Fused softmax + cross-entropy over logits[rows, classes] with INT32 labels[rows]: adds the summed
 * loss to metrics[0] and the number of rows whose first arg-max is the label to metrics[1]
 * (deterministic: per-block partials, fixed-order sum), and, when grad is not NULL, writes
 * grad = grad_scale * (softmax - onehot). A label outside [0, classes) makes the loss NaN and that
 * row's gradient 0. Workspace: p4j_reduce_workspace_bytes. */
P4J_API int p4j_softmax_xent(float* grad, float* metrics, const float* logits, const int* labels, int rows,
                             int classes, float grad_scale, void* workspace, long long workspace_bytes,
                             void* stream);
/* p4j_softmax_xent that also reports labels out of range in bad_label (device int[3]; NULL = no
 * report, as p4j_softmax_xent): when this call has such a row and bad_label[0] is 0, it writes
 * {first such row + 1, its label, classes}; a report already there is left as it is, so after any
 * number of calls it names the first bad row of the first call that had one since the caller zeroed
 * it. Found on the device, in stream order: no host round trip. */
P4J_API int p4j_softmax_xent_checked(float* grad, float* metrics, const float* logits, const int* labels, int rows,
                                     int classes, float grad_scale, void* workspace, long long workspace_bytes,
                                     int* bad_label, void* stream);
/* db[c] = sum_b sum_s dy[b, c, s] over dy[batch, channels, spatial] (overwrites db): the bias gradient
 * of a convolution. Per example a double sum over the positions, rounded to float and added in example
 * order, as the CPU does; deterministic. */
P4J_API int p4j_sum_channels(float* db, const float* dy, int batch, int channels, int spatial, void* stream);
/* Knowledge distillation (Hinton et al. 2015) over student, teacher [rows, classes] with INT32 labels:
 * per row (1-alpha)*CE(s, y) + alpha*T^2*KL(softmax(t/T) || softmax(s/T)); adds the summed loss to
 * metrics[0] and the student's correct count to metrics[1] (deterministic, as p4j_softmax_xent), and
 * writes grad = grad_scale * ((1-alpha)*(softmax(s) - onehot) + alpha*T*(softmax(s/T) - softmax(t/T))).
 * temperature > 0, alpha in [0, 1]. A label outside [0, classes) makes the loss NaN and that row's
 * gradient 0. Workspace: p4j_reduce_workspace_bytes. */
P4J_API int p4j_distillation(float* grad, float* metrics, const float* student, const float* teacher,
                             const int* labels, int rows, int classes, float temperature, float alpha,
                             float grad_scale, void* workspace, long long workspace_bytes, void* stream);
/* p4j_distillation that reports labels out of range in bad_label, as p4j_softmax_xent_checked. */
P4J_API int p4j_distillation_checked(float* grad, float* metrics, const float* student, const float* teacher,
                                     const int* labels, int rows, int classes, float temperature, float alpha,
                                     float grad_scale, void* workspace, long long workspace_bytes, int* bad_label,
                                     void* stream);
/* SGD with momentum and L2 weight decay (PyTorch's form): g' = g + wd*w; v = momentum*v + g';
 * w -= lr*v. velocity may be NULL when momentum == 0 (then w -= lr*g'). Bit-identical to the CPU. */
P4J_API int p4j_sgd_step(float* w, float* velocity, const float* grad, int n, float lr, float momentum,
                         float weight_decay, void* stream);
/* Adam with L2 weight decay, bias-corrected with step >= 1 (as CpuOps.adamStep: the corrections
 * are folded into the step size in double on the host). */
P4J_API int p4j_adam_step(float* w, float* m, float* v, const float* grad, int n, float lr, float beta1,
                          float beta2, float eps, float weight_decay, int step, void* stream);

/* ---- pooling (pooling.cu) -------------------------------------------------------------------- */

/* Max pooling over x[planes, h, w] (planes = batch * channels), window x window patches stride apart,
 * no padding: y, argmax [planes, ho, wo] with ho = (h - window) / stride + 1 (likewise wo); argmax
 * (INT32) is the position h*W + w of the maximum within its input plane, the first in row order on a
 * tie; NaN propagates. Identical to CpuBackend.maxPool2d. Requires 1 <= window <= h, w. */
P4J_API int p4j_max_pool2d(float* y, int* argmax, const float* x, int planes, int h, int w, int window,
                           int stride, void* stream);
/* p4j_max_pool2d with -inf padding pad on every side (0 <= pad <= window / 2): ho = (h + 2 pad -
 * window) / stride + 1; a padded position is never the maximum and argmax stays inside the plane.
 * Requires window <= h + 2 pad, w + 2 pad. */
P4J_API int p4j_max_pool2d_pad(float* y, int* argmax, const float* x, int planes, int h, int w, int window,
                               int stride, int pad, void* stream);
/* p4j_max_pool2d_pad, in PyTorch's and ONNX's ceil_mode when ceil_mode != 0: ho = ceil((h + 2 pad -
 * window) / stride) + 1, less one when the last window would start in the padding ((ho - 1) stride >=
 * h + pad); a partial window at the bottom or right is clipped to the plane like a padded one. */
P4J_API int p4j_max_pool2d_ceil(float* y, int* argmax, const float* x, int planes, int h, int w, int window,
                                int stride, int pad, int ceil_mode, void* stream);
/* Average pooling over x[planes, h, w] with zero padding pad (0 <= pad <= window / 2), shapes as in
 * p4j_max_pool2d_pad: each window's sum over the positions inside the plane, divided by window^2
 * when count_include_pad != 0, else by the number of those positions. */
P4J_API int p4j_avg_pool2d(float* y, const float* x, int planes, int h, int w, int window, int stride, int pad,
                           int count_include_pad, void* stream);
/* The gradient of p4j_avg_pool2d: overwrites dx[planes, h, w] from dy[planes, ho, wo], one thread per
 * input position adding dy / divisor of the windows that cover it in output order (no atomics). */
P4J_API int p4j_avg_pool2d_backward(float* dx, const float* dy, int planes, int h, int w, int window, int stride,
                                    int pad, int count_include_pad, void* stream);
/* p4j_avg_pool2d with ceil_mode != 0: shapes as in p4j_max_pool2d_ceil; with count_include_pad a partial window
 * divides by its positions up to the far padding, min(h0 + window, h + pad) - h0 rows (PyTorch's count). */
P4J_API int p4j_avg_pool2d_ceil(float* y, const float* x, int planes, int h, int w, int window, int stride, int pad,
                                int count_include_pad, int ceil_mode, void* stream);
/* The gradient of p4j_avg_pool2d_ceil. */
P4J_API int p4j_avg_pool2d_backward_ceil(float* dx, const float* dy, int planes, int h, int w, int window, int stride,
                                         int pad, int count_include_pad, int ceil_mode, void* stream);
/* Zero padding: y[planes, hp, wp] gets x[planes, h, w] at row top, column left (top + h <= hp, left + w
 * <= wp) and zeros elsewhere; y may not be x. */
P4J_API int p4j_zero_pad2d(float* y, const float* x, int planes, int h, int w, int top, int left, int hp, int wp,
                           void* stream);
/* The gradient of p4j_zero_pad2d, a crop: dx[planes, h, w] gets dy[planes, hp, wp]'s window at (top, left). */
P4J_API int p4j_zero_pad2d_backward(float* dx, const float* dy, int planes, int h, int w, int top, int left, int hp,
                                    int wp, void* stream);

/* ---- normalisation (normalization.cu) -------------------------------------------------------- */

/* Bytes of workspace p4j_batch_norm_forward / _backward need for x[batch, channels, spatial]
 * (per-channel coefficients and the statistics' partial sums). */
P4J_API int p4j_batch_norm_workspace_bytes(int batch, int channels, int spatial, long long* bytes);
/* Batch normalisation over x[batch, channels, spatial] (spatial = H*W, or 1 for BatchNorm1d), per
 * channel y = gamma (x - mean) / sqrt(var + eps) + beta; y may be x. training != 0: mean and the
 * biased var over batch*spatial >= 2 values (double sums, fixed order: deterministic) are used,
 * save_mean = mean and save_inv_std = 1/sqrt(var + eps) written, and running = (1 - momentum) running
 * + momentum stat updated with the unbiased variance for running_var. training == 0: the running
 * statistics are used and left as they are; save_mean / save_inv_std may be NULL. eps > 0,
 * 0 <= momentum <= 1. */
P4J_API int p4j_batch_norm_forward(float* y, float* save_mean, float* save_inv_std, float* running_mean,
                                   float* running_var, const float* x, const float* gamma, const float* beta, int batch,
                                   int channels, int spatial, float momentum, float eps, int training, void* workspace,
                                   long long workspace_bytes, void* stream);
/* Gradients of a training-mode p4j_batch_norm_forward: d_beta = sum dy, d_gamma = sum dy xhat and, when
 * dx is not NULL, dx = gamma inv_std (dy - mean(dy) - xhat mean(dy xhat)) with xhat = (x - save_mean)
 * save_inv_std (all overwritten). Deterministic. */
P4J_API int p4j_batch_norm_backward(float* dx, float* d_gamma, float* d_beta, const float* dy, const float* x,
                                    const float* gamma, const float* save_mean, const float* save_inv_std, int batch,
                                    int channels, int spatial, void* workspace, long long workspace_bytes,
                                    void* stream);
/* Layer normalisation over the channels of x[batch, channels, spatial] at every (example, position):
 * over the K channels where mask != 0 (all when mask is NULL), mean = sum x / K, var = sum (x -
 * mean)^2 / K (double sums in channel order), y = gamma (x - mean) / sqrt(var + eps) + beta, and y = 0
 * at the channels the mask removes; save_mean and save_inv_std [batch, spatial] written unless both
 * are NULL. y must not be x; eps > 0 and finite. The CPU's results bit for bit. */
P4J_API int p4j_layer_norm_forward(float* y, float* save_mean, float* save_inv_std, const float* x, const float* gamma,
                                   const float* beta, const float* mask, int batch, int channels, int spatial, float eps,
                                   void* stream);
/* Gradients of p4j_layer_norm_forward: with xhat = (x - save_mean) save_inv_std and g = dy gamma over the
 * kept channels, dx = inv_std (g - mean(g) - xhat mean(g xhat)) and 0 at the removed channels (dx NULL:
 * not written); d_gamma = sum dy xhat, d_beta = sum dy per channel (0 at removed ones), a fixed-order
 * tree per channel. All overwritten; deterministic. */
P4J_API int p4j_layer_norm_backward(float* dx, float* d_gamma, float* d_beta, const float* dy, const float* x,
                                    const float* gamma, const float* mask, const float* save_mean,
                                    const float* save_inv_std, int batch, int channels, int spatial, void* stream);
/* Group normalisation of x [batch, channels, spatial] in `groups` consecutive blocks of channels (groups
 * divides channels): per (example, group) unit of M = channels / groups * spatial contiguous values,
 * mean and inv_std = 1 / sqrt(var + eps) (double sums, two passes, a fixed-order tree per unit), and
 * y = (x - mean) inv_std gamma[c] + beta[c]. save_mean and save_inv_std [batch, groups] both NULL or both
 * set; y must not be x. Deterministic. */
P4J_API int p4j_group_norm_forward(float* y, float* save_mean, float* save_inv_std, const float* x, const float* gamma,
                                   const float* beta, int batch, int channels, int spatial, int groups, float eps, void* stream);
/* Gradients of p4j_group_norm_forward: with xhat = (x - save_mean) save_inv_std and g = dy gamma over each
 * unit, dx = inv_std (g - mean(g) - xhat mean(g xhat)) (dx NULL: not written); d_gamma = sum dy xhat,
 * d_beta = sum dy per channel, a fixed-order tree per channel. All overwritten; deterministic. */
P4J_API int p4j_group_norm_backward(float* dx, float* d_gamma, float* d_beta, const float* dy, const float* x,
                                    const float* gamma, const float* save_mean, const float* save_inv_std, int batch,
                                    int channels, int spatial, int groups, void* stream);
/* dx[planes, in_plane] = 0, then dx[p, argmax[p, o]] += dy[p, o]: the gradient of p4j_max_pool2d.
 * Exact (the CPU's result) when no two outputs of a plane share an input position, i.e. stride >=
 * window; overlapping windows add with float atomics. An argmax outside [0, in_plane) is skipped. */
P4J_API int p4j_max_pool2d_backward(float* dx, const float* dy, const int* argmax, int planes, int in_plane,
                                    int out_plane, void* stream);
/* Global max pooling: y[p] = max of x[p, 0 .. plane) and argmax[p] its position, the first in order, a NaN
 * winning (the first NaN); one warp per plane. Its gradient is p4j_max_pool2d_backward with out_plane 1. */
P4J_API int p4j_global_max_pool(float* y, int* argmax, const float* x, int planes, int plane, void* stream);
/* Nearest upsampling of planes h x w by whole factors sh x sw: y[p, i, j] = x[p, i / sh, j / sw]. Its gradient sums
 * each input position's block of dy, rows then columns, in float (the CPU's order). */
P4J_API int p4j_upsample_nearest(float* y, const float* x, int planes, int h, int w, int sh, int sw, void* stream);
P4J_API int p4j_upsample_nearest_backward(float* dx, const float* dy, int planes, int h, int w, int sh, int sw, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* PRUNE4J_KERNELS_H */
