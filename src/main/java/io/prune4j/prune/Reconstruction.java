package io.prune4j.prune;

import io.prune4j.Prune4jException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Layer;
import io.prune4j.nn.LayerHook;
import io.prune4j.nn.Sequential;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.openblas.global.openblas;

/**
 * Least-squares refit of the weights that survive pruning, before fine-tuning: each affected weight
 * layer gets the surviving weights and the bias that best reproduce, on calibration inputs, the
 * pre-activations it computed before pruning. Pruning then costs far less accuracy before any
 * fine-tuning, so short fine-tuning gets further, and none may be needed.
 *
 * <ul>
 *   <li><b>Structured</b> ({@link #refitUnits}): when units of layer {@code l} go, the next weight
 *   layer is refitted on the units that stay: {@code [W' b'] = argmin Σ ‖W a + b − W' a_K − b'‖²},
 *   the reconstruction step of channel-pruning methods (He, Zhang &amp; Sun 2017, "Channel pruning
 *   for accelerating very deep neural networks"; Luo, Wu &amp; Lin 2017, ThiNet). For a convolution
 *   {@code a} is an input patch and every output position is one example; behind a flatten, a
 *   channel's whole block of columns goes or stays. It subsumes bias compensation
 *   ({@link ActivationMeans}), which is the same fit with {@code W'} held fixed.</li>
 *   <li><b>Unstructured</b> ({@link #refitWeights}): each row (neuron or filter) of a masked layer
 *   is refitted on its own surviving inputs, {@code w'_S = argmin Σ (w·x + b − w'_S·x_S − b')²}.
 *   The mask is the criterion's; only the values change (the exact per-row solution that AdaPrune,
 *   Hubara et al. 2021, approaches by gradient steps, and that Optimal Brain Compression, Frantar
 *   &amp; Alistarh 2022, solves the same way).</li>
 * </ul>
 *
 * <p>Layers are refitted in network order, each on the inputs it sees once the layers before it are
 * refitted, against the unpruned network's pre-activations on the same calibration batches. The
 * normal equations use the second moments of those inputs, with a constant 1 for the bias,
 * accumulated on the backend (matrix products for Dense layers; for convolutions an identity filter
 * bank and the weight gradient, see {@code Patches}) and solved on the host in double precision by
 * Cholesky (LAPACK's {@code dposv} from OpenBLAS), with a ridge of {@link #DAMPING} times the mean
 * diagonal (as SparseGPT damps its Hessian). Each refitted layer costs a few device-to-host copies: its moment matrices, mask and
 * weights. Layers with more than {@link #MAX_WIDTH} inputs per unit (a Dense layer behind a wide
 * flatten) are left as pruning left them, and a layer whose host solves would pass
 * {@link #MAX_SOLVE_FLOPS} is refused.
 */
public final class Reconstruction {
    /** Ridge added to the Gram diagonal, as a fraction of its mean diagonal entry. */
    public static final double DAMPING = 0.01;
    /**
     * Most inputs per unit of a refitted layer: its two {@code width²} moment matrices live on the
     * device and on the host (at 8,192: 268 MB each).
     */
    public static final int MAX_WIDTH = 8192;
    /**
     * Most host work one layer's solves may take (a minute or two on two cores through OpenBLAS):
     * unstructured masks of wide layers at low sparsity need one large system per row and are
     * refused rather than left running for hours.
     */
    public static final double MAX_SOLVE_FLOPS = 1e12;

    private Reconstruction() {}

    /**
     * Refits the weight layer after each pruned layer on the units its mask keeps (a Dense layer on
     * the kept inputs, a convolution on the kept input channels' patches). Call with the unit masks
     * before compaction; the pruned columns are zeroed (compaction then drops them).
     *
     * @return how many layers were refitted
     */
    public static int refitUnits(Sequential net, List<Integer> layers, List<Tensor> unitMasks, DeviceData data, int batches,
                                 long seed) {
        return refitUnits(net, layers, unitMasks, data, batches, seed, DAMPING);
    }

    static int refitUnits(Sequential net, List<Integer> layers, List<Tensor> unitMasks, DeviceData data, int batches, long seed,
                          double damping) {
        Map<Integer, Target> targets = new TreeMap<>();
        for (int s = 0; s < layers.size(); s++) {
            int li = layers.get(s);
            int next = Compaction.nextWeightLayer(net, li);
            if (next >= 0 && eligible(net, next)) {
                targets.put(next, new Target(unitMasks.get(s), Compaction.inputBlock(net, li, next)));
            }
        }
        return refit(net, targets, true, data, batches, seed, damping);
    }

