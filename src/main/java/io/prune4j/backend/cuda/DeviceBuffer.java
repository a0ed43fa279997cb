package io.prune4j.backend.cuda;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * An owned block of device memory ({@code cudaMalloc}), freed by {@link #close()}; the address is
 * what the {@link CudaKernels} launchers take. Copies to and from Java arrays go through an
 * off-heap staging buffer and are synchronous.
 *
 * <p>Allocation failure is a {@link CudaException} that says how many bytes were asked for and how
 * many the device had free, e.g. {@code "cudaMalloc of 400000000 bytes (381.5 MiB; 120.0 MiB free of
 * 79.1 GiB) failed: out of memory (cudaErrorMemoryAllocation, code 2)"}.
 */
public final class DeviceBuffer implements AutoCloseable {
    private static final int H2D = 1;
    private static final int D2H = 2;
    private static final int D2D = 3;

    /** Bytes of all open buffers of this process (see {@link #liveBytes()}). */
    private static final AtomicLong LIVE = new AtomicLong();

    private long address;
    private final long bytes;

    private DeviceBuffer(long address, long bytes) {
        this.address = address;
        this.bytes = bytes;
    }

    /** {@code bytes} of uninitialised device memory. */
    public static DeviceBuffer allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes");
        }
        CudaRuntime.requireDevice();
        long[] p = new long[1];
        int rc = CudaKernels.p4j_malloc(p, bytes);
        if (rc != 0 || p[0] == 0) {
            throw allocationFailure(rc == 0 ? 2 : rc, bytes);
        }
        LIVE.addAndGet(bytes);
        return new DeviceBuffer(p[0], bytes);
    }

    /**
     * Device bytes held by the {@code DeviceBuffer}s of this process that are not yet closed: what
     * prune4j itself has taken with {@code cudaMalloc} (cuBLAS and cuDNN keep their own workspaces
     * besides). A long-running process can watch it for leaks.
     */
    public static long liveBytes() {
        return LIVE.get();
    }

    /** {@code count} floats, uninitialised. */
    public static DeviceBuffer floats(long count) {
        return allocate(4 * count);
    }

    /** A device copy of {@code data}. */
    public static DeviceBuffer of(float[] data) {
        DeviceBuffer b = floats(data.length);
        try {
            b.upload(data);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** A device copy of {@code data}. */
    public static DeviceBuffer of(int[] data) {
        DeviceBuffer b = allocate(4L * data.length);
        try {
            b.upload(data);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    static CudaException allocationFailure(int code, long bytes) {
        long[] free = new long[1];
        long[] total = new long[1];
        String memory = CudaKernels.p4j_mem_get_info(free, total) == 0
                ? "; " + human(free[0]) + " free of " + human(total[0])
                : "; free memory unknown";
        return new CudaException(code, "cudaMalloc of " + bytes + " bytes (" + human(bytes) + memory + ")");
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024L * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    /** The device address (what the launchers take). */
    public long address() {
        requireOpen();
        return address;
    }

    /** The address of float element {@code index} (for slices of a larger buffer). */
    public long floatAddress(long index) {
        requireOpen();
        if (index < 0 || 4 * index > bytes) {
            throw new IndexOutOfBoundsException("float " + index + " outside a buffer of " + bytes + " bytes");
        }
        return address + 4 * index;
    }

    public long bytes() {
        return bytes;
    }

    /** Copies {@code data} to the start of the buffer. */
    public void upload(float[] data) {
        long n = 4L * data.length;
        checkFits(n);
        if (n == 0) return;
        try (FloatPointer h = new FloatPointer(data)) {
            CudaException.check(CudaKernels.p4j_memcpy(address, h.address(), n, H2D, 0L, 0), "upload of " + n + " bytes");
        }
    }

    /** Copies {@code data} to the start of the buffer. */
    public void upload(int[] data) {
        long n = 4L * data.length;
        checkFits(n);
        if (n == 0) return;
        try (IntPointer h = new IntPointer(data)) {
            CudaException.check(CudaKernels.p4j_memcpy(address, h.address(), n, H2D, 0L, 0), "upload of " + n + " bytes");
        }
    }

    /** The first {@code count} floats, copied to the host (waits for the copy, not for other streams). */
    public float[] toFloats(int count) {
        long n = 4L * count;
        checkFits(n);
        float[] out = new float[count];
        if (n == 0) return out;
        try (FloatPointer h = new FloatPointer(count)) {
            CudaException.check(CudaKernels.p4j_memcpy(h.address(), address, n, D2H, 0L, 0), "download of " + n + " bytes");
            h.get(out);
        }
        return out;
    }

    /** The first {@code count} ints, copied to the host. */
    public int[] toInts(int count) {
        long n = 4L * count;
        checkFits(n);
        int[] out = new int[count];
        if (n == 0) return out;
        try (IntPointer h = new IntPointer(count)) {
            CudaException.check(CudaKernels.p4j_memcpy(h.address(), address, n, D2H, 0L, 0), "download of " + n + " bytes");
            h.get(out);
        }
        return out;
    }

    /** Device-to-device copy of {@code n} bytes from {@code src} (synchronous). */
    public void copyFrom(DeviceBuffer src, long n) {
        checkFits(n);
        if (n > src.bytes) throw new IllegalArgumentException("copy of " + n + " bytes from a buffer of " + src.bytes);
        CudaException.check(CudaKernels.p4j_memcpy(address, src.address(), n, D2D, 0L, 0), "device copy of " + n + " bytes");
    }

    /** Sets every byte to zero (on the default stream). */
    public void zero() {
        requireOpen();
        CudaException.check(CudaKernels.p4j_memset(address, 0, bytes, 0L), "memset of " + bytes + " bytes");
    }

    private void checkFits(long n) {
        requireOpen();
        if (n > bytes) {
            throw new IllegalArgumentException(n + " bytes do not fit a device buffer of " + bytes);
        }
    }

    private void requireOpen() {
        if (address == 0) throw new IllegalStateException("device buffer already closed");
    }

    @Override
    public void close() {
        if (address != 0) {
            long a = address;
            address = 0;
            CudaKernels.p4j_free(a);
            LIVE.addAndGet(-bytes);
        }
    }
}
