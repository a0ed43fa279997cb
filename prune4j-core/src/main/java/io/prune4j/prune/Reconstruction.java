package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.Prune4jException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Graph;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.IntStream;
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
 * refitted, against the pre-activations the unpruned layer computes in the unpruned network on the
 * same calibration batches. The normal equations need the second moments of the fitted inputs, with
 * a constant 1 for the bias, and their cross moments with those pre-activations; both are
 * accumulated on the backend (matrix products for Dense layers; for convolutions an identity filter
 * bank and weight gradients, see {@code Patches}). For unit masks only the kept units' inputs are
 * gathered first, so the moment matrices are as wide as the fit. They are solved on the host in
 * double precision by Cholesky (LAPACK's {@code dposv} from OpenBLAS), with a ridge of
 * {@link #DAMPING} times the Gram matrix's mean diagonal (as SparseGPT damps its Hessian). Each
 * refitted layer costs five device-to-host copies (its mask, its two moment matrices and their two
 * sums) and two uploads. A layer fitted on more than {@link #MAX_WIDTH} inputs per unit is left as
 * pruning left it, and a layer whose host solves would pass {@link #MAX_SOLVE_FLOPS} is refused.
 */
public final class Reconstruction {
    /** Ridge added to the Gram diagonal, as a fraction of its mean diagonal entry. */
    public static final double DAMPING = 0.01;
    /**
     * Most inputs per unit a layer is fitted on (the kept units' inputs for unit masks, all of them
     * for weight masks): its {@code width²} Gram matrix lives on the device and on the host (at
     * 8,192: 268 MB).
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
     * Refits every Dense layer and one-group convolution that reads a tensor losing channels on the
     * channels that stay ({@code channelMasks}, by tensor name, from {@link Compaction#channelMasks}):
     * a Dense layer on the kept inputs, a convolution on the kept input channels' patches. Call before
     * compaction; the pruned columns are zeroed (compaction then drops them).
     *
     * @param net          the network, still uncompacted; the refitted layers' weights and biases change in place
     * @param channelMasks per tensor name, its 0/1 channel mask; borrowed
     * @param data         the calibration examples (training data); borrowed
     * @param batches      calibration batches of {@link Calibration#BATCH} examples (fewer when the data set is smaller), ≥ 1
     * @param seed         fixes which examples are drawn
     * @return how many layers were refitted
     * @throws InvalidSettingException when a layer's host solves would exceed {@link #MAX_SOLVE_FLOPS}
     */
    public static int refitUnits(Graph net, Map<String, Tensor> channelMasks, DeviceData data, int batches, long seed) {
        return refitUnits(net, channelMasks, data, batches, seed, Progress.NONE);
    }

    /**
     * {@link #refitUnits(Graph, Map, DeviceData, int, long)}, telling {@code progress} of each calibration batch.
     *
     * @param net          the network, still uncompacted; the refitted layers' weights and biases change in place
     * @param channelMasks per tensor name, its 0/1 channel mask; borrowed
     * @param data         the calibration examples (training data); borrowed
     * @param batches      calibration batches of {@link Calibration#BATCH} examples (fewer when the data set is smaller), ≥ 1
     * @param seed         fixes which examples are drawn
     * @param progress     told of the work; {@link Progress#NONE} for nothing
     * @return how many layers were refitted
     * @throws InvalidSettingException when a layer's host solves would exceed {@link #MAX_SOLVE_FLOPS}
     */
    public static int refitUnits(Graph net, Map<String, Tensor> channelMasks, DeviceData data, int batches, long seed,
                                 Progress progress) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(channelMasks, "channelMasks");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(progress, "progress");
        return refit(net, unitTargets(net, channelMasks), true, data, batches, seed, DAMPING, progress);
    }

    static int refitUnits(Graph net, Map<String, Tensor> channelMasks, DeviceData data, int batches, long seed, double damping) {
        return refit(net, unitTargets(net, channelMasks), true, data, batches, seed, damping, Progress.NONE);
    }

    /** Every Dense layer or one-group convolution that reads a tensor losing channels, with that tensor's channel mask. */
    private static Map<Integer, Target> unitTargets(Graph net, Map<String, Tensor> channelMasks) {
        Map<Integer, Target> targets = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : channelMasks.entrySet()) {
            for (String reader : net.readersOf(e.getKey())) {
                int li = net.indexOf(reader);
                if (eligible(net, li)) {
                    targets.put(li, new Target(e.getValue()));
                }
            }
        }
        return targets;
    }

    /**
     * Refits every masked weight layer row by row on the weights its mask keeps. Call after the masks
     * are chosen and before they are installed; the values outside each mask are zeroed.
     *
     * @param net          the network; the refitted layers' weights and biases change in place
     * @param nodes        the masked weight layers
     * @param weightMasks  one 0/1 mask per node, shaped like its weight, in the same order; borrowed
     * @param data         the calibration examples (training data); borrowed
     * @param batches      calibration batches of {@link Calibration#BATCH} examples (fewer when the data set is smaller), ≥ 1
     * @param seed         fixes which examples are drawn
     * @return how many layers were refitted
     * @throws InvalidSettingException when a layer's host solves would exceed {@link #MAX_SOLVE_FLOPS}
     */
    public static int refitWeights(Graph net, List<String> nodes, List<Tensor> weightMasks, DeviceData data, int batches,
                                   long seed) {
        return refitWeights(net, nodes, weightMasks, data, batches, seed, Progress.NONE);
    }

    /**
     * {@link #refitWeights(Graph, List, List, DeviceData, int, long)}, telling {@code progress} of each calibration batch.
     *
     * @param net          the network; the refitted layers' weights and biases change in place
     * @param nodes        the masked weight layers
     * @param weightMasks  one 0/1 mask per node, shaped like its weight, in the same order; borrowed
     * @param data         the calibration examples (training data); borrowed
     * @param batches      calibration batches of {@link Calibration#BATCH} examples (fewer when the data set is smaller), ≥ 1
     * @param seed         fixes which examples are drawn
     * @param progress     told of the work; {@link Progress#NONE} for nothing
     * @return how many layers were refitted
     * @throws InvalidSettingException when a layer's host solves would exceed {@link #MAX_SOLVE_FLOPS}
     */
    public static int refitWeights(Graph net, List<String> nodes, List<Tensor> weightMasks, DeviceData data, int batches,
                                   long seed, Progress progress) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(weightMasks, "weightMasks");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(progress, "progress");
        return refit(net, weightTargets(net, nodes, weightMasks), false, data, batches, seed, DAMPING, progress);
    }

    static int refitWeights(Graph net, List<String> nodes, List<Tensor> weightMasks, DeviceData data, int batches, long seed,
                            double damping) {
        return refit(net, weightTargets(net, nodes, weightMasks), false, data, batches, seed, damping, Progress.NONE);
    }

    private static Map<Integer, Target> weightTargets(Graph net, List<String> nodes, List<Tensor> weightMasks) {
        Map<Integer, Target> targets = new TreeMap<>();
        for (int s = 0; s < nodes.size(); s++) {
            int li = net.indexOf(nodes.get(s));
            if (eligible(net, li)) {
                targets.put(li, new Target(weightMasks.get(s)));
            }
        }
        return targets;
    }

    /** What a refit tells of its progress: how much work there is, then each calibration batch done. Both do nothing by default. */
    public interface Progress {
        /** Progress that goes nowhere. */
        Progress NONE = new Progress() {};

        /**
         * Called once, before any work: {@code layers} layers, each fitted on {@code batches} calibration batches.
         * Not called when no layer is refitted.
         *
         * @param layers  the layers to refit
         * @param batches the calibration batches each is fitted on
         */
        default void started(int layers, int batches) {}

        /** Called after each calibration batch of each layer. */
        default void batchDone() {}
    }

    /** A layer to refit: its mask, of the channels it reads or of its own weights. */
    private record Target(Tensor mask) {}

    /** A Dense layer or a one-group convolution, with one input. */
    private static boolean eligible(Graph net, int li) {
        Layer l = net.layers().get(li);
        return net.nodes().get(li).inputs().size() == 1 && (l instanceof Dense || (l instanceof Conv2d c && c.groups() == 1));
    }

    /**
     * What one layer's fit needs to know of its mask: for unit masks, the input units kept (in
     * order) and how many there were; the weight columns each row is fitted on, in the order of the
     * fitted inputs (unit masks: the same for every row; weight masks: {@code null}, read per row
     * from {@code weightMask}).
     */
    private record Plan(int[] keptUnits, int inputUnits, int[] columns, float[] weightMask) {
        /** Inputs per unit of the fit: the kept units' inputs, or all of the layer's. */
        int width(int in) {
            return columns != null ? columns.length : in;
        }
    }

    /**
     * Refits the target layers in network order, each on the inputs it sees once the layers before it
     * are refitted, against the pre-activations of the unpruned network.
     *
     * @param unitMasks the masks select input units shared by all rows (true) or weights row by row (false)
     * @param damping   ridge as a fraction of the Gram matrix's mean diagonal
     */
    private static int refit(Graph net, Map<Integer, Target> targets, boolean unitMasks, DeviceData data, int batches,
                             long seed, double damping, Progress progress) {
        Backend b = net.backend();
        Map<Integer, Plan> plans = new TreeMap<>();
        for (Map.Entry<Integer, Target> e : targets.entrySet()) {
            WeightLayer d = (WeightLayer) net.layers().get(e.getKey());
            int in = d.weight().size() / d.units();
            float[] mask = b.toFloatArray(e.getValue().mask());
            // a channel of a convolution's input covers its kh·kw weight columns, a Dense input's one
            Plan plan = unitMasks
                    ? new Plan(indicesOf(mask, 0, mask.length), mask.length, indicesOf(expand(mask, in / mask.length, in), 0, in), null)
                    : new Plan(null, 0, null, mask);
            if (plan.width(in) > MAX_WIDTH) {
                continue;
            }
            double flops = unitMasks ? solveFlops(plan.columns().length, d.units()) : solveFlops(mask, d.units(), in);
            if (flops > MAX_SOLVE_FLOPS) {
                throw new InvalidSettingException(String.format(Locale.ROOT,
                        "reconstruction of %s would take about %.0f GFLOP of host solves (%d rows, %d inputs, %s): too slow;"
                                + " prune without reconstruction, or structured", d.name(), flops / 1e9, d.units(), in,
                        unitMasks ? "one shared system" : "one system per row"));
            }
            plans.put(e.getKey(), plan);
        }
        if (plans.isEmpty()) {
            return 0;
        }
        progress.started(plans.size(), Calibration.batchCount(data, batches));
        try (Graph original = net.copy()) {
            for (Map.Entry<Integer, Plan> e : plans.entrySet()) {
                int li = e.getKey();
                Plan plan = e.getValue();
                WeightLayer d = (WeightLayer) net.layers().get(li);
                int units = d.units();
                int in = d.weight().size() / units;
                Moments m = collect(net, original, li, plan, data, batches, seed, progress);
                float[] w2 = new float[d.weight().size()];
                // a layer without a bias is fitted without the constant input
                float[] b2 = d.bias() == null ? null : new float[units];
                if (unitMasks) { // one system for all rows, on the inputs of the kept units
                    int[] fitted = IntStream.range(0, plan.columns().length).toArray();
                    fit(m, fitted, plan.columns(), 0, units, damping, w2, b2, in);
                } else { // one system per row, on the inputs its mask keeps
                    for (int r = 0; r < units; r++) {
                        int[] kept = indicesOf(plan.weightMask(), r * in, in);
                        fit(m, kept, kept, r, 1, damping, w2, b2, in);
                    }
                }
                b.upload(d.weight().value(), w2);
                if (b2 != null) {
                    b.upload(d.bias().value(), b2);
                }
            }
        }
        return plans.size();
    }

    /**
     * Solves for rows {@code [first, first + rows)} of a layer on the fitted inputs {@code fitted}
     * (indices into the moments), and writes each row's solution to the weight columns
     * {@code columns} (parallel to {@code fitted}) and its bias ({@code bias} null: the fit has no
     * constant input).
     */
    private static void fit(Moments m, int[] fitted, int[] columns, int first, int rows, double damping, float[] w, float[] bias,
                            int in) {
        int k = fitted.length;
        boolean constant = bias != null;
        int n = constant ? k + 1 : k;
        double[] x = m.rightHandSides(fitted, first, rows, constant);
        solve(dampedBlock(m.gram(), fitted, damping, constant), n, x, rows);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < k; i++) {
                w[(first + r) * in + columns[i]] = (float) x[i * rows + r];
            }
            if (constant) {
                bias[first + r] = (float) x[k * rows + r];
            }
        }
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
     * Floating-point work of the host solves for a unit mask: one Cholesky factorisation
     * ({@code k³/3}, {@code k} kept inputs and the bias) and two triangular solves per row.
     */
    static double solveFlops(int keptInputs, int rows) {
        double k = keptInputs + 1;
        return k * k * k / 3 + rows * 2.0 * k * k;
    }

    /** The same for a weight mask: a factorisation and two triangular solves for each row on the inputs it keeps. */
    static double solveFlops(float[] weightMask, int rows, int in) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            int k = 0;
            for (int i = 0; i < in; i++) {
                if (weightMask[r * in + i] != 0) {
                    k++;
                }
            }
            total += solveFlops(k, 1);
        }
        return total;
    }

    /**
     * Means over the calibration examples, on the host: {@code gram = mean(x' x'ᵀ)} of the fitted
     * inputs {@code x'} the layer sees in the network as pruned so far, each extended by a constant 1
     * (the last row and column), and {@code target = mean(x' yᵀ)} ({@code [n + 1, units]} row-major)
     * with the pre-activations {@code y} the unpruned layer computes from the same examples in the
     * unpruned network: the right-hand sides of every row's normal equations.
     */
    private record Moments(Matrix gram, float[] target, int units) {
        /**
         * Rows {@code [first, first + rows)}'s right-hand sides on the fitted inputs and, with
         * {@code constant}, the constant: {@code [k (+ 1), rows]} row-major.
         */
        double[] rightHandSides(int[] fitted, int first, int rows, boolean constant) {
            int k = fitted.length;
            int n = constant ? k + 1 : k;
            double[] out = new double[n * rows];
            for (int i = 0; i < n; i++) {
                int row = (i < k ? fitted[i] : gram.n()) * units;
                for (int r = 0; r < rows; r++) {
                    out[i * rows + r] = target[row + first + r];
                }
            }
            return out;
        }
    }

    /**
     * An {@code (n+1)×(n+1)} moment matrix, row-major, kept in floats (the precision it was summed
     * in on the backend; the solves read it into doubles): an 8,192-wide layer's matrix is 268 MB.
     */
    private record Matrix(float[] v, int n) {
        double at(int i, int j) {
            return v[i * (n + 1) + j];
        }
    }

    /**
     * Accumulates layer {@code target}'s moments on the backend over the calibration batches. With
     * a unit mask only the kept units' inputs are gathered (a column block per unit: one column of a
     * Dense input, a channel's map of a convolution's input, a channel's block behind a flatten), so
     * the Gram matrix is only as wide as the fit.
     */
    private static Moments collect(Graph net, Graph original, int target, Plan plan, DeviceData data, int batches,
                                   long seed, Progress progress) {
        Backend b = net.backend();
        WeightLayer layer = (WeightLayer) net.layers().get(target);
        WeightLayer unpruned = (WeightLayer) original.layers().get(target);
        String name = layer.name();
        int units = layer.units();
        int width = plan.width(layer.weight().size() / units);
        long[] examples = {0};
        Tensor[] fitted = {null};
        Tensor[] y = {null};
        Conv2d conv = layer instanceof Conv2d c ? c : null;
        int channels = conv == null ? 0 : plan.keptUnits() != null ? plan.keptUnits().length : conv.inChannels();
        try (Tensor gram = b.zeros(DType.FLOAT32, width, width);
             Tensor cross = conv != null ? b.zeros(DType.FLOAT32, units, channels, conv.kernelHeight(), conv.kernelWidth())
                     : b.zeros(DType.FLOAT32, units, width);
             Tensor sumX = b.zeros(DType.FLOAT32, width);
             Tensor sumY = b.zeros(DType.FLOAT32, units);
             Tensor keptUnits = plan.keptUnits() != null ? b.fromArray(plan.keptUnits(), plan.keptUnits().length) : null;
             Patches patches = conv != null ? new Patches(b, conv, channels) : null) {
            Calibration.forEachBatch(net, data, batches, seed, (x, labels) -> {
                // the layer's input in the network as pruned and refitted so far, and in the unpruned one
                Tensor in = net.forwardTo(x, false, name)[0];
                Tensor before = original.forwardTo(x, false, name)[0];
                if (keptUnits != null) {
                    if (fitted[0] == null) {
                        int[] shape = in.shape();
                        shape[1] = conv != null ? channels : width;
                        fitted[0] = b.zeros(DType.FLOAT32, shape);
                    }
                    int block = in.size() / in.dim(0) / plan.inputUnits();
                    b.gatherColumnBlocks(fitted[0], in, keptUnits, block);
                    in = fitted[0];
                }
                if (y[0] == null) { // the unpruned layer's pre-activations, [batch, units] or [batch, units, H, W]
                    int[] out = original.shapeOf(name);
                    int[] shape = new int[out.length + 1];
                    shape[0] = before.dim(0);
                    System.arraycopy(out, 0, shape, 1, out.length);
                    y[0] = b.zeros(DType.FLOAT32, shape);
                }
                Tensor unprunedBias = unpruned.bias() == null ? null : unpruned.bias().value();
                if (conv != null) {
                    b.conv2d(y[0], before, unpruned.weight().value(), unprunedBias, conv.stride(), conv.padding(), false);
                    examples[0] += patches.accumulate(in, y[0], gram, cross, sumX, sumY);
                } else {
                    b.gemm(y[0], before, false, unpruned.weight().value(), true, 1f, 0f);
                    if (unprunedBias != null) {
                        b.biasAdd(y[0], unprunedBias, false);
                    }
                    b.gemm(gram, in, true, in, false, 1f, 1f);
                    b.gemm(cross, y[0], true, in, false, 1f, 1f);
                    b.sumRows(sumX, in, 1f);
                    b.sumRows(sumY, y[0], 1f);
                    examples[0] += x.dim(0);
                }
                progress.batchDone();
            });
            double inv = 1.0 / Math.max(1, examples[0]);
            float[] sx = b.toFloatArray(sumX);
            float[] c = b.toFloatArray(cross);
            float[] sy = b.toFloatArray(sumY);
            float[] t = new float[(width + 1) * units];
            for (int o = 0; o < units; o++) {
                for (int i = 0; i < width; i++) {
                    t[i * units + o] = (float) (c[o * width + i] * inv);
                }
                t[width * units + o] = (float) (sy[o] * inv);
            }
            return new Moments(augmented(b.toFloatArray(gram), sx, width, inv), t, units);
        } finally {
            for (Tensor t : new Tensor[] {fitted[0], y[0]}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    /**
     * The second moments {@code mean(x xᵀ)} of layer {@code li}'s inputs in {@code net} as it is now
     * (the layers before it pruned as far as they are), over the calibration batches: a Dense layer's
     * input features, or a one-group convolution's input patches in its weight's {@code [in, kh, kw]}
     * order (every output position one example). {@code [width, width]} row-major, width the weight's
     * row length: the Hessian of the layer's squared reconstruction error up to a factor 2, what
     * Wanda's input norms and SparseGPT's Hessian are read from ({@link LayerwisePruning}).
     */
    static double[] inputGram(Graph net, int li, DeviceData data, int batches, long seed, Progress progress) {
        Backend b = net.backend();
        if (!eligible(net, li)) {
            throw new IllegalArgumentException(net.layers().get(li).describe() + ": not a Dense layer or a one-group convolution");
        }
        WeightLayer layer = (WeightLayer) net.layers().get(li);
        String name = layer.name();
        int width = layer.weight().size() / layer.units();
        Conv2d conv = layer instanceof Conv2d c ? c : null;
        long[] examples = {0};
        try (Tensor gram = b.zeros(DType.FLOAT32, width, width);
             Tensor sumX = b.zeros(DType.FLOAT32, width);
             Patches patches = conv != null ? new Patches(b, conv, conv.inChannels()) : null) {
            Calibration.forEachBatch(net, data, batches, seed, (x, labels) -> {
                Tensor in = net.forwardTo(x, false, name)[0];
                if (conv != null) {
                    examples[0] += patches.accumulate(in, null, gram, null, sumX, null);
                } else {
                    b.gemm(gram, in, true, in, false, 1f, 1f);
                    examples[0] += in.dim(0);
                }
                progress.batchDone();
            });
            float[] g = b.toFloatArray(gram);
            double inv = 1.0 / Math.max(1, examples[0]);
            double[] out = new double[g.length];
            for (int i = 0; i < g.length; i++) {
                out[i] = g[i] * inv;
            }
            return out;
        }
    }

    /** Whether {@link #inputGram} can read layer {@code li}'s inputs: a Dense layer or a one-group convolution with one input. */
    static boolean gramOf(Graph net, int li) {
        return eligible(net, li);
    }

    /**
     * The moments of a convolution's input patches, with no kernel of our own: a convolution with an
     * identity filter bank (one output channel per (channel, row, column) of the kernel) lays the
     * patches out as channels, and the weight gradient of a convolution whose output gradient is
     * those patches is the sum over examples and positions of patch ⊗ patch, i.e. the Gram matrix in
     * the weight's own {@code [in·kh·kw]} order. The weight gradient with the target pre-activations
     * as output gradient is the cross moment, and the bias gradients are the sums. Every output
     * position is one example of the fit.
     */
    private static final class Patches implements AutoCloseable {
        private final Backend b;
        private final Conv2d conv;
        private final Tensor identity;
        private final Tensor noBias;
        private final Tensor part;
        private final Tensor partSum;
        private final Tensor crossPart;
        private final Tensor crossSum;
        private Tensor columns;

        /** For a convolution read on {@code channels} of its input channels (the kept ones). */
        Patches(Backend b, Conv2d conv, int channels) {
            this.b = b;
            this.conv = conv;
            int kh = conv.kernelHeight();
            int kw = conv.kernelWidth();
            int width = channels * kh * kw;
            float[] id = new float[width * width];
            for (int f = 0; f < width; f++) {
                id[f * width + f] = 1;
            }
            identity = b.fromArray(id, width, channels, kh, kw);
            noBias = b.zeros(DType.FLOAT32, width);
            part = b.zeros(DType.FLOAT32, width, channels, kh, kw);
            partSum = b.zeros(DType.FLOAT32, width);
            crossPart = b.zeros(DType.FLOAT32, conv.units(), channels, kh, kw);
            crossSum = b.zeros(DType.FLOAT32, conv.units());
        }

        /**
         * Adds this batch's moments of input {@code x} and target pre-activations {@code y}; returns
         * the number of patches (batch × output positions).
         */
        long accumulate(Tensor x, Tensor y, Tensor gram, Tensor cross, Tensor sumX, Tensor sumY) {
            int batch = x.dim(0);
            if (columns == null) {
                // x may hold only the kept channels, so the output size comes from the geometry, not from conv's shape check
                int oh = y != null ? y.dim(2) : (x.dim(2) + 2 * conv.padding() - conv.kernelHeight()) / conv.stride() + 1;
                int ow = y != null ? y.dim(3) : (x.dim(3) + 2 * conv.padding() - conv.kernelWidth()) / conv.stride() + 1;
                columns = b.zeros(DType.FLOAT32, batch, identity.dim(0), oh, ow);
            }
            int s = conv.stride();
            int p = conv.padding();
            b.conv2d(columns, x, identity, noBias, s, p, false);
            b.conv2dBackward(null, part, partSum, columns, x, identity, s, p); // Σ patch ⊗ patch, Σ patch
            b.axpy(gram, 1f, part);
            b.axpy(sumX, 1f, partSum);
            if (y == null) { // the input moments alone (inputGram)
                return (long) batch * columns.dim(2) * columns.dim(3);
            }
            // the filter argument only gives the shape when no input gradient is asked for
            b.conv2dBackward(null, crossPart, crossSum, y, x, crossPart, s, p); // Σ y ⊗ patch, Σ y
            b.axpy(cross, 1f, crossPart);
            b.axpy(sumY, 1f, crossSum);
            return (long) batch * y.dim(2) * y.dim(3);
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {identity, noBias, part, partSum, crossPart, crossSum, columns}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    /** The Gram matrix extended by the constant input: {@code [[m, sums], [sumsᵀ, count]]}, every entry times {@code inv = 1/count}. */
    private static Matrix augmented(float[] m, float[] sums, int n, double inv) {
        float[] out = new float[(n + 1) * (n + 1)];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out[i * (n + 1) + j] = (float) (m[i * n + j] * inv);
            }
            out[i * (n + 1) + n] = (float) (sums[i] * inv);
            out[n * (n + 1) + i] = (float) (sums[i] * inv);
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

    /** The Gram block of the kept inputs (and the constant), row-major, with the ridge on the inputs' diagonal. */
    private static double[] dampedBlock(Matrix g, int[] kept, double damping, boolean constant) {
        int n = g.n();
        double meanDiag = 0;
        for (int i = 0; i < n; i++) {
            meanDiag += g.at(i, i);
        }
        double ridge = damping * Math.max(meanDiag / Math.max(1, n), 1e-12);
        int k = kept.length;
        int m = constant ? k + 1 : k;
        double[] h = new double[m * m];
        for (int i = 0; i < m; i++) {
            int gi = i < k ? kept[i] : n;
            for (int j = 0; j < m; j++) {
                h[i * m + j] = g.at(gi, j < k ? kept[j] : n);
            }
            if (i < k) {
                h[i * m + i] += ridge;
            }
        }
        return h;
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
