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
 * {@code CUstream_st}, or a raw address), {@code null}/0 = the default stream. Each launcher has a
 * {@link Pointer} overload and a raw-address ({@code long}) overload for callers that keep device
 * addresses as longs.
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
}
