package io.prune4j.backend.cuda;

import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * An owned block of device memory, freed by {@link #close()}; the address is what the
 * {@link CudaKernels} launchers take. Copies to and from Java arrays go through an off-heap staging
 * buffer and are synchronous (on the legacy default stream: for plain buffers only).
 *
 * <p>Two kinds: {@link #allocate(long)} is plain {@code cudaMalloc} memory, usable from any stream at
 * once and freed with {@code cudaFree}; the CUDA backend's tensors and workspaces come from its own
 * stream-ordered pool ({@link #allocate(long, long, long)}), usable by the work queued on the
 * backend's stream and freed there by {@link #freeOnStream(long)} without waiting for the device.
 * {@link #liveBytes()} counts both, exactly: what prune4j holds, not what the pool keeps in reserve.
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
    /** From a stream-ordered pool ({@code cudaMallocFromPoolAsync}) rather than {@code cudaMalloc}. */
    private final boolean pooled;

    private DeviceBuffer(long address, long bytes, boolean pooled) {
        this.address = address;
        this.bytes = bytes;
        this.pooled = pooled;
    }

    /**
     * {@code bytes} of uninitialised device memory ({@code cudaMalloc}). The caller owns the buffer
     * and closes it.
     *
     * @param bytes the size, at least 0 (0 still takes one byte, so the buffer has an address)
     * @return the new buffer
     * @throws IllegalArgumentException when {@code bytes < 0}
     * @throws io.prune4j.backend.DeviceUnavailableException when no CUDA device answers
     * @throws CudaException when the allocation fails; the message names the bytes asked for and free
     */
    public static DeviceBuffer allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes");
        }
        CudaRuntime.requireDevice();
        long[] p = new long[1];
        int rc = CudaKernels.p4j_malloc(p, bytes);
        if (rc != 0 || p[0] == 0) {
            throw allocationFailure("cudaMalloc", rc == 0 ? OUT_OF_MEMORY : rc, bytes);
        }
        LIVE.addAndGet(bytes);
        return new DeviceBuffer(p[0], bytes, false);
    }

    /**
     * {@code bytes} of uninitialised memory from {@code pool} (a {@code p4j_mem_pool_create} pool) in
     * the order of {@code stream}: work queued on {@code stream} from now on may use it, other streams
     * only after a synchronisation. When the pool cannot serve it, what the pool holds unused is handed
     * back to the driver (after waiting for the stream, so that frees queued on it count) and the
     * allocation is tried once more before it fails.
     */
    static DeviceBuffer allocate(long bytes, long pool, long stream) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes");
        }
        long[] p = new long[1];
        int rc = CudaKernels.p4j_malloc_async(p, bytes, pool, stream);
        if (rc == OUT_OF_MEMORY) {
            CudaKernels.p4j_stream_synchronize(stream);   // an error of queued work surfaces at the next checked call
            CudaKernels.p4j_mem_pool_trim(pool, 0);
            rc = CudaKernels.p4j_malloc_async(p, bytes, pool, stream);
        }
        if (rc != 0 || p[0] == 0) {
            throw allocationFailure("cudaMallocFromPoolAsync", rc == 0 ? OUT_OF_MEMORY : rc, bytes);
        }
        LIVE.addAndGet(bytes);
        return new DeviceBuffer(p[0], bytes, true);
    }

    /** {@code cudaErrorMemoryAllocation}. */
    private static final int OUT_OF_MEMORY = 2;

    /**
     * Device bytes held by the {@code DeviceBuffer}s of this process that are not yet closed: what
     * prune4j itself has taken with {@code cudaMalloc} or from a backend's pool (cuBLAS and cuDNN keep
     * their own workspaces besides, and a pool keeps freed memory in reserve, which this does not
     * count). A long-running process can watch it for leaks: it is exact, whatever the pool does.
     *
     * @return the bytes of all open buffers of this process
     */
    public static long liveBytes() {
        return LIVE.get();
    }

    /**
     * {@code count} floats, uninitialised: {@link #allocate(long) allocate(4 · count)}. The caller owns
     * the buffer and closes it.
     *
     * @param count the number of floats, at least 0
     * @return the new buffer
     * @throws IllegalArgumentException when {@code count < 0}
     * @throws io.prune4j.backend.DeviceUnavailableException when no CUDA device answers
     * @throws CudaException when the allocation fails
     */
    public static DeviceBuffer floats(long count) {
        return allocate(4 * count);
    }

    /**
     * A device copy of {@code data} (synchronous). The caller owns the buffer and closes it.
     *
     * @param data the floats to copy
     * @return a new buffer of {@code 4 · data.length} bytes holding them
     * @throws NullPointerException when {@code data} is null
     * @throws io.prune4j.backend.DeviceUnavailableException when no CUDA device answers
     * @throws CudaException when the allocation or the copy fails
     */
    public static DeviceBuffer of(float[] data) {
        Objects.requireNonNull(data, "data");
        DeviceBuffer b = floats(data.length);
        try {
            b.upload(data);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /**
     * A device copy of {@code data} (synchronous). The caller owns the buffer and closes it.
     *
     * @param data the ints to copy
     * @return a new buffer of {@code 4 · data.length} bytes holding them
     * @throws NullPointerException when {@code data} is null
     * @throws io.prune4j.backend.DeviceUnavailableException when no CUDA device answers
     * @throws CudaException when the allocation or the copy fails
     */
    public static DeviceBuffer of(int[] data) {
        Objects.requireNonNull(data, "data");
        DeviceBuffer b = allocate(4L * data.length);
        try {
            b.upload(data);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    static CudaException allocationFailure(String call, int code, long bytes) {
        long[] free = new long[1];
        long[] total = new long[1];
        String memory = CudaKernels.p4j_mem_get_info(free, total) == 0
                ? "; " + human(free[0]) + " free of " + human(total[0])
                : "; free memory unknown";
        return new CudaException(code, call + " of " + bytes + " bytes (" + human(bytes) + memory + ")");
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024L * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    /**
     * The device address (what the launchers take), valid until the buffer is closed.
     *
     * @return the address of the first byte
     * @throws IllegalStateException when the buffer was closed
     */
    public long address() {
        requireOpen();
        return address;
    }

    /**
     * The address of float element {@code index} (for slices of a larger buffer), valid until the
     * buffer is closed.
     *
     * @param index the float's index, {@code 0 ≤ index ≤ bytes() / 4} (the end itself allowed)
     * @return {@code address() + 4 · index}
     * @throws IllegalStateException when the buffer was closed
     * @throws IndexOutOfBoundsException when {@code index} is outside that range
     */
    public long floatAddress(long index) {
        requireOpen();
        if (index < 0 || 4 * index > bytes) {
            throw new IndexOutOfBoundsException("float " + index + " outside a buffer of " + bytes + " bytes");
        }
        return address + 4 * index;
    }

    /**
     * The size asked for; it stays readable after {@link #close()}.
     *
     * @return the buffer's size in bytes
     */
    public long bytes() {
        return bytes;
    }

    /** False once the buffer has been freed. */
    boolean isOpen() {
        return address != 0;
    }

    /** True for memory from a stream-ordered pool, which {@link #freeOnStream} frees without waiting. */
    boolean pooled() {
        return pooled;
    }

    /**
     * Copies {@code data} to the start of the buffer (synchronous, on the legacy default stream).
     *
     * @param data the floats to copy; {@code 4 · data.length} must not exceed {@link #bytes()}
     * @throws NullPointerException when {@code data} is null
     * @throws IllegalStateException when the buffer was closed
     * @throws IllegalArgumentException when {@code data} does not fit
     * @throws CudaException when the copy fails
     */
    public void upload(float[] data) {
        Objects.requireNonNull(data, "data");
        long n = 4L * data.length;
        checkFits(n);
        if (n == 0) return;
        try (FloatPointer h = new FloatPointer(data)) {
            CudaException.check(CudaKernels.p4j_memcpy(address, h.address(), n, H2D, 0L, 0), "upload of " + n + " bytes");
        }
    }

    /**
     * Copies {@code data} to the start of the buffer (synchronous, on the legacy default stream).
     *
     * @param data the ints to copy; {@code 4 · data.length} must not exceed {@link #bytes()}
     * @throws NullPointerException when {@code data} is null
     * @throws IllegalStateException when the buffer was closed
     * @throws IllegalArgumentException when {@code data} does not fit
     * @throws CudaException when the copy fails
     */
    public void upload(int[] data) {
        Objects.requireNonNull(data, "data");
        long n = 4L * data.length;
        checkFits(n);
        if (n == 0) return;
        try (IntPointer h = new IntPointer(data)) {
            CudaException.check(CudaKernels.p4j_memcpy(address, h.address(), n, H2D, 0L, 0), "upload of " + n + " bytes");
        }
    }

    /**
     * The first {@code count} floats, copied to the host (waits for the copy, not for other streams).
     *
     * @param count the number of floats, {@code 0 ≤ count ≤ bytes() / 4}
     * @return a new array of {@code count} floats
     * @throws IllegalStateException when the buffer was closed
     * @throws IllegalArgumentException when {@code count} floats do not fit the buffer
     * @throws CudaException when the copy fails
     */
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

    /**
     * The first {@code count} ints, copied to the host (waits for the copy, not for other streams).
     *
     * @param count the number of ints, {@code 0 ≤ count ≤ bytes() / 4}
     * @return a new array of {@code count} ints
     * @throws IllegalStateException when the buffer was closed
     * @throws IllegalArgumentException when {@code count} ints do not fit the buffer
     * @throws CudaException when the copy fails
     */
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

    /**
     * Device-to-device copy of {@code n} bytes from the start of {@code src} to the start of this
     * buffer (synchronous).
     *
     * @param src the buffer to copy from; it stays the caller's
     * @param n the bytes to copy, at most the size of either buffer
     * @throws NullPointerException when {@code src} is null
     * @throws IllegalStateException when either buffer was closed
     * @throws IllegalArgumentException when {@code n} exceeds either buffer
     * @throws CudaException when the copy fails
     */
    public void copyFrom(DeviceBuffer src, long n) {
        Objects.requireNonNull(src, "src");
        checkFits(n);
        if (n > src.bytes) throw new IllegalArgumentException("copy of " + n + " bytes from a buffer of " + src.bytes);
        CudaException.check(CudaKernels.p4j_memcpy(address, src.address(), n, D2D, 0L, 0), "device copy of " + n + " bytes");
    }

    /**
     * Sets every byte to zero, queued on the legacy default stream ({@code cudaMemsetAsync}: it does
     * not wait for the device).
     *
     * @throws IllegalStateException when the buffer was closed
     * @throws CudaException when the launch fails
     */
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

    /**
     * Frees the buffer at once with {@code cudaFree}. For a plain buffer {@code cudaFree} waits for the
     * device; for a pooled one it does not, so the caller must know that no queued work still uses it
     * (its stream was synchronised), or use {@link #freeOnStream}.
     */
    @Override
    public void close() {
        if (address != 0) {
            long a = address;
            address = 0;
            CudaKernels.p4j_free(a);
            LIVE.addAndGet(-bytes);
        }
    }

    /**
     * Frees a pooled buffer in the order of {@code stream}, the stream whose queued work may still use
     * it: {@code cudaFreeAsync} returns at once, the memory goes back to the pool when the stream gets
     * there, and a later allocation on the same stream may take it. A plain buffer cannot be freed so:
     * that is an {@link IllegalStateException}.
     */
    void freeOnStream(long stream) {
        if (!pooled) {
            throw new IllegalStateException("a cudaMalloc buffer cannot be freed in stream order");
        }
        if (address != 0) {
            long a = address;
            address = 0;
            CudaKernels.p4j_free_async(a, stream);   // an error of queued work surfaces at the next checked call
            LIVE.addAndGet(-bytes);
        }
    }
}
