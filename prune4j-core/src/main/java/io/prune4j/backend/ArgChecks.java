package io.prune4j.backend;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;

/**
 * The argument checks of every {@link Backend} operation, written once: each backend calls the
 * method named after the operation before it touches any storage, so that every backend rejects the
 * same inputs with the same exception and message (what a backend cannot know before it runs, such
 * as the values of an index or label tensor in device memory, is checked by the operation itself and
 * documented on {@link Backend}). Element types are checked here too, after the shapes; a backend's
 * own storage accessors only add the check that a tensor is theirs.
 *
 * <p>Sizes derived from the arguments (output extents, offsets plus counts, a gather's rows times
 * columns, a convolution's patch matrix) are computed in {@code long}: every tensor holds fewer
 * than 2^31 elements, but their products and sums need not, and an int that wrapped around could
 * pass a check and send a kernel outside its buffers. What does not fit an int is refused with
 * {@link Shapes#intSize}'s message.
 */
public final class ArgChecks {
    private ArgChecks() {}

    // ---- element types -------------------------------------------------------------------------

    /** Every tensor given is FLOAT32 (null entries are skipped: optional arguments). */
    public static void floats(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException(op + ": expected a FLOAT32 tensor, got " + t.dtype());
            }
        }
    }

    /** Every tensor given is INT32 (null entries are skipped). */
    public static void ints(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.INT32) {
                throw new IllegalArgumentException(op + ": expected an INT32 tensor, got " + t.dtype());
            }
        }
    }

    private static void present(String op, String arg, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + arg + " is required");
        }
    }

    // ---- tensors -------------------------------------------------------------------------------

    /** Checks that a host array of {@code length} elements fills {@code shape} exactly. */
    public static void length(int length, int[] shape) {
        int n = Shapes.size(shape);
        if (n != length) {
            throw new IllegalArgumentException("array of " + length + " elements does not fit shape " + Arrays.toString(shape));
        }
    }

    /** Checks {@code upload(dst, src)} of a host array of {@code length} elements of {@code dtype}. */
    public static void upload(Tensor dst, DType dtype, int length) {
        if (dtype == DType.FLOAT32) {
            floats("upload", dst);
        } else {
            ints("upload", dst);
        }
        length(length, dst.shape());
    }

    public static void copy(Tensor dst, Tensor src) {
        Shapes.requireSameSize("copy", dst, "dst", src, "src");
        if (dst.dtype() != src.dtype()) {
            throw new IllegalArgumentException("copy: dst is " + dst.dtype() + " but src is " + src.dtype());
        }
    }

    public static void reshape(Tensor t, int[] shape) {
        if (Shapes.size(shape) != t.size()) {
            throw new IllegalArgumentException("reshape: " + Arrays.toString(t.shape()) + " has " + t.size()
                    + " elements, " + Arrays.toString(shape) + " would have " + Shapes.size(shape));
        }
    }

    // ---- linear algebra ------------------------------------------------------------------------

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
        floats("gemm", c, a, b);
        return new int[] {m, n, k};
    }

    // ---- convolution and pooling ---------------------------------------------------------------

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
        long paddedH = x.dim(2) + 2L * pad;
        long paddedW = x.dim(3) + 2L * pad;
        if (paddedH < w.dim(2) || paddedW < w.dim(3)) {
            throw new IllegalArgumentException(op + ": a " + w.dim(2) + "x" + w.dim(3) + " kernel does not fit a "
                    + x.dim(2) + "x" + x.dim(3) + " input padded by " + pad);
        }
        long ho = (paddedH - w.dim(2)) / stride + 1;
        long wo = (paddedW - w.dim(3)) / stride + 1;
        Shapes.intSize(op, "an output plane of " + ho + "x" + wo, ho, wo);
        // the CPU's per-example (per group) im2col matrix [in/groups·kh·kw, Ho·Wo]: both backends refuse what it
        // cannot hold, so that they take the same convolutions
        Shapes.intSize(op, "one example's patch matrix (" + w.dim(1) + "·" + w.dim(2) + "·" + w.dim(3) + " by " + ho + "·" + wo + ")",
                w.dim(1), w.dim(2), w.dim(3), ho, wo);
        Shapes.requireShape(op, "output", y, x.dim(0), w.dim(0), (int) ho, (int) wo);
        return new int[] {(int) ho, (int) wo};
    }

    /** Checks the forward convolution, bias {@code [out]} included; returns {@code {Ho, Wo}}. */
    public static int[] conv2d(Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad) {
        present("conv2d", "bias", bias);
        return conv2d(y, x, w, bias, stride, pad, 1);
    }

    /** Checks the forward grouped convolution, with its bias {@code [out]} or none (null); returns {@code {Ho, Wo}}. */
    public static int[] conv2d(Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad, int groups) {
        int[] o = conv2d("conv2d", y, x, w, stride, pad, groups);
        if (bias != null) {
            Shapes.requireShape("conv2d", "bias", bias, w.dim(0));
        }
        floats("conv2d", y, x, w, bias);
        return o;
    }

    /** Checks the convolution's gradients ({@code dx} may be null); returns {@code {Ho, Wo}}. */
    public static int[] conv2dBackward(Tensor dx, Tensor dw, Tensor db, Tensor dy, Tensor x, Tensor w, int stride, int pad) {
        present("conv2dBackward", "db", db);
        return conv2dBackward(dx, dw, db, dy, x, w, stride, pad, 1);
    }

    /** Checks the grouped convolution's gradients ({@code dx} and {@code db} may be null); returns {@code {Ho, Wo}}. */
    public static int[] conv2dBackward(Tensor dx, Tensor dw, Tensor db, Tensor dy, Tensor x, Tensor w, int stride, int pad,
                                       int groups) {
        int[] o = conv2d("conv2dBackward", dy, x, w, stride, pad, groups);
        Shapes.requireShape("conv2dBackward", "dw", dw, w.shape());
        if (db != null) {
            Shapes.requireShape("conv2dBackward", "db", db, w.dim(0));
        }
        if (dx != null) {
            Shapes.requireShape("conv2dBackward", "dx", dx, x.shape());
        }
        floats("conv2dBackward", dx, dw, db, dy, x, w);
        return o;
    }

    /** Checks a max pooling's {@code x [B, c, H, W]}, {@code y} and {@code argmax}; returns {@code {Ho, Wo}}. */
    public static int[] maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride) {
        return maxPool2d(y, argmax, x, window, stride, 0);
    }

    /** Checks a padded max pooling's {@code x [B, c, H, W]}, {@code y} and {@code argmax}; returns {@code {Ho, Wo}}. */
    public static int[] maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad) {
        return maxPool2d(y, argmax, x, window, stride, pad, false);
    }

    /** Checks a max pooling, in ceil mode when {@code ceil}; returns {@code {Ho, Wo}}. */
    public static int[] maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad, boolean ceil) {
        int[] out = pooling("maxPool2d", "x", x, window, stride, pad, ceil);
        Shapes.requireShape("maxPool2d", "y", y, x.dim(0), x.dim(1), out[0], out[1]);
        Shapes.requireShape("maxPool2d", "argmax", argmax, y.shape());
        floats("maxPool2d", y, x);
        ints("maxPool2d", argmax);
        return out;
    }

    /** Checks an average pooling's {@code x [B, c, H, W]} and {@code y}; returns {@code {Ho, Wo}}. */
    public static int[] avgPool2d(String op, Tensor y, Tensor x, int window, int stride, int pad) {
        int[] out = pooling(op, "x", x, window, stride, pad, false);
        Shapes.requireShape(op, "output", y, x.dim(0), x.dim(1), out[0], out[1]);
        floats(op, y, x);
        return out;
    }

    /**
     * Checks an average pooling's gradients, {@code dx [B, c, H, W]} and {@code dy [B, c, Ho, Wo]}
     * (the forward check with the messages naming them); returns {@code {Ho, Wo}}.
     */
    public static int[] avgPool2dBackward(Tensor dx, Tensor dy, int window, int stride, int pad) {
        String op = "avgPool2dBackward";
        int[] out = pooling(op, "dx", dx, window, stride, pad, false);
        Shapes.requireShape(op, "dy", dy, dx.dim(0), dx.dim(1), out[0], out[1]);
        floats(op, dx, dy);
        return out;
    }

    /**
     * The output extents of a {@code window × window} pooling {@code stride} apart over {@code x} padded
     * by {@code pad}, partial patches at the far edges kept when {@code ceil} (see {@link #poolExtent}).
     */
    private static int[] pooling(String op, String name, Tensor x, int window, int stride, int pad, boolean ceil) {
        Shapes.requireRank(op, name, x, 4);
        if (window < 1 || stride < 1 || pad < 0 || pad > window / 2) {
            throw new IllegalArgumentException(op + ": window " + window + ", stride " + stride + " and padding " + pad
                    + " are not a valid pooling (window and stride ≥ 1, 0 ≤ padding ≤ window / 2)");
        }
        long paddedH = x.dim(2) + 2L * pad;
        long paddedW = x.dim(3) + 2L * pad;
        if (window > paddedH || window > paddedW) {
            throw new IllegalArgumentException(op + ": window " + window + " and stride " + stride + " do not fit a "
                    + x.dim(2) + "x" + x.dim(3) + " input" + (pad == 0 ? "" : " padded by " + pad));
        }
        long ho = poolExtent(x.dim(2), window, stride, pad, ceil);
        long wo = poolExtent(x.dim(3), window, stride, pad, ceil);
        Shapes.intSize(op, "an output plane of " + ho + "x" + wo, ho, wo);
        return new int[] {(int) ho, (int) wo};
    }

    /**
     * Output extent of a pooling over {@code in} positions padded by {@code pad} on both sides, for
     * {@code window ≤ in + 2·pad}: {@code (in + 2·pad − window) / stride + 1} rounded down, or with
     * {@code ceil} rounded up, less one when the last patch would start in the far padding (PyTorch's
     * and ONNX Runtime's rule, which keeps a real position in every patch).
     */
    public static long poolExtent(long in, int window, int stride, int pad, boolean ceil) {
        long span = in + 2L * pad - window;
        if (!ceil) {
            return span / stride + 1;
        }
        long out = (span + stride - 1) / stride + 1;
        return (out - 1) * stride >= in + pad ? out - 1 : out;
    }

    public static void maxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax) {
        Shapes.requireRank("maxPool2dBackward", "dx", dx, 4);
        Shapes.requireRank("maxPool2dBackward", "dy", dy, 4);
        Shapes.requireShape("maxPool2dBackward", "argmax", argmax, dy.shape());
        if (dx.dim(0) != dy.dim(0) || dx.dim(1) != dy.dim(1)) {
            throw new IllegalArgumentException("maxPool2dBackward: dx " + Arrays.toString(dx.shape()) + " and dy "
                    + Arrays.toString(dy.shape()) + " differ in batch or channels");
        }
        // an empty batch lets a plane exceed what a tensor may hold; the kernels index planes with ints
        Shapes.intSize("maxPool2dBackward", "an input plane of " + dx.dim(2) + "x" + dx.dim(3), dx.dim(2), dx.dim(3));
        Shapes.intSize("maxPool2dBackward", "an output plane of " + dy.dim(2) + "x" + dy.dim(3), dy.dim(2), dy.dim(3));
        floats("maxPool2dBackward", dx, dy);
        ints("maxPool2dBackward", argmax);
    }

    // ---- element-wise and reductions -----------------------------------------------------------

    public static void biasAdd(Tensor y, Tensor bias) {
        Shapes.requireRank("biasAdd", "y", y, 2);
        Shapes.requireShape("biasAdd", "bias", bias, y.dim(1));
        floats("biasAdd", y, bias);
    }

    public static void relu(Tensor y, Tensor x) {
        Shapes.requireSameSize("relu", y, "y", x, "x");
        floats("relu", y, x);
    }

    public static void reluBackward(Tensor dx, Tensor dy, Tensor y) {
        Shapes.requireSameSize("reluBackward", dx, "dx", dy, "dy");
        Shapes.requireSameSize("reluBackward", dy, "dy", y, "y");
        floats("reluBackward", dx, dy, y);
    }

    public static void sumRows(Tensor out, Tensor x) {
        Shapes.requireRank("sumRows", "x", x, 2);
        Shapes.requireShape("sumRows", "out", out, x.dim(1));
        floats("sumRows", out, x);
    }

    public static void sum(Tensor out, Tensor x) {
        Shapes.requireShape("sum", "out", out, 1);
        floats("sum", out, x);
    }

    /** The element-wise operations of two same-sized FLOAT32 tensors ({@code axpy}, {@code mul}, {@code accumulate}, …). */
    public static void sameSizeFloats(String op, Tensor y, String yName, Tensor x, String xName) {
        Shapes.requireSameSize(op, y, yName, x, xName);
        floats(op, y, x);
    }

    /**
     * Checks {@code softmaxCrossEntropy} ({@code gradLogits} may be null): logits {@code [rows, classes]}
     * with at least one class when there are rows, labels {@code [rows]} INT32, metrics {@code [2]}.
     * The label values are the operation's own check (on a device they live in device memory).
     */
    public static void softmaxCrossEntropy(Tensor gradLogits, Tensor metrics, Tensor logits, Tensor labels) {
        String op = "softmaxCrossEntropy";
        Shapes.requireRank(op, "logits", logits, 2);
        Shapes.requireShape(op, "labels", labels, logits.dim(0));
        Shapes.requireShape(op, "metrics", metrics, 2);
        if (gradLogits != null) {
            Shapes.requireShape(op, "gradLogits", gradLogits, logits.shape());
        }
        requireClasses(op, "logits", logits);
        floats(op, gradLogits, metrics, logits);
        ints(op, labels);
    }

    /**
     * The error of a label outside the classes, {@code "softmaxCrossEntropy: label 12 in row 3 outside [0, 10)"}:
     * the CPU throws it at the call, a device backend at its next synchronisation, built here so that
     * the two say the same.
     */
    public static IllegalArgumentException labelOutOfRange(String op, int label, int row, int classes) {
        return new IllegalArgumentException(op + ": label " + label + " in row " + row + " outside [0, " + classes + ")");
    }

    /** Logits of a non-empty batch need a class for the labels to name. */
    private static void requireClasses(String op, String arg, Tensor logits) {
        if (logits.dim(0) > 0 && logits.dim(1) == 0) {
            throw new IllegalArgumentException(op + ": " + arg + " " + Arrays.toString(logits.shape()) + " have no classes");
        }
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
        if (offset < 0 || (long) offset + rows > idx.size()) {
            throw new IllegalArgumentException("gatherRows: rows [" + offset + ", " + ((long) offset + rows) + ") outside an index of "
                    + idx.size());
        }
        ints("gatherRows", idx);
        return cols;
    }

    public static void copyRange(Tensor dst, int dstOffset, Tensor src, int srcOffset, int count) {
        if (count < 0 || dstOffset < 0 || srcOffset < 0 || (long) dstOffset + count > dst.size() || (long) srcOffset + count > src.size()) {
            throw new IllegalArgumentException("copyRange: " + count + " elements from " + srcOffset + " of " + src.size()
                    + " to " + dstOffset + " of " + dst.size() + " do not fit");
        }
        if (dst.dtype() != src.dtype()) {
            throw new IllegalArgumentException("copyRange: dst is " + dst.dtype() + " but src is " + src.dtype());
        }
    }

    /** Checks a column gather's shapes and types (not the index values); returns the columns of {@code src}. */
    public static int gatherColumns(Tensor out, Tensor src, Tensor idx) {
        Shapes.requireRank("gatherColumns", "out", out, 2);
        Shapes.requireRank("gatherColumns", "src", src, 2);
        Shapes.requireShape("gatherColumns", "idx", idx, out.dim(1));
        if (out.dim(0) != src.dim(0)) {
            throw new IllegalArgumentException("gatherColumns: out has " + out.dim(0) + " rows but src has " + src.dim(0));
        }
        gatherWidth("gatherColumns", out.dim(1));
        ints("gatherColumns", idx);
        floats("gatherColumns", out, src);
        return src.dim(1);
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
        if (cols % block != 0 || (rows > 0 && out.size() != (long) rows * k * block)) {
            throw new IllegalArgumentException("gatherColumnBlocks: src " + Arrays.toString(src.shape()) + ", out "
                    + Arrays.toString(out.shape()) + " and " + k + " blocks of " + block + " do not fit");
        }
        gatherWidth("gatherColumnBlocks", (long) k * block);
        ints("gatherColumnBlocks", idx);
        floats("gatherColumnBlocks", out, src);
        return cols;
    }

    /** Output columns per row a column gather supports: the CUDA kernel's column index is 32-bit with room for its grid stride. */
    public static final int MAX_GATHER_COLUMNS = 1 << 30;

    private static void gatherWidth(String op, long columns) {
        if (columns > MAX_GATHER_COLUMNS) {
            throw new IllegalArgumentException(op + ": " + columns + " output columns per row, more than the 2^30 a gather supports");
        }
    }

    public static void broadcastRows(Tensor out, Tensor v) {
        Shapes.requireShape("broadcastRows", "v", v, out.dim(0));
        floats("broadcastRows", out, v);
    }

    // ---- importance scoring --------------------------------------------------------------------

    /** Checks {@code taylorAccumulate}; returns the elements per unit per example (see {@link #units}). */
    public static int taylorAccumulate(Tensor acc, Tensor a, Tensor g) {
        Shapes.requireSameSize("taylorAccumulate", a, "a", g, "g");
        int spatial = units("taylorAccumulate", a, acc.size());
        floats("taylorAccumulate", acc, a, g);
        return spatial;
    }

    /** Checks {@code countPositive}; returns the elements per unit per example. */
    public static int countPositive(Tensor acc, Tensor a) {
        int spatial = units("countPositive", a, acc.size());
        floats("countPositive", acc, a);
        return spatial;
    }

    public static void accumulateAbsProduct(Tensor acc, Tensor a, Tensor b) {
        Shapes.requireSameSize("accumulateAbsProduct", acc, "acc", a, "a");
        Shapes.requireSameSize("accumulateAbsProduct", a, "a", b, "b");
        floats("accumulateAbsProduct", acc, a, b);
    }

    public static void rowNorms(Tensor out, Tensor w, int p) {
        if (p != 1 && p != 2) {
            throw new IllegalArgumentException("rowNorms: p must be 1 or 2, got " + p);
        }
        Shapes.requireShape("rowNorms", "out", out, w.dim(0));
        floats("rowNorms", out, w);
    }

    public static void rowSums(Tensor out, Tensor x) {
        Shapes.requireShape("rowSums", "out", out, x.dim(0));
        floats("rowSums", out, x);
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
        floats("compositeScores", out, w, gAbs, freq);
        return freq.size() == 0 ? 1 : cols / freq.size();
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

    // ---- ranking and masks ---------------------------------------------------------------------

    public static void selectTopK(Tensor mask, Tensor scores, int keep) {
        Shapes.requireSameSize("selectTopK", mask, "mask", scores, "scores");
        if (keep < 0 || keep > scores.size()) {
            throw new IllegalArgumentException("selectTopK: cannot keep " + keep + " of " + scores.size());
        }
        floats("selectTopK", mask, scores);
    }

    /** Checks {@code maskToIndices}: room for every index; with {@code counts}, an INT32 slot in range. */
    public static void maskToIndices(Tensor indices, Tensor mask, Tensor counts, int slot) {
        if (indices.size() < mask.size()) {
            throw new IllegalArgumentException("maskToIndices: room for " + indices.size() + " indices, mask has " + mask.size());
        }
        if (counts != null && (slot < 0 || slot >= counts.size())) {
            throw new IndexOutOfBoundsException("maskToIndices: count slot " + slot + " outside counts of " + counts.size());
        }
        ints("maskToIndices", indices, counts);
        floats("maskToIndices", mask);
    }

    // ---- distillation --------------------------------------------------------------------------

    /**
     * Checks {@code distillation}: student and teacher logits {@code [rows, classes]} (at least one
     * class when there are rows), gradLogits of their shape, labels {@code [rows]} INT32, metrics
     * {@code [2]}, temperature {@code > 0} and alpha in {@code [0, 1]}.
     */
    public static void distillation(Tensor gradLogits, Tensor metrics, Tensor student, Tensor teacher, Tensor labels,
                                    float temperature, float alpha) {
        String op = "distillation";
        present(op, "gradLogits", gradLogits);
        Shapes.requireRank(op, "student", student, 2);
        Shapes.requireShape(op, "teacher", teacher, student.shape());
        Shapes.requireShape(op, "gradLogits", gradLogits, student.shape());
        Shapes.requireShape(op, "labels", labels, student.dim(0));
        Shapes.requireShape(op, "metrics", metrics, 2);
        requireClasses(op, "student", student);
        if (!(temperature > 0) || !(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("distillation: temperature must be > 0 and alpha in [0, 1], got " + temperature + ", " + alpha);
        }
        floats(op, gradLogits, metrics, student, teacher);
        ints(op, labels);
    }

    // ---- optimisers ----------------------------------------------------------------------------

    /** Checks {@code sgdStep}; {@code velocity} is used (and checked) only when {@code momentum != 0}. */
    public static void sgdStep(Tensor w, Tensor velocity, Tensor grad, float momentum) {
        Shapes.requireSameSize("sgdStep", w, "w", grad, "grad");
        if (momentum != 0f) {
            present("sgdStep", "velocity", velocity);
            Shapes.requireSameSize("sgdStep", w, "w", velocity, "velocity");
        }
        floats("sgdStep", w, grad, momentum != 0f ? velocity : null);
    }

    public static void adamStep(Tensor w, Tensor m, Tensor v, Tensor grad, int step) {
        Shapes.requireSameSize("adamStep", w, "w", grad, "grad");
        Shapes.requireSameSize("adamStep", w, "w", m, "m");
        Shapes.requireSameSize("adamStep", w, "w", v, "v");
        if (step < 1) {
            throw new IllegalArgumentException("adamStep: step must be at least 1, got " + step);
        }
        floats("adamStep", w, m, v, grad);
    }

    // ---- graph operations ------------------------------------------------------------------------

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
        floats(op, y, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar);
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
        floats(op, dx, dGamma, dBeta, dy, x, gamma, saveMean, saveInvStd);
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
        floats(op, y, x);
    }

    /** Checks a clamp gradient's sizes ({@code dx}, {@code dy} and the clamp's output {@code y} alike) and bounds. */
    public static void clampBackward(Tensor dx, Tensor dy, Tensor y, float lo, float hi) {
        String op = "clampBackward";
        Shapes.requireSameSize(op, dx, "dx", dy, "dy");
        Shapes.requireSameSize(op, dy, "dy", y, "y");
        bounds(op, lo, hi);
        floats(op, dx, dy, y);
    }

    private static void bounds(String op, float lo, float hi) {
        if (!(lo <= hi)) {
            throw new IllegalArgumentException(op + ": bounds must satisfy lo ≤ hi, got " + lo + " and " + hi);
        }
    }

    /** Checks an activation's sizes, its kind and the parameters its formula has (finite). */
    public static void activation(Tensor y, Tensor x, ActivationKind kind, float alpha, float beta) {
        String op = "activation";
        Shapes.requireSameSize(op, y, "y", x, "x");
        activationParameters(op, kind, alpha, beta);
        floats(op, y, x);
    }

    /** Checks an activation gradient's sizes ({@code dx}, {@code dy}, the forward's {@code x} and {@code y} alike), kind and parameters. */
    public static void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, ActivationKind kind, float alpha, float beta) {
        String op = "activationBackward";
        Shapes.requireSameSize(op, dx, "dx", dy, "dy");
        Shapes.requireSameSize(op, dy, "dy", x, "x");
        Shapes.requireSameSize(op, x, "x", y, "y");
        activationParameters(op, kind, alpha, beta);
        floats(op, dx, dy, x, y);
    }

    private static void activationParameters(String op, ActivationKind kind, float alpha, float beta) {
        if (kind == null) {
            throw new IllegalArgumentException(op + ": kind is required");
        }
        if ((kind.hasAlpha() && !Float.isFinite(alpha)) || (kind.hasBeta() && !Float.isFinite(beta))) {
            throw new IllegalArgumentException(op + ": " + kind.title() + " needs finite parameters, got alpha " + alpha
                    + (kind.hasBeta() ? " and beta " + beta : ""));
        }
    }

    /** Checks {@code y = a + b}: three FLOAT32 tensors of one size. */
    public static void add(Tensor y, Tensor a, Tensor b) {
        Shapes.requireSameSize("add", y, "y", a, "a");
        Shapes.requireSameSize("add", a, "a", b, "b");
        floats("add", y, a, b);
    }

    /** Checks {@code y = a ⊙ b}: three FLOAT32 tensors of one size. */
    public static void mul(Tensor y, Tensor a, Tensor b) {
        Shapes.requireSameSize("mul", y, "y", a, "a");
        Shapes.requireSameSize("mul", a, "a", b, "b");
        floats("mul", y, a, b);
    }

    /**
     * Checks {@code mulChannels}: {@code x [B, C]} or {@code [B, C, H, W]}, {@code y} of its shape and
     * {@code s [B, C]} or {@code [B, C, 1, 1]}. Returns the values per channel per example.
     */
    public static int mulChannels(Tensor y, Tensor x, Tensor s) {
        String op = "mulChannels";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "y", y, x.shape());
        channelScale(op, "s", s, x);
        floats(op, y, x, s);
        return spatial;
    }

    /** Checks {@code mulChannelsBackward}: {@code dy} of {@code x}'s shape, {@code ds} as {@code mulChannels}'s {@code s}. */
    public static int mulChannelsBackward(Tensor ds, Tensor dy, Tensor x) {
        String op = "mulChannelsBackward";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "dy", dy, x.shape());
        channelScale(op, "ds", ds, x);
        floats(op, ds, dy, x);
        return spatial;
    }

    /** One value per channel of each example of {@code x}: {@code [B, C]} or {@code [B, C, 1, 1]}. */
    private static void channelScale(String op, String arg, Tensor s, Tensor x) {
        int b = x.dim(0);
        int c = x.dim(1);
        boolean fits = s.rank() == 2 ? s.dim(0) == b && s.dim(1) == c
                : s.rank() == 4 && s.dim(0) == b && s.dim(1) == c && s.dim(2) == 1 && s.dim(3) == 1;
        if (!fits) {
            throw new IllegalArgumentException(op + ": " + arg + " must be [" + b + ", " + c + "] or [" + b + ", " + c + ", 1, 1] for x "
                    + Arrays.toString(x.shape()) + ", got " + Arrays.toString(s.shape()));
        }
    }

    /** Checks FPGM's {@code w [rows, …]} (rank ≥ 1) and {@code out [rows]}; returns the values per row. */
    public static int fpgmScores(Tensor out, Tensor w) {
        if (w.rank() < 1) {
            throw new IllegalArgumentException("fpgmScores: w must have rank ≥ 1 (rows first), got shape " + Arrays.toString(w.shape()));
        }
        int rows = w.dim(0);
        Shapes.requireShape("fpgmScores", "out", out, rows);
        floats("fpgmScores", out, w);
        return rows == 0 ? 0 : w.size() / rows;
    }

    /** Checks LAMP's {@code out}, one score per element of {@code w}. */
    public static void lampScores(Tensor out, Tensor w) {
        Shapes.requireSameSize("lampScores", out, "out", w, "w");
        floats("lampScores", out, w);
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
        floats(op, dst, src);
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
        ints(op, offsets, perm);
        floats(op, out, src);
    }

    /** Checks {@code augmentImages}: {@code out} and {@code in} of one rank-4 shape, distinct, and a shift in [0, 2^20]. */
    public static void augmentImages(Tensor out, Tensor in, int maxShift) {
        String op = "augmentImages";
        Shapes.requireRank(op, "in", in, 4);
        Shapes.requireShape(op, "out", out, in.shape());
        if (maxShift < 0 || maxShift > (1 << 20)) {
            throw new IllegalArgumentException(op + ": the largest shift must be in [0, 2^20], got " + maxShift);
        }
        floats(op, out, in);
    }

    /** splitmix64's finaliser (Steele, Lea &amp; Flood 2014) of {@code seed + (row + 1)·γ}: {@code augmentImages}'s draw for one example. */
    public static long augmentDraw(long seed, int row) {
        long z = seed + (row + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