    /**
     * Refits every masked weight layer row by row on the weights its mask keeps. Call after the masks
     * are chosen and before they are installed; the values outside each mask are zeroed.
     *
     * @return how many layers were refitted
     */
    public static int refitWeights(Sequential net, List<Integer> layers, List<Tensor> weightMasks, DeviceData data, int batches,
                                   long seed) {
        return refitWeights(net, layers, weightMasks, data, batches, seed, DAMPING);
    }

    static int refitWeights(Sequential net, List<Integer> layers, List<Tensor> weightMasks, DeviceData data, int batches, long seed,
                            double damping) {
        Map<Integer, Target> targets = new TreeMap<>();
        for (int s = 0; s < layers.size(); s++) {
            int li = layers.get(s);
            if (eligible(net, li)) {
                targets.put(li, new Target(weightMasks.get(s), 1));
            }
        }
        return refit(net, targets, false, data, batches, seed, damping);
    }

    /** A layer to refit: its mask (of the units it reads, or of its own weights) and how many inputs each unit-mask entry covers. */
    private record Target(Tensor mask, int block) {}

    /** Dense or Conv2d with at most {@link #MAX_WIDTH} inputs per unit (a Dense layer's inputs must be flat). */
    private static boolean eligible(Sequential net, int li) {
        if (!(net.layers().get(li) instanceof WeightLayer l) || l.weight().size() / l.units() > MAX_WIDTH) {
            return false;
        }
        return l instanceof Conv2d || (l instanceof Dense d && inputIsFlat(net, li, d.inFeatures()));
    }

