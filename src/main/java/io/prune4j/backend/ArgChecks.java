package io.prune4j.backend;

import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;

/**
 * The argument checks of the {@link Backend} operations whose shape rules are more than one
 * {@link Shapes} call, written once so that every backend rejects the same inputs with the same
 * message before it touches any storage.
 */
public final class ArgChecks {
    private ArgChecks() {}

    /** Checks {@code c = op(a) · op(b)} and returns {@code {m, n, k}}. */
    public static int[] gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB) {
        Shapes.requireRank("gemm", "a", a, 2);
        Shapes.requireRank("gemm", "b", b, 2);
        Shapes.requireRank("gemm", "c", c, 2);
        int m = transA ? a.dim(1) : a.dim(0);
        int k = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0);
        int n = transB ? b.dim(0) : b.dim(1);
        if (k != kb || c.dim(0) != m || c.dim(1) != n) {
            throw new IllegalArgumentException("gemm: op(a) is " + m + "x" + k + ", op(b) is " + kb + "x" + n
                    + ", c is " + c.dim(0) + "x" + c.dim(1));
        }
        return new int[] {m, n, k};
    }

    /**
     * Checks {@code x [B, in, H, W]}, {@code w [out, in, kh, kw]} and {@code y [B, out, Ho, Wo]} of a
     * convolution against each other; returns {@code {Ho, Wo}}.
     */
    public static int[] conv2d(String op, Tensor y, Tensor x, Tensor w, int stride, int pad) {
        return conv2d(op, y, x, w, stride, pad, 1);
    }

    /**
     * Checks {@code x [B, in, H, W]}, {@code w [out, in / groups, kh, kw]} and {@code y [B, out, Ho, Wo]}
     * of a grouped convolution against each other; returns {@code {Ho, Wo}}.
     */
    public static int[] conv2d(String op, Tensor y, Tensor x, Tensor w, int stride, int pad, int groups) {
        Shapes.requireRank(op, "x", x, 4);
        Shapes.requireRank(op, "w", w, 4);
        if (stride < 1 || pad < 0) {
            throw new IllegalArgumentException(op + ": stride must be ≥ 1 and padding ≥ 0, got " + stride + " and " + pad);
        }
        if (groups < 1 || x.dim(1) % groups != 0 || w.dim(0) % groups != 0) {
            throw new IllegalArgumentException(op + ": " + groups + " groups do not divide " + x.dim(1) + " input and "
                    + w.dim(0) + " output channels");
        }
        if ((long) w.dim(1) * groups != x.dim(1)) {
            throw new IllegalArgumentException(op + ": weight " + Arrays.toString(w.shape()) + " expects " + w.dim(1)
                    + (groups == 1 ? "" : " × " + groups + " groups of") + " input channels, x " + Arrays.toString(x.shape())
                    + " has " + x.dim(1));
        }
        if (x.dim(2) + 2 * pad < w.dim(2) || x.dim(3) + 2 * pad < w.dim(3)) {
            throw new IllegalArgumentException(op + ": a " + w.dim(2) + "x" + w.dim(3) + " kernel does not fit a "
                    + x.dim(2) + "x" + x.dim(3) + " input padded by " + pad);
        }
        int ho = (x.dim(2) + 2 * pad - w.dim(2)) / stride + 1;
        int wo = (x.dim(3) + 2 * pad - w.dim(3)) / stride + 1;
        Shapes.requireShape(op, "output", y, x.dim(0), w.dim(0), ho, wo);
        return new int[] {ho, wo};
    }

    /** Checks a max pooling's {@code x [B, c, H, W]}, {@code y} and {@code argmax}; returns {@code {Ho, Wo}}. */
    public static int[] maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride) {
        return maxPool2d(y, argmax, x, window, stride, 0);
    }

    /** Checks a padded max pooling's {@code x [B, c, H, W]}, {@code y} and {@code argmax}; returns {@code {Ho, Wo}}. */
    public static int[] maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad) {
        int[] out = pooling("maxPool2d", "x", x, window, stride, pad);
        Shapes.requireShape("maxPool2d", "y", y, x.dim(0), x.dim(1), out[0], out[1]);
        Shapes.requireShape("maxPool2d", "argmax", argmax, y.shape());
        return out;
    }

    /** Checks an average pooling's {@code x [B, c, H, W]} and {@code y}; returns {@code {Ho, Wo}}. */
    public static int[] avgPool2d(String op, Tensor y, Tensor x, int window, int stride, int pad) {
        int[] out = pooling(op, "x", x, window, stride, pad);
        Shapes.requireShape(op, "output", y, x.dim(0), x.dim(1), out[0], out[1]);
        return out;
    }

    /**
     * Checks an average pooling's gradients, {@code dx [B, c, H, W]} and {@code dy [B, c, Ho, Wo]}
     * (the forward check with the messages naming them); returns {@code {Ho, Wo}}.
     */
    public static int[] avgPool2dBackward(Tensor dx, Tensor dy, int window, int stride, int pad) {
        String op = "avgPool2dBackward";
        int[] out = pooling(op, "dx", dx, window, stride, pad);
        Shapes.requireShape(op, "dy", dy, dx.dim(0), dx.dim(1), out[0], out[1]);
        return out;
    }

    /** The output extents of a {@code window × window} pooling {@code stride} apart over {@code x} padded by {@code pad}. */
    private static int[] pooling(String op, String name, Tensor x, int window, int stride, int pad) {
        Shapes.requireRank(op, name, x, 4);
        if (window < 1 || stride < 1 || pad < 0 || pad > window / 2) {
            throw new IllegalArgumentException(op + ": window " + window + ", stride " + stride + " and padding " + pad
                    + " are not a valid pooling (window and stride ≥ 1, 0 ≤ padding ≤ window / 2)");
        }
        if (window > x.dim(2) + 2 * pad || window > x.dim(3) + 2 * pad) {
            throw new IllegalArgumentException(op + ": window " + window + " and stride " + stride + " do not fit a "
                    + x.dim(2) + "x" + x.dim(3) + " input" + (pad == 0 ? "" : " padded by " + pad));
        }
        return new int[] {(x.dim(2) + 2 * pad - window) / stride + 1, (x.dim(3) + 2 * pad - window) / stride + 1};
    }

    /**
     * Checks a batch normalisation's tensors: {@code x} and {@code y} of rank 2 or 4 and the same shape,
     * {@code C = x.dim(1)} entries in each per-channel tensor given (the save tensors may be null when
     * not {@code training}), {@code eps > 0}, {@code momentum} in [0, 1], and in training at least two
     * values per channel. Returns the values per channel per example (1, or {@code H·W}).
     */
    public static int batchNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
                                Tensor runningMean, Tensor runningVar, float momentum, float eps, boolean training) {
        String op = "batchNorm";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "y", y, x.shape());
        int c = x.dim(1);
        Shapes.requireShape(op, "gamma", gamma, c);
        Shapes.requireShape(op, "beta", beta, c);
        Shapes.requireShape(op, "runningMean", runningMean, c);
        Shapes.requireShape(op, "runningVar", runningVar, c);
        if (training && (saveMean == null || saveInvStd == null)) {
            // (a null would otherwise surface as a NullPointerException from the shape check)
            throw new IllegalArgumentException(op + ": training writes saveMean and saveInvStd, got "
                    + (saveMean == null ? "no saveMean" : "saveMean") + " and " + (saveInvStd == null ? "no saveInvStd" : "saveInvStd"));
        }
        if (saveMean != null) {
            Shapes.requireShape(op, "saveMean", saveMean, c);
        }
        if (saveInvStd != null) {
            Shapes.requireShape(op, "saveInvStd", saveInvStd, c);
        }
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(op + ": eps must be > 0 and momentum in [0, 1], got " + eps + " and " + momentum);
        }
        if (training && (long) x.dim(0) * spatial < 2) {
            throw new IllegalArgumentException(op + ": training needs more than one value per channel, got input "
                    + Arrays.toString(x.shape()));
        }
        return spatial;
    }

    /** Checks the gradients of a training-mode batch normalisation against its forward tensors; returns the values per channel per example. */
    public static int batchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                                        Tensor saveInvStd) {
        String op = "batchNormBackward";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "dy", dy, x.shape());
        if (dx != null) {
            Shapes.requireShape(op, "dx", dx, x.shape());
        }
        int c = x.dim(1);
        Shapes.requireShape(op, "dGamma", dGamma, c);
        Shapes.requireShape(op, "dBeta", dBeta, c);
        Shapes.requireShape(op, "gamma", gamma, c);
        Shapes.requireShape(op, "saveMean", saveMean, c);
        Shapes.requireShape(op, "saveInvStd", saveInvStd, c);
        return spatial;
    }

    /** {@code x [batch, C]} or {@code [batch, C, H, W]}: returns the values per channel per example. */
    private static int channelLayout(String op, Tensor x) {
        if (x.rank() != 2 && x.rank() != 4) {
            throw new IllegalArgumentException(op + ": x must be [batch, C] or [batch, C, H, W], got " + Arrays.toString(x.shape()));
        }
        return x.rank() == 2 ? 1 : x.dim(2) * x.dim(3);
    }

    /** Checks a clamp's sizes and bounds ({@code lo ≤ hi}, neither NaN). */
    public static void clamp(String op, Tensor y, Tensor x, float lo, float hi) {
        Shapes.requireSameSize(op, y, "y", x, "x");
        bounds(op, lo, hi);
    }

    /** Checks a clamp gradient's sizes ({@code dx}, {@code dy} and {@code y} alike) and bounds. */
    public static void clampBackward(Tensor dx, Tensor dy, Tensor y, float lo, float hi) {
        String op = "clampBackward";
        Shapes.requireSameSize(op, dx, "dx", dy, "dy");
        Shapes.requireSameSize(op, dy, "dy", y, "y");
        bounds(op, lo, hi);
    }

    private static void bounds(String op, float lo, float hi) {
        if (!(lo <= hi)) {
            throw new IllegalArgumentException(op + ": bounds must satisfy lo ≤ hi, got " + lo + " and " + hi);
        }
    }

    /**
     * Checks {@code copyChannels}: tensors of the same rank (2 or 4), batch and spatial extents, and
     * both channel ranges inside their tensors. Returns the values per channel per example.
     */
    public static int copyChannels(Tensor dst, int dstOffset, Tensor src, int srcOffset, int channels) {
        String op = "copyChannels";
        int spatial = channelLayout(op, src);
        if (dst.rank() != src.rank() || dst.dim(0) != src.dim(0) || (src.rank() == 4 && (dst.dim(2) != src.dim(2) || dst.dim(3) != src.dim(3)))) {
            throw new IllegalArgumentException(op + ": dst " + Arrays.toString(dst.shape()) + " and src " + Arrays.toString(src.shape())
                    + " differ in batch or spatial extents");
        }
        if (channels < 0 || dstOffset < 0 || srcOffset < 0 || (long) dstOffset + channels > dst.dim(1)
                || (long) srcOffset + channels > src.dim(1)) {
            throw new IllegalArgumentException(op + ": " + channels + " channels from " + srcOffset + " of " + src.dim(1) + " to "
                    + dstOffset + " of " + dst.dim(1) + " do not fit");
        }
        return spatial;
    }

    /**
     * Checks the shapes of a segmented reduction (not the index values, which live in device memory on
     * a device backend): {@code out [K]}, {@code offsets [K + 1]} and {@code perm} INT32, {@code src} FLOAT32.
     */
    public static void segmentReduce(Tensor out, Tensor src, Tensor perm, Tensor offsets) {
        String op = "segmentReduce";
        Shapes.requireRank(op, "out", out, 1);
        Shapes.requireShape(op, "offsets", offsets, out.dim(0) + 1);
        Shapes.requireDType(op, "offsets", offsets, io.prune4j.tensor.DType.INT32);
        Shapes.requireDType(op, "perm", perm, io.prune4j.tensor.DType.INT32);
        Shapes.requireDType(op, "src", src, io.prune4j.tensor.DType.FLOAT32);
        Shapes.requireDType(op, "out", out, io.prune4j.tensor.DType.FLOAT32);
    }

    /** Checks FPGM's {@code w [rows, …]} (rank ≥ 1) and {@code out [rows]}; returns the values per row. */
    public static int fpgmScores(Tensor out, Tensor w) {
        if (w.rank() < 1) {
            throw new IllegalArgumentException("fpgmScores: w must have rank ≥ 1 (rows first), got shape " + Arrays.toString(w.shape()));
        }
        int rows = w.dim(0);
        Shapes.requireShape("fpgmScores", "out", out, rows);
        return rows == 0 ? 0 : w.size() / rows;
    }

    /** Checks LAMP's {@code out}, one score per element of {@code w}. */
    public static void lampScores(Tensor out, Tensor w) {
        Shapes.requireSameSize("lampScores", out, "out", w, "w");
    }

    /**
     * Checks the sizes of a column-block gather (not the index values, which live in device memory on
     * a device backend); returns the columns of {@code src} per row.
     */
    public static int gatherColumnBlocks(Tensor out, Tensor src, Tensor idx, int block) {
        if (block < 1) {
            throw new IllegalArgumentException("gatherColumnBlocks: block must be ≥ 1, got " + block);
        }
        int rows = src.dim(0);
        if (out.dim(0) != rows) {
            throw new IllegalArgumentException("gatherColumnBlocks: out has " + out.dim(0) + " rows but src has " + rows);
        }
        int cols = rows == 0 ? 0 : src.size() / rows;
        int k = idx.size();
        if (cols % block != 0 || (rows > 0 && out.size() != rows * k * block)) {
            throw new IllegalArgumentException("gatherColumnBlocks: src " + Arrays.toString(src.shape()) + ", out "
                    + Arrays.toString(out.shape()) + " and " + k + " blocks of " + block + " do not fit");
        }
        return cols;
    }

    /**
     * Checks a row gather's element types, row widths and index range (not the index values, which
     * live in device memory on a device backend); returns the values per row.
     */
    public static int gatherRows(Tensor out, Tensor src, Tensor idx, int offset) {
        int rows = out.rank() == 0 ? 0 : out.dim(0);
        int cols = rows == 0 ? 0 : out.size() / rows;
        int srcRows = src.dim(0);
        int srcCols = srcRows == 0 ? cols : src.size() / srcRows;
        if (cols != srcCols || out.dtype() != src.dtype()) {
            throw new IllegalArgumentException("gatherRows: out rows hold " + cols + " " + out.dtype() + " values but src rows hold "
                    + srcCols + " " + src.dtype());
        }
        if (offset < 0 || offset + rows > idx.size()) {
            throw new IllegalArgumentException("gatherRows: rows [" + offset + ", " + (offset + rows) + ") outside an index of " + idx.size());
        }
        return cols;
    }

    /**
     * Checks the composite criterion's shapes; returns how many consecutive weights of a unit share
     * one input frequency (1 for Dense layers, {@code kh·kw} for a convolution).
     */
    public static int compositeScores(Tensor out, Tensor w, Tensor gAbs, Tensor freq) {
        Shapes.requireSameSize("compositeScores", w, "w", gAbs, "gAbs");
        int rows = w.dim(0);
        Shapes.requireShape("compositeScores", "out", out, rows);
        int cols = rows == 0 ? 0 : w.size() / rows;
        if (freq.size() == 0 ? cols != 0 : cols % freq.size() != 0) {
            throw new IllegalArgumentException("compositeScores: " + freq.size() + " input frequencies do not divide "
                    + cols + " weights per unit");
        }
        return freq.size() == 0 ? 1 : cols / freq.size();
    }

    /** Checks {@code maskToIndices}: room for every index; with {@code counts}, an INT32 slot in range. */
    public static void maskToIndices(Tensor indices, Tensor mask, Tensor counts, int slot) {
        if (indices.size() < mask.size()) {
            throw new IllegalArgumentException("maskToIndices: room for " + indices.size() + " indices, mask has " + mask.size());
        }
        if (counts != null && (slot < 0 || slot >= counts.size())) {
            throw new IndexOutOfBoundsException("maskToIndices: count slot " + slot + " outside counts of " + counts.size());
        }
    }

    /**
     * Checks that {@code a [batch, units, …]} holds {@code units} units in dimension 1 and returns
     * the elements per unit per example (1 for a dense layer, H·W for a feature map).
     */
    public static int units(String op, Tensor a, int units) {
        int batch = a.dim(0);
        if (units == 0 || batch == 0) {
            return 1;
        }
        if (a.rank() < 2 || a.dim(1) != units || a.size() % (batch * units) != 0) {
            throw new IllegalArgumentException(op + ": activations " + Arrays.toString(a.shape()) + " do not have "
                    + units + " units in dimension 1");
        }
        return a.size() / (batch * units);
    }
}
