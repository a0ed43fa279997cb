package io.prune4j.backend.cuda;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * Hand-written JavaCPP binding of {@code src/main/cpp/prune4j_kernels.h}, the C interface of
 * {@code libprune4j_kernels.so} (the CUDA kernels built by {@code cmake/CMakeLists.txt}).
 *
 * <p>The Maven profile {@code native} runs the JavaCPP builder on this class: it generates and
 * compiles the JNI glue {@code libjniCudaKernels.so} and copies both libraries to
 * {@code io/prune4j/backend/cuda/linux-x86_64/} in the jar, where {@link Loader#load(Class)} finds
 * them. In a CPU-only build the class exists but its libraries do not, and the static initializer
 * throws {@link UnsatisfiedLinkError}: do not touch this class directly; call
 * {@link CudaRuntime#requireDevice()} first, which turns every loading problem into a
 * {@link io.prune4j.backend.DeviceUnavailableException}.
 *
 * <p>Conventions (see the header): every launcher returns a {@code cudaError_t} code, 0 = success
 * (pass it to {@link CudaException#check(int, String)}); arguments are outputs, inputs, sizes,
 * flags, stream; the stream is a {@code cudaStream_t} (a {@link Pointer}, e.g. a bytedeco
 * {@code CUstream_st}, or a raw address), {@code null}/0 = the default stream. The first two
 * launchers have a {@link Pointer} overload and a raw-address ({@code long}) overload; the later
 * ones take raw addresses only ({@code pointer.address()} turns a {@link Pointer} into one), since
 * device memory is held as addresses ({@link DeviceBuffer}) and every overload is JNI glue to build
 * and load. Host outputs of the memory functions are one-element Java arrays.
 *
 * <p>Why not {@code inherit = org.bytedeco.cuda.presets.cudart.class}: that preset links the JNI
 * glue against the driver library {@code libcuda.so.1} (it wraps the driver API too), so the glue
 * would not even load on a machine without an NVIDIA driver, and the build would need
 * {@code libcuda.so} at link time. The glue here only calls the {@code p4j_*} functions;
 * {@code libprune4j_kernels.so} itself links the shared {@code libcudart.so.13}, the same runtime
 * the bytedeco presets load, so the process has one CUDA runtime. Without a driver it loads fine
 * and {@code cudaGetDeviceCount} reports {@code cudaErrorInsufficientDriver}.
 */
@Properties(
        inherit = org.bytedeco.javacpp.presets.javacpp.class,
        value = @Platform(include = "prune4j_kernels.h", link = "prune4j_kernels"))
public final class CudaKernels {
    static {
        Loader.load();
    }

    private CudaKernels() {}

    // ---- device / errors (device.cu) -------------------------------------------------------

    /** Number of CUDA devices into {@code count[0]} (0 on error); returns the cudaGetDeviceCount code. */
    public static native int p4j_device_count(int[] count);

    /** {@code cudaGetErrorString(code)}. */
    public static native @Cast("const char*") String p4j_error_string(int code);

    /** {@code cudaGetErrorName(code)}, e.g. {@code cudaErrorInvalidValue}. */
    public static native @Cast("const char*") String p4j_error_name(int code);

    /** {@code cudaGetLastError()}: returns and clears the last non-sticky error. */
    public static native int p4j_last_error();

    /** {@code cudaRuntimeGetVersion} into {@code version[0]} (1000*major + 10*minor). */
    public static native int p4j_runtime_version(int[] version);

    /** {@code cudaDriverGetVersion} into {@code version[0]} (0 when no driver is installed). */
    public static native int p4j_driver_version(int[] version);

    /**
     * {@code cudaGetDeviceProperties(device)}: the name into {@code name} (NUL-terminated, at most
     * {@code nameLen} bytes), compute capability into {@code ccMajor[0]}/{@code ccMinor[0]}, global
     * memory bytes into {@code totalMem[0]}, multiprocessors into {@code smCount[0]}.
     */
    public static native int p4j_device_props(
            int device, @Cast("char*") byte[] name, int nameLen, int[] ccMajor, int[] ccMinor,
            @Cast("long long*") long[] totalMem, int[] smCount);

    /** {@code cudaDeviceSynchronize()}. */
    public static native int p4j_device_synchronize();

    /** {@code cudaStreamSynchronize(stream)}; {@code null} = the default stream. */
    public static native int p4j_stream_synchronize(Pointer stream);

    public static native int p4j_stream_synchronize(@Cast("void*") long stream);

    // ---- element-wise (elementwise.cu) -----------------------------------------------------

    /**
     * In place on the device matrix {@code y[rows, n]} (row-major float): {@code y[r, c] += bias[c]},
     * then {@code y = max(y, 0)} when {@code relu != 0}. Asynchronous on {@code stream}.
     */
    public static native int p4j_bias_add(
            FloatPointer y, FloatPointer bias, int rows, int n, int relu, Pointer stream);

    public static native int p4j_bias_add(
            @Cast("float*") long y, @Cast("const float*") long bias, int rows, int n, int relu,
            @Cast("void*") long stream);

    // ---- scoring (scoring.cu) ---------------------------------------------------------------

    /**
     * Fused activation×gradient accumulation over device tensors {@code a, g [batch, units, spatial]}:
     * {@code acc[n] += scale·|Σ_b mean_s a·g|}, or with {@code absInside != 0}
     * {@code scale·Σ_b |mean_s a·g|}. Deterministic; the same numbers as
     * {@code CpuBackend.taylorAccumulate}. Asynchronous on {@code stream}.
     */
    public static native int p4j_taylor_accumulate(
            FloatPointer acc, FloatPointer a, FloatPointer g, int batch, int units, int spatial, int absInside, float scale,
            Pointer stream);

    public static native int p4j_taylor_accumulate(
            @Cast("float*") long acc, @Cast("const float*") long a, @Cast("const float*") long g, int batch, int units,
            int spatial, int absInside, float scale, @Cast("void*") long stream);

    // ---- memory, streams, events (device.cu) -----------------------------------------------
    // Used through DeviceBuffer and CudaTiming; a raw address of 0 is NULL.

    /** {@code cudaMalloc} of {@code bytes} (1 for 0) into {@code ptr[0]}; 0 there on failure. */
    public static native int p4j_malloc(@Cast("void**") long[] ptr, long bytes);

    /** {@code cudaFree}. */
    public static native int p4j_free(@Cast("void*") long ptr);

    /**
     * A stream-ordered pool of device memory on {@code device} into {@code pool[0]}, release threshold
     * UINT64_MAX (freed memory stays reserved until trimmed or destroyed); cudaErrorNotSupported (801)
     * when the device has no memory pools.
     */
    public static native int p4j_mem_pool_create(@Cast("void**") long[] pool, int device);

    /** {@code cudaMemPoolDestroy}; 0 is a no-op. */
    public static native int p4j_mem_pool_destroy(@Cast("void*") long pool);

    /** {@code cudaMemPoolTrimTo(pool, keepBytes)}. */
    public static native int p4j_mem_pool_trim(@Cast("void*") long pool, long keepBytes);

    /** The pool's reserved bytes into {@code reserved[0]} and bytes in use into {@code used[0]}. */
    public static native int p4j_mem_pool_usage(@Cast("void*") long pool, @Cast("long long*") long[] reserved,
                                                @Cast("long long*") long[] used);

    /** {@code cudaMallocFromPoolAsync} of {@code bytes} (1 for 0) on {@code stream} into {@code ptr[0]}; 0 there on failure. */
    public static native int p4j_malloc_async(@Cast("void**") long[] ptr, long bytes, @Cast("void*") long pool,
                                              @Cast("void*") long stream);

    /** {@code cudaFreeAsync(ptr, stream)}: queued behind the stream's work, returns at once; 0 is a no-op. */
    public static native int p4j_free_async(@Cast("void*") long ptr, @Cast("void*") long stream);

    /** {@code cudaMemGetInfo} into {@code free[0]}, {@code total[0]}. */
    public static native int p4j_mem_get_info(@Cast("long long*") long[] free, @Cast("long long*") long[] total);

    /** {@code cudaMemcpy} ({@code async == 0}) or {@code cudaMemcpyAsync}; kind 1 host→device, 2 device→host, 3 device→device. */
    public static native int p4j_memcpy(@Cast("void*") long dst, @Cast("const void*") long src, long bytes, int kind,
                                        @Cast("void*") long stream, int async);

    /** {@code cudaMemsetAsync}. */
    public static native int p4j_memset(@Cast("void*") long dst, int value, long bytes, @Cast("void*") long stream);

    /** A non-blocking stream into {@code stream[0]}. */
    public static native int p4j_stream_create(@Cast("void**") long[] stream);

    public static native int p4j_stream_destroy(@Cast("void*") long stream);

    /** A CUDA event into {@code event[0]}. */
    public static native int p4j_event_create(@Cast("void**") long[] event);

    public static native int p4j_event_destroy(@Cast("void*") long event);

    public static native int p4j_event_record(@Cast("void*") long event, @Cast("void*") long stream);

    /** Milliseconds between two recorded events into {@code ms[0]} (waits for {@code end}). */
    public static native int p4j_event_elapsed_ms(float[] ms, @Cast("void*") long start, @Cast("void*") long end);

    /** Zero-filled page-locked host memory mapped for the device: host address into {@code host[0]}, device address into {@code device[0]}. */
    public static native int p4j_host_alloc_mapped(@Cast("void**") long[] host, @Cast("void**") long[] device, long bytes);

    /** {@code cudaFreeHost}; 0 is a no-op. */
    public static native int p4j_host_free(@Cast("void*") long host);

    /** L2 cache bytes of {@code device} into {@code bytes[0]}. */
    public static native int p4j_l2_cache_bytes(int device, int[] bytes);

    // ---- element-wise (elementwise.cu): the CPU's float arithmetic, bit for bit ------------

    /** {@code y[i] = value}. */
    public static native int p4j_fill(@Cast("float*") long y, int n, float value, @Cast("void*") long stream);

    /** {@code y[i] += alpha·x[i]}. */
    public static native int p4j_axpy(@Cast("float*") long y, @Cast("const float*") long x, int n, float alpha,
                                      @Cast("void*") long stream);

    /** {@code y[i] *= alpha}. */
    public static native int p4j_scale(@Cast("float*") long y, int n, float alpha, @Cast("void*") long stream);

    /** {@code y[i] = a[i]·b[i]}, {@code y} may be {@code a} or {@code b}: also the unstructured mask apply after an optimiser step. */
    public static native int p4j_mul(@Cast("float*") long y, @Cast("const float*") long a, @Cast("const float*") long b, int n,
                                     @Cast("void*") long stream);

    /** {@code y = max(x, 0)} (NaN stays NaN); {@code y} may be {@code x}. */
    public static native int p4j_relu(@Cast("float*") long y, @Cast("const float*") long x, int n, @Cast("void*") long stream);

    /** {@code dx = y > 0 ? dy : 0}; {@code dx} may be {@code dy}. */
    public static native int p4j_relu_backward(@Cast("float*") long dx, @Cast("const float*") long dy,
                                               @Cast("const float*") long y, int n, @Cast("void*") long stream);

    /** {@code s[i] = value} where {@code mask[i] == 0}. */
    public static native int p4j_masked_fill(@Cast("float*") long s, @Cast("const float*") long mask, int n, float value,
                                             @Cast("void*") long stream);

    /** {@code out[r, c] = v[r]} for {@code out [rows, cols]}. */
    public static native int p4j_broadcast_rows(@Cast("float*") long out, @Cast("const float*") long v, int rows, int cols,
                                                @Cast("void*") long stream);

    /**
     * In place on {@code y [batch, channels, spatial]}: {@code y += bias[c]}, then {@code y = 0} where {@code y < 0} if
     * {@code relu != 0}; {@code bias} 0 (none) leaves the ReLU alone.
     */
    public static native int p4j_bias_add_channels(@Cast("float*") long y, @Cast("const float*") long bias, int batch,
                                                   int channels, int spatial, int relu, @Cast("void*") long stream);

    /** {@code y = Math.min(Math.max(x, lo), hi)}; {@code y} may be {@code x}. */
    public static native int p4j_clamp(@Cast("float*") long y, @Cast("const float*") long x, int n, float lo, float hi,
                                       @Cast("void*") long stream);

    /** {@code dx = lo < y < hi ? dy : 0}; {@code dx} may be {@code dy}. */
    public static native int p4j_clamp_backward(@Cast("float*") long dx, @Cast("const float*") long dy,
                                                @Cast("const float*") long y, int n, float lo, float hi,
                                                @Cast("void*") long stream);

    /** {@code y = f(x)} for the activation {@code kind}, the ordinal of {@link io.prune4j.backend.ActivationKind}; {@code y} may be {@code x}. */
    public static native int p4j_activation(@Cast("float*") long y, @Cast("const float*") long x, int n, int kind, float alpha,
                                            float beta, @Cast("void*") long stream);

    /** {@code dx = f'(x)·dy} of {@link #p4j_activation}, from its input {@code x} or output {@code y}; {@code dx} may be {@code dy}. */
    public static native int p4j_activation_backward(@Cast("float*") long dx, @Cast("const float*") long dy,
                                                     @Cast("const float*") long x, @Cast("const float*") long y, int n, int kind,
                                                     float alpha, float beta, @Cast("void*") long stream);

    /** {@code y = a + b}; {@code y} may be {@code a} or {@code b}. */
    public static native int p4j_add(@Cast("float*") long y, @Cast("const float*") long a, @Cast("const float*") long b, int n,
                                     @Cast("void*") long stream);

    /** {@code y[p, i] = x[p, i]·s[p]} over {@code planes} planes of {@code spatial} values; {@code y} may be {@code x}. */
    public static native int p4j_mul_channels(@Cast("float*") long y, @Cast("const float*") long x, @Cast("const float*") long s,
                                              int planes, int spatial, @Cast("void*") long stream);

    /** {@code ds[p] = Σ_i dy[p, i]·x[p, i]} (double sums, rounded once): the gradient of {@link #p4j_mul_channels} for {@code s}. */
    public static native int p4j_mul_channels_backward(@Cast("float*") long ds, @Cast("const float*") long dy, @Cast("const float*") long x,
                                                       int planes, int spatial, @Cast("void*") long stream);

    /** {@code Backend.augmentImages} on {@code out, in [batch, channels, height, width]}. */
    public static native int p4j_augment_images(@Cast("float*") long out, @Cast("const float*") long in, int batch, int channels,
                                                int height, int width, long seed, int maxShift, int flip, @Cast("void*") long stream);

    /** {@code dst[b, dstOffset + c, s] = src[b, srcOffset + c, s]} for {@code c < channels} (4-byte elements). */
    public static native int p4j_copy_channels(@Cast("void*") long dst, @Cast("const void*") long src, int batch, int dstChannels,
                                               int dstOffset, int srcChannels, int srcOffset, int channels, int spatial,
                                               @Cast("void*") long stream);

    // ---- scoring (scoring.cu) -------------------------------------------------------------

    /** {@code acc[i] += scale·t(x[i])}, {@code transform} the ordinal of {@link io.prune4j.backend.Transform}. */
    public static native int p4j_accumulate(@Cast("float*") long acc, @Cast("const float*") long x, int n, float scale,
                                            int transform, @Cast("void*") long stream);

    /** {@code acc[i] += scale·|a[i]·b[i]|}. */
    public static native int p4j_accumulate_abs_product(@Cast("float*") long acc, @Cast("const float*") long a,
                                                        @Cast("const float*") long b, int n, float scale,
                                                        @Cast("void*") long stream);

    /** {@code acc[n] += Σ_b (positions with a > 0)/spatial} over {@code a [batch, units, spatial]}. */
    public static native int p4j_count_positive(@Cast("float*") long acc, @Cast("const float*") long a, int batch, int units,
                                                int spatial, @Cast("void*") long stream);

    /** {@code out[r] = ‖w[r, :]‖_p}, p = 1 or 2. */
    public static native int p4j_row_norms(@Cast("float*") long out, @Cast("const float*") long w, int rows, int cols, int p,
                                           @Cast("void*") long stream);

    /** {@code out[r] = Σ_c x[r, c]}. */
    public static native int p4j_row_sums(@Cast("float*") long out, @Cast("const float*") long x, int rows, int cols,
                                          @Cast("void*") long stream);

    /**
     * The composite criterion {@code Σ_j |w|·gAbs·freq[j / block] / Σ_j |w|} per row; {@code freq} has
     * {@code cols / block} entries (block 1: one per input; {@code kh·kw}: one per input channel of a convolution).
     */
    public static native int p4j_composite_scores(@Cast("float*") long out, @Cast("const float*") long w,
                                                  @Cast("const float*") long gAbs, @Cast("const float*") long freq, int rows,
                                                  int cols, int block, @Cast("void*") long stream);

    /** Workspace bytes for sum, normalize, accumulate_normalized_abs and softmax_xent into {@code bytes[0]}. */
    public static native int p4j_reduce_workspace_bytes(@Cast("long long*") long[] bytes);

    /** {@code out[0] = Σ x} (double, fixed order). */
    public static native int p4j_sum(@Cast("float*") long out, @Cast("const float*") long x, int n, @Cast("void*") long workspace,
                                     long workspaceBytes, @Cast("void*") long stream);

    /** In place {@code s /= d}, {@code kind} the ordinal of {@link io.prune4j.backend.Normalization}. */
    public static native int p4j_normalize(@Cast("float*") long s, int n, int kind, @Cast("void*") long workspace,
                                           long workspaceBytes, @Cast("void*") long stream);

    /** {@code acc += |x| / Σ|x|} (nothing when the sum is 0). */
    public static native int p4j_accumulate_normalized_abs(@Cast("float*") long acc, @Cast("const float*") long x, int n,
                                                           @Cast("void*") long workspace, long workspaceBytes,
                                                           @Cast("void*") long stream);

    /** Workspace bytes {@link #p4j_fpgm_scores} needs for {@code rows} rows into {@code bytes[0]}. */
    public static native int p4j_fpgm_workspace_bytes(int rows, @Cast("long long*") long[] bytes);

    /** FPGM: {@code out[r] = Σ_j ‖w[r, :] − w[j, :]‖₂} over {@code w [rows, cols]} (double, deterministic). */
    public static native int p4j_fpgm_scores(@Cast("float*") long out, @Cast("const float*") long w, int rows, int cols,
                                             @Cast("void*") long workspace, long workspaceBytes, @Cast("void*") long stream);

    /** Workspace bytes {@link #p4j_lamp_scores} needs for {@code n} elements into {@code bytes[0]} (needs a device). */
    public static native int p4j_lamp_workspace_bytes(int n, @Cast("long long*") long[] bytes);

    /** LAMP: {@code w_u² / Σ_{v ≥ u} w_v²} in increasing magnitude order (ties by index), scattered back. */
    public static native int p4j_lamp_scores(@Cast("float*") long out, @Cast("const float*") long w, int n,
                                             @Cast("void*") long workspace, long workspaceBytes, @Cast("void*") long stream);

    /**
     * {@code out[k] = reduce(src[perm[i]], offsets[k] ≤ i < offsets[k + 1])}, {@code reduction} the ordinal of
     * {@link io.prune4j.backend.Reduction}; a bad index or range writes 0 there and bumps {@code bad} (0 = none).
     */
    public static native int p4j_segment_reduce(@Cast("float*") long out, @Cast("const float*") long src,
                                                @Cast("const int*") long perm, @Cast("const int*") long offsets, int segments,
                                                int srcSize, int permSize, int reduction, @Cast("unsigned int*") long bad,
                                                @Cast("void*") long stream);

    // ---- ranking (selection.cu) -----------------------------------------------------------

    /** Workspace bytes {@link #p4j_select_topk} needs for {@code n} scores into {@code bytes[0]}. */
    public static native int p4j_select_topk_workspace_bytes(int n, @Cast("long long*") long[] bytes);

    /**
     * Radix-select top-k: {@code mask} (0 = none) gets exactly {@code keep} ones (the largest scores,
     * NaN as −∞, ties lower index first), {@code kth} (0 = none; one device float) the keep-th
     * largest value (+∞ for keep 0). The same masks as {@code CpuBackend.selectTopK}.
     */
    public static native int p4j_select_topk(@Cast("float*") long mask, @Cast("float*") long kth,
                                             @Cast("const float*") long scores, int n, int keep, @Cast("void*") long workspace,
                                             long workspaceBytes, @Cast("void*") long stream);

    /** {@code count[0]} (device int) = number of scores ≥ threshold. */
    public static native int p4j_count_at_least(@Cast("int*") long count, @Cast("const float*") long scores, int n,
                                                float threshold, @Cast("void*") long stream);

    // ---- compaction (compaction.cu) -------------------------------------------------------

    /** Workspace bytes {@link #p4j_mask_to_indices} needs into {@code bytes[0]} (needs a device). */
    public static native int p4j_mask_to_indices_workspace_bytes(int n, @Cast("long long*") long[] bytes);

    /** Indices of nonzero mask elements, increasing, to {@code indices}; their number to {@code count} (device int). */
    public static native int p4j_mask_to_indices(@Cast("int*") long indices, @Cast("int*") long count,
                                                 @Cast("const float*") long mask, int n, @Cast("void*") long workspace,
                                                 long workspaceBytes, @Cast("void*") long stream);

    /** {@code out[r, :] = src[idx[r], :]} for 4-byte elements; out-of-range rows become 0 and bump {@code bad} (0 = none). */
    public static native int p4j_gather_rows(@Cast("void*") long out, @Cast("const void*") long src, @Cast("const int*") long idx,
                                             int rows, int cols, int srcRows, @Cast("unsigned int*") long bad,
                                             @Cast("void*") long stream);

    /** {@code out[r, c·block + j] = src[rowIdx[r], colIdx[c]·block + j]}; a 0 index pointer is the identity. */
    public static native int p4j_gather_blocks(@Cast("void*") long out, @Cast("const void*") long src,
                                               @Cast("const int*") long rowIdx, @Cast("const int*") long colIdx, int rowsOut,
                                               int blocksOut, int block, int srcRows, int srcCols,
                                               @Cast("unsigned int*") long bad, @Cast("void*") long stream);

    // ---- training (training.cu) -----------------------------------------------------------

    /** {@code out[c] = beta·out[c] + Σ_r x[r, c]}. */
    public static native int p4j_sum_rows(@Cast("float*") long out, @Cast("const float*") long x, int rows, int n, float beta,
                                          @Cast("void*") long stream);

    /** Fused softmax + cross-entropy; adds loss and correct count to {@code metrics[0..1]} on the device. */
    public static native int p4j_softmax_xent(@Cast("float*") long grad, @Cast("float*") long metrics,
                                              @Cast("const float*") long logits, @Cast("const int*") long labels, int rows,
                                              int classes, float gradScale, @Cast("void*") long workspace,
                                              long workspaceBytes, @Cast("void*") long stream);

    /**
     * {@link #p4j_softmax_xent} that reports the first row whose label is outside {@code [0, classes)}
     * in {@code badLabel} (device {@code int[3]}: row + 1, label, classes) unless a report is already there.
     */
    public static native int p4j_softmax_xent_checked(@Cast("float*") long grad, @Cast("float*") long metrics,
                                                      @Cast("const float*") long logits, @Cast("const int*") long labels,
                                                      int rows, int classes, float gradScale, @Cast("void*") long workspace,
                                                      long workspaceBytes, @Cast("int*") long badLabel,
                                                      @Cast("void*") long stream);

    /** {@code db[c] = Σ_b Σ_s dy[b, c, s]} (overwrites): the bias gradient of a convolution. */
    public static native int p4j_sum_channels(@Cast("float*") long db, @Cast("const float*") long dy, int batch, int channels,
                                              int spatial, @Cast("void*") long stream);

    /** Knowledge-distillation loss and gradient; adds loss and the student's correct count to {@code metrics[0..1]}. */
    public static native int p4j_distillation(@Cast("float*") long grad, @Cast("float*") long metrics,
                                              @Cast("const float*") long student, @Cast("const float*") long teacher,
                                              @Cast("const int*") long labels, int rows, int classes, float temperature,
                                              float alpha, float gradScale, @Cast("void*") long workspace, long workspaceBytes,
                                              @Cast("void*") long stream);

    /** {@link #p4j_distillation} that reports labels out of range as {@link #p4j_softmax_xent_checked} does. */
    public static native int p4j_distillation_checked(@Cast("float*") long grad, @Cast("float*") long metrics,
                                                      @Cast("const float*") long student, @Cast("const float*") long teacher,
                                                      @Cast("const int*") long labels, int rows, int classes, float temperature,
                                                      float alpha, float gradScale, @Cast("void*") long workspace,
                                                      long workspaceBytes, @Cast("int*") long badLabel,
                                                      @Cast("void*") long stream);

    /** SGD step (velocity 0 allowed when momentum is 0). */
    public static native int p4j_sgd_step(@Cast("float*") long w, @Cast("float*") long velocity, @Cast("const float*") long grad,
                                          int n, float lr, float momentum, float weightDecay, @Cast("void*") long stream);

    /** Adam step, bias-corrected with {@code step ≥ 1}. */
    public static native int p4j_adam_step(@Cast("float*") long w, @Cast("float*") long m, @Cast("float*") long v,
                                           @Cast("const float*") long grad, int n, float lr, float beta1, float beta2,
                                           float eps, float weightDecay, int step, @Cast("void*") long stream);

    // ---- pooling (pooling.cu) -------------------------------------------------------------

    /** Max pooling of {@code x [planes, h, w]} into {@code y, argmax [planes, ho, wo]} (argmax = h·W + w in the plane, first maximum). */
    public static native int p4j_max_pool2d(@Cast("float*") long y, @Cast("int*") long argmax, @Cast("const float*") long x,
                                            int planes, int h, int w, int window, int stride, @Cast("void*") long stream);

    /** {@link #p4j_max_pool2d} with −∞ padding {@code pad} (≤ window / 2) on every side; argmax stays inside the plane. */
    public static native int p4j_max_pool2d_pad(@Cast("float*") long y, @Cast("int*") long argmax, @Cast("const float*") long x,
                                                int planes, int h, int w, int window, int stride, int pad,
                                                @Cast("void*") long stream);

    /** {@link #p4j_max_pool2d_pad}, with partial patches at the far edges kept when {@code ceilMode != 0} (ceil_mode). */
    public static native int p4j_max_pool2d_ceil(@Cast("float*") long y, @Cast("int*") long argmax, @Cast("const float*") long x,
                                                 int planes, int h, int w, int window, int stride, int pad, int ceilMode,
                                                 @Cast("void*") long stream);

    /** Average pooling with zero padding; divides by window² when {@code countIncludePad != 0}, else by the positions inside. */
    public static native int p4j_avg_pool2d(@Cast("float*") long y, @Cast("const float*") long x, int planes, int h, int w,
                                            int window, int stride, int pad, int countIncludePad, @Cast("void*") long stream);

    /** The gradient of {@link #p4j_avg_pool2d}: overwrites {@code dx [planes, h, w]}. */
    public static native int p4j_avg_pool2d_backward(@Cast("float*") long dx, @Cast("const float*") long dy, int planes, int h,
                                                     int w, int window, int stride, int pad, int countIncludePad,
                                                     @Cast("void*") long stream);

    /** {@code dx = 0}, then {@code dx[p, argmax[p, o]] += dy[p, o]}. */
    public static native int p4j_max_pool2d_backward(@Cast("float*") long dx, @Cast("const float*") long dy,
                                                     @Cast("const int*") long argmax, int planes, int inPlane, int outPlane,
                                                     @Cast("void*") long stream);

    // ---- normalisation (normalization.cu) ---------------------------------------------------

    /** Workspace bytes the batch-norm launchers need for {@code x [batch, channels, spatial]} into {@code bytes[0]}. */
    public static native int p4j_batch_norm_workspace_bytes(int batch, int channels, int spatial, @Cast("long long*") long[] bytes);

    /**
     * Batch normalisation of {@code x [batch, channels, spatial]}: batch statistics (saved, and folded into
     * the running ones with the unbiased variance) when {@code training != 0}, else the running ones.
     */
    public static native int p4j_batch_norm_forward(@Cast("float*") long y, @Cast("float*") long saveMean,
                                                    @Cast("float*") long saveInvStd, @Cast("float*") long runningMean,
                                                    @Cast("float*") long runningVar, @Cast("const float*") long x,
                                                    @Cast("const float*") long gamma, @Cast("const float*") long beta, int batch,
                                                    int channels, int spatial, float momentum, float eps, int training,
                                                    @Cast("void*") long workspace, long workspaceBytes, @Cast("void*") long stream);

    /** Gradients of a training-mode batch normalisation; {@code dx} 0 = not wanted. */
    public static native int p4j_batch_norm_backward(@Cast("float*") long dx, @Cast("float*") long dGamma,
                                                     @Cast("float*") long dBeta, @Cast("const float*") long dy,
                                                     @Cast("const float*") long x, @Cast("const float*") long gamma,
                                                     @Cast("const float*") long saveMean, @Cast("const float*") long saveInvStd,
                                                     int batch, int channels, int spatial, @Cast("void*") long workspace,
                                                     long workspaceBytes, @Cast("void*") long stream);
}