    /**
     * Refits the target layers in network order, each on the inputs it sees once the layers before it
     * are refitted, against the pre-activations of the unpruned network.
     *
     * @param unitMasks the masks select input units shared by all rows (true) or weights row by row (false)
     * @param damping   ridge as a fraction of the Gram matrix's mean diagonal
     */
    private static int refit(Sequential net, Map<Integer, Target> targets, boolean unitMasks, DeviceData data, int batches,
                             long seed, double damping) {
        if (targets.isEmpty()) {
            return 0;
        }
        Backend b = net.backend();
        Map<Integer, float[]> masks = new TreeMap<>();
        for (Map.Entry<Integer, Target> e : targets.entrySet()) {
            WeightLayer d = (WeightLayer) net.layers().get(e.getKey());
            int in = d.weight().size() / d.units();
            float[] mask = b.toFloatArray(e.getValue().mask());
            if (unitMasks) {
                mask = expand(mask, e.getValue().block(), in);
            }
            double flops = solveFlops(mask, d.units(), in, unitMasks);
            if (flops > MAX_SOLVE_FLOPS) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "reconstruction of %s would take about %.0f GFLOP of host solves (%d rows, %d inputs, %s): too slow;"
                                + " prune without --reconstruct, or structured", d.name(), flops / 1e9, d.units(), in,
                        unitMasks ? "one shared system" : "one system per row"));
            }
            masks.put(e.getKey(), mask);
        }
        try (Sequential original = net.copy()) {
            for (int li : targets.keySet()) {
                WeightLayer d = (WeightLayer) net.layers().get(li);
                Moments g = collect(net, original, li, data, batches, seed);
                float[] mask = masks.get(li);
                float[] w = b.toFloatArray(d.weight().value());
                float[] bias = b.toFloatArray(d.bias().value());
                int in = d.weight().size() / d.units();
                float[] w2 = new float[w.length];
                float[] b2 = new float[bias.length];
                // one system for all rows (unit masks) or one per row: each pass solves rows [first, first + rows)
                int rows = unitMasks ? d.units() : 1;
                for (int first = 0; first < d.units(); first += rows) {
                    int[] kept = indicesOf(mask, unitMasks ? 0 : first * in, in);
                    double[] x = rightHandSides(g.cross(), kept, w, bias, first, rows, in);
                    solve(dampedBlock(g.gram(), kept, damping), kept.length + 1, x, rows);
                    for (int r = 0; r < rows; r++) {
                        for (int k = 0; k < kept.length; k++) {
                            w2[(first + r) * in + kept[k]] = (float) x[k * rows + r];
                        }
                        b2[first + r] = (float) x[kept.length * rows + r];
                    }
                }
                b.upload(d.weight().value(), w2);
                b.upload(d.bias().value(), b2);
            }
        }
        return targets.size();
    }

    /** A unit mask widened to the inputs it covers: each entry repeated {@code block} times, {@code in} entries in all. */
    private static float[] expand(float[] unitMask, int block, int in) {
        float[] out = new float[in];
        for (int i = 0; i < in; i++) {
            out[i] = unitMask[i / block];
        }
        return out;
    }

    /**
     * Floating-point work of the host solves for one layer: a Cholesky factorisation ({@code k³/3})
     * per distinct system and, per row, the right-hand side ({@code k·in}) and two triangular solves.
     */
    static double solveFlops(float[] mask, int rows, int in, boolean unitMasks) {
        double total = 0;
        for (int r = 0; r < (unitMasks ? 1 : rows); r++) {
            int k = 1; // the bias
            for (int i = 0; i < in; i++) {
                if (mask[(unitMasks ? 0 : r * in) + i] != 0) {
                    k++;
                }
            }
            double perRow = (double) k * in + 2.0 * k * k;
            total += (double) k * k * k / 3 + (unitMasks ? rows * perRow : perRow);
        }
        return total;
    }

    /** The input of layer {@code li} is a {@code [batch, width]} matrix: the network input or a flat activation. */
    private static boolean inputIsFlat(Sequential net, int li, int width) {
        int[] shape = net.inputShape();
        for (int i = 0; i < li; i++) {
            shape = net.layers().get(i).outputShape(shape);
        }
        return shape.length == 1 && shape[0] == width;
    }

    /**
     * Second moments of layer {@code target}'s inputs over the calibration batches, each input
     * extended by a constant 1 (the last row and column), on the host:
     * {@code gram = mean(x' x'ᵀ)} of the inputs {@code x'} it sees in {@code net} as pruned so far,
     * and {@code cross = mean(x' xᵀ)} with the inputs {@code x} the same examples give it in the
     * unpruned {@code original}.
     */
    private record Moments(Matrix gram, Matrix cross) {}

    /**
     * An {@code (n+1)×(n+1)} moment matrix, row-major, kept in floats (the precision it was summed
     * in on the backend; the solves read it into doubles): a 6,272-wide layer's matrix is 157 MB.
     */
    private record Matrix(float[] v, int n) {
        double at(int i, int j) {
            return v[i * (n + 1) + j];
        }
    }

    private static Moments collect(Sequential net, Sequential original, int target, DeviceData data, int batches, long seed) {
        Backend b = net.backend();
        WeightLayer layer = (WeightLayer) net.layers().get(target);
        int width = layer.weight().size() / layer.units();
        long[] examples = {0};
        Tensor[] now = {null};
        Tensor[] before = {null};
        LayerHook nowHook = capture(b, target - 1, now);
        LayerHook beforeHook = capture(b, target - 1, before);
        try (Tensor gram = b.zeros(DType.FLOAT32, width, width);
             Tensor cross = b.zeros(DType.FLOAT32, width, width);
             Tensor sumNow = b.zeros(DType.FLOAT32, width);
             Tensor sumBefore = b.zeros(DType.FLOAT32, width);
             Patches patches = layer instanceof Conv2d c ? new Patches(b, c) : null) {
            net.addForwardHook(nowHook);
            original.addForwardHook(beforeHook);
            Calibration.forEachBatch(net, data, batches, seed, (x, y) -> {
                if (target == 0) {
                    int[] shape = new int[net.inputShape().length + 1];
                    shape[0] = x.dim(0);
                    System.arraycopy(net.inputShape(), 0, shape, 1, net.inputShape().length);
                    Tensor input = b.reshape(x, shape);
                    now[0] = keep(b, now[0], input);
                    before[0] = keep(b, before[0], input);
                } else {
                    net.forward(x, false);
                    original.forward(x, false);
                }
                if (patches != null) {
                    examples[0] += patches.accumulate(now[0], before[0], gram, cross, sumNow, sumBefore);
                } else {
                    b.gemm(gram, now[0], true, now[0], false, 1f, 1f);
                    b.gemm(cross, now[0], true, before[0], false, 1f, 1f);
                    b.sumRows(sumNow, now[0], 1f);
                    b.sumRows(sumBefore, before[0], 1f);
                    examples[0] += x.dim(0);
                }
            });
            double inv = 1.0 / Math.max(1, examples[0]);
            float[] sNow = b.toFloatArray(sumNow);
            float[] sBefore = b.toFloatArray(sumBefore);
            return new Moments(augmented(b.toFloatArray(gram), sNow, sNow, width, inv),
                    augmented(b.toFloatArray(cross), sNow, sBefore, width, inv));
        } finally {
            net.removeHook(nowHook);
            original.removeHook(beforeHook);
            if (now[0] != null) {
                now[0].close();
            }
            if (before[0] != null) {
                before[0].close();
            }
        }
    }

    /** A forward hook that keeps a copy of layer {@code layer}'s output in {@code into[0]}. */
    private static LayerHook capture(Backend b, int layer, Tensor[] into) {
        return (i, l, a) -> {
            if (i == layer) {
                into[0] = keep(b, into[0], a);
            }
        };
    }

    /** Copies an activation into a buffer of its own, allocated in the activation's shape on first use. */
    private static Tensor keep(Backend b, Tensor buffer, Tensor a) {
        Tensor out = buffer != null ? buffer : b.zeros(DType.FLOAT32, a.shape());
        b.copy(out, a);
        return out;
    }

    /**
     * The moments of a convolution's input patches, with no kernel of our own: a convolution with an
     * identity filter bank (one output channel per (channel, row, column) of the kernel) lays the
     * patches out as channels, and the weight gradient of a convolution whose output gradient is
     * those patches is the sum over examples and positions of patch ⊗ patch, i.e. the Gram matrix in
     * the weight's own {@code [in·kh·kw]} order. Every output position is one example of the fit.
     */
    private static final class Patches implements AutoCloseable {
        private final Backend b;
        private final Conv2d conv;
        private final int width;
        private final Tensor identity;
        private final Tensor noBias;
        private final Tensor part;
        private final Tensor partSum;
        private Tensor columns;
        private Tensor ones;
        private Tensor onesWeight;
        private Tensor onesPart;
        private Tensor onesSum;

        Patches(Backend b, Conv2d conv) {
            this.b = b;
            this.conv = conv;
            int kk = conv.kernelHeight() * conv.kernelWidth();
            width = conv.inChannels() * kk;
            float[] id = new float[width * width];
            for (int f = 0; f < width; f++) {
                id[f * width + f] = 1;
            }
            identity = b.fromArray(id, width, conv.inChannels(), conv.kernelHeight(), conv.kernelWidth());
            noBias = b.zeros(DType.FLOAT32, width);
            part = b.zeros(DType.FLOAT32, width, conv.inChannels(), conv.kernelHeight(), conv.kernelWidth());
            partSum = b.zeros(DType.FLOAT32, width);
        }

        /** Adds this batch's moments; returns the number of patches (batch × output positions). */
        long accumulate(Tensor now, Tensor before, Tensor gram, Tensor cross, Tensor sumNow, Tensor sumBefore) {
            int[] out = conv.outputShape(new int[] {now.dim(1), now.dim(2), now.dim(3)});
            int batch = now.dim(0);
            if (columns == null) {
                columns = b.zeros(DType.FLOAT32, batch, width, out[1], out[2]);
                ones = b.zeros(DType.FLOAT32, batch, 1, out[1], out[2]);
                b.fill(ones, 1f);
                onesWeight = b.zeros(DType.FLOAT32, 1, conv.inChannels(), conv.kernelHeight(), conv.kernelWidth());
                onesPart = b.zeros(DType.FLOAT32, 1, conv.inChannels(), conv.kernelHeight(), conv.kernelWidth());
                onesSum = b.zeros(DType.FLOAT32, 1);
            }
            int s = conv.stride();
            int p = conv.padding();
            b.conv2d(columns, now, identity, noBias, s, p, false);
            b.conv2dBackward(null, part, partSum, columns, now, identity, s, p); // Σ patch' ⊗ patch', Σ patch'
            b.axpy(gram, 1f, part);
            b.axpy(sumNow, 1f, partSum);
            b.conv2dBackward(null, part, partSum, columns, before, identity, s, p); // Σ patch' ⊗ patch
            b.axpy(cross, 1f, part);
            b.conv2dBackward(null, onesPart, onesSum, ones, before, onesWeight, s, p); // Σ patch
            b.axpy(sumBefore, 1f, onesPart);
            return (long) batch * out[1] * out[2];
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {identity, noBias, part, partSum, columns, ones, onesWeight, onesPart, onesSum}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    /** {@code [[m, rowSums], [colSumsᵀ, 1]]}, every entry times {@code inv}. */
    private static Matrix augmented(float[] m, float[] rowSums, float[] colSums, int n, double inv) {
        float[] out = new float[(n + 1) * (n + 1)];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out[i * (n + 1) + j] = (float) (m[i * n + j] * inv);
            }
            out[i * (n + 1) + n] = (float) (rowSums[i] * inv);
            out[n * (n + 1) + i] = (float) (colSums[i] * inv);
        }
        out[n * (n + 1) + n] = 1;
        return new Matrix(out, n);
    }

    /** Positions {@code i} in {@code [0, n)} with {@code mask[offset + i] != 0}. */
    private static int[] indicesOf(float[] mask, int offset, int n) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (mask[offset + i] != 0) {
                count++;
            }
        }
        int[] idx = new int[count];
        for (int i = 0, k = 0; i < n; i++) {
            if (mask[offset + i] != 0) {
                idx[k++] = i;
            }
        }
        return idx;
    }

    /** The Gram block of the kept inputs and the constant, row-major, with the ridge on the inputs' diagonal. */
    private static double[] dampedBlock(Matrix g, int[] kept, double damping) {
        int n = g.n();
        double meanDiag = 0;
        for (int i = 0; i < n; i++) {
            meanDiag += g.at(i, i);
        }
        double ridge = damping * Math.max(meanDiag / Math.max(1, n), 1e-12);
        int k = kept.length;
        double[] h = new double[(k + 1) * (k + 1)];
        for (int i = 0; i <= k; i++) {
            int gi = i < k ? kept[i] : n;
            for (int j = 0; j <= k; j++) {
                h[i * (k + 1) + j] = g.at(gi, j < k ? kept[j] : n);
            }
            if (i < k) {
                h[i * (k + 1) + i] += ridge;
            }
        }
        return h;
    }

    /**
     * {@code C[K+, :] · [W | b]ᵀ} for rows {@code [first, first + rows)} of the layer: the kept inputs'
     * cross moments with each row's old pre-activation, {@code [k+1, rows]} row-major (one OpenBLAS
     * product).
     */
    private static double[] rightHandSides(Matrix c, int[] kept, float[] w, float[] bias, int first, int rows, int in) {
        int k1 = kept.length + 1;
        double[] a = new double[k1 * (in + 1)];
        float[] v = c.v();
        for (int i = 0; i < k1; i++) {
            int row = (i < kept.length ? kept[i] : in) * (in + 1);
            for (int j = 0; j <= in; j++) {
                a[i * (in + 1) + j] = v[row + j];
            }
        }
        double[] wb = new double[rows * (in + 1)];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < in; j++) {
                wb[r * (in + 1) + j] = w[(first + r) * in + j];
            }
            wb[r * (in + 1) + in] = bias[first + r];
        }
        double[] out = new double[k1 * rows];
        openblas.cblas_dgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, k1, rows, in + 1, 1.0, a, in + 1,
                wb, in + 1, 0.0, out, rows);
        return out;
    }

    /**
     * Solves {@code H X = B} in place of {@code b} ({@code [n, nrhs]} row-major) for a symmetric
     * positive definite {@code h} ({@code [n, n]} row-major), by LAPACK's Cholesky ({@code dposv}).
     */
    static void solve(double[] h, int n, double[] b, int nrhs) {
        int info = openblas.LAPACKE_dposv(openblas.LAPACK_ROW_MAJOR, (byte) 'L', n, nrhs, h, n, b, nrhs);
        if (info == -5 || info == -7) { // LAPACKE's NaN check of the matrix or of the right-hand sides
            throw new Prune4jException("reconstruction: the moments of the calibration inputs hold NaN; are the activations NaN"
                    + " or infinite?");
        }
        if (info > 0) {
            throw new Prune4jException("reconstruction: the Gram matrix of the calibration inputs is not positive definite"
                    + " (leading minor " + info + " of " + n + "); are the activations NaN or infinite?");
        }
        if (info < 0) {
            throw new IllegalStateException("LAPACKE_dposv rejected argument " + (-info));
        }
    }
}
