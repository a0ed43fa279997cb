package io.prune4j.backend.cpu;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One backend's oneDNN convolutions ({@link DnnlConv}): its context (stream, thread count,
 * workspace) and its primitives, made once per shape and direction and kept in a cache of at most
 * {@value #CACHE} entries, least recently used first out (destroyed then; all of them, and the
 * context, on {@link #close()}). A shape oneDNN has no fast implementation for is remembered as
 * such in the same cache and goes to the Java convolutions, so each call asks at most once.
 *
 * <p>Like its backend, used by one thread at a time.
 */
final class CpuDnnl implements AutoCloseable {
    /**
     * Shapes kept: a network has a handful (a ResNet 8 forward and 8 backward, one more pair for a
     * last, smaller batch), pruning makes new ones as channels go; an entry holds its primitives'
     * generated code and descriptors (tens of KB), the temporaries live in the shared workspace.
     */
    static final int CACHE = 64;

    /** One cached convolution: its handle (0 when oneDNN refused it) and what oneDNN chose or said. */
    private record Plan(long handle, String description) {}

    private record Key(int flags, CpuConv.Geometry g) {}

    private final long context;
    private final Map<Key, Plan> plans = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Plan> eldest) {
            if (size() > CACHE) {
                DnnlConv.p4j_dnnl_conv_destroy(eldest.getValue().handle());
                return true;
            }
            return false;
        }
    };
    private boolean closed;

    /** Requires {@link DnnlConv#isAvailable()}. */
    CpuDnnl(int threads) {
        long c = DnnlConv.p4j_dnnl_context_create(threads);
        if (c == 0) {
            throw new IllegalStateException("oneDNN stream: " + DnnlConv.p4j_dnnl_error());
        }
        this.context = c;
    }

    /**
     * Whether a convolution's forward pass goes to oneDNN (else it stays with the Java code, which
     * is as fast or faster there): kernels larger than 1×1 with one group, with several input
     * channels per group, or depthwise with one filter per channel. Measured on the 2-core AVX-512
     * machine (docs/dnnl.md): there oneDNN's direct kernels are 2 to 3 times faster than the tap
     * products and im2col with OpenBLAS, and its depthwise kernel 2 to 3 times faster than
     * {@link CpuDepthwise}. A 1×1 convolution is a plain matrix product on NCHW, which OpenBLAS does
     * in place, while oneDNN first reorders the activations to its blocked layout and back, which
     * costs more than the product; and for a channel multiplier above 1 oneDNN has only its
     * im2col-and-gemm convolution, slower than CpuDepthwise. Shapes oneDNN answers with such a gemm
     * or a reference implementation anyway are refused when their primitives are made (see
     * p4j_step_create in prune4j_dnnl.h), and go to the Java code too.
     */
    static boolean coversForward(CpuConv.Geometry g) {
        return g.batch() > 0 && g.in() > 0 && g.out() > 0 && g.ho() > 0 && g.wo() > 0 && g.kh() * g.kw() > 1
                && (!g.depthwise() || g.groupOut() == 1);
    }

    /**
     * Whether the backward pass goes to oneDNN: as {@link #coversForward}, less the convolutions with
     * fewer than {@value #MIN_BACKWARD_IN} input channels per group (a network's first layer on grey
     * or RGB images) that are not depthwise. Their gradients reduce over only 9 to 27 products per
     * output, which oneDNN's blocked kernels, padded to 16 channels, do no faster than the Java tap
     * products, and the data gradient must be reordered back into a plane per channel: measured 1.0
     * to 2.2 times slower than the Java code there.
     */
    static boolean coversBackward(CpuConv.Geometry g) {
        return coversForward(g) && (g.depthwise() || g.groupIn() >= MIN_BACKWARD_IN);
    }

    static final int MIN_BACKWARD_IN = 4;

    /**
     * Examples per forward call: a larger batch (evaluation runs 1000 at a time) goes through in
     * chunks of this many, so the blocked copies of input and output in the workspace stay at a
     * training batch's size (some MB, within the L3 cache) instead of growing with the batch (200 MB
     * for the CNN's first layer at 1000). Each example's output depends on that example alone.
     */
    static final int FORWARD_CHUNK = 256;

    /** {@code y = act(conv(x, w) + bias)}; false (nothing done) when oneDNN does not take this shape. */
    boolean forward(float[] y, float[] x, float[] w, float[] bias, CpuConv.Geometry g, boolean relu) {
        int flags = (bias != null ? DnnlConv.BIAS : 0) | (relu ? DnnlConv.RELU : 0);
        int chunk = Math.min(g.batch(), FORWARD_CHUNK);
        int last = g.batch() % chunk;
        // both chunk sizes' primitives first: the whole call goes to the Java code if oneDNN refuses either
        long full = plan(flags, withBatch(g, chunk));
        long tail = last == 0 ? full : plan(flags, withBatch(g, last));
        if (full == 0 || tail == 0) {
            return false;
        }
        long inExample = (long) g.in() * g.h() * g.w();
        long outExample = (long) g.out() * g.ho() * g.wo();
        for (int b0 = 0; b0 < g.batch(); b0 += chunk) {
            boolean whole = g.batch() - b0 >= chunk;
            check(DnnlConv.p4j_dnnl_forward(whole ? full : tail, x, b0 * inExample, w, bias, y, b0 * outExample), "forward",
                    withBatch(g, whole ? chunk : last));
        }
        return true;
    }

    private static CpuConv.Geometry withBatch(CpuConv.Geometry g, int batch) {
        return batch == g.batch() ? g : new CpuConv.Geometry(batch, g.in(), g.h(), g.w(), g.out(), g.kh(), g.kw(), g.stride(), g.pad(),
                g.ho(), g.wo(), g.groups());
    }

    /** The gradients ({@code dx} and {@code db} may be null); false (nothing done) when oneDNN does not take this shape. */
    boolean backward(float[] dx, float[] dw, float[] db, float[] dy, float[] x, float[] w, CpuConv.Geometry g) {
        long h = plan(DnnlConv.BACKWARD | (dx != null ? DnnlConv.NEED_DX : 0), g);
        if (h == 0) {
            return false;
        }
        check(DnnlConv.p4j_dnnl_backward(h, x, w, dy, dx, dw, db), "backward", g);
        return true;
    }

    /**
     * What oneDNN runs for this shape ("forward jit:avx512_core", ...), or why it does not take it;
     * creates the plan if needed. For diagnostics and tests.
     */
    String describe(CpuConv.Geometry g, boolean backward, boolean needDx) {
        int flags = backward ? DnnlConv.BACKWARD | (needDx ? DnnlConv.NEED_DX : 0) : 0;
        CpuConv.Geometry planned = backward ? g : withBatch(g, Math.min(g.batch(), FORWARD_CHUNK));
        plan(flags, planned);
        return plans.get(new Key(flags, planned)).description();
    }

    private long plan(int flags, CpuConv.Geometry g) {
        if (closed) {
            throw new IllegalStateException("the backend is closed");
        }
        Key key = new Key(flags, g);
        Plan p = plans.get(key);
        if (p == null) {
            long h = DnnlConv.p4j_dnnl_conv_create(context, flags, g.batch(), g.in(), g.h(), g.w(), g.out(), g.kh(), g.kw(), g.stride(),
                    g.pad(), g.groups(), g.ho(), g.wo());
            p = new Plan(h, h != 0 ? DnnlConv.p4j_dnnl_conv_impl(h) : "not taken: " + DnnlConv.p4j_dnnl_error());
            plans.put(key, p);
        }
        return p.handle();
    }

    private static void check(int status, String what, CpuConv.Geometry g) {
        if (status != 0) {
            throw new IllegalStateException("oneDNN convolution " + what + " failed (dnnl_status " + status + ", "
                    + DnnlConv.p4j_dnnl_error() + ") for " + g);
        }
    }

    /** Cached shapes (oneDNN's and refused ones). */
    int cached() {
        return plans.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Plan p : plans.values()) {
            DnnlConv.p4j_dnnl_conv_destroy(p.handle());
        }
        plans.clear();
        DnnlConv.p4j_dnnl_context_destroy(context);
    }
}
