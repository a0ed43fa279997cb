package io.prune4j.backend.cuda;

import io.prune4j.backend.DeviceUnavailableException;
import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.Loader;

/**
 * Finds out, once and lazily, whether CUDA kernels can run in this process: loads the native
 * libraries of {@link CudaKernels} ({@code libjniCudaKernels.so}, {@code libprune4j_kernels.so}
 * and through it {@code libcudart.so.13}) and asks the CUDA runtime for devices. Every failure
 * (CPU-only build, missing CUDA runtime, no driver, no GPU) becomes a one-line reason starting
 * with {@code "no CUDA device:"}; nothing here crashes the JVM or throws anything but
 * {@link DeviceUnavailableException}.
 *
 * <p>Call {@link #requireDevice()} before the first use of {@link CudaKernels}.
 */
public final class CudaRuntime {
    /** Every {@link #unavailableReason()} and {@link DeviceUnavailableException} starts with this. */
    public static final String PREFIX = "no CUDA device: ";

    private static final String KERNELS_CLASS = "io.prune4j.backend.cuda.CudaKernels";

    private static volatile Probe probe;

    private CudaRuntime() {}

    /** What {@link #probe()} found: either a device count ≥ 1, or the reason why not. */
    private static final class Probe {
        final boolean loaded;
        final int deviceCount;
        final String reason;
        final Throwable cause;

        Probe(boolean loaded, int deviceCount, String reason, Throwable cause) {
            this.loaded = loaded;
            this.deviceCount = deviceCount;
            this.reason = reason;
            this.cause = cause;
        }
    }

    /**
     * Whether CUDA kernels can run here. Never throws.
     *
     * @return true when the kernels are loaded and at least one CUDA device answers
     */
    public static boolean isAvailable() {
        return probe().reason == null;
    }

    /**
     * Number of usable CUDA devices. Never throws.
     *
     * @return the device count; 0 when CUDA is unavailable for any reason (see {@link #unavailableReason()})
     */
    public static int deviceCount() {
        return probe().deviceCount;
    }

    /**
     * Whether the native libraries loaded. Never throws.
     *
     * @return true when they loaded, even with no device (e.g. no driver)
     */
    public static boolean isLoaded() {
        return probe().loaded;
    }

    /**
     * Why CUDA is unavailable, for messages and test skips. Never throws.
     *
     * @return null when a device is available, else one line starting with {@code "no CUDA device:"}
     *     that says why
     */
    public static String unavailableReason() {
        return probe().reason;
    }

    /**
     * Checks that a device answers; call it before the first use of {@link CudaKernels}.
     *
     * @throws DeviceUnavailableException unless a device answers; its message is {@link #unavailableReason()}
     */
    public static void requireDevice() {
        Probe p = probe();
        if (p.reason != null) {
            throw p.cause == null
                    ? new DeviceUnavailableException(p.reason)
                    : new DeviceUnavailableException(p.reason, p.cause);
        }
    }

    /**
     * One line that describes a device: its name, compute capability, global memory and multiprocessors.
     *
     * @param device the device index, {@code 0 ≤ device < }{@link #deviceCount()}
     * @return e.g. {@code "NVIDIA H100 80GB HBM3 (sm_90, 79.2 GiB, 132 SMs)"}
     * @throws DeviceUnavailableException when no device answers, or there is no device {@code device}
     * @throws CudaException when CUDA cannot read the device's properties
     */
    public static String deviceDescription(int device) {
        requireDevice();
        if (device < 0 || device >= deviceCount()) {
            throw new DeviceUnavailableException(PREFIX + "device index " + device + " out of range (0.."
                    + (deviceCount() - 1) + ")");
        }
        byte[] name = new byte[256];
        int[] major = new int[1];
        int[] minor = new int[1];
        long[] mem = new long[1];
        int[] sms = new int[1];
        CudaException.check(CudaKernels.p4j_device_props(device, name, name.length, major, minor, mem, sms),
                "cudaGetDeviceProperties(" + device + ")");
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        return String.format(java.util.Locale.ROOT, "%s (sm_%d%d, %.1f GiB, %d SMs)",
                new String(name, 0, len, StandardCharsets.UTF_8), major[0], minor[0],
                mem[0] / (1024.0 * 1024 * 1024), sms[0]);
    }

