package io.prune4j.prune;

import io.prune4j.Prune4jException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Layer;
import io.prune4j.nn.LayerHook;
import io.prune4j.nn.Relu;
import io.prune4j.nn.Sequential;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Least-squares refit of the weights that survive pruning, before fine-tuning: each affected
 * Dense layer gets the surviving weights and the bias that best reproduce, on calibration inputs,
 * the pre-activations it computed before pruning. Pruning then costs far less accuracy before any
 * fine-tuning, so short fine-tuning gets further.
 *
 * <ul>
 *   <li><b>Structured</b> ({@link #refitUnits}): when units of layer {@code l} go, the next Dense
 *   layer is refitted on the units that stay: {@code [W' b'] = argmin Σ ‖W a + b − W' a_K − b'‖²},
 *   the reconstruction step of channel-pruning methods (He, Zhang &amp; Sun 2017, "Channel pruning
 *   for accelerating very deep neural networks"; Luo, Wu &amp; Lin 2017, ThiNet). It subsumes bias
 *   compensation ({@link ActivationMeans}), which is the same fit with {@code W'} held fixed.</li>
 *   <li><b>Unstructured</b> ({@link #refitWeights}): each row of a masked Dense layer is refitted
 *   on its own surviving inputs, {@code w'_S = argmin Σ (w·x + b − w'_S·x_S − b')²}. The mask is
 *   the criterion's; only the values change (the exact per-row solution that AdaPrune, Hubara et al.
 *   2021, approaches by gradient steps, and that Optimal Brain Compression, Frantar &amp; Alistarh
 *   2022, solves the same way).</li>
 * </ul>
 *
 * <p>Every fit is layer by layer from the unpruned network's activations (one forward pass over
 * the calibration batches collects all of them). The normal equations use the Gram matrix of the
 * layer's inputs with a column of ones for the bias, accumulated on the backend with one matrix
 * product per batch and solved on the host in double precision by Cholesky, with a ridge of
 * {@link #DAMPING} times the mean diagonal (as SparseGPT damps its Hessian). Each refitted layer
 * costs one device-to-host copy of its Gram matrix. Only Dense layers whose inputs are at most
 * {@link #MAX_WIDTH} wide are refitted; convolutions, and Dense layers behind a flattened
 * convolution wider than that, are left as pruning left them.
 */
public final class Reconstruction {
    /** Ridge added to the Gram diagonal, as a fraction of its mean diagonal entry. */
    public static final double DAMPING = 0.01;
    /** Widest input whose {@code width²} Gram matrix is collected. */
    public static final int MAX_WIDTH = 4096;
    /**
     * Most host work one layer's solves may take (about a minute on one core): unstructured masks of
     * wide layers at low sparsity need one large system per row and are refused rather than left
     * running for hours.
     */
    public static final double MAX_SOLVE_FLOPS = 1e11;

    private Reconstruction() {}

    /**
     * Refits the Dense layer after each pruned layer on the units its mask keeps. Call with the unit
     * masks before compaction; the pruned columns are zeroed (compaction then drops them).
     *
     * @return how many layers were refitted
     */
    public static int refitUnits(Sequential net, List<Integer> layers, List<Tensor> unitMasks, DeviceData data, int batches,
                                 long seed) {
        return refitUnits(net, layers, unitMasks, data, batches, seed, DAMPING);
    }

    static int refitUnits(Sequential net, List<Integer> layers, List<Tensor> unitMasks, DeviceData data, int batches, long seed,
                          double damping) {
        Map<Integer, Tensor> targets = new TreeMap<>(); // refitted Dense layer → the mask of the units it reads
        for (int s = 0; s < layers.size(); s++) {
            int li = layers.get(s);
            int next = Compaction.nextWeightLayer(net, li);
            if (net.layers().get(li) instanceof Dense && next >= 0 && directInput(net, li, next)) {
                targets.put(next, unitMasks.get(s));
            }
        }
        return refit(net, targets, true, data, batches, seed, damping);
    }

    /**
     * Refits every masked Dense layer row by row on the weights its mask keeps. Call after the masks
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
        Map<Integer, Tensor> targets = new TreeMap<>(); // refitted Dense layer → its weight mask
        for (int s = 0; s < layers.size(); s++) {
            int li = layers.get(s);
            if (net.layers().get(li) instanceof Dense d && d.inFeatures() <= MAX_WIDTH && inputIsFlat(net, li, d.inFeatures())) {
                targets.put(li, weightMasks.get(s));
            }
        }
        return refit(net, targets, false, data, batches, seed, damping);
    }

    /**
     * Refits the target layers in network order, each on the inputs it sees once the layers before it
     * are refitted, against the pre-activations of the unpruned network.
     *
     * @param targets   refitted layer → its mask
     * @param unitMasks the masks select input columns shared by all rows (true) or weights row by row (false)
     * @param damping   ridge as a fraction of the Gram matrix's mean diagonal
     */
    private static int refit(Sequential net, Map<Integer, Tensor> targets, boolean unitMasks, DeviceData data, int batches, long seed,
                     double damping) {
        if (targets.isEmpty()) {
            return 0;
        }
        Backend b = net.backend();
        Map<Integer, float[]> masks = new TreeMap<>();
        for (Map.Entry<Integer, Tensor> e : targets.entrySet()) {
            float[] mask = b.toFloatArray(e.getValue());
            Dense d = (Dense) net.layers().get(e.getKey());
            double flops = solveFlops(mask, d.outFeatures(), d.inFeatures(), unitMasks);
            if (flops > MAX_SOLVE_FLOPS) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "reconstruction of %s would take about %.0f GFLOP of host solves (%d rows, %d inputs, %s): too slow;"
                                + " prune without --reconstruct, or structured", d.name(), flops / 1e9, d.outFeatures(),
                        d.inFeatures(), unitMasks ? "one shared system" : "one system per row"));
            }
            masks.put(e.getKey(), mask);
        }
        try (Sequential original = net.copy()) {
            for (Map.Entry<Integer, Tensor> e : targets.entrySet()) {
                Dense d = (Dense) net.layers().get(e.getKey());
                Moments g = collect(net, original, e.getKey(), data, batches, seed);
                float[] mask = masks.get(e.getKey());
                float[] w = b.toFloatArray(d.weight().value());
                float[] bias = b.toFloatArray(d.bias().value());
                int in = d.inFeatures();
                float[] w2 = new float[w.length];
                float[] b2 = new float[bias.length];
                int[] kept = unitMasks ? indicesOf(mask, 0, in) : null;
                Cholesky chol = unitMasks ? new Cholesky(dampedBlock(g.gram(), kept, damping)) : null;
                for (int r = 0; r < d.outFeatures(); r++) {
                    if (!unitMasks) {
                        kept = indicesOf(mask, r * in, in);
                        chol = new Cholesky(dampedBlock(g.gram(), kept, damping));
                    }
                    double[] x = chol.solve(rightHandSide(g.cross(), kept, w, r * in, in, bias[r]));
                    for (int k = 0; k < kept.length; k++) {
                        w2[r * in + kept[k]] = (float) x[k];
                    }
                    b2[r] = (float) x[kept.length];
                }
                b.upload(d.weight().value(), w2);
                b.upload(d.bias().value(), b2);
            }
        }
        return targets.size();
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

    /** Layer {@code next} reads {@code li}'s output directly or through ReLUs only. */
    private static boolean directInput(Sequential net, int li, int next) {
        if (!(net.layers().get(next) instanceof Dense n) || n.inFeatures() != ((Dense) net.layers().get(li)).units()
                || n.inFeatures() > MAX_WIDTH) {
            return false;
        }
        for (int i = li + 1; i < next; i++) {
            if (!(net.layers().get(i) instanceof Relu)) {
                return false;
            }
        }
        return true;
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
     * extended by a constant 1 (the last row and column), in double precision on the host:
     * {@code gram = mean(x' x'ᵀ)} of the inputs {@code x'} it sees in {@code net} as pruned so far,
     * and {@code cross = mean(x' xᵀ)} with the inputs {@code x} the same examples give it in the
     * unpruned {@code original}.
     */
    private record Moments(double[][] gram, double[][] cross) {}

    private static Moments collect(Sequential net, Sequential original, int target, DeviceData data, int batches, long seed) {
        Backend b = net.backend();
        int width = ((Dense) net.layers().get(target)).inFeatures();
        int[] examples = {0};
        Tensor[] now = {null};
        Tensor[] before = {null};
        LayerHook nowHook = (i, layer, a) -> {
            if (i == target - 1) {
                b.copy(now[0], a);
            }
        };
        LayerHook beforeHook = (i, layer, a) -> {
            if (i == target - 1) {
                b.copy(before[0], a);
            }
        };
        try (Tensor gram = b.zeros(DType.FLOAT32, width, width);
             Tensor cross = b.zeros(DType.FLOAT32, width, width);
             Tensor sumNow = b.zeros(DType.FLOAT32, width);
             Tensor sumBefore = b.zeros(DType.FLOAT32, width)) {
            net.addForwardHook(nowHook);
            original.addForwardHook(beforeHook);
            Calibration.forEachBatch(net, data, batches, seed, (x, y) -> {
                if (now[0] == null) {
                    now[0] = b.zeros(DType.FLOAT32, x.dim(0), width);
                    before[0] = b.zeros(DType.FLOAT32, x.dim(0), width);
                }
                if (target == 0) {
                    b.copy(now[0], x);
                    b.copy(before[0], x);
                } else {
                    net.forward(x, false);
                    original.forward(x, false);
                }
                b.gemm(gram, now[0], true, now[0], false, 1f, 1f);
                b.gemm(cross, now[0], true, before[0], false, 1f, 1f);
                b.sumRows(sumNow, now[0], 1f);
                b.sumRows(sumBefore, before[0], 1f);
                examples[0] += x.dim(0);
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
                before[0].close();
            }
        }
    }

    /** {@code [[m, rowSums], [colSumsᵀ, 1]]}, every entry times {@code inv}, as doubles. */
    private static double[][] augmented(float[] m, float[] rowSums, float[] colSums, int n, double inv) {
        double[][] out = new double[n + 1][n + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out[i][j] = m[i * n + j] * inv;
            }
            out[i][n] = rowSums[i] * inv;
            out[n][i] = colSums[i] * inv;
        }
        out[n][n] = 1;
        return out;
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

    /** The Gram block of the kept inputs and the constant, with the ridge on the inputs' diagonal. */
    private static double[][] dampedBlock(double[][] g, int[] kept, double damping) {
        int n = g.length - 1;
        double meanDiag = 0;
        for (int i = 0; i < n; i++) {
            meanDiag += g[i][i];
        }
        double ridge = damping * Math.max(meanDiag / Math.max(1, n), 1e-12);
        int k = kept.length;
        double[][] h = new double[k + 1][k + 1];
        for (int i = 0; i <= k; i++) {
            int gi = i < k ? kept[i] : n;
            for (int j = 0; j <= k; j++) {
                h[i][j] = g[gi][j < k ? kept[j] : n];
            }
            if (i < k) {
                h[i][i] += ridge;
            }
        }
        return h;
    }

    /** {@code C[K+, :] · [w_r, b_r]}: the kept inputs' cross moment with the row's old pre-activation. */
    private static double[] rightHandSide(double[][] g, int[] kept, float[] w, int offset, int in, float bias) {
        int k = kept.length;
        double[] rhs = new double[k + 1];
        for (int i = 0; i <= k; i++) {
            double[] row = g[i < k ? kept[i] : in];
            double acc = row[in] * bias;
            for (int j = 0; j < in; j++) {
                acc += row[j] * w[offset + j];
            }
            rhs[i] = acc;
        }
        return rhs;
    }

    /** Cholesky factor of a symmetric positive definite matrix, for repeated solves. */
    static final class Cholesky {
        private final double[][] l;

        Cholesky(double[][] a) {
            int n = a.length;
            l = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double s = a[i][j];
                    for (int k = 0; k < j; k++) {
                        s -= l[i][k] * l[j][k];
                    }
                    if (i == j) {
                        if (!(s > 0)) {
                            throw new Prune4jException("reconstruction: the Gram matrix of the calibration inputs is not positive"
                                    + " definite (pivot " + s + " at row " + i + "); are the activations NaN or infinite?");
                        }
                        l[i][i] = Math.sqrt(s);
                    } else {
                        l[i][j] = s / l[j][j];
                    }
                }
            }
        }

        double[] solve(double[] rhs) {
            int n = rhs.length;
            double[] y = rhs.clone();
            for (int i = 0; i < n; i++) {
                double s = y[i];
                for (int k = 0; k < i; k++) {
                    s -= l[i][k] * y[k];
                }
                y[i] = s / l[i][i];
            }
            for (int i = n - 1; i >= 0; i--) {
                double s = y[i];
                for (int k = i + 1; k < n; k++) {
                    s -= l[k][i] * y[k];
                }
                y[i] = s / l[i][i];
            }
            return y;
        }
    }
}
