package io.prune4j.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CROSS_CORRELATION;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * One cuDNN handle bound to the backend's stream, for NCHW single-precision convolutions
 * (cross-correlation, as PyTorch's {@code conv2d}), grouped and depthwise ones included
 * ({@code cudnnSetConvolutionGroupCount}: the filter holds {@code c / groups} input channels).
 *
 * <p>Per convolution shape ({@link Key}: input, filter, stride, padding, groups) a {@link Plan} holds the
 * tensor, filter and convolution descriptors and the forward, backward-data and backward-filter
 * algorithms with their workspace sizes, chosen ONCE by cuDNN's heuristics
 * ({@code cudnnGet…Algorithm_v7}: no trial runs, no allocations), preferring deterministic
 * algorithms so a seed fixes the run, and fitting the workspace under {@link #WORKSPACE_LIMIT}.
 * A training run meets two or three shapes per layer (full batches, the last batch, evaluation
 * batches), and every pruning round new ones; the cache keeps the 64 most recently used plans.
 * The workspace itself is the backend's (one buffer, grown to the largest plan).
 *
 * <p>Math: {@code CUDNN_FMA_MATH} (full FP32, no TF32 tensor cores), so results match the CPU's
 * within float rounding; {@code -Dprune4j.cuda.tf32=true} allows TF32.
 */
final class Cudnn implements AutoCloseable {
    /** Largest workspace an algorithm may ask for. */
    static final long WORKSPACE_LIMIT = 256L << 20;
    private static final int MAX_PLANS = 64;

    private final cudnnContext handle;
    private final int mathType;
    private final FloatPointer one = new FloatPointer(new float[] {1f});
    private final FloatPointer zero = new FloatPointer(new float[] {0f});
    private final Map<Key, Plan> plans = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Plan> eldest) {
            if (size() > MAX_PLANS) {
                eldest.getValue().close();
                return true;
            }
            return false;
        }
    };
    private boolean closed;

    /**
     * The shape of one convolution: {@code x [n, c, h, w]}, {@code w [k, c / groups, kh, kw]}, stride,
     * padding, groups (1 for a plain convolution, {@code c} for a depthwise one). Two convolutions
     * that differ only in their groups have different filters and algorithms: groups is part of the key.
     */
    record Key(int n, int c, int h, int w, int k, int kh, int kw, int stride, int pad, int groups) {
        /** A convolution of one group. */
        Key(int n, int c, int h, int w, int k, int kh, int kw, int stride, int pad) {
            this(n, c, h, w, k, kh, kw, stride, pad, 1);
        }

        int ho() {
            return (h + 2 * pad - kh) / stride + 1;
        }

        int wo() {
            return (w + 2 * pad - kw) / stride + 1;
        }
    }

    /** Descriptors and algorithms for one {@link Key}. */
    static final class Plan implements AutoCloseable {
        final cudnnTensorStruct x = new cudnnTensorStruct();
        final cudnnTensorStruct y = new cudnnTensorStruct();
        final cudnnFilterStruct w = new cudnnFilterStruct();
        final cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
        int fwdAlgo;
        int bwdDataAlgo;
        int bwdFilterAlgo;
        long fwdBytes;
        long bwdDataBytes;
        long bwdFilterBytes;
        private int created;

        @Override
        public void close() {
            if (created > 0) cudnn.cudnnDestroyTensorDescriptor(x);
            if (created > 1) cudnn.cudnnDestroyTensorDescriptor(y);
            if (created > 2) cudnn.cudnnDestroyFilterDescriptor(w);
            if (created > 3) cudnn.cudnnDestroyConvolutionDescriptor(conv);
            created = 0;
        }
    }

    static Cudnn create(long stream) {
        CudaLibraries.load(cudnn.class, "cuDNN", CudaLibraries.CUDNN_NEEDS);
        return new Cudnn(stream);
    }

    private Cudnn(long stream) {
        cudnnContext h = new cudnnContext();
        check(cudnn.cudnnCreate(h), "cudnnCreate");
        handle = h;
        mathType = Boolean.getBoolean("prune4j.cuda.tf32") ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
        try {
            check(cudnn.cudnnSetStream(handle, new CUstream_st(new RawPointer(stream))), "cudnnSetStream");
        } catch (RuntimeException e) {
            cudnn.cudnnDestroy(handle);
            throw e;
        }
    }

    /** cuDNN's version, e.g. 91900 for 9.19.0. */
    static long version() {
        return cudnn.cudnnGetVersion();
    }

    /** The plan for {@code key}, made (descriptors, algorithm choice, workspace sizes) the first time it is asked for. */
    Plan plan(Key key) {
        Plan p = plans.get(key);
        if (p == null) {
            p = makePlan(key);
            plans.put(key, p);
        }
        return p;
    }

    /** Number of cached plans (tests check that a training loop does not make one per batch). */
    int planCount() {
        return plans.size();
    }

    private Plan makePlan(Key k) {
        Plan p = new Plan();
        try {
            check(cudnn.cudnnCreateTensorDescriptor(p.x), "cudnnCreateTensorDescriptor");
            p.created = 1;
            check(cudnn.cudnnCreateTensorDescriptor(p.y), "cudnnCreateTensorDescriptor");
            p.created = 2;
            check(cudnn.cudnnCreateFilterDescriptor(p.w), "cudnnCreateFilterDescriptor");
            p.created = 3;
            check(cudnn.cudnnCreateConvolutionDescriptor(p.conv), "cudnnCreateConvolutionDescriptor");
            p.created = 4;
            String shape = " for " + k;
            check(cudnn.cudnnSetTensor4dDescriptor(p.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, k.n(), k.c(), k.h(), k.w()),
                    "cudnnSetTensor4dDescriptor(x)" + shape);
            check(cudnn.cudnnSetFilter4dDescriptor(p.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k.k(), k.c() / k.groups(), k.kh(),
                    k.kw()), "cudnnSetFilter4dDescriptor" + shape);
            check(cudnn.cudnnSetConvolution2dDescriptor(p.conv, k.pad(), k.pad(), k.stride(), k.stride(), 1, 1,
                    CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "cudnnSetConvolution2dDescriptor" + shape);
            // before the output size and the algorithm choice, which both depend on it
            check(cudnn.cudnnSetConvolutionGroupCount(p.conv, k.groups()), "cudnnSetConvolutionGroupCount" + shape);
            check(cudnn.cudnnSetConvolutionMathType(p.conv, mathType), "cudnnSetConvolutionMathType");
            int[] on = {0};
            int[] oc = {0};
            int[] oh = {0};
            int[] ow = {0};
            check(cudnn.cudnnGetConvolution2dForwardOutputDim(p.conv, p.x, p.w, on, oc, oh, ow),
                    "cudnnGetConvolution2dForwardOutputDim" + shape);
            if (on[0] != k.n() || oc[0] != k.k() || oh[0] != k.ho() || ow[0] != k.wo()) {
                throw new IllegalStateException("cuDNN computes an output of [" + on[0] + ", " + oc[0] + ", " + oh[0] + ", " + ow[0]
                        + "]" + shape + ", prune4j expects [" + k.n() + ", " + k.k() + ", " + k.ho() + ", " + k.wo() + "]");
            }
            check(cudnn.cudnnSetTensor4dDescriptor(p.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, on[0], oc[0], oh[0], ow[0]),
                    "cudnnSetTensor4dDescriptor(y)" + shape);
            chooseAlgorithms(p, shape);
            return p;
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    private void chooseAlgorithms(Plan p, String shape) {
        int[] count = new int[1];
        try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(CUDNN_CONVOLUTION_FWD_ALGO_COUNT)) {
            check(cudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, p.x, p.w, p.conv, p.y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                    count, perf), "cudnnGetConvolutionForwardAlgorithm_v7" + shape);
            int i = pick(count[0], j -> {
                cudnnConvolutionFwdAlgoPerf_t e = perf.getPointer(j);
                return new long[] {e.status(), e.memory(), e.determinism(), e.mathType(), e.algo()};
            }, "forward" + shape);
            p.fwdAlgo = perf.getPointer(i).algo();
        }
        try (cudnnConvolutionBwdDataAlgoPerf_t perf = new cudnnConvolutionBwdDataAlgoPerf_t(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)) {
            check(cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, p.w, p.y, p.conv, p.x,
                    CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, count, perf), "cudnnGetConvolutionBackwardDataAlgorithm_v7" + shape);
            int i = pick(count[0], j -> {
                cudnnConvolutionBwdDataAlgoPerf_t e = perf.getPointer(j);
                return new long[] {e.status(), e.memory(), e.determinism(), e.mathType(), e.algo()};
            }, "backward data" + shape);
            p.bwdDataAlgo = perf.getPointer(i).algo();
        }
        try (cudnnConvolutionBwdFilterAlgoPerf_t perf = new cudnnConvolutionBwdFilterAlgoPerf_t(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT)) {
            check(cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, p.x, p.y, p.conv, p.w,
                    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, count, perf), "cudnnGetConvolutionBackwardFilterAlgorithm_v7" + shape);
            int i = pick(count[0], j -> {
                cudnnConvolutionBwdFilterAlgoPerf_t e = perf.getPointer(j);
                return new long[] {e.status(), e.memory(), e.determinism(), e.mathType(), e.algo()};
            }, "backward filter" + shape);
            p.bwdFilterAlgo = perf.getPointer(i).algo();
        }
        // the heuristics' memory estimates are per math type; ask for the chosen algorithms' exact needs
        try (SizeTPointer bytes = new SizeTPointer(1)) {
            check(cudnn.cudnnGetConvolutionForwardWorkspaceSize(handle, p.x, p.w, p.conv, p.y, p.fwdAlgo, bytes),
                    "cudnnGetConvolutionForwardWorkspaceSize" + shape);
            p.fwdBytes = bytes.get();
            check(cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(handle, p.w, p.y, p.conv, p.x, p.bwdDataAlgo, bytes),
                    "cudnnGetConvolutionBackwardDataWorkspaceSize" + shape);
            p.bwdDataBytes = bytes.get();
            check(cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, p.x, p.y, p.conv, p.w, p.bwdFilterAlgo, bytes),
                    "cudnnGetConvolutionBackwardFilterWorkspaceSize" + shape);
            p.bwdFilterBytes = bytes.get();
        }
        // the v7 heuristics may hand back an entry for another math type: hold the descriptor at ours
        check(cudnn.cudnnSetConvolutionMathType(p.conv, mathType), "cudnnSetConvolutionMathType");
    }

    /**
     * Index of the entry to use among {@code count} heuristic results, best first, each given as
     * {status, memory, determinism, mathType, algo}: the first that succeeded, fits
     * {@link #WORKSPACE_LIMIT}, is deterministic and (unless TF32 is allowed) uses FP32 math; then
     * the first that succeeded and fits, whatever its determinism.
     */
    private int pick(int count, java.util.function.IntFunction<long[]> entry, String what) {
        int fallback = -1;
        for (int j = 0; j < count; j++) {
            long[] e = entry.apply(j);
            if (e[0] != CUDNN_STATUS_SUCCESS || e[1] > WORKSPACE_LIMIT) {
                continue;
            }
            boolean mathOk = mathType == CUDNN_DEFAULT_MATH || e[3] == CUDNN_FMA_MATH || e[3] == CUDNN_DEFAULT_MATH;
            if (!mathOk) {
                continue;
            }
            if (e[2] == CUDNN_DETERMINISTIC) {
                return j;
            }
            if (fallback < 0) {
                fallback = j;
            }
        }
        if (fallback < 0) {
            throw new CudaLibraryException("cuDNN", 9, "choosing a " + what + " convolution algorithm",
                    "none of the " + count + " algorithms cuDNN suggested works in FP32 within a "
                            + (WORKSPACE_LIMIT >> 20) + " MiB workspace");
        }
        return fallback;
    }

    /** {@code y = conv(x, w)} (no bias) for device addresses; {@code workspace} holds at least {@code plan.fwdBytes}. */
    void forward(Plan p, long y, long x, long w, long workspace, long workspaceBytes) {
        check(cudnn.cudnnConvolutionForward(handle, one, p.x, new RawPointer(x), p.w, new RawPointer(w), p.conv, p.fwdAlgo,
                new RawPointer(workspace), workspaceBytes, zero, p.y, new RawPointer(y)), "cudnnConvolutionForward");
    }

    /** {@code dx = convᵀ(dy, w)}: the input gradient, overwritten. */
    void backwardData(Plan p, long dx, long dy, long w, long workspace, long workspaceBytes) {
        check(cudnn.cudnnConvolutionBackwardData(handle, one, p.w, new RawPointer(w), p.y, new RawPointer(dy), p.conv,
                p.bwdDataAlgo, new RawPointer(workspace), workspaceBytes, zero, p.x, new RawPointer(dx)),
                "cudnnConvolutionBackwardData");
    }

    /** {@code dw = Σ_batch dy ⋆ x}: the filter gradient, overwritten. */
    void backwardFilter(Plan p, long dw, long dy, long x, long workspace, long workspaceBytes) {
        check(cudnn.cudnnConvolutionBackwardFilter(handle, one, p.x, new RawPointer(x), p.y, new RawPointer(dy), p.conv,
                p.bwdFilterAlgo, new RawPointer(workspace), workspaceBytes, zero, p.w, new RawPointer(dw)),
                "cudnnConvolutionBackwardFilter");
    }

    static void check(int status, String what) {
        if (status != CUDNN_STATUS_SUCCESS) {
            String text = null;
            try {
                BytePointer p = cudnn.cudnnGetErrorString(status);
                text = p == null || p.isNull() ? null : p.getString();
            } catch (Throwable ignored) {
                // keep the bare status
            }
            throw new CudaLibraryException("cuDNN", status, what, text);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            plans.values().forEach(Plan::close);
            plans.clear();
            cudnn.cudnnDestroy(handle);
            one.close();
            zero.close();
        }
    }
}