    /**
     * The CUDA runtime's version. Never throws.
     *
     * @return the version as {@code "13.0"}, or null when the libraries did not load or the runtime does not answer
     */
    public static String runtimeVersion() {
        if (!isLoaded()) return null;
        int[] v = new int[1];
        if (CudaKernels.p4j_runtime_version(v) != 0) return null;
        return v[0] / 1000 + "." + (v[0] % 1000) / 10;
    }

    /**
     * The newest CUDA version the driver supports. Never throws.
     *
     * @return the version as {@code "13.0"}; {@code "none"} without a driver (or when it does not answer); null when
     *     the libraries did not load
     */
    public static String driverVersion() {
        if (!isLoaded()) return null;
        int[] v = new int[1];
        if (CudaKernels.p4j_driver_version(v) != 0 || v[0] == 0) return "none";
        return v[0] / 1000 + "." + (v[0] % 1000) / 10;
    }

    /**
     * Prints one status line per fact (kernels loaded, runtime and driver versions, devices) and
     * exits 0 when a device is available, 2 when not. Used by {@code scripts/gpu-run.sh} as a
     * preflight check: {@code java -cp prune4j.jar io.prune4j.backend.cuda.CudaRuntime}.
     *
     * @param args ignored (may be null or empty)
     */
    public static void main(String[] args) {
        System.out.println("prune4j CUDA: kernels loaded=" + isLoaded() + ", CUDA runtime=" + runtimeVersion()
                + ", driver supports CUDA=" + driverVersion() + ", devices=" + deviceCount());
        if (!isAvailable()) {
            System.out.println("prune4j CUDA: unavailable: " + unavailableReason());
            System.exit(2);
        }
        for (int d = 0; d < deviceCount(); d++) {
            System.out.println("prune4j CUDA: cuda:" + d + " " + deviceDescription(d));
        }
    }

    private static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (CudaRuntime.class) {
                p = probe;
                if (p == null) {
                    p = doProbe();
                    probe = p;
                }
            }
        }
        return p;
    }

    private static Probe doProbe() {
        // 1. the native libraries
        try {
            Class.forName(KERNELS_CLASS, true, CudaRuntime.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            return new Probe(false, 0, loadFailure(e), e);
        }
        // 2. the devices
        int[] count = new int[1];
        int rc;
        try {
            rc = CudaKernels.p4j_device_count(count);
        } catch (LinkageError | RuntimeException e) {
            return new Probe(false, 0, PREFIX + "the CUDA kernels library is unusable (" + oneLine(e) + ")", e);
        }
        if (rc != 0) {
            return new Probe(true, 0, PREFIX + CudaException.describe(rc, true) + hint(rc), null);
        }
        if (count[0] <= 0) {
            return new Probe(true, 0, PREFIX + "the CUDA runtime reports 0 devices; check nvidia-smi and"
                    + " CUDA_VISIBLE_DEVICES", null);
        }
        return new Probe(true, count[0], null, null);
    }

    private static String loadFailure(Throwable e) {
        String platform;
        try {
            platform = Loader.getPlatform();
        } catch (Throwable t) {
            platform = "linux-x86_64";
        }
        String jni = platform + "/" + System.mapLibraryName("jniCudaKernels");
        if (CudaRuntime.class.getResource(jni) == null) {
            return PREFIX + "this prune4j build has no CUDA kernels for " + platform + " (" + jni
                    + " is not on the class path); rebuild on a machine with the CUDA toolkit (nvcc,"
                    + " Maven profile native) or use the CPU backend";
        }
        return PREFIX + "cannot load the CUDA kernels (" + oneLine(e) + "); the CUDA 13 runtime"
                + " libcudart.so.13 must be on LD_LIBRARY_PATH (e.g. /usr/local/cuda/lib64)";
    }

    private static String hint(int rc) {
        switch (rc) {
            case 35: // cudaErrorInsufficientDriver
                return "; install the NVIDIA driver (libcuda.so.1) for CUDA 13 or newer, or use the CPU backend";
            case 100: // cudaErrorNoDevice
                return "; check nvidia-smi and CUDA_VISIBLE_DEVICES, or use the CPU backend";
            case 34: // cudaErrorStubLibrary
                return "; libcuda.so.1 is the toolkit's stub, not the driver: fix LD_LIBRARY_PATH";
            default:
                return "";
        }
    }

    static String oneLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) t = t.getCause();
        String m = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
