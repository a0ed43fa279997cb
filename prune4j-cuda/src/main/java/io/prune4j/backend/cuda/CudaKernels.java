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
 * {@code CUstream_st}, or a raw address), {@code null}/0 = the default stream. {@code p4j_stream_synchronize}
 * and the first two launchers have a {@link Pointer} overload and a raw-address ({@code long}) overload; the later
 * ones take raw addresses only ({@code pointer.address()} turns a {@link Pointer} into one), since
 * device memory is held as addresses ({@link DeviceBuffer}) and every overload is JNI glue to build
 * and load. Host outputs of the memory functions are one-element Java arrays.
 *
 * <p>The contract every launcher shares, so that the comments below need not repeat it:
 * <ul>
 *   <li>pointer arguments are device addresses of row-major data (FLOAT32 unless the parameter says
 *       {@code int}), owned by the caller, who keeps them valid until the queued work has run; 0 (or
 *       {@code null}) is NULL, allowed only where a comment says so or for an empty problem;</li>
 *   <li>sizes are {@code int} element counts; a size 0 is a no-op that returns 0; a negative size,
 *       or NULL for a non-empty problem, returns {@code cudaErrorInvalidValue} (1) and launches
 *       nothing; so does a flag or ordinal outside its range;</li>
 *   <li>launches are asynchronous on {@code stream}: the code says whether the launch was accepted,
 *       and an error raised while a kernel runs surfaces at the next synchronising call;</li>
 *   <li>{@code workspace, workspaceBytes} is scratch device memory of at least the bytes the
 *       matching {@code p4j_*_workspace_bytes} function reports (less is
 *       {@code cudaErrorInvalidValue}); one workspace must not serve two streams at the same time;</li>
 *   <li>{@code bad} and {@code badLabel} are optional device counters and reports (0 = none); an
 *       index out of range never makes a kernel read or write outside its buffers.</li>
 * </ul>
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

    /**
     * Number of visible CUDA devices.
     *
     * @param count one-element output: the device count (0 on error)
     * @return the {@code cudaGetDeviceCount} code, e.g. {@code cudaErrorInsufficientDriver} (35) without a driver
     */
    public static native int p4j_device_count(int[] count);

    /**
     * {@code cudaGetErrorString(code)}.
     *
     * @param code a {@code cudaError_t} value
     * @return CUDA's description of it (a static string, never null)
     */
    public static native @Cast("const char*") String p4j_error_string(int code);

    /**
     * {@code cudaGetErrorName(code)}, e.g. {@code cudaErrorInvalidValue}.
     *
     * @param code a {@code cudaError_t} value
     * @return the enum constant's name (a static string, never null)
     */
    public static native @Cast("const char*") String p4j_error_name(int code);

    /**
     * {@code cudaGetLastError()}: returns and clears the last non-sticky error.
     *
     * @return the last error code, 0 when there was none
     */
    public static native int p4j_last_error();

    /**
     * {@code cudaRuntimeGetVersion}.
     *
     * @param version one-element output: the runtime's CUDA version, 1000·major + 10·minor
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_runtime_version(int[] version);

    /**
     * {@code cudaDriverGetVersion}.
     *
     * @param version one-element output: the newest CUDA version the driver supports, 1000·major + 10·minor;
     *     0 when no driver is installed
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_driver_version(int[] version);

    /**
     * {@code cudaGetDeviceProperties(device)}: the name into {@code name} (NUL-terminated, at most
     * {@code nameLen} bytes), compute capability into {@code ccMajor[0]}/{@code ccMinor[0]}, global
     * memory bytes into {@code totalMem[0]}, multiprocessors into {@code smCount[0]}. Every output may
     * be null (not wanted).
     *
     * @param device the device index
     * @param name output: the device's name, NUL-terminated, truncated to {@code nameLen} bytes
     * @param nameLen the bytes {@code name} has room for
     * @param ccMajor one-element output: the compute capability's major version
     * @param ccMinor one-element output: the compute capability's minor version
     * @param totalMem one-element output: global memory in bytes
     * @param smCount one-element output: the number of multiprocessors
     * @return the {@code cudaError_t} code, 0 on success; an error without a driver or such a device
     */
    public static native int p4j_device_props(
            int device, @Cast("char*") byte[] name, int nameLen, int[] ccMajor, int[] ccMinor,
            @Cast("long long*") long[] totalMem, int[] smCount);

    /**
     * {@code cudaDeviceSynchronize()}: waits for all work on the current device.
     *
     * @return the {@code cudaError_t} code, 0 on success; also the error of work that failed while it ran
     */
    public static native int p4j_device_synchronize();

    /**
     * {@code cudaStreamSynchronize(stream)}: waits for the work queued on {@code stream}.
     *
     * @param stream a {@code cudaStream_t}; {@code null} = the legacy default stream
     * @return the {@code cudaError_t} code, 0 on success; also the error of queued work that failed
     */
    public static native int p4j_stream_synchronize(Pointer stream);

    /**
     * {@link #p4j_stream_synchronize(Pointer)} for a raw stream address.
     *
     * @param stream a {@code cudaStream_t} address; 0 = the legacy default stream
     * @return the {@code cudaError_t} code, 0 on success; also the error of queued work that failed
     */
    public static native int p4j_stream_synchronize(@Cast("void*") long stream);

    // ---- element-wise (elementwise.cu) -----------------------------------------------------

    /**
     * In place on the device matrix {@code y[rows, n]} (row-major float): {@code y[r, c] += bias[c]},
     * then {@code y = max(y, 0)} when {@code relu != 0}. Asynchronous on {@code stream}.
     *
     * @param y the matrix {@code [rows, n]}, read and written
     * @param bias the bias {@code [n]}
     * @param rows rows of {@code y}
     * @param n columns of {@code y}
     * @param relu nonzero: a ReLU after the addition
     * @param stream the stream; {@code null} = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_bias_add(
            FloatPointer y, FloatPointer bias, int rows, int n, int relu, Pointer stream);

    /**
     * {@link #p4j_bias_add(FloatPointer, FloatPointer, int, int, int, Pointer)} for raw addresses.
     *
     * @param y the matrix {@code [rows, n]}, read and written
     * @param bias the bias {@code [n]}
     * @param rows rows of {@code y}
     * @param n columns of {@code y}
     * @param relu nonzero: a ReLU after the addition
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_bias_add(
            @Cast("float*") long y, @Cast("const float*") long bias, int rows, int n, int relu,
            @Cast("void*") long stream);

    // ---- scoring (scoring.cu) ---------------------------------------------------------------

    /**
     * Fused activation×gradient accumulation over device tensors {@code a, g [batch, units, spatial]}:
     * {@code acc[n] += scale·|Σ_b mean_s a·g|}, or with {@code absInside != 0}
     * {@code scale·Σ_b |mean_s a·g|}. Deterministic; the same numbers as
     * {@code CpuBackend.taylorAccumulate}. Asynchronous on {@code stream}.
     *
     * @param acc the accumulator {@code [units]}, added to
     * @param a the activations {@code [batch, units, spatial]}
     * @param g their gradients, shaped like {@code a}
     * @param batch examples
     * @param units units (channels)
     * @param spatial positions per unit, at least 1 (1 for a dense layer)
     * @param absInside nonzero: the magnitude per example, inside the sum over the batch
     * @param scale the factor of the added term
     * @param stream the stream; {@code null} = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_taylor_accumulate(
            FloatPointer acc, FloatPointer a, FloatPointer g, int batch, int units, int spatial, int absInside, float scale,
            Pointer stream);

    /**
     * {@link #p4j_taylor_accumulate(FloatPointer, FloatPointer, FloatPointer, int, int, int, int, float, Pointer)}
     * for raw addresses.
     *
     * @param acc the accumulator {@code [units]}, added to
     * @param a the activations {@code [batch, units, spatial]}
     * @param g their gradients, shaped like {@code a}
     * @param batch examples
     * @param units units (channels)
     * @param spatial positions per unit, at least 1 (1 for a dense layer)
     * @param absInside nonzero: the magnitude per example, inside the sum over the batch
     * @param scale the factor of the added term
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_taylor_accumulate(
            @Cast("float*") long acc, @Cast("const float*") long a, @Cast("const float*") long g, int batch, int units,
            int spatial, int absInside, float scale, @Cast("void*") long stream);

    // ---- memory, streams, events (device.cu) -----------------------------------------------
    // Used through DeviceBuffer; a raw address of 0 is NULL.

    /**
     * {@code cudaMalloc} of {@code bytes} (1 for 0) into {@code ptr[0]}; 0 there on failure, which is
     * not left sticky. The caller owns the memory and frees it with {@link #p4j_free}.
     *
     * @param ptr one-element output: the device address
     * @param bytes the size, at least 0
     * @return the {@code cudaError_t} code, 0 on success ({@code cudaErrorMemoryAllocation}, 2, when the device is full)
     */
    public static native int p4j_malloc(@Cast("void**") long[] ptr, long bytes);

    /**
     * {@code cudaFree}: waits for the device, then frees.
     *
     * @param ptr a device address from {@link #p4j_malloc}, or pool memory that no queued work uses any more; 0 is a no-op
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_free(@Cast("void*") long ptr);

    /**
     * A stream-ordered pool of device memory on {@code device} into {@code pool[0]}, release threshold
     * UINT64_MAX (freed memory stays reserved until trimmed or destroyed); cudaErrorNotSupported (801)
     * when the device has no memory pools. The caller owns the pool and destroys it with
     * {@link #p4j_mem_pool_destroy}.
     *
     * @param pool one-element output: the {@code cudaMemPool_t} (0 on failure)
     * @param device the device index
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mem_pool_create(@Cast("void**") long[] pool, int device);

    /**
     * {@code cudaMemPoolDestroy}; 0 is a no-op.
     *
     * @param pool a pool of {@link #p4j_mem_pool_create}, or 0
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mem_pool_destroy(@Cast("void*") long pool);

    /**
     * {@code cudaMemPoolTrimTo(pool, keepBytes)}: hands unused reserved memory back to the driver.
     *
     * @param pool a pool of {@link #p4j_mem_pool_create} (not 0)
     * @param keepBytes reserved bytes to keep, at least 0
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mem_pool_trim(@Cast("void*") long pool, long keepBytes);

    /**
     * The pool's reserved bytes into {@code reserved[0]} and bytes in use into {@code used[0]}.
     *
     * @param pool a pool of {@link #p4j_mem_pool_create} (not 0)
     * @param reserved one-element output: bytes reserved from the driver; may be null
     * @param used one-element output: bytes in use by allocations; may be null
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mem_pool_usage(@Cast("void*") long pool, @Cast("long long*") long[] reserved,
                                                @Cast("long long*") long[] used);

    /**
     * {@code cudaMallocFromPoolAsync} of {@code bytes} (1 for 0) on {@code stream} into {@code ptr[0]}; 0 there on
     * failure, which is not left sticky. Work queued on {@code stream} from then on may use it, other streams only
     * after a synchronisation. The caller owns it and frees it with {@link #p4j_free_async} (or {@link #p4j_free}
     * once no work uses it).
     *
     * @param ptr one-element output: the device address
     * @param bytes the size, at least 0
     * @param pool a pool of {@link #p4j_mem_pool_create} (not 0)
     * @param stream the stream the allocation is ordered on; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success ({@code cudaErrorMemoryAllocation}, 2, when the pool cannot serve it)
     */
    public static native int p4j_malloc_async(@Cast("void**") long[] ptr, long bytes, @Cast("void*") long pool,
                                              @Cast("void*") long stream);

    /**
     * {@code cudaFreeAsync(ptr, stream)}: queued behind the stream's work, returns at once; 0 is a no-op.
     *
     * @param ptr a device address of {@link #p4j_malloc_async}, or 0
     * @param stream the stream whose queued work may still use the memory; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_free_async(@Cast("void*") long ptr, @Cast("void*") long stream);

    /**
     * {@code cudaMemGetInfo} into {@code free[0]}, {@code total[0]}.
     *
     * @param free one-element output: free device memory in bytes; may be null
     * @param total one-element output: total device memory in bytes; may be null
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mem_get_info(@Cast("long long*") long[] free, @Cast("long long*") long[] total);

    /**
     * {@code cudaMemcpy} ({@code async == 0}) or {@code cudaMemcpyAsync}; kind 1 host→device, 2 device→host, 3
     * device→device. A copy of 0 bytes is a no-op.
     *
     * @param dst the destination address (host or device, as {@code kind} says)
     * @param src the source address
     * @param bytes the bytes to copy, at least 0
     * @param kind a {@code cudaMemcpyKind}, 0 to 4
     * @param stream the stream of an asynchronous copy (0 = the default stream); unused when {@code async == 0}
     * @param async nonzero: {@code cudaMemcpyAsync} on {@code stream}, else the synchronous {@code cudaMemcpy}
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_memcpy(@Cast("void*") long dst, @Cast("const void*") long src, long bytes, int kind,
                                        @Cast("void*") long stream, int async);

    /**
     * {@code cudaMemsetAsync}: sets {@code bytes} bytes at {@code dst} to {@code value}. A size of 0 is a no-op.
     *
     * @param dst the device address
     * @param value the byte value (its low 8 bits)
     * @param bytes the bytes to set, at least 0
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_memset(@Cast("void*") long dst, int value, long bytes, @Cast("void*") long stream);

    /**
     * A non-blocking stream ({@code cudaStreamNonBlocking}) into {@code stream[0]}. The caller owns it and destroys
     * it with {@link #p4j_stream_destroy}.
     *
     * @param stream one-element output: the {@code cudaStream_t} (0 on failure)
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_stream_create(@Cast("void**") long[] stream);

    /**
     * {@code cudaStreamDestroy}; 0 is a no-op.
     *
     * @param stream a stream of {@link #p4j_stream_create}, or 0
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_stream_destroy(@Cast("void*") long stream);

    /**
     * A CUDA event (for timing) into {@code event[0]}. The caller owns it and destroys it with
     * {@link #p4j_event_destroy}.
     *
     * @param event one-element output: the {@code cudaEvent_t} (0 on failure)
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_event_create(@Cast("void**") long[] event);

    /**
     * {@code cudaEventDestroy}; 0 is a no-op.
     *
     * @param event an event of {@link #p4j_event_create}, or 0
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_event_destroy(@Cast("void*") long event);

    /**
     * {@code cudaEventRecord(event, stream)}.
     *
     * @param event an event of {@link #p4j_event_create} (not 0)
     * @param stream the stream to record on; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_event_record(@Cast("void*") long event, @Cast("void*") long stream);

    /**
     * Milliseconds between two recorded events into {@code ms[0]} (waits for {@code end}).
     *
     * @param ms one-element output: the elapsed milliseconds
     * @param start the earlier recorded event (not 0)
     * @param end the later recorded event (not 0)
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_event_elapsed_ms(float[] ms, @Cast("void*") long start, @Cast("void*") long end);

    /**
     * Zero-filled page-locked host memory mapped for the device ({@code cudaHostAlloc} with
     * {@code cudaHostAllocMapped}): host address into {@code host[0]}, device address into {@code device[0]}.
     * The caller owns it and frees it with {@link #p4j_host_free}.
     *
     * @param host one-element output: the host address
     * @param device one-element output: the address kernels may use
     * @param bytes the size, at least 0 (1 for 0)
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_host_alloc_mapped(@Cast("void**") long[] host, @Cast("void**") long[] device, long bytes);

    /**
     * {@code cudaFreeHost}; 0 is a no-op.
     *
     * @param host a host address of {@link #p4j_host_alloc_mapped}, or 0
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_host_free(@Cast("void*") long host);

    /**
     * L2 cache bytes of {@code device} into {@code bytes[0]} (for benchmarks that scrub it).
     *
     * @param device the device index
     * @param bytes one-element output: the L2 cache size in bytes
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_l2_cache_bytes(int device, int[] bytes);

    // ---- element-wise (elementwise.cu): the CPU's float arithmetic, bit for bit ------------

    /**
     * {@code y[i] = value}.
     *
     * @param y the output {@code [n]}
     * @param n elements
     * @param value the value
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_fill(@Cast("float*") long y, int n, float value, @Cast("void*") long stream);

    /**
     * {@code y[i] += alpha·x[i]}.
     *
     * @param y the accumulator {@code [n]}, read and written
     * @param x the input {@code [n]}
     * @param n elements
     * @param alpha the factor of {@code x}
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_axpy(@Cast("float*") long y, @Cast("const float*") long x, int n, float alpha,
                                      @Cast("void*") long stream);

    /**
     * {@code y[i] *= alpha}.
     *
     * @param y the values {@code [n]}, read and written
     * @param n elements
     * @param alpha the factor
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_scale(@Cast("float*") long y, int n, float alpha, @Cast("void*") long stream);

    /**
     * {@code y[i] = a[i]·b[i]}, {@code y} may be {@code a} or {@code b}: also the unstructured mask apply after an
     * optimiser step.
     *
     * @param y the output {@code [n]}
     * @param a the first factor {@code [n]}
     * @param b the second factor {@code [n]}
     * @param n elements
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mul(@Cast("float*") long y, @Cast("const float*") long a, @Cast("const float*") long b, int n,
                                     @Cast("void*") long stream);

    /**
     * {@code y = max(x, 0)} (NaN stays NaN); {@code y} may be {@code x}.
     *
     * @param y the output {@code [n]}
     * @param x the input {@code [n]}
     * @param n elements
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_relu(@Cast("float*") long y, @Cast("const float*") long x, int n, @Cast("void*") long stream);

    /**
     * {@code dx = y > 0 ? dy : 0}; {@code dx} may be {@code dy}.
     *
     * @param dx the input gradient {@code [n]}, written
     * @param dy the output gradient {@code [n]}
     * @param y the ReLU's output {@code [n]}
     * @param n elements
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_relu_backward(@Cast("float*") long dx, @Cast("const float*") long dy,
                                               @Cast("const float*") long y, int n, @Cast("void*") long stream);

    /**
     * {@code s[i] = value} where {@code mask[i] == 0}.
     *
     * @param s the values {@code [n]}, written where the mask is 0
     * @param mask the mask {@code [n]}
     * @param n elements
     * @param value the value for masked-out elements
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_masked_fill(@Cast("float*") long s, @Cast("const float*") long mask, int n, float value,
                                             @Cast("void*") long stream);

    /**
     * {@code out[r, c] = v[r]} for {@code out [rows, cols]}: a unit mask becomes a row mask.
     *
     * @param out the output {@code [rows, cols]}
     * @param v the row values {@code [rows]}
     * @param rows rows
     * @param cols columns
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_broadcast_rows(@Cast("float*") long out, @Cast("const float*") long v, int rows, int cols,
                                                @Cast("void*") long stream);

    /**
     * In place on {@code y [batch, channels, spatial]}: {@code y += bias[c]}, then {@code y = 0} where {@code y < 0} if
     * {@code relu != 0}; {@code bias} 0 (none) leaves the ReLU alone.
     *
     * @param y a convolution's output {@code [batch, channels, spatial]}, read and written
     * @param bias the bias {@code [channels]}; 0 = none
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel ({@code H·W})
     * @param relu nonzero: a ReLU after the addition
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_bias_add_channels(@Cast("float*") long y, @Cast("const float*") long bias, int batch,
                                                   int channels, int spatial, int relu, @Cast("void*") long stream);

    /**
     * {@code y = Math.min(Math.max(x, lo), hi)}; {@code y} may be {@code x}.
     *
     * @param y the output {@code [n]}
     * @param x the input {@code [n]}
     * @param n elements
     * @param lo the lower bound, not NaN
     * @param hi the upper bound, at least {@code lo}
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_clamp(@Cast("float*") long y, @Cast("const float*") long x, int n, float lo, float hi,
                                       @Cast("void*") long stream);

    /**
     * {@code dx = lo < y < hi ? dy : 0}; {@code dx} may be {@code dy}.
     *
     * @param dx the input gradient {@code [n]}, written
     * @param dy the output gradient {@code [n]}
     * @param y the clamp's output {@code [n]}
     * @param n elements
     * @param lo the clamp's lower bound
     * @param hi the clamp's upper bound
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_clamp_backward(@Cast("float*") long dx, @Cast("const float*") long dy,
                                                @Cast("const float*") long y, int n, float lo, float hi,
                                                @Cast("void*") long stream);

    /**
     * {@code y = f(x)} for the activation {@code kind}, the ordinal of {@link io.prune4j.backend.ActivationKind};
     * {@code y} may be {@code x}.
     *
     * @param y the output {@code [n]}
     * @param x the input {@code [n]}
     * @param n elements
     * @param kind the ordinal of {@link io.prune4j.backend.ActivationKind}
     * @param alpha the formula's alpha (LeakyReLU, HardSigmoid, ELU), finite there; ignored by the others
     * @param beta the formula's beta (HardSigmoid), finite there; ignored by the others
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_activation(@Cast("float*") long y, @Cast("const float*") long x, int n, int kind, float alpha,
                                            float beta, @Cast("void*") long stream);

    /**
     * {@code dx = f'(x)·dy} of {@link #p4j_activation}, from its input {@code x} or output {@code y}; {@code dx} may
     * be {@code dy}.
     *
     * @param dx the input gradient {@code [n]}, written
     * @param dy the output gradient {@code [n]}
     * @param x the activation's input {@code [n]}
     * @param y the activation's output {@code [n]}
     * @param n elements
     * @param kind the ordinal of {@link io.prune4j.backend.ActivationKind}
     * @param alpha as for {@link #p4j_activation}
     * @param beta as for {@link #p4j_activation}
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_activation_backward(@Cast("float*") long dx, @Cast("const float*") long dy,
                                                     @Cast("const float*") long x, @Cast("const float*") long y, int n, int kind,
                                                     float alpha, float beta, @Cast("void*") long stream);

    /**
     * {@code y = a + b}; {@code y} may be {@code a} or {@code b}.
     *
     * @param y the output {@code [n]}
     * @param a the first summand {@code [n]}
     * @param b the second summand {@code [n]}
     * @param n elements
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_add(@Cast("float*") long y, @Cast("const float*") long a, @Cast("const float*") long b, int n,
                                     @Cast("void*") long stream);

    /**
     * {@code y[p, i] = x[p, i]·s[p]} over {@code planes} planes of {@code spatial} values; {@code y} may be {@code x}.
     *
     * @param y the output {@code [planes, spatial]}
     * @param x the input {@code [planes, spatial]} (e.g. {@code [B, C, H, W]})
     * @param s the factor per plane {@code [planes]} (e.g. {@code [B, C]})
     * @param planes planes
     * @param spatial values per plane
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mul_channels(@Cast("float*") long y, @Cast("const float*") long x, @Cast("const float*") long s,
                                              int planes, int spatial, @Cast("void*") long stream);

    /**
     * {@code ds[p] = Σ_i dy[p, i]·x[p, i]} (double sums, rounded once): the gradient of {@link #p4j_mul_channels} for
     * {@code s}.
     *
     * @param ds the gradient of the factors {@code [planes]}, overwritten
     * @param dy the output gradient {@code [planes, spatial]}
     * @param x the input {@code [planes, spatial]}
     * @param planes planes
     * @param spatial values per plane
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mul_channels_backward(@Cast("float*") long ds, @Cast("const float*") long dy, @Cast("const float*") long x,
                                                       int planes, int spatial, @Cast("void*") long stream);

    /**
     * {@code Backend.augmentImages} on {@code out, in [batch, channels, height, width]}: per example a shift and a
     * mirror drawn from {@code splitmix64(seed + (r + 1)·γ)}; positions shifted outside the image are 0.
     *
     * @param out the augmented images {@code [batch, channels, height, width]}
     * @param in the images {@code [batch, channels, height, width]}
     * @param batch examples
     * @param channels channels
     * @param height rows per image
     * @param width columns per image
     * @param seed the seed of the draws
     * @param maxShift the largest shift in either direction, at least 0
     * @param flip nonzero: mirror an example horizontally when its draw says so
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_augment_images(@Cast("float*") long out, @Cast("const float*") long in, int batch, int channels,
                                                int height, int width, long seed, int maxShift, int flip, @Cast("void*") long stream);

    /**
     * {@code dst[b, dstOffset + c, s] = src[b, srcOffset + c, s]} for {@code c < channels} (4-byte elements): channel
     * concatenation and its gradient. Both channel ranges must lie inside their tensors; {@code dst} and
     * {@code src} must not overlap.
     *
     * @param dst the destination {@code [batch, dstChannels, spatial]}
     * @param src the source {@code [batch, srcChannels, spatial]}
     * @param batch examples
     * @param dstChannels channels of {@code dst}
     * @param dstOffset the first channel written in {@code dst}
     * @param srcChannels channels of {@code src}
     * @param srcOffset the first channel read in {@code src}
     * @param channels channels to copy
     * @param spatial positions per channel
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_copy_channels(@Cast("void*") long dst, @Cast("const void*") long src, int batch, int dstChannels,
                                               int dstOffset, int srcChannels, int srcOffset, int channels, int spatial,
                                               @Cast("void*") long stream);

    // ---- scoring (scoring.cu) -------------------------------------------------------------

    /**
     * {@code acc[i] += scale·t(x[i])}, {@code transform} the ordinal of {@link io.prune4j.backend.Transform}.
     *
     * @param acc the accumulator {@code [n]}, added to
     * @param x the input {@code [n]}
     * @param n elements
     * @param scale the factor of the added term
     * @param transform the ordinal of {@link io.prune4j.backend.Transform}: 0 identity, 1 magnitude, 2 square
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_accumulate(@Cast("float*") long acc, @Cast("const float*") long x, int n, float scale,
                                            int transform, @Cast("void*") long stream);

    /**
     * {@code acc[i] += scale·|a[i]·b[i]|}.
     *
     * @param acc the accumulator {@code [n]}, added to
     * @param a the first factor {@code [n]}
     * @param b the second factor {@code [n]}
     * @param n elements
     * @param scale the factor of the added term
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_accumulate_abs_product(@Cast("float*") long acc, @Cast("const float*") long a,
                                                        @Cast("const float*") long b, int n, float scale,
                                                        @Cast("void*") long stream);

    /**
     * {@code acc[n] += Σ_b (positions with a > 0)/spatial} over {@code a [batch, units, spatial]} (APoZ, activation
     * frequency).
     *
     * @param acc the accumulator {@code [units]}, added to
     * @param a the activations {@code [batch, units, spatial]}
     * @param batch examples
     * @param units units (channels)
     * @param spatial positions per unit, at least 1
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_count_positive(@Cast("float*") long acc, @Cast("const float*") long a, int batch, int units,
                                                int spatial, @Cast("void*") long stream);

    /**
     * {@code out[r] = ‖w[r, :]‖_p}, p = 1 or 2 (double sums).
     *
     * @param out the norms {@code [rows]}
     * @param w the matrix {@code [rows, cols]}
     * @param rows rows
     * @param cols columns
     * @param p the norm, 1 or 2
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_row_norms(@Cast("float*") long out, @Cast("const float*") long w, int rows, int cols, int p,
                                           @Cast("void*") long stream);

    /**
     * {@code out[r] = Σ_c x[r, c]} (double sums).
     *
     * @param out the sums {@code [rows]}
     * @param x the matrix {@code [rows, cols]}
     * @param rows rows
     * @param cols columns
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_row_sums(@Cast("float*") long out, @Cast("const float*") long x, int rows, int cols,
                                          @Cast("void*") long stream);

    /**
     * The composite criterion {@code Σ_j |w|·gAbs·freq[j / block] / Σ_j |w|} per row; {@code freq} has
     * {@code cols / block} entries (block 1: one per input; {@code kh·kw}: one per input channel of a convolution).
     * An all-zero row scores 0.
     *
     * @param out the scores {@code [rows]}
     * @param w the weights {@code [rows, cols]}
     * @param gAbs gradient magnitudes {@code [rows, cols]}
     * @param freq input frequencies {@code [cols / block]}
     * @param rows rows
     * @param cols columns, a multiple of {@code block}
     * @param block weights per frequency entry, at least 1
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_composite_scores(@Cast("float*") long out, @Cast("const float*") long w,
                                                  @Cast("const float*") long gAbs, @Cast("const float*") long freq, int rows,
                                                  int cols, int block, @Cast("void*") long stream);

    /**
     * Workspace bytes for sum, normalize, accumulate_normalized_abs and softmax_xent into {@code bytes[0]} (a
     * constant, whatever the sizes).
     *
     * @param bytes one-element output: the workspace bytes
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_reduce_workspace_bytes(@Cast("long long*") long[] bytes);

    /**
     * {@code out[0] = Σ x} (double, fixed order); 0 for {@code n == 0}.
     *
     * @param out one device float, overwritten
     * @param x the values {@code [n]}
     * @param n elements
     * @param workspace scratch of {@link #p4j_reduce_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_sum(@Cast("float*") long out, @Cast("const float*") long x, int n, @Cast("void*") long workspace,
                                     long workspaceBytes, @Cast("void*") long stream);

    /**
     * In place {@code s /= d}, {@code kind} the ordinal of {@link io.prune4j.backend.Normalization}: d the L2 norm (1),
     * the largest magnitude (2) or the L1 norm (3) of {@code s}; nothing for kind 0, or when d is 0 or not finite.
     *
     * @param s the values {@code [n]}, read and written
     * @param n elements
     * @param kind 0 to 3, as above
     * @param workspace scratch of {@link #p4j_reduce_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_normalize(@Cast("float*") long s, int n, int kind, @Cast("void*") long workspace,
                                           long workspaceBytes, @Cast("void*") long stream);

    /**
     * {@code acc += |x| / Σ|x|} (nothing when the sum is 0).
     *
     * @param acc the accumulator {@code [n]}, added to
     * @param x the input {@code [n]}
     * @param n elements
     * @param workspace scratch of {@link #p4j_reduce_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_accumulate_normalized_abs(@Cast("float*") long acc, @Cast("const float*") long x, int n,
                                                           @Cast("void*") long workspace, long workspaceBytes,
                                                           @Cast("void*") long stream);

    /**
     * Workspace bytes {@link #p4j_fpgm_scores} needs for {@code rows} rows into {@code bytes[0]}.
     *
     * @param rows rows, at most 65535·32
     * @param bytes one-element output: the workspace bytes
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_fpgm_workspace_bytes(int rows, @Cast("long long*") long[] bytes);

    /**
     * FPGM: {@code out[r] = Σ_j ‖w[r, :] − w[j, :]‖₂} over {@code w [rows, cols]} (double, deterministic).
     *
     * @param out the scores {@code [rows]}
     * @param w the weights {@code [rows, cols]}
     * @param rows rows, at most 65535·32
     * @param cols columns
     * @param workspace scratch of {@link #p4j_fpgm_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_fpgm_scores(@Cast("float*") long out, @Cast("const float*") long w, int rows, int cols,
                                             @Cast("void*") long workspace, long workspaceBytes, @Cast("void*") long stream);

    /**
     * Workspace bytes {@link #p4j_lamp_scores} needs for {@code n} elements into {@code bytes[0]} (needs a device).
     *
     * @param n elements
     * @param bytes one-element output: the workspace bytes
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_lamp_workspace_bytes(int n, @Cast("long long*") long[] bytes);

    /**
     * LAMP: {@code w_u² / Σ_{v ≥ u} w_v²} in increasing magnitude order (ties by index), scattered back; 0 where the
     * sum is 0. Deterministic.
     *
     * @param out the scores {@code [n]}
     * @param w the weights {@code [n]}
     * @param n elements
     * @param workspace scratch of {@link #p4j_lamp_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_lamp_scores(@Cast("float*") long out, @Cast("const float*") long w, int n,
                                             @Cast("void*") long workspace, long workspaceBytes, @Cast("void*") long stream);

    /**
     * {@code out[k] = reduce(src[perm[i]], offsets[k] ≤ i < offsets[k + 1])}, {@code reduction} the ordinal of
     * {@link io.prune4j.backend.Reduction}; a bad index or range writes 0 there and bumps {@code bad} (0 = none).
     * An empty segment gives 0.
     *
     * @param out the results {@code [segments]}
     * @param src the values {@code [srcSize]}
     * @param perm INT32 indices into {@code src} {@code [permSize]}
     * @param offsets INT32 segment bounds into {@code perm} {@code [segments + 1]}
     * @param segments segments
     * @param srcSize elements of {@code src}
     * @param permSize elements of {@code perm}
     * @param reduction the ordinal of {@link io.prune4j.backend.Reduction}: 0 sum, 1 mean, 2 max
     * @param bad a device {@code unsigned int} incremented per bad segment; 0 = none
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_segment_reduce(@Cast("float*") long out, @Cast("const float*") long src,
                                                @Cast("const int*") long perm, @Cast("const int*") long offsets, int segments,
                                                int srcSize, int permSize, int reduction, @Cast("unsigned int*") long bad,
                                                @Cast("void*") long stream);

    // ---- ranking (selection.cu) -----------------------------------------------------------

    /**
     * Workspace bytes {@link #p4j_select_topk} needs for {@code n} scores into {@code bytes[0]}.
     *
     * @param n scores
     * @param bytes one-element output: the workspace bytes
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_select_topk_workspace_bytes(int n, @Cast("long long*") long[] bytes);

    /**
     * Radix-select top-k: {@code mask} (0 = none) gets exactly {@code keep} ones (the largest scores,
     * NaN as −∞, ties lower index first), {@code kth} (0 = none; one device float) the keep-th
     * largest value (+∞ for keep 0). The same masks as {@code CpuBackend.selectTopK}. At least one of
     * {@code mask} and {@code kth} must be given.
     *
     * @param mask the 0/1 mask {@code [n]}; 0 = not wanted
     * @param kth one device float for the keep-th largest value; 0 = not wanted
     * @param scores the scores {@code [n]}
     * @param n scores
     * @param keep elements to keep, {@code 0 ≤ keep ≤ n}
     * @param workspace scratch of {@link #p4j_select_topk_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_select_topk(@Cast("float*") long mask, @Cast("float*") long kth,
                                             @Cast("const float*") long scores, int n, int keep, @Cast("void*") long workspace,
                                             long workspaceBytes, @Cast("void*") long stream);

    /**
     * {@code count[0]} (device int) = number of scores ≥ threshold (NaN never counts); 0 for {@code n == 0}.
     *
     * @param count one device int, overwritten (not 0)
     * @param scores the scores {@code [n]}
     * @param n scores
     * @param threshold the threshold
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_count_at_least(@Cast("int*") long count, @Cast("const float*") long scores, int n,
                                                float threshold, @Cast("void*") long stream);

    // ---- compaction (compaction.cu) -------------------------------------------------------

    /**
     * Workspace bytes {@link #p4j_mask_to_indices} needs into {@code bytes[0]} (needs a device).
     *
     * @param n mask elements
     * @param bytes one-element output: the workspace bytes
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mask_to_indices_workspace_bytes(int n, @Cast("long long*") long[] bytes);

    /**
     * Indices of nonzero mask elements (NaN counts as kept), increasing, to the front of {@code indices}; their
     * number to {@code count} (device int; 0 for {@code n == 0}).
     *
     * @param indices INT32 output {@code [n]}; only the first {@code count} entries are written
     * @param count one device int, overwritten (not 0)
     * @param mask the mask {@code [n]}
     * @param n mask elements
     * @param workspace scratch of {@link #p4j_mask_to_indices_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_mask_to_indices(@Cast("int*") long indices, @Cast("int*") long count,
                                                 @Cast("const float*") long mask, int n, @Cast("void*") long workspace,
                                                 long workspaceBytes, @Cast("void*") long stream);

    /**
     * {@code out[r, :] = src[idx[r], :]} for 4-byte elements; out-of-range rows become 0 and bump {@code bad} (0 = none).
     *
     * @param out the gathered rows {@code [rows, cols]} (FLOAT32 or INT32)
     * @param src the source {@code [srcRows, cols]}, the same element type
     * @param idx INT32 row indices {@code [rows]} (pass {@code idx + 4·offset} for a slice)
     * @param rows rows to gather
     * @param cols elements per row
     * @param srcRows rows of {@code src}
     * @param bad a device {@code unsigned int} incremented per bad index; 0 = none
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_gather_rows(@Cast("void*") long out, @Cast("const void*") long src, @Cast("const int*") long idx,
                                             int rows, int cols, int srcRows, @Cast("unsigned int*") long bad,
                                             @Cast("void*") long stream);

    /**
     * {@code out[r, c·block + j] = src[rowIdx[r], colIdx[c]·block + j]}; a 0 index pointer is the identity.
     * Out-of-range indices give zeros and bump {@code bad} (0 = none). 4-byte elements.
     *
     * @param out the result {@code [rowsOut, blocksOut·block]}
     * @param src the source {@code [srcRows, srcCols]}
     * @param rowIdx INT32 row indices {@code [rowsOut]}; 0 = rows in order
     * @param colIdx INT32 block indices {@code [blocksOut]}; 0 = blocks in order
     * @param rowsOut rows of {@code out}
     * @param blocksOut blocks per row of {@code out}
     * @param block elements per block, at least 1 (1: columns; {@code kh·kw}: input channels of a convolution)
     * @param srcRows rows of {@code src}
     * @param srcCols columns of {@code src}, a multiple of {@code block}
     * @param bad a device {@code unsigned int} incremented per bad index; 0 = none
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_gather_blocks(@Cast("void*") long out, @Cast("const void*") long src,
                                               @Cast("const int*") long rowIdx, @Cast("const int*") long colIdx, int rowsOut,
                                               int blocksOut, int block, int srcRows, int srcCols,
                                               @Cast("unsigned int*") long bad, @Cast("void*") long stream);

    // ---- training (training.cu) -----------------------------------------------------------

    /**
     * {@code out[c] = beta·out[c] + Σ_r x[r, c]} (beta 0 overwrites): a dense layer's bias gradient. Deterministic.
     *
     * @param out the sums {@code [n]}
     * @param x the matrix {@code [rows, n]}
     * @param rows rows
     * @param n columns
     * @param beta the factor of the old {@code out}
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_sum_rows(@Cast("float*") long out, @Cast("const float*") long x, int rows, int n, float beta,
                                          @Cast("void*") long stream);

    /**
     * Fused softmax + cross-entropy; adds loss and correct count to {@code metrics[0..1]} on the device, and writes
     * {@code grad = gradScale·(softmax − onehot)} unless {@code grad} is 0. A label outside {@code [0, classes)}
     * makes the loss NaN and that row's gradient 0.
     *
     * @param grad the logits' gradient {@code [rows, classes]}; 0 = not wanted
     * @param metrics two device floats {@code {summed loss, correct count}}, added to
     * @param logits the logits {@code [rows, classes]}
     * @param labels INT32 labels {@code [rows]}
     * @param rows rows
     * @param classes classes, at least 1
     * @param gradScale the factor of the gradient
     * @param workspace scratch of {@link #p4j_reduce_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_softmax_xent(@Cast("float*") long grad, @Cast("float*") long metrics,
                                              @Cast("const float*") long logits, @Cast("const int*") long labels, int rows,
                                              int classes, float gradScale, @Cast("void*") long workspace,
                                              long workspaceBytes, @Cast("void*") long stream);

    /**
     * {@link #p4j_softmax_xent} that reports the first row whose label is outside {@code [0, classes)}
     * in {@code badLabel} (device {@code int[3]}: row + 1, label, classes) unless a report is already there.
     *
     * @param grad the logits' gradient {@code [rows, classes]}; 0 = not wanted
     * @param metrics two device floats {@code {summed loss, correct count}}, added to
     * @param logits the logits {@code [rows, classes]}
     * @param labels INT32 labels {@code [rows]}
     * @param rows rows
     * @param classes classes, at least 1
     * @param gradScale the factor of the gradient
     * @param workspace scratch of {@link #p4j_reduce_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param badLabel three device ints, written only while the first is 0; 0 = no report
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_softmax_xent_checked(@Cast("float*") long grad, @Cast("float*") long metrics,
                                                      @Cast("const float*") long logits, @Cast("const int*") long labels,
                                                      int rows, int classes, float gradScale, @Cast("void*") long workspace,
                                                      long workspaceBytes, @Cast("int*") long badLabel,
                                                      @Cast("void*") long stream);

    /**
     * {@code db[c] = Σ_b Σ_s dy[b, c, s]} (overwrites): the bias gradient of a convolution.
     *
     * @param db the bias gradient {@code [channels]}, overwritten
     * @param dy the output gradient {@code [batch, channels, spatial]}
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_sum_channels(@Cast("float*") long db, @Cast("const float*") long dy, int batch, int channels,
                                              int spatial, @Cast("void*") long stream);

    /**
     * Knowledge-distillation loss and gradient; adds loss and the student's correct count to {@code metrics[0..1]}.
     * Per row {@code (1 − alpha)·CE(s, y) + alpha·T²·KL(softmax(t/T) ‖ softmax(s/T))}; a label outside
     * {@code [0, classes)} makes the loss NaN and that row's gradient 0.
     *
     * @param grad the student logits' gradient {@code [rows, classes]} (not 0)
     * @param metrics two device floats {@code {summed loss, correct count}}, added to
     * @param student the student's logits {@code [rows, classes]}
     * @param teacher the teacher's logits {@code [rows, classes]}
     * @param labels INT32 labels {@code [rows]}
     * @param rows rows
     * @param classes classes, at least 1
     * @param temperature the temperature T, above 0
     * @param alpha the weight of the distillation term, in {@code [0, 1]}
     * @param gradScale the factor of the gradient
     * @param workspace scratch of {@link #p4j_reduce_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_distillation(@Cast("float*") long grad, @Cast("float*") long metrics,
                                              @Cast("const float*") long student, @Cast("const float*") long teacher,
                                              @Cast("const int*") long labels, int rows, int classes, float temperature,
                                              float alpha, float gradScale, @Cast("void*") long workspace, long workspaceBytes,
                                              @Cast("void*") long stream);

    /**
     * {@link #p4j_distillation} that reports labels out of range as {@link #p4j_softmax_xent_checked} does.
     *
     * @param grad the student logits' gradient {@code [rows, classes]} (not 0)
     * @param metrics two device floats {@code {summed loss, correct count}}, added to
     * @param student the student's logits {@code [rows, classes]}
     * @param teacher the teacher's logits {@code [rows, classes]}
     * @param labels INT32 labels {@code [rows]}
     * @param rows rows
     * @param classes classes, at least 1
     * @param temperature the temperature T, above 0
     * @param alpha the weight of the distillation term, in {@code [0, 1]}
     * @param gradScale the factor of the gradient
     * @param workspace scratch of {@link #p4j_reduce_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param badLabel three device ints, written only while the first is 0; 0 = no report
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_distillation_checked(@Cast("float*") long grad, @Cast("float*") long metrics,
                                                      @Cast("const float*") long student, @Cast("const float*") long teacher,
                                                      @Cast("const int*") long labels, int rows, int classes, float temperature,
                                                      float alpha, float gradScale, @Cast("void*") long workspace,
                                                      long workspaceBytes, @Cast("int*") long badLabel,
                                                      @Cast("void*") long stream);

    /**
     * SGD step with momentum and L2 weight decay (PyTorch's form): {@code g' = g + weightDecay·w},
     * {@code v = momentum·v + g'}, {@code w -= lr·v} (without momentum {@code w -= lr·g'}).
     *
     * @param w the weights {@code [n]}, updated
     * @param velocity the velocity {@code [n]}, updated; may be 0 when {@code momentum} is 0
     * @param grad the gradient {@code [n]}
     * @param n elements
     * @param lr the learning rate
     * @param momentum the momentum
     * @param weightDecay the L2 weight decay
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_sgd_step(@Cast("float*") long w, @Cast("float*") long velocity, @Cast("const float*") long grad,
                                          int n, float lr, float momentum, float weightDecay, @Cast("void*") long stream);

    /**
     * Adam step with L2 weight decay, bias-corrected with {@code step ≥ 1}.
     *
     * @param w the weights {@code [n]}, updated
     * @param m the first moments {@code [n]}, updated
     * @param v the second moments {@code [n]}, updated
     * @param grad the gradient {@code [n]}
     * @param n elements
     * @param lr the learning rate
     * @param beta1 the decay of the first moments
     * @param beta2 the decay of the second moments
     * @param eps the term added to the denominator
     * @param weightDecay the L2 weight decay
     * @param step the 1-based step number of the bias correction
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_adam_step(@Cast("float*") long w, @Cast("float*") long m, @Cast("float*") long v,
                                           @Cast("const float*") long grad, int n, float lr, float beta1, float beta2,
                                           float eps, float weightDecay, int step, @Cast("void*") long stream);

    // ---- pooling (pooling.cu) -------------------------------------------------------------

    /**
     * Max pooling of {@code x [planes, h, w]} into {@code y, argmax [planes, ho, wo]} (argmax = h·W + w in the plane,
     * first maximum), no padding: {@code ho = (h − window) / stride + 1}, likewise {@code wo}.
     *
     * @param y the maxima {@code [planes, ho, wo]}
     * @param argmax INT32 positions of the maxima {@code [planes, ho, wo]}
     * @param x the input {@code [planes, h, w]} ({@code planes = batch·channels})
     * @param planes planes
     * @param h rows per plane
     * @param w columns per plane
     * @param window the square window's side, {@code 1 ≤ window ≤ h, w}
     * @param stride the step between windows, at least 1
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_max_pool2d(@Cast("float*") long y, @Cast("int*") long argmax, @Cast("const float*") long x,
                                            int planes, int h, int w, int window, int stride, @Cast("void*") long stream);

    /**
     * {@link #p4j_max_pool2d} with −∞ padding {@code pad} (≤ window / 2) on every side; argmax stays inside the plane.
     * {@code ho = (h + 2·pad − window) / stride + 1}, likewise {@code wo}.
     *
     * @param y the maxima {@code [planes, ho, wo]}
     * @param argmax INT32 positions of the maxima {@code [planes, ho, wo]}
     * @param x the input {@code [planes, h, w]}
     * @param planes planes
     * @param h rows per plane
     * @param w columns per plane
     * @param window the square window's side, at most {@code h + 2·pad} and {@code w + 2·pad}
     * @param stride the step between windows, at least 1
     * @param pad the padding on every side, {@code 0 ≤ pad ≤ window / 2}
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_max_pool2d_pad(@Cast("float*") long y, @Cast("int*") long argmax, @Cast("const float*") long x,
                                                int planes, int h, int w, int window, int stride, int pad,
                                                @Cast("void*") long stream);

    /**
     * {@link #p4j_max_pool2d_pad}, with partial patches at the far edges kept when {@code ceilMode != 0} (ceil_mode).
     *
     * @param y the maxima {@code [planes, ho, wo]}
     * @param argmax INT32 positions of the maxima {@code [planes, ho, wo]}
     * @param x the input {@code [planes, h, w]}
     * @param planes planes
     * @param h rows per plane
     * @param w columns per plane
     * @param window the square window's side
     * @param stride the step between windows, at least 1
     * @param pad the padding on every side, {@code 0 ≤ pad ≤ window / 2}
     * @param ceilMode nonzero: PyTorch's and ONNX's ceil_mode output extents
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_max_pool2d_ceil(@Cast("float*") long y, @Cast("int*") long argmax, @Cast("const float*") long x,
                                                 int planes, int h, int w, int window, int stride, int pad, int ceilMode,
                                                 @Cast("void*") long stream);

    /**
     * Average pooling with zero padding; divides by window² when {@code countIncludePad != 0}, else by the positions
     * inside. Shapes as in {@link #p4j_max_pool2d_pad}.
     *
     * @param y the averages {@code [planes, ho, wo]}
     * @param x the input {@code [planes, h, w]}
     * @param planes planes
     * @param h rows per plane
     * @param w columns per plane
     * @param window the square window's side
     * @param stride the step between windows, at least 1
     * @param pad the padding on every side, {@code 0 ≤ pad ≤ window / 2}
     * @param countIncludePad nonzero: padded positions count in the divisor
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_avg_pool2d(@Cast("float*") long y, @Cast("const float*") long x, int planes, int h, int w,
                                            int window, int stride, int pad, int countIncludePad, @Cast("void*") long stream);

    /**
     * The gradient of {@link #p4j_avg_pool2d}: overwrites {@code dx [planes, h, w]}.
     *
     * @param dx the input gradient {@code [planes, h, w]}, overwritten
     * @param dy the output gradient {@code [planes, ho, wo]}
     * @param planes planes
     * @param h rows per plane
     * @param w columns per plane
     * @param window the square window's side
     * @param stride the step between windows, at least 1
     * @param pad the padding on every side
     * @param countIncludePad as in the forward pass
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_avg_pool2d_backward(@Cast("float*") long dx, @Cast("const float*") long dy, int planes, int h,
                                                     int w, int window, int stride, int pad, int countIncludePad,
                                                     @Cast("void*") long stream);

    /**
     * {@link #p4j_avg_pool2d} with {@code ceilMode != 0}: shapes as in {@link #p4j_max_pool2d_ceil}; with
     * {@code countIncludePad} a partial window divides by its positions up to the far padding.
     *
     * @param y the averages {@code [planes, ho, wo]}
     * @param x the input {@code [planes, h, w]}
     * @param planes planes
     * @param h rows per plane
     * @param w columns per plane
     * @param window the square window's side
     * @param stride the step between windows, at least 1
     * @param pad the padding on every side, {@code 0 ≤ pad ≤ window / 2}
     * @param countIncludePad nonzero: padded positions count in the divisor
     * @param ceilMode nonzero: partial windows at the far edges are kept
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_avg_pool2d_ceil(@Cast("float*") long y, @Cast("const float*") long x, int planes, int h, int w,
                                                 int window, int stride, int pad, int countIncludePad, int ceilMode,
                                                 @Cast("void*") long stream);

    /**
     * The gradient of {@link #p4j_avg_pool2d_ceil}: overwrites {@code dx [planes, h, w]}.
     *
     * @param dx the input gradient {@code [planes, h, w]}, overwritten
     * @param dy the output gradient {@code [planes, ho, wo]}
     * @param planes planes
     * @param h rows per plane
     * @param w columns per plane
     * @param window the square window's side
     * @param stride the step between windows, at least 1
     * @param pad the padding on every side
     * @param countIncludePad as in the forward pass
     * @param ceilMode as in the forward pass
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_avg_pool2d_backward_ceil(@Cast("float*") long dx, @Cast("const float*") long dy, int planes,
                                                          int h, int w, int window, int stride, int pad, int countIncludePad,
                                                          int ceilMode, @Cast("void*") long stream);

    /**
     * Zero padding: {@code y [planes, hp, wp]} gets {@code x [planes, h, w]} at row {@code top}, column
     * {@code left} and zeros elsewhere.
     *
     * @param y the padded output {@code [planes, hp, wp]}, overwritten
     * @param x the input {@code [planes, h, w]}
     * @param planes planes
     * @param h rows per input plane
     * @param w columns per input plane
     * @param top rows above, {@code 0 ≤ top ≤ hp − h}
     * @param left columns on the left, {@code 0 ≤ left ≤ wp − w}
     * @param hp rows per output plane
     * @param wp columns per output plane
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_zero_pad2d(@Cast("float*") long y, @Cast("const float*") long x, int planes, int h, int w, int top,
                                            int left, int hp, int wp, @Cast("void*") long stream);

    /**
     * The gradient of {@link #p4j_zero_pad2d}, a crop: {@code dx [planes, h, w]} gets the window of
     * {@code dy [planes, hp, wp]} at {@code (top, left)}.
     *
     * @param dx the input gradient, overwritten
     * @param dy the output gradient
     * @param planes planes
     * @param h rows per input plane
     * @param w columns per input plane
     * @param top the forward's rows above
     * @param left the forward's columns on the left
     * @param hp rows per output plane
     * @param wp columns per output plane
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_zero_pad2d_backward(@Cast("float*") long dx, @Cast("const float*") long dy, int planes, int h,
                                                     int w, int top, int left, int hp, int wp, @Cast("void*") long stream);

    /**
     * {@code dx = 0}, then {@code dx[p, argmax[p, o]] += dy[p, o]}: the gradient of {@link #p4j_max_pool2d}. Exact
     * when windows do not overlap; overlapping ones add with float atomics. An argmax outside the plane is skipped.
     *
     * @param dx the input gradient {@code [planes, inPlane]}, overwritten
     * @param dy the output gradient {@code [planes, outPlane]}
     * @param argmax INT32 positions of the forward pass {@code [planes, outPlane]}
     * @param planes planes
     * @param inPlane input positions per plane ({@code h·w})
     * @param outPlane output positions per plane ({@code ho·wo})
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_max_pool2d_backward(@Cast("float*") long dx, @Cast("const float*") long dy,
                                                     @Cast("const int*") long argmax, int planes, int inPlane, int outPlane,
                                                     @Cast("void*") long stream);

    // ---- normalisation (normalization.cu) ---------------------------------------------------

    /**
     * Workspace bytes the batch-norm launchers need for {@code x [batch, channels, spatial]} into {@code bytes[0]}.
     *
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel
     * @param bytes one-element output: the workspace bytes
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_batch_norm_workspace_bytes(int batch, int channels, int spatial, @Cast("long long*") long[] bytes);

    /**
     * Batch normalisation of {@code x [batch, channels, spatial]}: batch statistics (saved, and folded into
     * the running ones with the unbiased variance) when {@code training != 0}, else the running ones.
     * {@code y} may be {@code x}.
     *
     * @param y the output {@code [batch, channels, spatial]}
     * @param saveMean the batch means {@code [channels]}, written when training; may be 0 otherwise
     * @param saveInvStd the batch's {@code 1 / sqrt(var + eps)} {@code [channels]}, written when training; may be 0 otherwise
     * @param runningMean the running means {@code [channels]}, updated when training
     * @param runningVar the running variances {@code [channels]}, updated when training
     * @param x the input {@code [batch, channels, spatial]}
     * @param gamma the scales {@code [channels]}
     * @param beta the shifts {@code [channels]}
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel ({@code H·W}, or 1); when training {@code batch·spatial ≥ 2}
     * @param momentum the running statistics' update factor, in {@code [0, 1]}
     * @param eps the term added to the variance, above 0
     * @param training nonzero: use and save the batch's statistics
     * @param workspace scratch of {@link #p4j_batch_norm_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_batch_norm_forward(@Cast("float*") long y, @Cast("float*") long saveMean,
                                                    @Cast("float*") long saveInvStd, @Cast("float*") long runningMean,
                                                    @Cast("float*") long runningVar, @Cast("const float*") long x,
                                                    @Cast("const float*") long gamma, @Cast("const float*") long beta, int batch,
                                                    int channels, int spatial, float momentum, float eps, int training,
                                                    @Cast("void*") long workspace, long workspaceBytes, @Cast("void*") long stream);

    /**
     * Gradients of a training-mode batch normalisation; {@code dx} 0 = not wanted. All outputs are overwritten.
     *
     * @param dx the input gradient {@code [batch, channels, spatial]}; 0 = not wanted
     * @param dGamma the scales' gradient {@code [channels]}
     * @param dBeta the shifts' gradient {@code [channels]}
     * @param dy the output gradient {@code [batch, channels, spatial]}
     * @param x the forward pass's input {@code [batch, channels, spatial]}
     * @param gamma the scales {@code [channels]}
     * @param saveMean the forward pass's batch means {@code [channels]}
     * @param saveInvStd the forward pass's {@code 1 / sqrt(var + eps)} {@code [channels]}
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel
     * @param workspace scratch of {@link #p4j_batch_norm_workspace_bytes} bytes
     * @param workspaceBytes its size
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_batch_norm_backward(@Cast("float*") long dx, @Cast("float*") long dGamma,
                                                     @Cast("float*") long dBeta, @Cast("const float*") long dy,
                                                     @Cast("const float*") long x, @Cast("const float*") long gamma,
                                                     @Cast("const float*") long saveMean, @Cast("const float*") long saveInvStd,
                                                     int batch, int channels, int spatial, @Cast("void*") long workspace,
                                                     long workspaceBytes, @Cast("void*") long stream);

    /**
     * Layer normalisation over the channels of {@code x [batch, channels, spatial]} at every
     * position, over the channels where {@code mask} is nonzero (all when it is 0); {@code y} is 0 at
     * the others. {@code y} must not be {@code x}.
     *
     * @param y the output {@code [batch, channels, spatial]}
     * @param saveMean the means {@code [batch, spatial]}, or 0 (then {@code saveInvStd} too)
     * @param saveInvStd the inverse deviations {@code [batch, spatial]}, or 0
     * @param x the input
     * @param gamma the scales {@code [channels]}
     * @param beta the shifts {@code [channels]}
     * @param mask the kept channels {@code [channels]}, or 0 for all
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel ({@code H·W}, or 1)
     * @param eps the term added to the variance, finite and above 0
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_layer_norm_forward(@Cast("float*") long y, @Cast("float*") long saveMean,
                                                    @Cast("float*") long saveInvStd, @Cast("const float*") long x,
                                                    @Cast("const float*") long gamma, @Cast("const float*") long beta,
                                                    @Cast("const float*") long mask, int batch, int channels, int spatial, float eps,
                                                    @Cast("void*") long stream);

    /**
     * Gradients of {@link #p4j_layer_norm_forward}; {@code dx} 0 = not wanted. All outputs are overwritten.
     *
     * @param dx the input gradient, or 0
     * @param dGamma the scales' gradient {@code [channels]}
     * @param dBeta the shifts' gradient {@code [channels]}
     * @param dy the output gradient
     * @param x the forward pass's input
     * @param gamma the scales
     * @param mask the forward pass's kept channels, or 0 for all
     * @param saveMean the forward pass's means {@code [batch, spatial]}
     * @param saveInvStd the forward pass's inverse deviations {@code [batch, spatial]}
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_layer_norm_backward(@Cast("float*") long dx, @Cast("float*") long dGamma,
                                                     @Cast("float*") long dBeta, @Cast("const float*") long dy,
                                                     @Cast("const float*") long x, @Cast("const float*") long gamma,
                                                     @Cast("const float*") long mask, @Cast("const float*") long saveMean,
                                                     @Cast("const float*") long saveInvStd, int batch, int channels, int spatial,
                                                     @Cast("void*") long stream);

    /**
     * Group normalisation of {@code x [batch, channels, spatial]} in {@code groups} consecutive
     * blocks of channels, per example and block over its values. {@code y} must not be {@code x}.
     *
     * @param y the output {@code [batch, channels, spatial]}
     * @param saveMean the means {@code [batch, groups]}, or 0 (then {@code saveInvStd} too)
     * @param saveInvStd the inverse deviations {@code [batch, groups]}, or 0
     * @param x the input
     * @param gamma the scales {@code [channels]}
     * @param beta the shifts {@code [channels]}
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel ({@code H·W}, or 1)
     * @param groups blocks of channels, dividing {@code channels}
     * @param eps the term added to the variance, finite and above 0
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_group_norm_forward(@Cast("float*") long y, @Cast("float*") long saveMean,
                                                    @Cast("float*") long saveInvStd, @Cast("const float*") long x,
                                                    @Cast("const float*") long gamma, @Cast("const float*") long beta, int batch,
                                                    int channels, int spatial, int groups, float eps, @Cast("void*") long stream);

    /**
     * Gradients of {@link #p4j_group_norm_forward}; {@code dx} 0 = not wanted. All outputs are overwritten.
     *
     * @param dx the input gradient, or 0
     * @param dGamma the scales' gradient {@code [channels]}
     * @param dBeta the shifts' gradient {@code [channels]}
     * @param dy the output gradient
     * @param x the forward pass's input
     * @param gamma the scales
     * @param saveMean the forward pass's means {@code [batch, groups]}
     * @param saveInvStd the forward pass's inverse deviations {@code [batch, groups]}
     * @param batch examples
     * @param channels channels
     * @param spatial positions per channel
     * @param groups the forward pass's blocks of channels
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_group_norm_backward(@Cast("float*") long dx, @Cast("float*") long dGamma,
                                                     @Cast("float*") long dBeta, @Cast("const float*") long dy,
                                                     @Cast("const float*") long x, @Cast("const float*") long gamma,
                                                     @Cast("const float*") long saveMean, @Cast("const float*") long saveInvStd,
                                                     int batch, int channels, int spatial, int groups, @Cast("void*") long stream);

    /**
     * Global max pooling of {@code x [planes, plane]}: each plane's maximum and its position (the
     * first in order; a NaN wins).
     *
     * @param y the maxima {@code [planes]}
     * @param argmax the positions, INT32 {@code [planes]}
     * @param x the input
     * @param planes planes ({@code batch·channels})
     * @param plane values per plane ({@code H·W}), at least 1
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_global_max_pool(@Cast("float*") long y, @Cast("int*") long argmax, @Cast("const float*") long x,
                                                 int planes, int plane, @Cast("void*") long stream);

    /**
     * Nearest upsampling by whole factors ({@code Backend.upsampleNearest}).
     *
     * @param y the output {@code [planes, h·sh, w·sw]}
     * @param x the input {@code [planes, h, w]}
     * @param planes planes ({@code batch·channels})
     * @param h input height, at least 1
     * @param w input width, at least 1
     * @param sh height factor, at least 1
     * @param sw width factor, at least 1
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_upsample_nearest(@Cast("float*") long y, @Cast("const float*") long x, int planes, int h, int w,
                                                  int sh, int sw, @Cast("void*") long stream);

    /**
     * The gradient of {@link #p4j_upsample_nearest}: each input position sums its block of {@code dy}.
     *
     * @param dx the input gradient {@code [planes, h, w]}, overwritten
     * @param dy the output gradient {@code [planes, h·sh, w·sw]}
     * @param planes planes
     * @param h input height, at least 1
     * @param w input width, at least 1
     * @param sh height factor, at least 1
     * @param sw width factor, at least 1
     * @param stream the stream; 0 = the default stream
     * @return the {@code cudaError_t} code, 0 on success
     */
    public static native int p4j_upsample_nearest_backward(@Cast("float*") long dx, @Cast("const float*") long dy, int planes, int h,
                                                           int w, int sh, int sw, @Cast("void*") long stream);
}
