package io.prune4j.backend.cuda;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.ArgChecks;
import io.prune4j.backend.Backend;
import io.prune4j.backend.Capability;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.TransferStats;
import io.prune4j.backend.Transform;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The CUDA backend: tensors in device memory ({@link CudaTensor}), every operation queued on one
 * CUDA stream of this backend, the host reached only by {@link #toFloatArray}, {@link #toIntArray}
 * and the two scalar reads ({@link #countAtLeast}, {@link #maskToIndices}), each one counted
 * device-to-host copy ({@link #transfers()}).
 *
 * <p>Where the work is done:
 * <ul>
 *   <li>our kernels ({@link CudaKernels}, {@code src/main/cuda}) for everything element-wise, the
 *       reductions, scoring, ranking (radix select), compaction gathers, softmax cross-entropy,
 *       distillation, the optimisers, max and average pooling, batch normalisation, a convolution's
 *       bias (and ReLU) and bias gradient, and the FPGM, LAMP and segmented-reduction scorers;</li>
 *   <li>cuBLAS ({@link Cublas}) for {@link #gemm}: row-major products as one column-major
 *       {@code cublasSgemm} with the operands swapped;</li>
 *   <li>cuDNN ({@link Cudnn}) for the convolution itself (grouped and depthwise ones too) and its
 *       data and filter gradients, with descriptors, algorithms and workspace sizes chosen once per shape.</li>
 * </ul>
 * cuBLAS and cuDNN are loaded on first use, so a network without matrix products or convolutions
 * never needs them; a machine without them gets a one-line error naming the missing libraries.
 *
 * <p>Every operation checks shapes, element types and scalars before it launches anything, through
 * {@link ArgChecks}, the checks the CPU backend runs (so both refuse the same calls with the same
 * messages); a launch that fails is a {@link CudaException} with CUDA's message. Kernels run
 * asynchronously, so an error while one runs surfaces at the next synchronising call (a host read,
 * {@link #synchronize()}, an upload; not closing a tensor, which waits for nothing).
 *
 * <p>Out-of-range indices: the gathers never read outside their source; they write zeros and raise
 * a flag on the device, which every synchronisation brings back with it. {@link #gatherColumns} and
 * {@link #gatherColumnBlocks} (compaction, rare) wait for the device and throw the CPU's
 * {@link IndexOutOfBoundsException} at once; {@link #gatherRows} (every training batch) is checked
 * at the next synchronising call, which throws it then, and so is {@link #segmentReduce}.
 *
 * <p>Labels outside the classes: {@link #softmaxCrossEntropy} and {@link #distillation} (every
 * training batch) cannot throw from the device, so their kernels write the first bad row of the
 * first call that has one, its label and the class count into the same device flags; the next
 * synchronising call (for training, the epoch's own read of its metrics) throws the
 * {@link IllegalArgumentException} the CPU backend throws at that call, with the same message
 * ({@link ArgChecks#labelOutOfRange}). Nothing waits for the device to find it: the report rides
 * along with the synchronisation that was coming anyway.
 *
 * <p>Device memory: tensors and workspaces come from a stream-ordered memory pool of the backend's
 * own ({@code cudaMallocFromPoolAsync} on its stream) and are freed in stream order
 * ({@code cudaFreeAsync}): closing a tensor queues the free behind the work that may still read it and
 * returns at once, without waiting for the device, and the next allocations on the stream reuse the
 * memory. The pool keeps what it has reserved across synchronisations (release threshold UINT64_MAX;
 * with the default of 0 it would hand it back to the driver at every epoch's read and map it again
 * after), so a run holds its peak of device memory until the backend is closed; an allocation the
 * pool cannot serve first makes it give back what it holds unused, then tries again.
 * {@link DeviceBuffer#liveBytes()} counts what the tensors hold, not the pool's reserve. On a device
 * without memory pools the backend falls back to {@code cudaMalloc}, and closing a tensor waits for
 * the stream.
 *
 * <p>Not thread-safe: one thread uses a backend and its tensors at a time, as with the CPU backend.
 */
public final class CudaBackend implements Backend {
    private static final int H2D = 1;
    private static final int D2H = 2;
    private static final int D2D = 3;
    /** {@code cudaErrorNotSupported}: the device has no memory pools. */
    private static final int NOT_SUPPORTED = 801;
    /** Error flags, one int per gather kind: set on the device, read at each synchronisation. */
    private static final String[] GATHERS = {"gatherRows", "gatherColumns", "gatherColumnBlocks", "segmentReduce"};
    private static final int ROWS = 0;
    private static final int COLUMNS = 1;
    private static final int BLOCKS = 2;
    private static final int SEGMENTS = 3;
    /** After them, three ints per labelled loss: {row + 1 (0: none), label, classes} of its first bad label. */
    private static final String[] LABELLED = {"softmaxCrossEntropy", "distillation"};
    private static final int XENT = 0;
    private static final int DISTILL = 1;
    private static final int FLAG_INTS = GATHERS.length + 3 * LABELLED.length;

    private final int device = 0;
    private final String name;
    private long stream;
    private final DeviceBuffer reduceWorkspace;
    private final DeviceBuffer scalars;
    private final IntPointer hostScalar = new IntPointer(1);
    private DeviceBuffer selectWorkspace;
    private DeviceBuffer indexWorkspace;
    private DeviceBuffer convWorkspace;
    private final DeviceBuffer flagsDevice;
    private long flagsHost;
    private IntPointer flags;
    private Cublas cublas;
    private Cudnn cudnn;
    private long copies;
    private long copiedBytes;
    private long synchronizations;
    /** The stream-ordered memory pool, or 0 where the device has none. */
    private long pool;
    /** Pooled buffers not yet freed; once the backend is closed the last of them destroys the pool. */
    private long pooledBuffers;
    private boolean closed;

    /**
     * A backend on CUDA device 0.
     *
     * @throws io.prune4j.backend.DeviceUnavailableException when no CUDA device answers (the reason in one line)
     */
    public CudaBackend() {
        CudaRuntime.requireDevice();
        this.name = "cuda:" + device + " (" + CudaRuntime.deviceDescription(device) + ")";
        DeviceBuffer reduce = null;
        DeviceBuffer sc = null;
        DeviceBuffer fl = null;
        try {
            long[] s = new long[1];
            CudaException.check(CudaKernels.p4j_stream_create(s), "cudaStreamCreateWithFlags");
            stream = s[0];
            long[] p = new long[1];
            int rc = CudaKernels.p4j_mem_pool_create(p, device);
            if (rc != NOT_SUPPORTED) {
                CudaException.check(rc, "cudaMemPoolCreate");
                pool = p[0];
            }
            long[] bytes = new long[1];
            CudaException.check(CudaKernels.p4j_reduce_workspace_bytes(bytes), "p4j_reduce_workspace_bytes");
            reduce = DeviceBuffer.allocate(bytes[0]);
            sc = DeviceBuffer.allocate(16);
            fl = DeviceBuffer.allocate(4L * FLAG_INTS);
            CudaException.check(CudaKernels.p4j_memset(fl.address(), 0, fl.bytes(), stream), "memset (error flags)");
            long[] host = new long[1];
            long[] dev = new long[1];
            CudaException.check(CudaKernels.p4j_host_alloc_mapped(host, dev, 4L * FLAG_INTS), "cudaHostAlloc (error flags)");
            flagsHost = host[0];
            flags = new IntPointer(new RawPointer(flagsHost));
        } catch (RuntimeException e) {
            if (reduce != null) reduce.close();
            if (sc != null) sc.close();
            if (fl != null) fl.close();
            CudaKernels.p4j_host_free(flagsHost);
            CudaKernels.p4j_mem_pool_destroy(pool);
            CudaKernels.p4j_stream_destroy(stream);
            throw e;
        }
        this.reduceWorkspace = reduce;
        this.scalars = sc;
        this.flagsDevice = fl;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean hasCapability(Capability capability) {
        return capability == Capability.CUDA;
    }

    /**
     * The stream every operation of this backend is queued on, for work of the caller's own that must
     * be ordered with it. Borrowed: the backend owns the stream and destroys it in {@link #close()}.
     *
     * @return the {@code cudaStream_t} as a raw address
     * @throws IllegalStateException when the backend is closed
     */
    public long stream() {
        requireOpen();
        return stream;
    }

    // ---- tensors -------------------------------------------------------------------------------

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        requireOpen();
        int n = Shapes.size(shape);
        DeviceBuffer b = allocate(4L * n);
        try {
            check(CudaKernels.p4j_memset(b.address(), 0, 4L * n, stream), "zeros: memset of " + 4L * n + " bytes");
        } catch (RuntimeException e) {
            free(b);
            throw e;
        }
        return new CudaTensor(this, b, false, dtype, shape);
    }

    @Override
    public Tensor fromArray(float[] data, int... shape) {
        java.util.Objects.requireNonNull(data, "data");
        ArgChecks.length(data.length, shape);
        CudaTensor t = (CudaTensor) zerosUninitialised(DType.FLOAT32, shape);
        try {
            upload(t, data);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    @Override
    public Tensor fromArray(int[] data, int... shape) {
        java.util.Objects.requireNonNull(data, "data");
        ArgChecks.length(data.length, shape);
        CudaTensor t = (CudaTensor) zerosUninitialised(DType.INT32, shape);
        try {
            upload(t, data);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    private Tensor zerosUninitialised(DType dtype, int... shape) {
        requireOpen();
        return new CudaTensor(this, allocate(4L * Shapes.size(shape)), false, dtype, shape);
    }

    @Override
    public float[] toFloatArray(Tensor t) {
        ArgChecks.floats("toFloatArray", t);
        CudaTensor c = f(t, "toFloatArray");
        float[] out = new float[c.size()];
        try (FloatPointer h = new FloatPointer(Math.max(1, out.length))) {
            download(h, c.address(), 4L * out.length, "toFloatArray");
            h.get(out);
        }
        return out;
    }

    @Override
    public int[] toIntArray(Tensor t) {
        ArgChecks.ints("toIntArray", t);
        CudaTensor c = i(t, "toIntArray");
        int[] out = new int[c.size()];
        try (IntPointer h = new IntPointer(Math.max(1, out.length))) {
            download(h, c.address(), 4L * out.length, "toIntArray");
            h.get(out);
        }
        return out;
    }

    @Override
    public void upload(Tensor dst, float[] src) {
        java.util.Objects.requireNonNull(dst, "dst");
        java.util.Objects.requireNonNull(src, "src");
        ArgChecks.upload(dst, DType.FLOAT32, src.length);
        CudaTensor d = f(dst, "upload");
        if (src.length == 0) return;
        try (FloatPointer h = new FloatPointer(src)) {
            hostToDevice(d.address(), h, 4L * src.length, "upload");
        }
    }

    @Override
    public void upload(Tensor dst, int[] src) {
        java.util.Objects.requireNonNull(dst, "dst");
        java.util.Objects.requireNonNull(src, "src");
        ArgChecks.upload(dst, DType.INT32, src.length);
        CudaTensor d = i(dst, "upload");
        if (src.length == 0) return;
        try (IntPointer h = new IntPointer(src)) {
            hostToDevice(d.address(), h, 4L * src.length, "upload");
        }
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        ArgChecks.copy(dst, src);
        CudaTensor d = own(dst, "copy");
        CudaTensor s = own(src, "copy");
        if (d.address() != s.address()) {
            deviceToDevice(d.address(), s.address(), 4L * src.size(), "copy");
        }
    }

    @Override
    public void fill(Tensor t, float value) {
        ArgChecks.floats("fill", t);
        CudaTensor c = f(t, "fill");
        check(CudaKernels.p4j_fill(c.address(), c.size(), value, stream), "fill");
    }

    @Override
    public Tensor reshape(Tensor t, int... shape) {
        ArgChecks.reshape(t, shape);
        CudaTensor c = own(t, "reshape");
        c.address();   // a closed tensor has no storage to view
        return new CudaTensor(this, c.buffer(), true, c.dtype(), shape);
    }

    // ---- linear algebra ------------------------------------------------------------------------

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int[] mnk = ArgChecks.gemm(c, a, transA, b, transB);
        int m = mnk[0];
        int n = mnk[1];
        int k = mnk[2];
        CudaTensor cc = f(c, "gemm");
        CudaTensor ac = f(a, "gemm");
        CudaTensor bc = f(b, "gemm");
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            check(CudaKernels.p4j_scale(cc.address(), m * n, beta, stream), "gemm (k = 0: c = beta·c)");
            return;
        }
        cublas().sgemmRowMajor(transA, transB, m, n, k, alpha, ac.address(), a.dim(1), bc.address(), b.dim(1), beta, cc.address());
    }

    // ---- convolution and pooling ---------------------------------------------------------------

    @Override
    public void conv2d(Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad, int groups, boolean relu) {
        ArgChecks.conv2d(y, x, w, bias, stride, pad, groups);
        Cudnn.Key g = geometry(x, w, stride, pad, groups);
        CudaTensor yc = f(y, "conv2d");
        CudaTensor xc = f(x, "conv2d");
        CudaTensor wc = f(w, "conv2d");
        CudaTensor bc = bias == null ? null : f(bias, "conv2d");
        if (y.size() == 0) {
            return;
        }
        if (g.c() == 0 || g.kh() == 0 || g.kw() == 0) {
            // an empty sum: the output is the bias alone
            check(CudaKernels.p4j_fill(yc.address(), y.size(), 0f, stream), "conv2d");
        } else {
            Cudnn.Plan p = plan(g);
            cudnn.forward(p, yc.address(), xc.address(), wc.address(), convWorkspace.address(), p.fwdBytes);
        }
        if (bc != null || relu) {
            // without a bias the epilogue is the ReLU alone (the launcher takes a null bias)
            check(CudaKernels.p4j_bias_add_channels(yc.address(), bc == null ? 0L : bc.address(), g.n(), g.k(), g.ho() * g.wo(),
                    relu ? 1 : 0, stream), bc == null ? "conv2d: ReLU" : "conv2d: bias add");
        }
    }

    @Override
    public void conv2dBackward(Tensor dx, Tensor dw, Tensor db, Tensor dy, Tensor x, Tensor w, int stride, int pad, int groups) {
        ArgChecks.conv2dBackward(dx, dw, db, dy, x, w, stride, pad, groups);
        Cudnn.Key g = geometry(x, w, stride, pad, groups);
        CudaTensor dxc = dx == null ? null : f(dx, "conv2dBackward");
        CudaTensor dwc = f(dw, "conv2dBackward");
        CudaTensor dbc = db == null ? null : f(db, "conv2dBackward");
        CudaTensor dyc = f(dy, "conv2dBackward");
        CudaTensor xc = f(x, "conv2dBackward");
        CudaTensor wc = f(w, "conv2dBackward");
        if (dbc != null) {
            check(CudaKernels.p4j_sum_channels(dbc.address(), dyc.address(), g.n(), g.k(), g.ho() * g.wo(), stream),
                    "conv2dBackward: bias gradient");
        }
        if (g.n() == 0 || g.k() == 0 || g.c() == 0 || g.kh() == 0 || g.kw() == 0) {
            check(CudaKernels.p4j_memset(dwc.address(), 0, 4L * dw.size(), stream), "conv2dBackward");
            if (dxc != null) {
                check(CudaKernels.p4j_memset(dxc.address(), 0, 4L * dx.size(), stream), "conv2dBackward");
            }
            return;
        }
        Cudnn.Plan p = plan(g);
        cudnn.backwardFilter(p, dwc.address(), dyc.address(), xc.address(), convWorkspace.address(), p.bwdFilterBytes);
        if (dxc != null) {
            cudnn.backwardData(p, dxc.address(), dyc.address(), wc.address(), convWorkspace.address(), p.bwdDataBytes);
        }
    }

    /** The cuDNN plan for {@code g}, with the backend's workspace grown to what it needs. */
    private Cudnn.Plan plan(Cudnn.Key g) {
        Cudnn.Plan p = cudnn().plan(g);
        long need = Math.max(1, Math.max(p.fwdBytes, Math.max(p.bwdDataBytes, p.bwdFilterBytes)));
        convWorkspace = grow(convWorkspace, need);
        return p;
    }

    /** The cuDNN key of a convolution {@link ArgChecks#conv2d} has checked. */
    private static Cudnn.Key geometry(Tensor x, Tensor w, int stride, int pad, int groups) {
        return new Cudnn.Key(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3), stride, pad, groups);
    }

    @Override
    public void maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad, boolean ceil) {
        ArgChecks.maxPool2d(y, argmax, x, window, stride, pad, ceil);
        CudaTensor yc = f(y, "maxPool2d");
        CudaTensor ac = i(argmax, "maxPool2d");
        CudaTensor xc = f(x, "maxPool2d");
        check(CudaKernels.p4j_max_pool2d_ceil(yc.address(), ac.address(), xc.address(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3),
                window, stride, pad, ceil ? 1 : 0, stream), "maxPool2d");
    }

    @Override
    public void upsampleNearest(Tensor y, Tensor x, int scaleH, int scaleW) {
        ArgChecks.upsampleNearest("upsampleNearest", y, x, scaleH, scaleW);
        check(CudaKernels.p4j_upsample_nearest(f(y, "upsampleNearest").address(), f(x, "upsampleNearest").address(), x.dim(0) * x.dim(1),
                x.dim(2), x.dim(3), scaleH, scaleW, stream), "upsampleNearest");
    }

    @Override
    public void upsampleNearestBackward(Tensor dx, Tensor dy, int scaleH, int scaleW) {
        ArgChecks.upsampleNearest("upsampleNearestBackward", dy, dx, scaleH, scaleW);
        check(CudaKernels.p4j_upsample_nearest_backward(f(dx, "upsampleNearestBackward").address(), f(dy, "upsampleNearestBackward")
                .address(), dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3), scaleH, scaleW, stream), "upsampleNearestBackward");
    }

    @Override
    public void globalMaxPool(Tensor y, Tensor argmax, Tensor x) {
        ArgChecks.globalMaxPool(y, argmax, x);
        check(CudaKernels.p4j_global_max_pool(f(y, "globalMaxPool").address(), i(argmax, "globalMaxPool").address(),
                f(x, "globalMaxPool").address(), x.dim(0) * x.dim(1), x.dim(2) * x.dim(3), stream), "globalMaxPool");
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax) {
        ArgChecks.maxPool2dBackward(dx, dy, argmax);
        CudaTensor dxc = f(dx, "maxPool2dBackward");
        CudaTensor dyc = f(dy, "maxPool2dBackward");
        CudaTensor ac = i(argmax, "maxPool2dBackward");
        check(CudaKernels.p4j_max_pool2d_backward(dxc.address(), dyc.address(), ac.address(), dx.dim(0) * dx.dim(1),
                dx.dim(2) * dx.dim(3), dy.dim(2) * dy.dim(3), stream), "maxPool2dBackward");
    }

    // ---- element-wise and reductions -----------------------------------------------------------

    @Override
    public void biasAdd(Tensor y, Tensor bias, boolean relu) {
        ArgChecks.biasAdd(y, bias);
        check(CudaKernels.p4j_bias_add(f(y, "biasAdd").address(), f(bias, "biasAdd").address(), y.dim(0), y.dim(1), relu ? 1 : 0,
                stream), "biasAdd");
    }

    @Override
    public void relu(Tensor y, Tensor x) {
        ArgChecks.relu(y, x);
        check(CudaKernels.p4j_relu(f(y, "relu").address(), f(x, "relu").address(), x.size(), stream), "relu");
    }

    @Override
    public void reluBackward(Tensor dx, Tensor dy, Tensor y) {
        ArgChecks.reluBackward(dx, dy, y);
        check(CudaKernels.p4j_relu_backward(f(dx, "reluBackward").address(), f(dy, "reluBackward").address(),
                f(y, "reluBackward").address(), y.size(), stream), "reluBackward");
    }

    @Override
    public void sumRows(Tensor out, Tensor x, float beta) {
        ArgChecks.sumRows(out, x);
        check(CudaKernels.p4j_sum_rows(f(out, "sumRows").address(), f(x, "sumRows").address(), x.dim(0), x.dim(1), beta, stream),
                "sumRows");
    }

    @Override
    public void sum(Tensor out, Tensor x) {
        ArgChecks.sum(out, x);
        check(CudaKernels.p4j_sum(f(out, "sum").address(), f(x, "sum").address(), x.size(), reduceWorkspace.address(),
                reduceWorkspace.bytes(), stream), "sum");
    }

    @Override
    public void axpy(Tensor y, float alpha, Tensor x) {
        ArgChecks.sameSizeFloats("axpy", y, "y", x, "x");
        check(CudaKernels.p4j_axpy(f(y, "axpy").address(), f(x, "axpy").address(), y.size(), alpha, stream), "axpy");
    }

    @Override
    public void mul(Tensor y, Tensor x) {
        ArgChecks.sameSizeFloats("mul", y, "y", x, "x");
        long ya = f(y, "mul").address();
        check(CudaKernels.p4j_mul(ya, ya, f(x, "mul").address(), y.size(), stream), "mul");
    }

    @Override
    public void scale(Tensor y, float alpha) {
        ArgChecks.floats("scale", y);
        check(CudaKernels.p4j_scale(f(y, "scale").address(), y.size(), alpha, stream), "scale");
    }

    @Override
    public void softmaxCrossEntropy(Tensor gradLogits, Tensor metrics, Tensor logits, Tensor labels, float gradScale) {
        ArgChecks.softmaxCrossEntropy(gradLogits, metrics, logits, labels);
        long grad = gradLogits == null ? 0L : f(gradLogits, "softmaxCrossEntropy").address();
        check(CudaKernels.p4j_softmax_xent_checked(grad, f(metrics, "softmaxCrossEntropy").address(),
                f(logits, "softmaxCrossEntropy").address(), i(labels, "softmaxCrossEntropy").address(), logits.dim(0), logits.dim(1),
                gradScale, reduceWorkspace.address(), reduceWorkspace.bytes(), labelFlag(XENT), stream), "softmaxCrossEntropy");
    }

    @Override
    public void gatherRows(Tensor out, Tensor src, Tensor idx, int offset) {
        int cols = ArgChecks.gatherRows(out, src, idx, offset);
        int rows = out.rank() == 0 ? 0 : out.dim(0);
        int srcRows = src.dim(0);
        CudaTensor ix = i(idx, "gatherRows");
        CudaTensor o = own(out, "gatherRows");
        CudaTensor s = own(src, "gatherRows");
        check(CudaKernels.p4j_gather_rows(o.address(), s.address(), ix.address(offset), rows, cols, srcRows, flag(ROWS), stream),
                "gatherRows");
    }

    @Override
    public void copyRange(Tensor dst, int dstOffset, Tensor src, int srcOffset, int count) {
        ArgChecks.copyRange(dst, dstOffset, src, srcOffset, count);
        CudaTensor d = dst.dtype() == DType.FLOAT32 ? f(dst, "copyRange") : i(dst, "copyRange");
        CudaTensor s = dst.dtype() == DType.FLOAT32 ? f(src, "copyRange") : i(src, "copyRange");
        if (count > 0) {
            deviceToDevice(d.address(dstOffset), s.address(srcOffset), 4L * count, "copyRange");
        }
    }

    @Override
    public void gatherColumns(Tensor out, Tensor src, Tensor idx) {
        int cols = ArgChecks.gatherColumns(out, src, idx);
        CudaTensor ix = i(idx, "gatherColumns");
        CudaTensor o = f(out, "gatherColumns");
        CudaTensor s = f(src, "gatherColumns");
        int rows = src.dim(0);
        check(CudaKernels.p4j_gather_blocks(o.address(), s.address(), 0L, ix.address(), rows, out.dim(1), 1, rows, cols,
                flag(COLUMNS), stream), "gatherColumns");
        // compaction, not a hot path: wait and throw the CPU's exception here rather than later
        synchronize("gatherColumns", "index outside [0, " + cols + ")");
    }

    @Override
    public void gatherColumnBlocks(Tensor out, Tensor src, Tensor idx, int block) {
        int cols = ArgChecks.gatherColumnBlocks(out, src, idx, block);
        int rows = src.dim(0);
        int k = idx.size();
        CudaTensor ix = i(idx, "gatherColumnBlocks");
        CudaTensor o = f(out, "gatherColumnBlocks");
        CudaTensor s = f(src, "gatherColumnBlocks");
        check(CudaKernels.p4j_gather_blocks(o.address(), s.address(), 0L, ix.address(), rows, k, block, rows, cols, flag(BLOCKS),
                stream), "gatherColumnBlocks");
        synchronize("gatherColumnBlocks", "index outside [0, " + cols / block + ")");
    }

    @Override
    public void broadcastRows(Tensor out, Tensor v) {
        ArgChecks.broadcastRows(out, v);
        int rows = out.dim(0);
        int cols = rows == 0 ? 0 : out.size() / rows;
        check(CudaKernels.p4j_broadcast_rows(f(out, "broadcastRows").address(), f(v, "broadcastRows").address(), rows, cols, stream),
                "broadcastRows");
    }

    // ---- importance scoring --------------------------------------------------------------------

    @Override
    public void taylorAccumulate(Tensor acc, Tensor a, Tensor g, boolean absInside, float scale) {
        int spatial = ArgChecks.taylorAccumulate(acc, a, g);
        int batch = a.dim(0);
        int units = acc.size();
        check(CudaKernels.p4j_taylor_accumulate(f(acc, "taylorAccumulate").address(), f(a, "taylorAccumulate").address(),
                f(g, "taylorAccumulate").address(), batch, units, spatial, absInside ? 1 : 0, scale, stream), "taylorAccumulate");
    }

    @Override
    public void countPositive(Tensor acc, Tensor a) {
        int spatial = ArgChecks.countPositive(acc, a);
        int units = acc.size();
        check(CudaKernels.p4j_count_positive(f(acc, "countPositive").address(), f(a, "countPositive").address(), a.dim(0), units,
                spatial, stream), "countPositive");
    }

    @Override
    public void accumulate(Tensor acc, Tensor x, float scale, Transform t) {
        ArgChecks.sameSizeFloats("accumulate", acc, "acc", x, "x");
        java.util.Objects.requireNonNull(t, "t");
        check(CudaKernels.p4j_accumulate(f(acc, "accumulate").address(), f(x, "accumulate").address(), acc.size(), scale, t.ordinal(),
                stream), "accumulate");
    }

    @Override
    public void accumulateNormalizedAbs(Tensor acc, Tensor x) {
        ArgChecks.sameSizeFloats("accumulateNormalizedAbs", acc, "acc", x, "x");
        check(CudaKernels.p4j_accumulate_normalized_abs(f(acc, "accumulateNormalizedAbs").address(),
                f(x, "accumulateNormalizedAbs").address(), acc.size(), reduceWorkspace.address(), reduceWorkspace.bytes(), stream),
                "accumulateNormalizedAbs");
    }

    @Override
    public void accumulateAbsProduct(Tensor acc, Tensor a, Tensor b, float scale) {
        ArgChecks.accumulateAbsProduct(acc, a, b);
        check(CudaKernels.p4j_accumulate_abs_product(f(acc, "accumulateAbsProduct").address(), f(a, "accumulateAbsProduct").address(),
                f(b, "accumulateAbsProduct").address(), acc.size(), scale, stream), "accumulateAbsProduct");
    }

    @Override
    public void rowNorms(Tensor out, Tensor w, int p) {
        ArgChecks.rowNorms(out, w, p);
        int rows = w.dim(0);
        int cols = rows == 0 ? 0 : w.size() / rows;
        check(CudaKernels.p4j_row_norms(f(out, "rowNorms").address(), f(w, "rowNorms").address(), rows, cols, p, stream), "rowNorms");
    }

    @Override
    public void rowSums(Tensor out, Tensor x) {
        ArgChecks.rowSums(out, x);
        int rows = x.dim(0);
        int cols = rows == 0 ? 0 : x.size() / rows;
        check(CudaKernels.p4j_row_sums(f(out, "rowSums").address(), f(x, "rowSums").address(), rows, cols, stream), "rowSums");
    }

    @Override
    public void compositeScores(Tensor out, Tensor w, Tensor gAbs, Tensor freq) {
        int block = ArgChecks.compositeScores(out, w, gAbs, freq);
        int rows = w.dim(0);
        int cols = rows == 0 ? 0 : w.size() / rows;
        check(CudaKernels.p4j_composite_scores(f(out, "compositeScores").address(), f(w, "compositeScores").address(),
                f(gAbs, "compositeScores").address(), f(freq, "compositeScores").address(), rows, cols, Math.max(1, block), stream),
                "compositeScores");
    }

    @Override
    public void normalize(Tensor s, Normalization kind) {
        java.util.Objects.requireNonNull(s, "s");
        java.util.Objects.requireNonNull(kind, "kind");
        ArgChecks.floats("normalize", s);
        CudaTensor c = f(s, "normalize");
        if (kind == Normalization.NONE) {
            return;
        }
        // the mean: the L1 kernel, then times the count (an all-zero tensor stays zero either way)
        int op = kind == Normalization.MEAN ? Normalization.L1.ordinal() : kind.ordinal();
        check(CudaKernels.p4j_normalize(c.address(), c.size(), op, reduceWorkspace.address(), reduceWorkspace.bytes(), stream),
                "normalize");
        if (kind == Normalization.MEAN && c.size() > 0) {
            scale(s, (float) c.size());
        }
    }

    // ---- ranking and masks ---------------------------------------------------------------------

    @Override
    public void selectTopK(Tensor mask, Tensor scores, int keep) {
        ArgChecks.selectTopK(mask, scores, keep);
        CudaTensor m = f(mask, "selectTopK");
        CudaTensor s = f(scores, "selectTopK");
        int n = scores.size();
        long[] bytes = new long[1];
        check(CudaKernels.p4j_select_topk_workspace_bytes(n, bytes), "selectTopK: workspace size");
        selectWorkspace = grow(selectWorkspace, Math.max(1, bytes[0]));
        check(CudaKernels.p4j_select_topk(m.address(), 0L, s.address(), n, keep, selectWorkspace.address(), selectWorkspace.bytes(),
                stream), "selectTopK");
    }

    @Override
    public void maskedFill(Tensor s, Tensor mask, float value) {
        ArgChecks.sameSizeFloats("maskedFill", s, "s", mask, "mask");
        check(CudaKernels.p4j_masked_fill(f(s, "maskedFill").address(), f(mask, "maskedFill").address(), s.size(), value, stream),
                "maskedFill");
    }

    @Override
    public int countAtLeast(Tensor scores, float threshold) {
        ArgChecks.floats("countAtLeast", scores);
        CudaTensor s = f(scores, "countAtLeast");
        check(CudaKernels.p4j_count_at_least(scalars.address(), s.address(), s.size(), threshold, stream), "countAtLeast");
        download(hostScalar, scalars.address(), 4, "countAtLeast");
        return hostScalar.get(0);
    }

    @Override
    public int maskToIndices(Tensor indices, Tensor mask) {
        ArgChecks.maskToIndices(indices, mask, null, 0);
        launchMaskToIndices(indices, mask, scalars.address());
        download(hostScalar, scalars.address(), 4, "maskToIndices");
        return hostScalar.get(0);
    }

    @Override
    public void maskToIndices(Tensor indices, Tensor mask, Tensor counts, int slot) {
        ArgChecks.maskToIndices(indices, mask, counts, slot);
        launchMaskToIndices(indices, mask, i(counts, "maskToIndices").address() + 4L * slot);
    }

    private void launchMaskToIndices(Tensor indices, Tensor mask, long countAddress) {
        CudaTensor ix = i(indices, "maskToIndices");
        CudaTensor m = f(mask, "maskToIndices");
        int n = mask.size();
        long[] bytes = new long[1];
        check(CudaKernels.p4j_mask_to_indices_workspace_bytes(n, bytes), "maskToIndices: workspace size");
        indexWorkspace = grow(indexWorkspace, Math.max(1, bytes[0]));
        check(CudaKernels.p4j_mask_to_indices(ix.address(), countAddress, m.address(), n, indexWorkspace.address(),
                indexWorkspace.bytes(), stream), "maskToIndices");
    }

    // ---- distillation --------------------------------------------------------------------------

    @Override
    public void distillation(Tensor gradLogits, Tensor metrics, Tensor student, Tensor teacher, Tensor labels, float temperature,
                             float alpha, float gradScale) {
        ArgChecks.distillation(gradLogits, metrics, student, teacher, labels, temperature, alpha);
        check(CudaKernels.p4j_distillation_checked(f(gradLogits, "distillation").address(), f(metrics, "distillation").address(),
                f(student, "distillation").address(), f(teacher, "distillation").address(), i(labels, "distillation").address(),
                student.dim(0), student.dim(1), temperature, alpha, gradScale, reduceWorkspace.address(), reduceWorkspace.bytes(),
                labelFlag(DISTILL), stream), "distillation");
    }

    // ---- optimisers ----------------------------------------------------------------------------

    @Override
    public void sgdStep(Tensor w, Tensor velocity, Tensor grad, float lr, float momentum, float weightDecay) {
        ArgChecks.sgdStep(w, velocity, grad, momentum);
        long v = momentum != 0f ? f(velocity, "sgdStep").address() : 0L;
        check(CudaKernels.p4j_sgd_step(f(w, "sgdStep").address(), v, f(grad, "sgdStep").address(), w.size(), lr, momentum, weightDecay,
                stream), "sgdStep");
    }

    @Override
    public void adamStep(Tensor w, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
                         float weightDecay, int step) {
        ArgChecks.adamStep(w, m, v, grad, step);
        check(CudaKernels.p4j_adam_step(f(w, "adamStep").address(), f(m, "adamStep").address(), f(v, "adamStep").address(),
                f(grad, "adamStep").address(), w.size(), lr, beta1, beta2, eps, weightDecay, step, stream), "adamStep");
    }

    // ---- accounting ----------------------------------------------------------------------------

    /**
     * The copies {@link #toFloatArray}, {@link #toIntArray}, {@link #countAtLeast} and
     * {@link #maskToIndices} made (zero-byte reads of empty tensors are none). Not counted: the
     * backend's own 40-byte error-flag check that goes with every synchronisation; it carries no
     * tensor data, and happens only where the host waits for the device anyway.
     */
    @Override
    public TransferStats transfers() {
        return new TransferStats(copies, copiedBytes);
    }

    /**
     * Waits for the queued work; throws the error of a kernel that failed, a deferred
     * {@link IndexOutOfBoundsException} of {@link #gatherRows}, or a deferred label error of
     * {@link #softmaxCrossEntropy} or {@link #distillation}.
     */
    @Override
    public void synchronize() {
        synchronize("synchronize", null);
    }

    /** Number of convolution shapes cuDNN has a plan for (0 before the first convolution). */
    int convolutionPlans() {
        return cudnn == null ? 0 : cudnn.planCount();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        waitForStream();   // errors of queued work no longer matter here
        closed = true;
        RuntimeException first = null;
        for (AutoCloseable c : new AutoCloseable[] {cudnn, cublas, hostScalar}) {
            if (c == null) continue;
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException r ? r : new RuntimeException(e);
            }
        }
        for (DeviceBuffer b : new DeviceBuffer[] {convWorkspace, selectWorkspace, indexWorkspace, graphWorkspace, reduceWorkspace, scalars,
            flagsDevice}) {
            if (b != null) {
                free(b);
            }
        }
        if (pooledBuffers == 0) {
            destroyPool();
        }   // else the last tensor its owner closes destroys it
        CudaKernels.p4j_host_free(flagsHost);
        flagsHost = 0;
        CudaKernels.p4j_stream_destroy(stream);
        stream = 0;
        if (first != null) {
            throw first;
        }
    }

    // ---- internals -----------------------------------------------------------------------------

    private Cublas cublas() {
        requireOpen();
        if (cublas == null) {
            cublas = Cublas.create(stream);
        }
        return cublas;
    }

    private Cudnn cudnn() {
        requireOpen();
        if (cudnn == null) {
            cudnn = Cudnn.create(stream);
        }
        return cudnn;
    }

    /** {@code bytes} of device memory for this backend's work: from its pool in stream order, or {@code cudaMalloc} without one. */
    DeviceBuffer allocate(long bytes) {
        requireOpen();
        if (pool == 0) {
            return DeviceBuffer.allocate(bytes);
        }
        DeviceBuffer b = DeviceBuffer.allocate(bytes, pool, stream);
        pooledBuffers++;
        return b;
    }

    /**
     * Frees a buffer of this backend behind the work queued on the stream, which may still read it:
     * pooled memory in stream order, so nothing waits for the device; {@code cudaMalloc} memory (no
     * pool) after waiting for the stream. Once the backend is closed its stream has finished and is
     * gone: the memory is freed at once, and the last pooled buffer takes the pool with it.
     */
    void free(DeviceBuffer b) {
        if (!b.isOpen()) {
            return;
        }
        if (!b.pooled()) {
            if (!closed) {
                waitForStream();   // an error here surfaces at the next checked call
            }
            b.close();
            return;
        }
        if (closed) {
            b.close();   // cudaFree: the stream was synchronised at close, nothing uses the memory any more
        } else {
            b.freeOnStream(stream);
        }
        if (--pooledBuffers == 0 && closed) {
            destroyPool();
        }
    }

    private void destroyPool() {
        CudaKernels.p4j_mem_pool_destroy(pool);
        pool = 0;
    }

    /**
     * {@code {reserved, used}} bytes of the backend's memory pool ({@code {0, 0}} without one), as the
     * driver counts them: the tests' check that freed memory is reused rather than reserved anew.
     */
    long[] poolUsage() {
        if (pool == 0) {
            return new long[2];
        }
        long[] reserved = new long[1];
        long[] used = new long[1];
        check(CudaKernels.p4j_mem_pool_usage(pool, reserved, used), "cudaMemPoolGetAttribute");
        return new long[] {reserved[0], used[0]};
    }

    /** {@code current} when it holds {@code need} bytes, else a new buffer of {@code need} bytes (the old one freed). */
    private DeviceBuffer grow(DeviceBuffer current, long need) {
        if (current != null && current.isOpen() && current.bytes() >= need) {
            return current;   // (a workspace freed by a grow whose allocation then failed is not reused)
        }
        if (current != null) {
            free(current);
        }
        return allocate(need);
    }

    /** Device address of the error flag of one gather kind. */
    private long flag(int kind) {
        return flagsDevice.address() + 4L * kind;
    }

    /** Device address of the three-int label report of one labelled loss. */
    private long labelFlag(int loss) {
        return flag(GATHERS.length + 3 * loss);
    }

    /**
     * Waits for the stream; throws a kernel's error as a {@link CudaException}, an index that a
     * gather found out of range as the CPU's {@link IndexOutOfBoundsException}, and a label outside
     * the classes as the CPU's {@link IllegalArgumentException} (same message).
     */
    private void synchronize(String op, String indexRule) {
        requireOpen();
        // the flags ride along with the synchronisation: 40 bytes into pinned host memory, then cleared
        check(CudaKernels.p4j_memcpy(flagsHost, flagsDevice.address(), flagsDevice.bytes(), D2H, stream, 1), "work queued before " + op);
        check(CudaKernels.p4j_memset(flagsDevice.address(), 0, flagsDevice.bytes(), stream), "work queued before " + op);
        check(waitForStream(), "work queued before " + op);
        for (int k = 0; k < GATHERS.length; k++) {
            if (flags.get(k) != 0) {
                boolean here = GATHERS[k].equals(op);
                String rule = here && indexRule != null ? indexRule : "index outside the source";
                throw new IndexOutOfBoundsException(GATHERS[k] + ": " + rule + " (found by the device"
                        + (here ? "" : " since the last check, reported at " + op) + "; it wrote zeros there)");
            }
        }
        for (int l = 0; l < LABELLED.length; l++) {
            int at = GATHERS.length + 3 * l;
            int rowPlusOne = flags.get(at);
            if (rowPlusOne != 0) {
                throw ArgChecks.labelOutOfRange(LABELLED[l], flags.get(at + 1), rowPlusOne - 1, flags.get(at + 2));
            }
        }
    }

    /** Copies {@code bytes} from the device to host memory {@code host}: one counted transfer. */
    private void download(Pointer host, long src, long bytes, String op) {
        synchronize(op, null);
        if (bytes == 0) {
            return;
        }
        check(CudaKernels.p4j_memcpy(host.address(), src, bytes, D2H, stream, 1), op + ": copy of " + bytes + " bytes to the host");
        check(waitForStream(), op + ": copy of " + bytes + " bytes to the host");
        copies++;
        copiedBytes += bytes;
    }

    /** Host to device on the stream; waits, so that the host staging memory may be freed after. */
    private void hostToDevice(long dst, Pointer host, long bytes, String op) {
        requireOpen();
        check(CudaKernels.p4j_memcpy(dst, host.address(), bytes, H2D, stream, 1), op + ": copy of " + bytes + " bytes to the device");
        check(waitForStream(), op + ": copy of " + bytes + " bytes to the device");
    }

    private void deviceToDevice(long dst, long src, long bytes, String op) {
        check(CudaKernels.p4j_memcpy(dst, src, bytes, D2D, stream, 1), op + ": device copy of " + bytes + " bytes");
    }

    /** {@code cudaStreamSynchronize} of this backend's stream, counted ({@link #streamSynchronizations()}). */
    private int waitForStream() {
        synchronizations++;
        return CudaKernels.p4j_stream_synchronize(stream);
    }

    /**
     * How many times this backend has waited for its stream: the tests' check that an operation
     * which should not wait (closing a tensor, a loss with a bad label) does not.
     */
    long streamSynchronizations() {
        return synchronizations;
    }

    private static void check(int rc, String what) {
        CudaException.check(rc, what);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("backend " + name + " is closed");
        }
    }

    private CudaTensor f(Tensor t, String op) {
        CudaTensor c = own(t, op);
        if (c.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a FLOAT32 tensor, got " + t.dtype());
        }
        return c;
    }

    private CudaTensor i(Tensor t, String op) {
        CudaTensor c = own(t, op);
        if (c.dtype() != DType.INT32) {
            throw new IllegalArgumentException(op + ": expected an INT32 tensor, got " + t.dtype());
        }
        return c;
    }

    private CudaTensor own(Tensor t, String op) {
        if (!(t instanceof CudaTensor c) || c.backend() != this) {
            throw new IllegalArgumentException(op + ": tensor belongs to backend " + t.backend().name() + ", not " + name);
        }
        requireOpen();
        return c;
    }

    // ---- operations of the graph networks -----------------------------------------------------------
    // Our kernels throughout (pooling.cu, normalization.cu, elementwise.cu, scoring.cu), sharing one
    // workspace grown to the largest need; the grouped convolutions are in conv2d above (cuDNN).

    /** Scratch of batchNorm, batchNormBackward, fpgmScores and lampScores (their sizes come from the launchers). */
    private DeviceBuffer graphWorkspace;

    /** The shared workspace, grown to at least {@code bytes} (at least one byte, so it has an address). */
    private DeviceBuffer graphWorkspace(long bytes) {
        graphWorkspace = grow(graphWorkspace, Math.max(1, bytes));
        return graphWorkspace;
    }

    @Override
    public void avgPool2d(Tensor y, Tensor x, int window, int stride, int pad, boolean countIncludePad, boolean ceil) {
        ArgChecks.avgPool2d("avgPool2d", y, x, window, stride, pad, ceil);
        CudaTensor yc = f(y, "avgPool2d");
        CudaTensor xc = f(x, "avgPool2d");
        check(CudaKernels.p4j_avg_pool2d_ceil(yc.address(), xc.address(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), window, stride, pad,
                countIncludePad ? 1 : 0, ceil ? 1 : 0, stream), "avgPool2d");
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, int window, int stride, int pad, boolean countIncludePad, boolean ceil) {
        ArgChecks.avgPool2dBackward(dx, dy, window, stride, pad, ceil);
        CudaTensor dxc = f(dx, "avgPool2dBackward");
        CudaTensor dyc = f(dy, "avgPool2dBackward");
        check(CudaKernels.p4j_avg_pool2d_backward_ceil(dxc.address(), dyc.address(), dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3),
                window, stride, pad, countIncludePad ? 1 : 0, ceil ? 1 : 0, stream), "avgPool2dBackward");
    }

    @Override
    public void zeroPad2d(Tensor y, Tensor x, int top, int left) {
        String op = "zeroPad2d";
        ArgChecks.zeroPad2d(op, y, "y", x, "x", top, left);
        check(CudaKernels.p4j_zero_pad2d(f(y, op).address(), f(x, op).address(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), top, left,
                y.dim(2), y.dim(3), stream), op);
    }

    @Override
    public void zeroPad2dBackward(Tensor dx, Tensor dy, int top, int left) {
        String op = "zeroPad2dBackward";
        ArgChecks.zeroPad2d(op, dy, "dy", dx, "dx", top, left);
        check(CudaKernels.p4j_zero_pad2d_backward(f(dx, op).address(), f(dy, op).address(), dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3),
                top, left, dy.dim(2), dy.dim(3), stream), op);
    }

    @Override
    public void batchNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                          Tensor runningVar, float momentum, float eps, boolean training) {
        String op = "batchNorm";
        int spatial = ArgChecks.batchNorm(y, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, momentum, eps, training);
        CudaTensor yc = f(y, op);
        CudaTensor xc = f(x, op);
        CudaTensor g = f(gamma, op);
        CudaTensor b = f(beta, op);
        CudaTensor rm = f(runningMean, op);
        CudaTensor rv = f(runningVar, op);
        // not training: the save tensors are neither read nor written, whatever was passed
        long sm = training ? f(saveMean, op).address() : 0L;
        long si = training ? f(saveInvStd, op).address() : 0L;
        int batch = x.dim(0);
        int channels = x.dim(1);
        long[] bytes = new long[1];
        check(CudaKernels.p4j_batch_norm_workspace_bytes(batch, channels, spatial, bytes), "batchNorm: workspace size");
        DeviceBuffer ws = graphWorkspace(bytes[0]);
        check(CudaKernels.p4j_batch_norm_forward(yc.address(), sm, si, rm.address(), rv.address(), xc.address(), g.address(),
                b.address(), batch, channels, spatial, momentum, eps, training ? 1 : 0, ws.address(), ws.bytes(), stream), op);
    }

    @Override
    public void batchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                                  Tensor saveInvStd) {
        String op = "batchNormBackward";
        int spatial = ArgChecks.batchNormBackward(dx, dGamma, dBeta, dy, x, gamma, saveMean, saveInvStd);
        long dxa = dx == null ? 0L : f(dx, op).address();
        CudaTensor dg = f(dGamma, op);
        CudaTensor dbt = f(dBeta, op);
        CudaTensor dyc = f(dy, op);
        CudaTensor xc = f(x, op);
        CudaTensor g = f(gamma, op);
        CudaTensor sm = f(saveMean, op);
        CudaTensor si = f(saveInvStd, op);
        int batch = x.dim(0);
        int channels = x.dim(1);
        long[] bytes = new long[1];
        check(CudaKernels.p4j_batch_norm_workspace_bytes(batch, channels, spatial, bytes), "batchNormBackward: workspace size");
        DeviceBuffer ws = graphWorkspace(bytes[0]);
        check(CudaKernels.p4j_batch_norm_backward(dxa, dg.address(), dbt.address(), dyc.address(), xc.address(), g.address(),
                sm.address(), si.address(), batch, channels, spatial, ws.address(), ws.bytes(), stream), op);
    }

    @Override
    public void layerNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor mask, float eps) {
        String op = "layerNorm";
        int spatial = ArgChecks.layerNorm(y, saveMean, saveInvStd, x, gamma, beta, mask, eps);
        check(CudaKernels.p4j_layer_norm_forward(f(y, op).address(), saveMean == null ? 0L : f(saveMean, op).address(),
                saveInvStd == null ? 0L : f(saveInvStd, op).address(), f(x, op).address(), f(gamma, op).address(), f(beta, op).address(),
                mask == null ? 0L : f(mask, op).address(), x.dim(0), x.dim(1), spatial, eps, stream), op);
    }

    @Override
    public void layerNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor mask, Tensor saveMean,
                                  Tensor saveInvStd) {
        String op = "layerNormBackward";
        int spatial = ArgChecks.layerNormBackward(dx, dGamma, dBeta, dy, x, gamma, mask, saveMean, saveInvStd);
        check(CudaKernels.p4j_layer_norm_backward(dx == null ? 0L : f(dx, op).address(), f(dGamma, op).address(), f(dBeta, op).address(),
                f(dy, op).address(), f(x, op).address(), f(gamma, op).address(), mask == null ? 0L : f(mask, op).address(),
                f(saveMean, op).address(), f(saveInvStd, op).address(), x.dim(0), x.dim(1), spatial, stream), op);
    }

    @Override
    public void groupNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        String op = "groupNorm";
        int spatial = ArgChecks.groupNorm(y, saveMean, saveInvStd, x, gamma, beta, groups, eps);
        check(CudaKernels.p4j_group_norm_forward(f(y, op).address(), saveMean == null ? 0L : f(saveMean, op).address(),
                saveInvStd == null ? 0L : f(saveInvStd, op).address(), f(x, op).address(), f(gamma, op).address(), f(beta, op).address(),
                x.dim(0), x.dim(1), spatial, groups, eps, stream), op);
    }

    @Override
    public void groupNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                                  Tensor saveInvStd, int groups) {
        String op = "groupNormBackward";
        int spatial = ArgChecks.groupNormBackward(dx, dGamma, dBeta, dy, x, gamma, saveMean, saveInvStd, groups);
        check(CudaKernels.p4j_group_norm_backward(dx == null ? 0L : f(dx, op).address(), f(dGamma, op).address(), f(dBeta, op).address(),
                f(dy, op).address(), f(x, op).address(), f(gamma, op).address(), f(saveMean, op).address(), f(saveInvStd, op).address(),
                x.dim(0), x.dim(1), spatial, groups, stream), op);
    }

    @Override
    public void clamp(Tensor y, Tensor x, float lo, float hi) {
        ArgChecks.clamp("clamp", y, x, lo, hi);
        check(CudaKernels.p4j_clamp(f(y, "clamp").address(), f(x, "clamp").address(), x.size(), lo, hi, stream), "clamp");
    }

    @Override
    public void clampBackward(Tensor dx, Tensor dy, Tensor y, float lo, float hi) {
        ArgChecks.clampBackward(dx, dy, y, lo, hi);
        check(CudaKernels.p4j_clamp_backward(f(dx, "clampBackward").address(), f(dy, "clampBackward").address(),
                f(y, "clampBackward").address(), y.size(), lo, hi, stream), "clampBackward");
    }

    @Override
    public void activation(Tensor y, Tensor x, ActivationKind kind, float alpha, float beta) {
        ArgChecks.activation(y, x, kind, alpha, beta);
        check(CudaKernels.p4j_activation(f(y, "activation").address(), f(x, "activation").address(), x.size(), kind.ordinal(), alpha,
                beta, stream), "activation");
    }

    @Override
    public void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, ActivationKind kind, float alpha, float beta) {
        String op = "activationBackward";
        ArgChecks.activationBackward(dx, dy, x, y, kind, alpha, beta);
        check(CudaKernels.p4j_activation_backward(f(dx, op).address(), f(dy, op).address(), f(x, op).address(), f(y, op).address(),
                y.size(), kind.ordinal(), alpha, beta, stream), op);
    }

    @Override
    public void add(Tensor y, Tensor a, Tensor b) {
        ArgChecks.add(y, a, b);
        check(CudaKernels.p4j_add(f(y, "add").address(), f(a, "add").address(), f(b, "add").address(), y.size(), stream), "add");
    }

    @Override
    public void mul(Tensor y, Tensor a, Tensor b) {
        ArgChecks.mul(y, a, b);
        check(CudaKernels.p4j_mul(f(y, "mul").address(), f(a, "mul").address(), f(b, "mul").address(), y.size(), stream), "mul");
    }

    @Override
    public void mulChannels(Tensor y, Tensor x, Tensor s) {
        String op = "mulChannels";
        int spatial = ArgChecks.mulChannels(y, x, s);
        check(CudaKernels.p4j_mul_channels(f(y, op).address(), f(x, op).address(), f(s, op).address(), s.size(), spatial, stream), op);
    }

    @Override
    public void mulChannelsBackward(Tensor ds, Tensor dy, Tensor x) {
        String op = "mulChannelsBackward";
        int spatial = ArgChecks.mulChannelsBackward(ds, dy, x);
        check(CudaKernels.p4j_mul_channels_backward(f(ds, op).address(), f(dy, op).address(), f(x, op).address(), ds.size(), spatial,
                stream), op);
    }

    @Override
    public void copyChannels(Tensor dst, int dstOffset, Tensor src, int srcOffset, int channels) {
        int spatial = ArgChecks.copyChannels(dst, dstOffset, src, srcOffset, channels);
        CudaTensor d = f(dst, "copyChannels");
        CudaTensor s = f(src, "copyChannels");
        int batch = src.dim(0);
        int cd = dst.dim(1);
        int cs = src.dim(1);
        if (d.address() != s.address()) {
            check(CudaKernels.p4j_copy_channels(d.address(), s.address(), batch, cd, dstOffset, cs, srcOffset, channels, spatial, stream),
                    "copyChannels");
            return;
        }
        // one storage on both sides (a tensor, or a view of it): the CPU's per-example arraycopy is a
        // memmove, so stage the channels through a scratch buffer when the two ranges overlap
        if (dstOffset == srcOffset || channels == 0 || batch == 0 || spatial == 0) {
            return;
        }
        if (dstOffset + channels <= srcOffset || srcOffset + channels <= dstOffset) {
            check(CudaKernels.p4j_copy_channels(d.address(), s.address(), batch, cd, dstOffset, cs, srcOffset, channels, spatial, stream),
                    "copyChannels");
            return;
        }
        try (DeviceBuffer staging = DeviceBuffer.allocate(4L * batch * channels * spatial)) {
            check(CudaKernels.p4j_copy_channels(staging.address(), s.address(), batch, channels, 0, cs, srcOffset, channels, spatial,
                    stream), "copyChannels (staging)");
            check(CudaKernels.p4j_copy_channels(d.address(), staging.address(), batch, cd, dstOffset, channels, 0, channels, spatial,
                    stream), "copyChannels (staging)");
            check(CudaKernels.p4j_stream_synchronize(stream), "copyChannels (staging)");   // before the scratch is freed
        }
    }

    @Override
    public void fpgmScores(Tensor out, Tensor w) {
        int rows = w.rank() == 0 ? 0 : w.dim(0);
        int cols = ArgChecks.fpgmScores(out, w);
        CudaTensor o = f(out, "fpgmScores");
        CudaTensor wc = f(w, "fpgmScores");
        long[] bytes = new long[1];
        check(CudaKernels.p4j_fpgm_workspace_bytes(rows, bytes), "fpgmScores: workspace size for " + rows + " rows");
        DeviceBuffer ws = graphWorkspace(bytes[0]);
        check(CudaKernels.p4j_fpgm_scores(o.address(), wc.address(), rows, cols, ws.address(), ws.bytes(), stream), "fpgmScores");
    }

    @Override
    public void lampScores(Tensor out, Tensor w) {
        ArgChecks.lampScores(out, w);
        CudaTensor o = f(out, "lampScores");
        CudaTensor wc = f(w, "lampScores");
        int n = w.size();
        if (n == 0) {
            return;
        }
        long[] bytes = new long[1];
        check(CudaKernels.p4j_lamp_workspace_bytes(n, bytes), "lampScores: workspace size");
        DeviceBuffer ws = graphWorkspace(bytes[0]);
        check(CudaKernels.p4j_lamp_scores(o.address(), wc.address(), n, ws.address(), ws.bytes(), stream), "lampScores");
    }

    /**
     * Out-of-range {@code perm} entries (or offsets that are not a non-decreasing range inside
     * {@code perm}) are found on the device: that segment is written as 0 and the next synchronising
     * call throws the CPU's {@link IndexOutOfBoundsException}, as for {@link #gatherRows}.
     */
    @Override
    public void segmentReduce(Tensor out, Tensor src, Tensor perm, Tensor offsets, io.prune4j.backend.Reduction reduction) {
        ArgChecks.segmentReduce(out, src, perm, offsets);
        java.util.Objects.requireNonNull(reduction, "reduction");
        CudaTensor o = f(out, "segmentReduce");
        CudaTensor s = f(src, "segmentReduce");
        CudaTensor p = i(perm, "segmentReduce");
        CudaTensor off = i(offsets, "segmentReduce");
        check(CudaKernels.p4j_segment_reduce(o.address(), s.address(), p.address(), off.address(), out.dim(0), src.size(), perm.size(),
                reduction.ordinal(), flag(SEGMENTS), stream), "segmentReduce");
    }

    @Override
    public void augmentImages(Tensor out, Tensor in, long seed, int maxShift, boolean flip) {
        ArgChecks.augmentImages(out, in, maxShift);
        check(CudaKernels.p4j_augment_images(f(out, "augmentImages").address(), f(in, "augmentImages").address(), in.dim(0), in.dim(1),
                in.dim(2), in.dim(3), seed, maxShift, flip ? 1 : 0, stream), "augmentImages");
    }
}
