package io.prune4j.backend;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;

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
 *
 * <p>A failed check is an {@link IllegalArgumentException} (unless a method's doc names another
 * exception), its message starting with the operation's name ({@code "gemm: ..."}) except
 * {@link #length}'s and where {@link Shapes#size} refuses a shape. A tensor argument that is not
 * null on {@link Backend} must not be null here either: a null one is a
 * {@link NullPointerException} whose message is the parameter's name, thrown before any other
 * check. The {@code op} and argument-name parameters are only used in messages.
 */
public final class ArgChecks {
    private ArgChecks() {}

    // ---- element types -------------------------------------------------------------------------

    /**
     * Checks that every tensor given is FLOAT32.
     *
     * @param op the operation, for the message
     * @param ts the tensors (the array not null; null entries are skipped: optional arguments)
     * @throws NullPointerException when {@code ts} is null
     * @throws IllegalArgumentException when a tensor is not FLOAT32
     */
    public static void floats(String op, Tensor... ts) {
        Objects.requireNonNull(ts, "ts");
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException(op + ": expected a FLOAT32 tensor, got " + t.dtype());
            }
        }
    }

    /**
     * Checks that every tensor given is INT32.
     *
     * @param op the operation, for the message
     * @param ts the tensors (the array not null; null entries are skipped: optional arguments)
     * @throws NullPointerException when {@code ts} is null
     * @throws IllegalArgumentException when a tensor is not INT32
     */
    public static void ints(String op, Tensor... ts) {
        Objects.requireNonNull(ts, "ts");
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

    /**
     * Checks that a host array of {@code length} elements fills {@code shape} exactly
     * ({@code fromArray}).
     *
     * @param length the array's length
     * @param shape the shape it is to fill (not null)
     * @throws NullPointerException when {@code shape} is null
     * @throws IllegalArgumentException when the shape has a negative extent, 2^31 elements or more, or
     *                                  another number of elements (this message names no operation)
     */
    public static void length(int length, int[] shape) {
        Objects.requireNonNull(shape, "shape");
        int n = Shapes.size(shape);
        if (n != length) {
            throw new IllegalArgumentException("array of " + length + " elements does not fit shape " + Arrays.toString(shape));
        }
    }

    /**
     * Checks {@code upload(dst, src)} of a host array of {@code length} elements of {@code dtype}:
     * {@code dst} of that element type and of exactly that many elements.
     *
     * @param dst the tensor written (not null)
     * @param dtype the host array's element type (not null)
     * @param length the host array's length
     * @throws NullPointerException when {@code dst} or {@code dtype} is null
     * @throws IllegalArgumentException when the element type or the size differs
     */
    public static void upload(Tensor dst, DType dtype, int length) {
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(dtype, "dtype");
        if (dtype == DType.FLOAT32) {
            floats("upload", dst);
        } else {
            ints("upload", dst);
        }
        length(length, dst.shape());
    }

    /**
     * Checks {@code copy}: two tensors of one size and one element type (their shapes may differ).
     *
     * @param dst the tensor written (not null)
     * @param src the tensor read (not null)
     * @throws NullPointerException when {@code dst} or {@code src} is null
     * @throws IllegalArgumentException when the sizes or the element types differ
     */
    public static void copy(Tensor dst, Tensor src) {
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(src, "src");
        Shapes.requireSameSize("copy", dst, "dst", src, "src");
        if (dst.dtype() != src.dtype()) {
            throw new IllegalArgumentException("copy: dst is " + dst.dtype() + " but src is " + src.dtype());
        }
    }

    /**
     * Checks {@code reshape}: the new shape holds as many elements as {@code t}.
     *
     * @param t the tensor viewed (not null)
     * @param shape the new shape (not null)
     * @throws NullPointerException when {@code t} or {@code shape} is null
     * @throws IllegalArgumentException when the sizes differ, or the shape has a negative extent or
     *                                  2^31 elements or more
     */
    public static void reshape(Tensor t, int[] shape) {
        Objects.requireNonNull(t, "t");
        Objects.requireNonNull(shape, "shape");
        if (Shapes.size(shape) != t.size()) {
            throw new IllegalArgumentException("reshape: " + Arrays.toString(t.shape()) + " has " + t.size()
                    + " elements, " + Arrays.toString(shape) + " would have " + Shapes.size(shape));
        }
    }

    // ---- linear algebra ------------------------------------------------------------------------

    /**
     * Checks {@code c = op(a) · op(b)}: three rank-2 FLOAT32 tensors, {@code op(a) [m, k]},
     * {@code op(b) [k, n]} and {@code c [m, n]}.
     *
     * @param c the product (not null)
     * @param a the left operand (not null)
     * @param transA whether {@code op(a)} is {@code a}'s transpose
     * @param b the right operand (not null)
     * @param transB whether {@code op(b)} is {@code b}'s transpose
     * @return {@code {m, n, k}}
     * @throws NullPointerException when {@code c}, {@code a} or {@code b} is null
     * @throws IllegalArgumentException when a rank, an inner extent, an extent of {@code c} or an
     *                                  element type does not fit
     */
    public static int[] gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB) {
        Objects.requireNonNull(c, "c");
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
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
    static int[] conv2d(String op, Tensor y, Tensor x, Tensor w, int stride, int pad) {
        return conv2d(op, y, x, w, stride, pad, 1);
    }

    /**
     * Checks {@code x [B, in, H, W]}, {@code w [out, in / groups, kh, kw]} and {@code y [B, out, Ho, Wo]}
     * of a grouped convolution against each other; returns {@code {Ho, Wo}}.
     */
    static int[] conv2d(String op, Tensor y, Tensor x, Tensor w, int stride, int pad, int groups) {
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
    static int[] conv2d(Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad) {
        present("conv2d", "bias", bias);
        return conv2d(y, x, w, bias, stride, pad, 1);
    }

    /**
     * Checks {@code conv2d}: {@code x [B, in, H, W]}, {@code w [out, in / groups, kh, kw]},
     * {@code y [B, out, Ho, Wo]} and {@code bias [out]}, all FLOAT32, with {@code stride ≥ 1},
     * {@code pad ≥ 0}, {@code groups ≥ 1} dividing {@code in} and {@code out}, the kernel inside the
     * padded input, and an output plane and one example's per-group patch matrix
     * {@code [in / groups·kh·kw, Ho·Wo]} of fewer than 2^31 elements each.
     *
     * @param y the output (not null)
     * @param x the input (not null)
     * @param w the weight (not null)
     * @param bias the bias; null for none
     * @param stride the stride
     * @param pad the zero padding on every side
     * @param groups the number of groups
     * @return {@code {Ho, Wo}}
     * @throws NullPointerException when {@code y}, {@code x} or {@code w} is null
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    public static int[] conv2d(Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad, int groups) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(w, "w");
        int[] o = conv2d("conv2d", y, x, w, stride, pad, groups);
        if (bias != null) {
            Shapes.requireShape("conv2d", "bias", bias, w.dim(0));
        }
        floats("conv2d", y, x, w, bias);
        return o;
    }

    /** Checks the convolution's gradients ({@code dx} may be null); returns {@code {Ho, Wo}}. */
    static int[] conv2dBackward(Tensor dx, Tensor dw, Tensor db, Tensor dy, Tensor x, Tensor w, int stride, int pad) {
        present("conv2dBackward", "db", db);
        return conv2dBackward(dx, dw, db, dy, x, w, stride, pad, 1);
    }

    /**
     * Checks {@code conv2dBackward}: {@code dy} as
     * {@link #conv2d(Tensor, Tensor, Tensor, Tensor, int, int, int)}'s output for {@code x} and
     * {@code w} (with the same scalar checks), {@code dw} of {@code w}'s shape, {@code db [out]} and
     * {@code dx} of {@code x}'s shape where given, all FLOAT32.
     *
     * @param dx the input gradient; null when not wanted
     * @param dw the weight gradient (not null)
     * @param db the bias gradient; null when not wanted
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param w the weight (not null)
     * @param stride the stride
     * @param pad the zero padding on every side
     * @param groups the number of groups
     * @return {@code {Ho, Wo}}
     * @throws NullPointerException when {@code dw}, {@code dy}, {@code x} or {@code w} is null
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    public static int[] conv2dBackward(Tensor dx, Tensor dw, Tensor db, Tensor dy, Tensor x, Tensor w, int stride, int pad,
                                       int groups) {
        Objects.requireNonNull(dw, "dw");
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(w, "w");
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
    static int[] maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride) {
        return maxPool2d(y, argmax, x, window, stride, 0);
    }

    /** Checks a padded max pooling's {@code x [B, c, H, W]}, {@code y} and {@code argmax}; returns {@code {Ho, Wo}}. */
    static int[] maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad) {
        return maxPool2d(y, argmax, x, window, stride, pad, false);
    }

    /**
     * Checks {@code maxPool2d}: {@code x [B, c, H, W]} and {@code y [B, c, Ho, Wo]} FLOAT32,
     * {@code argmax} INT32 of {@code y}'s shape, {@code window ≥ 1}, {@code stride ≥ 1},
     * {@code 0 ≤ pad ≤ window / 2}, the window inside the padded input and an output plane of fewer
     * than 2^31 elements; {@code Ho} and {@code Wo} as {@link #poolExtent}.
     *
     * @param y the output (not null)
     * @param argmax the positions of the maxima (not null)
     * @param x the input (not null)
     * @param window the window's side
     * @param stride the stride
     * @param pad the padding on every side
     * @param ceil whether partial windows at the far edges are kept (ceil mode)
     * @return {@code {Ho, Wo}}
     * @throws NullPointerException when {@code y}, {@code argmax} or {@code x} is null
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    public static int[] maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad, boolean ceil) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(argmax, "argmax");
        Objects.requireNonNull(x, "x");
        int[] out = pooling("maxPool2d", "x", x, window, stride, pad, ceil);
        Shapes.requireShape("maxPool2d", "y", y, x.dim(0), x.dim(1), out[0], out[1]);
        Shapes.requireShape("maxPool2d", "argmax", argmax, y.shape());
        floats("maxPool2d", y, x);
        ints("maxPool2d", argmax);
        return out;
    }

    /**
     * Checks an average pooling: {@code x [B, c, H, W]} and {@code y [B, c, Ho, Wo]} FLOAT32, with the
     * scalar checks of
     * {@link #maxPool2d(Tensor, Tensor, Tensor, int, int, int, boolean)}, ceil mode included.
     *
     * @param op the operation, for the message
     * @param y the output (not null)
     * @param x the input (not null)
     * @param window the window's side
     * @param stride the stride
     * @param pad the zero padding on every side
     * @param ceil whether partial patches at the far edges are kept
     * @return {@code {Ho, Wo}}
     * @throws NullPointerException when {@code y} or {@code x} is null
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    public static int[] avgPool2d(String op, Tensor y, Tensor x, int window, int stride, int pad, boolean ceil) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        int[] out = pooling(op, "x", x, window, stride, pad, ceil);
        Shapes.requireShape(op, "output", y, x.dim(0), x.dim(1), out[0], out[1]);
        floats(op, y, x);
        return out;
    }

    /**
     * Checks an average pooling's gradients, {@code dx [B, c, H, W]} and {@code dy [B, c, Ho, Wo]}
     * (the forward check with the messages naming them).
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param window the window's side
     * @param stride the stride
     * @param pad the zero padding on every side
     * @param ceil the forward's ceil mode
     * @return {@code {Ho, Wo}}
     * @throws NullPointerException when {@code dx} or {@code dy} is null
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    public static int[] avgPool2dBackward(Tensor dx, Tensor dy, int window, int stride, int pad, boolean ceil) {
        Objects.requireNonNull(dx, "dx");
        Objects.requireNonNull(dy, "dy");
        String op = "avgPool2dBackward";
        int[] out = pooling(op, "dx", dx, window, stride, pad, ceil);
        Shapes.requireShape(op, "dy", dy, dx.dim(0), dx.dim(1), out[0], out[1]);
        floats(op, dx, dy);
        return out;
    }

    /**
     * Checks a zero padding ({@link Backend#zeroPad2d}) or its gradient: {@code big [B, c, Hp, Wp]} and
     * {@code small [B, c, H, W]} FLOAT32 with {@code 0 ≤ top ≤ Hp − H} and {@code 0 ≤ left ≤ Wp − W}.
     * The messages name the tensors {@code bigName} and {@code smallName}.
     *
     * @param op the operation, for the messages (not null)
     * @param big the padded tensor (not null)
     * @param bigName its name in the messages (not null)
     * @param small the unpadded tensor (not null)
     * @param smallName its name in the messages (not null)
     * @param top the rows above
     * @param left the columns on the left
     * @throws NullPointerException when a tensor is null
     * @throws IllegalArgumentException when the shapes, the element types or the offsets do not fit
     */
    public static void zeroPad2d(String op, Tensor big, String bigName, Tensor small, String smallName, int top, int left) {
        Objects.requireNonNull(big, bigName);
        Objects.requireNonNull(small, smallName);
        Shapes.requireRank(op, bigName, big, 4);
        Shapes.requireRank(op, smallName, small, 4);
        if (big.dim(0) != small.dim(0) || big.dim(1) != small.dim(1) || top < 0 || left < 0
                || (long) top + small.dim(2) > big.dim(2) || (long) left + small.dim(3) > big.dim(3)) {
            throw new IllegalArgumentException(op + ": " + smallName + " " + Arrays.toString(small.shape()) + " at row " + top + ", column "
                    + left + " does not fit inside " + bigName + " " + Arrays.toString(big.shape())
                    + " (same batch and channels, non-negative offsets)");
        }
        floats(op, big, small);
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
     * and ONNX Runtime's rule, which keeps a real position in every patch). Checks nothing.
     *
     * @param in the input extent
     * @param window the window's side
     * @param stride the stride (≥ 1)
     * @param pad the padding on each side
     * @param ceil whether to round up (ceil mode)
     * @return the output extent
     */
    public static long poolExtent(long in, int window, int stride, int pad, boolean ceil) {
        long span = in + 2L * pad - window;
        if (!ceil) {
            return span / stride + 1;
        }
        long out = (span + stride - 1) / stride + 1;
        return (out - 1) * stride >= in + pad ? out - 1 : out;
    }

    /**
     * Checks {@code upsampleNearest} (and its backward, with {@code dx} as {@code x} and {@code dy} as
     * {@code y}): {@code x} rank-4 FLOAT32 with non-empty planes, factors of at least 1, and {@code y}
     * FLOAT32 of {@code [batch, c, H·sh, W·sw]}, its planes of fewer than 2^31 elements.
     *
     * @param op     the operation, for messages
     * @param y      the larger tensor (not null)
     * @param x      the smaller tensor (not null)
     * @param scaleH the height factor
     * @param scaleW the width factor
     * @throws NullPointerException when {@code y} or {@code x} is null
     * @throws IllegalArgumentException when the shapes, factors or element types do not fit
     */
    public static void upsampleNearest(String op, Tensor y, Tensor x, int scaleH, int scaleW) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        Shapes.requireRank(op, "x", x, 4);
        if (scaleH < 1 || scaleW < 1) {
            throw new IllegalArgumentException(op + ": the factors must be at least 1, got " + scaleH + "x" + scaleW);
        }
        if (x.dim(2) < 1 || x.dim(3) < 1) {
            throw new IllegalArgumentException(op + ": x " + Arrays.toString(x.shape()) + " has empty planes");
        }
        long h = (long) x.dim(2) * scaleH;
        long w = (long) x.dim(3) * scaleW;
        if (h > Integer.MAX_VALUE || w > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": x " + Arrays.toString(x.shape()) + " upsampled " + scaleH + "x" + scaleW + " is too large");
        }
        Shapes.intSize(op, "an output plane of " + h + "x" + w, (int) h, (int) w);
        Shapes.requireShape(op, "y", y, x.dim(0), x.dim(1), (int) h, (int) w);
        floats(op, y, x);
    }

    /**
     * Checks a global max pooling: {@code x [B, c, H, W]} FLOAT32 with planes of at least one value,
     * {@code y [B, c, 1, 1]} FLOAT32 and {@code argmax} INT32 of its shape.
     *
     * @param y the output (not null)
     * @param argmax the positions of the maxima (not null)
     * @param x the input (not null)
     * @throws NullPointerException when a tensor is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static void globalMaxPool(Tensor y, Tensor argmax, Tensor x) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(argmax, "argmax");
        Objects.requireNonNull(x, "x");
        Shapes.requireRank("globalMaxPool", "x", x, 4);
        if (x.dim(2) < 1 || x.dim(3) < 1) {
            throw new IllegalArgumentException("globalMaxPool: x " + Arrays.toString(x.shape()) + " has empty planes");
        }
        Shapes.intSize("globalMaxPool", "an input plane of " + x.dim(2) + "x" + x.dim(3), x.dim(2), x.dim(3));
        Shapes.requireShape("globalMaxPool", "y", y, x.dim(0), x.dim(1), 1, 1);
        Shapes.requireShape("globalMaxPool", "argmax", argmax, y.shape());
        floats("globalMaxPool", y, x);
        ints("globalMaxPool", argmax);
    }

    /**
     * Checks {@code maxPool2dBackward}: {@code dx} and {@code dy} rank-4 FLOAT32 of one batch and
     * channel count, {@code argmax} INT32 of {@code dy}'s shape, and input and output planes of fewer
     * than 2^31 elements.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param argmax the forward's positions of the maxima (not null)
     * @throws NullPointerException when {@code dx}, {@code dy} or {@code argmax} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static void maxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax) {
        Objects.requireNonNull(dx, "dx");
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(argmax, "argmax");
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

    /**
     * Checks {@code biasAdd}: {@code y [rows, n]} and {@code bias [n]}, FLOAT32.
     *
     * @param y the tensor added to (not null)
     * @param bias the bias (not null)
     * @throws NullPointerException when {@code y} or {@code bias} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static void biasAdd(Tensor y, Tensor bias) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(bias, "bias");
        Shapes.requireRank("biasAdd", "y", y, 2);
        Shapes.requireShape("biasAdd", "bias", bias, y.dim(1));
        floats("biasAdd", y, bias);
    }

    /**
     * Checks {@code relu}: two FLOAT32 tensors of one size.
     *
     * @param y the output (not null)
     * @param x the input (not null)
     * @throws NullPointerException when {@code y} or {@code x} is null
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    public static void relu(Tensor y, Tensor x) {
        sameSizeFloats("relu", y, "y", x, "x");
    }

    /**
     * Checks {@code reluBackward}: three FLOAT32 tensors of one size.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param y the forward output (not null)
     * @throws NullPointerException when {@code dx}, {@code dy} or {@code y} is null
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    public static void reluBackward(Tensor dx, Tensor dy, Tensor y) {
        sameSizeFloats("reluBackward", dx, "dx", dy, "dy", y, "y");
    }

    /**
     * Checks {@code sumRows}: {@code x [rows, n]} and {@code out [n]}, FLOAT32.
     *
     * @param out the sums (not null)
     * @param x the rows (not null)
     * @throws NullPointerException when {@code out} or {@code x} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static void sumRows(Tensor out, Tensor x) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(x, "x");
        Shapes.requireRank("sumRows", "x", x, 2);
        Shapes.requireShape("sumRows", "out", out, x.dim(1));
        floats("sumRows", out, x);
    }

    /**
     * Checks {@code sum}: {@code out [1]} and {@code x} of any shape, FLOAT32.
     *
     * @param out the sum (not null)
     * @param x the tensor summed (not null)
     * @throws NullPointerException when {@code out} or {@code x} is null
     * @throws IllegalArgumentException when the shape of {@code out} or an element type does not fit
     */
    public static void sum(Tensor out, Tensor x) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(x, "x");
        Shapes.requireShape("sum", "out", out, 1);
        floats("sum", out, x);
    }

    /**
     * Checks the element-wise operations of two same-sized FLOAT32 tensors ({@code axpy}, {@code mul},
     * {@code accumulate}, …). A null tensor's {@link NullPointerException} has its given name as the
     * message.
     *
     * @param op the operation, for the message
     * @param y the first tensor (not null)
     * @param yName its name in {@code op}
     * @param x the second tensor (not null)
     * @param xName its name in {@code op}
     * @throws NullPointerException when {@code y} or {@code x} is null
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    public static void sameSizeFloats(String op, Tensor y, String yName, Tensor x, String xName) {
        Shapes.requireSameSize(op, y, yName, x, xName);
        floats(op, y, x);
    }

    /** As the two-tensor form, for three: all non-null (checked in order), one size, FLOAT32. */
    private static void sameSizeFloats(String op, Tensor a, String aName, Tensor b, String bName, Tensor c, String cName) {
        Objects.requireNonNull(a, aName);
        Objects.requireNonNull(b, bName);
        Objects.requireNonNull(c, cName);
        Shapes.requireSameSize(op, a, aName, b, bName);
        Shapes.requireSameSize(op, b, bName, c, cName);
        floats(op, a, b, c);
    }

    /**
     * Checks {@code softmaxCrossEntropy} ({@code gradLogits} may be null): logits {@code [rows, classes]}
     * with at least one class when there are rows, labels {@code [rows]} INT32, metrics {@code [2]}.
     * The label values are the operation's own check (on a device they live in device memory).
     *
     * @param gradLogits the logits' gradient, of their shape; null when not wanted
     * @param metrics the loss and correct-count accumulators (not null)
     * @param logits the logits (not null)
     * @param labels the class indices (not null)
     * @throws NullPointerException when {@code metrics}, {@code logits} or {@code labels} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static void softmaxCrossEntropy(Tensor gradLogits, Tensor metrics, Tensor logits, Tensor labels) {
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(labels, "labels");
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
     *
     * @param op the operation, for the message
     * @param label the label found
     * @param row the row it is in
     * @param classes the number of classes
     * @return the exception, for the caller to throw
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
     * live in device memory on a device backend): {@code out} and {@code src} of one element type and
     * row width (everything after the first dimension), {@code idx} INT32 with
     * {@code [offset, offset + rows of out)} inside it.
     *
     * @param out the rows written (not null)
     * @param src the rows read (not null)
     * @param idx the row indices (not null)
     * @param offset the first index used
     * @return the values per row
     * @throws NullPointerException when {@code out}, {@code src} or {@code idx} is null
     * @throws IllegalArgumentException when the row widths, the element types or the range do not fit
     */
    public static int gatherRows(Tensor out, Tensor src, Tensor idx, int offset) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(idx, "idx");
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

    /**
     * Checks {@code copyRange}: a count and offsets ≥ 0 whose ranges lie inside both tensors, and one
     * element type.
     *
     * @param dst the tensor written (not null)
     * @param dstOffset the first element written
     * @param src the tensor read (not null)
     * @param srcOffset the first element read
     * @param count the elements copied
     * @throws NullPointerException when {@code dst} or {@code src} is null
     * @throws IllegalArgumentException when a range does not fit or the element types differ
     */
    public static void copyRange(Tensor dst, int dstOffset, Tensor src, int srcOffset, int count) {
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(src, "src");
        if (count < 0 || dstOffset < 0 || srcOffset < 0 || (long) dstOffset + count > dst.size() || (long) srcOffset + count > src.size()) {
            throw new IllegalArgumentException("copyRange: " + count + " elements from " + srcOffset + " of " + src.size()
                    + " to " + dstOffset + " of " + dst.size() + " do not fit");
        }
        if (dst.dtype() != src.dtype()) {
            throw new IllegalArgumentException("copyRange: dst is " + dst.dtype() + " but src is " + src.dtype());
        }
    }

    /**
     * Checks a column gather's shapes and types (not the index values): {@code src [rows, cols]} and
     * {@code out [rows, k]} FLOAT32, {@code idx [k]} INT32, {@code k} at most
     * {@link #MAX_GATHER_COLUMNS}.
     *
     * @param out the columns written (not null)
     * @param src the columns read (not null)
     * @param idx the column indices (not null)
     * @return the columns of {@code src}
     * @throws NullPointerException when {@code out}, {@code src} or {@code idx} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int gatherColumns(Tensor out, Tensor src, Tensor idx) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(idx, "idx");
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
     * a device backend): {@code block ≥ 1}, {@code out} and {@code src} FLOAT32 with the same rows,
     * {@code src}'s columns a multiple of {@code block}, {@code out} holding {@code idx.size()} blocks
     * per row (at most {@link #MAX_GATHER_COLUMNS} columns), {@code idx} INT32.
     *
     * @param out the blocks written (not null)
     * @param src the blocks read (not null)
     * @param idx the block indices (not null)
     * @param block the columns per block
     * @return the columns of {@code src} per row
     * @throws NullPointerException when {@code out}, {@code src} or {@code idx} is null
     * @throws IllegalArgumentException when the sizes, the element types or {@code block} do not fit
     */
    public static int gatherColumnBlocks(Tensor out, Tensor src, Tensor idx, int block) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(idx, "idx");
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

    /**
     * Output columns per row a column gather supports (2^30): the CUDA kernel's column index is 32-bit
     * with room for its grid stride.
     */
    public static final int MAX_GATHER_COLUMNS = 1 << 30;

    private static void gatherWidth(String op, long columns) {
        if (columns > MAX_GATHER_COLUMNS) {
            throw new IllegalArgumentException(op + ": " + columns + " output columns per row, more than the 2^30 a gather supports");
        }
    }

    /**
     * Checks {@code broadcastRows}: {@code v [rows]} for {@code out}'s first extent, FLOAT32.
     *
     * @param out the tensor written (not null)
     * @param v the value per row (not null)
     * @throws NullPointerException when {@code out} or {@code v} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static void broadcastRows(Tensor out, Tensor v) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(v, "v");
        Shapes.requireShape("broadcastRows", "v", v, out.dim(0));
        floats("broadcastRows", out, v);
    }

    // ---- importance scoring --------------------------------------------------------------------

    /**
     * Checks {@code taylorAccumulate}: {@code a} and {@code g} of one size, {@code [batch, units, …]}
     * with {@code units} the size of {@code acc}, all FLOAT32.
     *
     * @param acc the scores accumulated into (not null)
     * @param a the activations (not null)
     * @param g their gradients (not null)
     * @return the elements per unit per example (1 for a dense layer, {@code H·W} for a feature map)
     * @throws NullPointerException when {@code acc}, {@code a} or {@code g} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int taylorAccumulate(Tensor acc, Tensor a, Tensor g) {
        Objects.requireNonNull(acc, "acc");
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(g, "g");
        Shapes.requireSameSize("taylorAccumulate", a, "a", g, "g");
        int spatial = units("taylorAccumulate", a, acc.size());
        floats("taylorAccumulate", acc, a, g);
        return spatial;
    }

    /**
     * Checks {@code countPositive}: {@code a [batch, units, …]} with {@code units} the size of
     * {@code acc}, FLOAT32.
     *
     * @param acc the counts accumulated into (not null)
     * @param a the activations (not null)
     * @return the elements per unit per example
     * @throws NullPointerException when {@code acc} or {@code a} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int countPositive(Tensor acc, Tensor a) {
        Objects.requireNonNull(acc, "acc");
        Objects.requireNonNull(a, "a");
        int spatial = units("countPositive", a, acc.size());
        floats("countPositive", acc, a);
        return spatial;
    }

    /**
     * Checks {@code accumulateAbsProduct}: three FLOAT32 tensors of one size.
     *
     * @param acc the tensor accumulated into (not null)
     * @param a the first factor (not null)
     * @param b the second factor (not null)
     * @throws NullPointerException when {@code acc}, {@code a} or {@code b} is null
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    public static void accumulateAbsProduct(Tensor acc, Tensor a, Tensor b) {
        sameSizeFloats("accumulateAbsProduct", acc, "acc", a, "a", b, "b");
    }

    /**
     * Checks {@code rowNorms}: {@code p} 1 or 2, {@code out [rows]} for {@code w}'s first extent,
     * FLOAT32.
     *
     * @param out the norms (not null)
     * @param w the rows (not null)
     * @param p the norm's order
     * @throws NullPointerException when {@code out} or {@code w} is null
     * @throws IllegalArgumentException when {@code p}, the shapes or the element types do not fit
     */
    public static void rowNorms(Tensor out, Tensor w, int p) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(w, "w");
        if (p != 1 && p != 2) {
            throw new IllegalArgumentException("rowNorms: p must be 1 or 2, got " + p);
        }
        Shapes.requireShape("rowNorms", "out", out, w.dim(0));
        floats("rowNorms", out, w);
    }

    /**
     * Checks {@code rowSums}: {@code out [rows]} for {@code x}'s first extent, FLOAT32.
     *
     * @param out the sums (not null)
     * @param x the rows (not null)
     * @throws NullPointerException when {@code out} or {@code x} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static void rowSums(Tensor out, Tensor x) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(x, "x");
        Shapes.requireShape("rowSums", "out", out, x.dim(0));
        floats("rowSums", out, x);
    }

    /**
     * Checks the composite criterion's shapes: {@code w} and {@code gAbs} of one size,
     * {@code out [rows]} for {@code w}'s first extent, {@code freq}'s size dividing the weights per
     * row, all FLOAT32.
     *
     * @param out the scores (not null)
     * @param w the weights (not null)
     * @param gAbs the accumulated gradient magnitudes (not null)
     * @param freq the input frequencies (not null)
     * @return how many consecutive weights of a unit share one input frequency (1 for Dense layers,
     *         {@code kh·kw} for a convolution)
     * @throws NullPointerException when {@code out}, {@code w}, {@code gAbs} or {@code freq} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int compositeScores(Tensor out, Tensor w, Tensor gAbs, Tensor freq) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(gAbs, "gAbs");
        Objects.requireNonNull(freq, "freq");
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
    static int units(String op, Tensor a, int units) {
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

    /**
     * Checks {@code selectTopK}: two FLOAT32 tensors of one size and {@code 0 ≤ keep ≤ size}.
     *
     * @param mask the mask written (not null)
     * @param scores the scores ranked (not null)
     * @param keep how many to keep
     * @throws NullPointerException when {@code mask} or {@code scores} is null
     * @throws IllegalArgumentException when the sizes, the element types or {@code keep} do not fit
     */
    public static void selectTopK(Tensor mask, Tensor scores, int keep) {
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(scores, "scores");
        Shapes.requireSameSize("selectTopK", mask, "mask", scores, "scores");
        if (keep < 0 || keep > scores.size()) {
            throw new IllegalArgumentException("selectTopK: cannot keep " + keep + " of " + scores.size());
        }
        floats("selectTopK", mask, scores);
    }

    /**
     * Checks {@code maskToIndices}: {@code indices} INT32 with room for every element of the FLOAT32
     * {@code mask}; with {@code counts}, an INT32 tensor with {@code slot} inside it.
     *
     * @param indices the indices written (not null)
     * @param mask the 0/1 mask (not null)
     * @param counts the counts of the device-side form; null for the form that returns the count
     * @param slot the entry of {@code counts} written (unused without {@code counts})
     * @throws NullPointerException when {@code indices} or {@code mask} is null
     * @throws IndexOutOfBoundsException when {@code slot} is outside {@code counts}
     * @throws IllegalArgumentException when {@code indices} is too small or an element type does not fit
     */
    public static void maskToIndices(Tensor indices, Tensor mask, Tensor counts, int slot) {
        Objects.requireNonNull(indices, "indices");
        Objects.requireNonNull(mask, "mask");
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
     *
     * @param gradLogits the student's logit gradient (required: a null one is an {@link IllegalArgumentException})
     * @param metrics the loss and correct-count accumulators (not null)
     * @param student the student's logits (not null)
     * @param teacher the teacher's logits (not null)
     * @param labels the class indices (not null)
     * @param temperature the softmax temperature
     * @param alpha the soft term's weight
     * @throws NullPointerException when {@code metrics}, {@code student}, {@code teacher} or {@code labels} is null
     * @throws IllegalArgumentException when {@code gradLogits} is null, or the shapes, the element types
     *                                  or the scalars do not fit
     */
    public static void distillation(Tensor gradLogits, Tensor metrics, Tensor student, Tensor teacher, Tensor labels,
                                    float temperature, float alpha) {
        String op = "distillation";
        present(op, "gradLogits", gradLogits);
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(student, "student");
        Objects.requireNonNull(teacher, "teacher");
        Objects.requireNonNull(labels, "labels");
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

    /**
     * Checks {@code sgdStep}: {@code w} and {@code grad} FLOAT32 of one size; {@code velocity} is used
     * (and checked: required, FLOAT32, of that size) only when {@code momentum != 0}.
     *
     * @param w the weights (not null)
     * @param velocity the momentum buffer; may be null when {@code momentum} is 0
     * @param grad the gradient (not null)
     * @param momentum the momentum
     * @throws NullPointerException when {@code w} or {@code grad} is null
     * @throws IllegalArgumentException when {@code velocity} is null with a momentum, or the sizes or
     *                                  the element types do not fit
     */
    public static void sgdStep(Tensor w, Tensor velocity, Tensor grad, float momentum) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(grad, "grad");
        Shapes.requireSameSize("sgdStep", w, "w", grad, "grad");
        if (momentum != 0f) {
            present("sgdStep", "velocity", velocity);
            Shapes.requireSameSize("sgdStep", w, "w", velocity, "velocity");
        }
        floats("sgdStep", w, grad, momentum != 0f ? velocity : null);
    }

    /**
     * Checks {@code adamStep}: four FLOAT32 tensors of one size and {@code step ≥ 1}.
     *
     * @param w the weights (not null)
     * @param m the first-moment buffer (not null)
     * @param v the second-moment buffer (not null)
     * @param grad the gradient (not null)
     * @param step the step number
     * @throws NullPointerException when {@code w}, {@code m}, {@code v} or {@code grad} is null
     * @throws IllegalArgumentException when the sizes, the element types or {@code step} do not fit
     */
    public static void adamStep(Tensor w, Tensor m, Tensor v, Tensor grad, int step) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(m, "m");
        Objects.requireNonNull(v, "v");
        Objects.requireNonNull(grad, "grad");
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
     * values per channel; all FLOAT32.
     *
     * @param y the output (not null)
     * @param saveMean the batch means written in training; may be null when not {@code training}
     * @param saveInvStd the batch inverse deviations written in training; may be null when not {@code training}
     * @param x the input (not null)
     * @param gamma the scales (not null)
     * @param beta the shifts (not null)
     * @param runningMean the running means (not null)
     * @param runningVar the running variances (not null)
     * @param momentum the running statistics' momentum
     * @param eps the variance's epsilon
     * @param training whether the batch statistics are used (and the running ones updated)
     * @return the values per channel per example (1, or {@code H·W})
     * @throws NullPointerException when {@code y}, {@code x}, {@code gamma}, {@code beta},
     *                              {@code runningMean} or {@code runningVar} is null
     * @throws IllegalArgumentException when a save tensor is null in training, or the shapes, the
     *                                  element types or the scalars do not fit
     */
    public static int batchNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
                                Tensor runningMean, Tensor runningVar, float momentum, float eps, boolean training) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        Objects.requireNonNull(runningMean, "runningMean");
        Objects.requireNonNull(runningVar, "runningVar");
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

    /**
     * Checks the gradients of a training-mode batch normalisation against its forward tensors:
     * {@code x} of rank 2 or 4, {@code dy} and {@code dx} of its shape, the per-channel tensors of
     * {@code C = x.dim(1)} entries; all FLOAT32.
     *
     * @param dx the input gradient; null when not wanted
     * @param dGamma the scales' gradient (not null)
     * @param dBeta the shifts' gradient (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param gamma the scales (not null)
     * @param saveMean the forward's batch means (not null)
     * @param saveInvStd the forward's batch inverse deviations (not null)
     * @return the values per channel per example
     * @throws NullPointerException when a tensor other than {@code dx} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int batchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                                        Tensor saveInvStd) {
        Objects.requireNonNull(dGamma, "dGamma");
        Objects.requireNonNull(dBeta, "dBeta");
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(saveMean, "saveMean");
        Objects.requireNonNull(saveInvStd, "saveInvStd");
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

    /**
     * Checks a layer normalisation over the channels: {@code x} of rank 2 or 4, {@code y} of its shape
     * and not {@code x}, {@code gamma}, {@code beta} and {@code mask} (if any) of {@code C = x.dim(1)}
     * entries, {@code saveMean} and {@code saveInvStd} both null or both {@code [batch, H·W]}, {@code eps > 0};
     * all FLOAT32.
     *
     * @param y the output (not null)
     * @param saveMean the means, or null
     * @param saveInvStd the inverse deviations, or null
     * @param x the input (not null)
     * @param gamma the scales (not null)
     * @param beta the shifts (not null)
     * @param mask the kept channels, or null
     * @param eps the variance's epsilon
     * @return the positions per example (1, or {@code H·W})
     * @throws NullPointerException when {@code y}, {@code x}, {@code gamma} or {@code beta} is null
     * @throws IllegalArgumentException when the shapes, the element types or {@code eps} do not fit
     */
    public static int layerNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor mask,
                                float eps) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        String op = "layerNorm";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "y", y, x.shape());
        if (y == x) {
            throw new IllegalArgumentException(op + ": y must not be x (the statistics read every channel before any is written)");
        }
        int c = x.dim(1);
        Shapes.requireShape(op, "gamma", gamma, c);
        Shapes.requireShape(op, "beta", beta, c);
        if (mask != null) {
            Shapes.requireShape(op, "mask", mask, c);
        }
        savedStatistics(op, saveMean, saveInvStd, x.dim(0), spatial);
        finiteEps(op, eps);
        floats(op, y, saveMean, saveInvStd, x, gamma, beta, mask);
        return spatial;
    }

    /**
     * Checks the gradients of a layer normalisation over the channels against its forward tensors, as
     * {@link #layerNorm} does; {@code saveMean} and {@code saveInvStd} are required here.
     *
     * @param dx the input gradient; null when not wanted
     * @param dGamma the scales' gradient (not null)
     * @param dBeta the shifts' gradient (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param gamma the scales (not null)
     * @param mask the kept channels, or null
     * @param saveMean the forward's means (not null)
     * @param saveInvStd the forward's inverse deviations (not null)
     * @return the positions per example
     * @throws NullPointerException when a tensor other than {@code dx} and {@code mask} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int layerNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor mask,
                                        Tensor saveMean, Tensor saveInvStd) {
        Objects.requireNonNull(dGamma, "dGamma");
        Objects.requireNonNull(dBeta, "dBeta");
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(saveMean, "saveMean");
        Objects.requireNonNull(saveInvStd, "saveInvStd");
        String op = "layerNormBackward";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "dy", dy, x.shape());
        if (dx != null) {
            Shapes.requireShape(op, "dx", dx, x.shape());
        }
        int c = x.dim(1);
        Shapes.requireShape(op, "dGamma", dGamma, c);
        Shapes.requireShape(op, "dBeta", dBeta, c);
        Shapes.requireShape(op, "gamma", gamma, c);
        if (mask != null) {
            Shapes.requireShape(op, "mask", mask, c);
        }
        Shapes.requireShape(op, "saveMean", saveMean, x.dim(0), spatial);
        Shapes.requireShape(op, "saveInvStd", saveInvStd, x.dim(0), spatial);
        floats(op, dx, dGamma, dBeta, dy, x, gamma, mask, saveMean, saveInvStd);
        return spatial;
    }

    /**
     * Checks a group normalisation: {@code x} of rank 2 or 4, {@code y} of its shape and not {@code x},
     * {@code gamma} and {@code beta} of {@code C = x.dim(1)} entries, {@code groups} at least 1 and
     * dividing {@code C}, {@code saveMean} and {@code saveInvStd} both null or both
     * {@code [batch, groups]}, {@code eps > 0}; all FLOAT32.
     *
     * @param y the output (not null)
     * @param saveMean the means, or null
     * @param saveInvStd the inverse deviations, or null
     * @param x the input (not null)
     * @param gamma the scales (not null)
     * @param beta the shifts (not null)
     * @param groups the number of blocks of channels
     * @param eps the variance's epsilon
     * @return the positions per example (1, or {@code H·W})
     * @throws NullPointerException when {@code y}, {@code x}, {@code gamma} or {@code beta} is null
     * @throws IllegalArgumentException when the shapes, the element types, {@code groups} or {@code eps} do not fit
     */
    public static int groupNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        String op = "groupNorm";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "y", y, x.shape());
        if (y == x) {
            throw new IllegalArgumentException(op + ": y must not be x (the statistics read a whole group before any of it is written)");
        }
        int c = x.dim(1);
        requireGroups(op, c, groups);
        Shapes.requireShape(op, "gamma", gamma, c);
        Shapes.requireShape(op, "beta", beta, c);
        savedStatistics(op, saveMean, saveInvStd, x.dim(0), groups);
        finiteEps(op, eps);
        floats(op, y, saveMean, saveInvStd, x, gamma, beta);
        return spatial;
    }

    /**
     * Checks the gradients of a group normalisation against its forward tensors, as {@link #groupNorm}
     * does; {@code saveMean} and {@code saveInvStd} are required here.
     *
     * @param dx the input gradient; null when not wanted
     * @param dGamma the scales' gradient (not null)
     * @param dBeta the shifts' gradient (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param gamma the scales (not null)
     * @param saveMean the forward's means (not null)
     * @param saveInvStd the forward's inverse deviations (not null)
     * @param groups the forward's number of blocks
     * @return the positions per example
     * @throws NullPointerException when a tensor other than {@code dx} is null
     * @throws IllegalArgumentException when the shapes, the element types or {@code groups} do not fit
     */
    public static int groupNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                                        Tensor saveInvStd, int groups) {
        Objects.requireNonNull(dGamma, "dGamma");
        Objects.requireNonNull(dBeta, "dBeta");
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(saveMean, "saveMean");
        Objects.requireNonNull(saveInvStd, "saveInvStd");
        String op = "groupNormBackward";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "dy", dy, x.shape());
        if (dx != null) {
            Shapes.requireShape(op, "dx", dx, x.shape());
        }
        int c = x.dim(1);
        requireGroups(op, c, groups);
        Shapes.requireShape(op, "dGamma", dGamma, c);
        Shapes.requireShape(op, "dBeta", dBeta, c);
        Shapes.requireShape(op, "gamma", gamma, c);
        Shapes.requireShape(op, "saveMean", saveMean, x.dim(0), groups);
        Shapes.requireShape(op, "saveInvStd", saveInvStd, x.dim(0), groups);
        floats(op, dx, dGamma, dBeta, dy, x, gamma, saveMean, saveInvStd);
        return spatial;
    }

    /** {@code saveMean} and {@code saveInvStd} of a normalisation: both null, or both {@code [rows, cols]}. */
    private static void savedStatistics(String op, Tensor saveMean, Tensor saveInvStd, int rows, int cols) {
        if ((saveMean == null) != (saveInvStd == null)) {
            throw new IllegalArgumentException(op + ": saveMean and saveInvStd are written together, got "
                    + (saveMean == null ? "no saveMean" : "saveMean") + " and " + (saveInvStd == null ? "no saveInvStd" : "saveInvStd"));
        }
        if (saveMean != null) {
            Shapes.requireShape(op, "saveMean", saveMean, rows, cols);
            Shapes.requireShape(op, "saveInvStd", saveInvStd, rows, cols);
        }
    }

    private static void finiteEps(String op, float eps) {
        if (!(eps > 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and > 0, got " + eps);
        }
    }

    private static void requireGroups(String op, int channels, int groups) {
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException(op + ": groups must be at least 1 and divide the " + channels + " channels, got " + groups);
        }
    }

    /** {@code x [batch, C]} or {@code [batch, C, H, W]}: returns the values per channel per example. */
    private static int channelLayout(String op, Tensor x) {
        if (x.rank() != 2 && x.rank() != 4) {
            throw new IllegalArgumentException(op + ": x must be [batch, C] or [batch, C, H, W], got " + Arrays.toString(x.shape()));
        }
        return x.rank() == 2 ? 1 : x.dim(2) * x.dim(3);
    }

    /**
     * Checks a clamp: two FLOAT32 tensors of one size and bounds {@code lo ≤ hi}, neither NaN.
     *
     * @param op the operation, for the message
     * @param y the output (not null)
     * @param x the input (not null)
     * @param lo the lower bound
     * @param hi the upper bound
     * @throws NullPointerException when {@code y} or {@code x} is null
     * @throws IllegalArgumentException when the sizes, the element types or the bounds do not fit
     */
    public static void clamp(String op, Tensor y, Tensor x, float lo, float hi) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        Shapes.requireSameSize(op, y, "y", x, "x");
        bounds(op, lo, hi);
        floats(op, y, x);
    }

    /**
     * Checks a clamp gradient: {@code dx}, {@code dy} and the clamp's output {@code y} FLOAT32 of one
     * size, and the bounds as {@link #clamp}.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param y the clamp's output (not null)
     * @param lo the lower bound
     * @param hi the upper bound
     * @throws NullPointerException when {@code dx}, {@code dy} or {@code y} is null
     * @throws IllegalArgumentException when the sizes, the element types or the bounds do not fit
     */
    public static void clampBackward(Tensor dx, Tensor dy, Tensor y, float lo, float hi) {
        Objects.requireNonNull(dx, "dx");
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(y, "y");
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

    /**
     * Checks an activation: two FLOAT32 tensors of one size, a kind, and the parameters its formula
     * has finite.
     *
     * @param y the output (not null)
     * @param x the input (not null)
     * @param kind the activation (required: a null one is an {@link IllegalArgumentException})
     * @param alpha its α, checked when {@link ActivationKind#hasAlpha()}
     * @param beta its β, checked when {@link ActivationKind#hasBeta()}
     * @throws NullPointerException when {@code y} or {@code x} is null
     * @throws IllegalArgumentException when {@code kind} is null, or the sizes, the element types or
     *                                  the parameters do not fit
     */
    public static void activation(Tensor y, Tensor x, ActivationKind kind, float alpha, float beta) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        String op = "activation";
        Shapes.requireSameSize(op, y, "y", x, "x");
        activationParameters(op, kind, alpha, beta);
        floats(op, y, x);
    }

    /**
     * Checks an activation gradient: {@code dx}, {@code dy}, the forward's {@code x} and {@code y}
     * FLOAT32 of one size, and the kind and parameters as {@link #activation}.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param y the forward output (not null)
     * @param kind the activation (required: a null one is an {@link IllegalArgumentException})
     * @param alpha its α
     * @param beta its β
     * @throws NullPointerException when {@code dx}, {@code dy}, {@code x} or {@code y} is null
     * @throws IllegalArgumentException when {@code kind} is null, or the sizes, the element types or
     *                                  the parameters do not fit
     */
    public static void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, ActivationKind kind, float alpha, float beta) {
        Objects.requireNonNull(dx, "dx");
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
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
        if (kind == ActivationKind.CELU && alpha == 0f) {
            throw new IllegalArgumentException(op + ": CELU needs alpha ≠ 0 (it divides by it), got 0");
        }
    }

    /**
     * Checks {@code y = a + b}: three FLOAT32 tensors of one size.
     *
     * @param y the sum (not null)
     * @param a the first term (not null)
     * @param b the second term (not null)
     * @throws NullPointerException when {@code y}, {@code a} or {@code b} is null
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    public static void add(Tensor y, Tensor a, Tensor b) {
        sameSizeFloats("add", y, "y", a, "a", b, "b");
    }

    /**
     * Checks {@code y = a ⊙ b}: three FLOAT32 tensors of one size.
     *
     * @param y the product (not null)
     * @param a the first factor (not null)
     * @param b the second factor (not null)
     * @throws NullPointerException when {@code y}, {@code a} or {@code b} is null
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    public static void mul(Tensor y, Tensor a, Tensor b) {
        sameSizeFloats("mul", y, "y", a, "a", b, "b");
    }

    /**
     * Checks {@code mulChannels}: {@code x [B, C]} or {@code [B, C, H, W]}, {@code y} of its shape and
     * {@code s [B, C]} or {@code [B, C, 1, 1]}, all FLOAT32.
     *
     * @param y the output (not null)
     * @param x the input (not null)
     * @param s the scale per example and channel (not null)
     * @return the values per channel per example
     * @throws NullPointerException when {@code y}, {@code x} or {@code s} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int mulChannels(Tensor y, Tensor x, Tensor s) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(s, "s");
        String op = "mulChannels";
        int spatial = channelLayout(op, x);
        Shapes.requireShape(op, "y", y, x.shape());
        channelScale(op, "s", s, x);
        floats(op, y, x, s);
        return spatial;
    }

    /**
     * Checks {@code mulChannelsBackward}: {@code dy} of {@code x}'s shape, {@code ds} as
     * {@code mulChannels}'s {@code s}, all FLOAT32.
     *
     * @param ds the scale's gradient (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @return the values per channel per example
     * @throws NullPointerException when {@code ds}, {@code dy} or {@code x} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int mulChannelsBackward(Tensor ds, Tensor dy, Tensor x) {
        Objects.requireNonNull(ds, "ds");
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(x, "x");
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

    /**
     * Checks FPGM's {@code w [rows, …]} (rank ≥ 1) and {@code out [rows]}, FLOAT32.
     *
     * @param out the scores (not null)
     * @param w the weights (not null)
     * @return the values per row
     * @throws NullPointerException when {@code out} or {@code w} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static int fpgmScores(Tensor out, Tensor w) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(w, "w");
        if (w.rank() < 1) {
            throw new IllegalArgumentException("fpgmScores: w must have rank ≥ 1 (rows first), got shape " + Arrays.toString(w.shape()));
        }
        int rows = w.dim(0);
        Shapes.requireShape("fpgmScores", "out", out, rows);
        floats("fpgmScores", out, w);
        return rows == 0 ? 0 : w.size() / rows;
    }

    /**
     * Checks LAMP's {@code out}, one score per element of {@code w}, FLOAT32.
     *
     * @param out the scores (not null)
     * @param w the weights (not null)
     * @throws NullPointerException when {@code out} or {@code w} is null
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    public static void lampScores(Tensor out, Tensor w) {
        sameSizeFloats("lampScores", out, "out", w, "w");
    }

    /**
     * Checks {@code copyChannels}: tensors of the same rank (2 or 4), batch and spatial extents, and
     * both channel ranges inside their tensors (count and offsets ≥ 0), FLOAT32.
     *
     * @param dst the tensor written (not null)
     * @param dstOffset the first channel written
     * @param src the tensor read (not null)
     * @param srcOffset the first channel read
     * @param channels the channels copied
     * @return the values per channel per example
     * @throws NullPointerException when {@code dst} or {@code src} is null
     * @throws IllegalArgumentException when the shapes, the ranges or the element types do not fit
     */
    public static int copyChannels(Tensor dst, int dstOffset, Tensor src, int srcOffset, int channels) {
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(src, "src");
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
     *
     * @param out the reductions (not null)
     * @param src the terms (not null)
     * @param perm the indices into {@code src} (not null)
     * @param offsets the segments' bounds in {@code perm} (not null)
     * @throws NullPointerException when {@code out}, {@code src}, {@code perm} or {@code offsets} is null
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    public static void segmentReduce(Tensor out, Tensor src, Tensor perm, Tensor offsets) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(perm, "perm");
        Objects.requireNonNull(offsets, "offsets");
        String op = "segmentReduce";
        Shapes.requireRank(op, "out", out, 1);
        Shapes.requireShape(op, "offsets", offsets, out.dim(0) + 1);
        ints(op, offsets, perm);
        floats(op, out, src);
    }

    /**
     * Checks {@code augmentImages}: {@code out} and {@code in} FLOAT32 of one rank-4 shape, and a shift
     * in [0, 2^20]. (That they are distinct tensors is not checked.)
     *
     * @param out the augmented images (not null)
     * @param in the images (not null)
     * @param maxShift the largest shift
     * @throws NullPointerException when {@code out} or {@code in} is null
     * @throws IllegalArgumentException when the shapes, the element types or {@code maxShift} do not fit
     */
    public static void augmentImages(Tensor out, Tensor in, int maxShift) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(in, "in");
        String op = "augmentImages";
        if (out == in) {
            throw new IllegalArgumentException(op + ": out may not be in (a shifted pixel would overwrite one not read yet)");
        }
        Shapes.requireRank(op, "in", in, 4);
        Shapes.requireShape(op, "out", out, in.shape());
        if (maxShift < 0 || maxShift > (1 << 20)) {
            throw new IllegalArgumentException(op + ": the largest shift must be in [0, 2^20], got " + maxShift);
        }
        floats(op, out, in);
    }

    /**
     * splitmix64's finaliser (Steele, Lea &amp; Flood 2014) of {@code seed + (row + 1)·γ}:
     * {@code augmentImages}'s draw for one example.
     *
     * @param seed the batch's seed
     * @param row the example's row in the batch
     * @return the 64 random bits of that example
     */
    public static long augmentDraw(long seed, int row) {
        long z = seed + (row + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
