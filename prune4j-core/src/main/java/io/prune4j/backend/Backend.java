package io.prune4j.backend;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;

/**
 * The operations the network, training and pruning code needs, implemented once per device. Code
 * above this interface never knows which device runs: it creates tensors here, passes them to these
 * operations and copies numbers back to the host only through {@link #toFloatArray} and
 * {@link #toIntArray}, which a device backend counts (see {@link #transfers()}).
 *
 * <p>Argument order is fixed everywhere: outputs first, then inputs, then scalars. Matrices are
 * row-major. Shapes are written {@code name [d0, d1, …]}; every tensor is FLOAT32 unless its
 * parameter says INT32. Unless an operation says otherwise, outputs may not alias inputs. An
 * operation writes only into the output tensors it is given (overwriting them, or adding to them
 * where it says so) and reads its inputs without changing them; apart from the factories named
 * below, nothing here allocates what the caller must close.
 *
 * <p>Ownership: the caller of {@link #zeros}, {@link #fromArray(float[], int...)},
 * {@link #fromArray(int[], int...)}, {@link #reshape} and {@link #sparse} owns what it gets and
 * closes it; the caller of any factory that gives a backend ({@link Backends#create}) owns the
 * backend and closes it. A backend and its tensors are used by one thread at a time.
 *
 * <p>Every backend checks the arguments of every operation with {@link ArgChecks} before it touches
 * any storage, so a bad call gets the same exception and message from each. Sizes are ints: a tensor
 * holds fewer than 2^31 elements, and so must what an operation derives from its arguments (an
 * output plane, a convolution's patch matrix, an offset plus a count); beyond that the call is an
 * {@link IllegalArgumentException} that names the operation and the size, before anything runs.
 * A shape, element type or scalar that does not fit is an {@link IllegalArgumentException} naming
 * the operation, and so is a tensor of another backend. Tensor and other object arguments must not
 * be null unless their parameter says what null means: a null one is a {@link NullPointerException}
 * (naming the parameter where the check catches it).
 *
 * <p>A device backend runs operations asynchronously: a failure while one runs, and the value
 * checks it can only make on the device (indices, labels), surface at its next synchronising call
 * ({@link #synchronize()}, a host read), as the operations below say.
 */
public interface Backend extends AutoCloseable {

    /**
     * Short name used in reports and messages: {@code cpu} or {@code cuda:0 (NVIDIA H100 …)}.
     *
     * @return the name, never null
     */
    String name();

    /**
     * What this backend can do; asked by callers rather than assumed.
     *
     * @param capability the capability asked about; null gives false
     * @return whether this backend has it
     */
    boolean hasCapability(Capability capability);

    // ---- tensors -------------------------------------------------------------------------------

    /**
     * A new tensor filled with zeros.
     *
     * @param dtype the element type (not null)
     * @param shape the extents (not null; each ≥ 0, fewer than 2^31 elements in all)
     * @return a new tensor of this backend; the caller owns it and closes it
     * @throws IllegalArgumentException when an extent is negative or the shape is too large
     */
    Tensor zeros(DType dtype, int... shape);

    /**
     * A new FLOAT32 tensor holding a copy of {@code data}, whose length must match the shape.
     *
     * @param data the elements in row-major order (not null; copied, not kept)
     * @param shape the extents (not null)
     * @return a new tensor of this backend; the caller owns it and closes it
     * @throws IllegalArgumentException when {@code data.length} is not the shape's size
     */
    Tensor fromArray(float[] data, int... shape);

    /**
     * A new INT32 tensor holding a copy of {@code data}, whose length must match the shape.
     *
     * @param data the elements in row-major order (not null; copied, not kept)
     * @param shape the extents (not null)
     * @return a new tensor of this backend; the caller owns it and closes it
     * @throws IllegalArgumentException when {@code data.length} is not the shape's size
     */
    Tensor fromArray(int[] data, int... shape);

    /**
     * Copies a FLOAT32 tensor to the host. On a device backend this is a counted transfer, and it
     * waits for the queued work.
     *
     * @param t the tensor read (not null)
     * @return a new array of {@code t.size()} elements, owned by the caller
     * @throws IllegalArgumentException when {@code t} is not FLOAT32
     */
    float[] toFloatArray(Tensor t);

    /**
     * Copies an INT32 tensor to the host. On a device backend this is a counted transfer, and it
     * waits for the queued work.
     *
     * @param t the tensor read (not null)
     * @return a new array of {@code t.size()} elements, owned by the caller
     * @throws IllegalArgumentException when {@code t} is not INT32
     */
    int[] toIntArray(Tensor t);

    /**
     * Overwrites {@code dst} with the host values {@code src} (host to device on a device backend).
     *
     * @param dst the FLOAT32 tensor written (not null)
     * @param src the values, {@code dst.size()} of them in row-major order (not null; not kept)
     * @throws IllegalArgumentException when {@code dst} is not FLOAT32 or the lengths differ
     */
    void upload(Tensor dst, float[] src);

    /**
     * Overwrites {@code dst} with the host values {@code src}.
     *
     * @param dst the INT32 tensor written (not null)
     * @param src the values, {@code dst.size()} of them in row-major order (not null; not kept)
     * @throws IllegalArgumentException when {@code dst} is not INT32 or the lengths differ
     */
    void upload(Tensor dst, int[] src);

    /**
     * {@code dst = src}, element by element in row-major order; same element type and size, the
     * shapes may differ.
     *
     * @param dst the tensor written (not null)
     * @param src the tensor read (not null)
     * @throws IllegalArgumentException when the sizes or the element types differ
     */
    void copy(Tensor dst, Tensor src);

    /**
     * Sets every element of a FLOAT32 tensor to {@code value}.
     *
     * @param t the tensor written (not null)
     * @param value the value
     * @throws IllegalArgumentException when {@code t} is not FLOAT32
     */
    void fill(Tensor t, float value);

    /**
     * A view of {@code t} with another shape of the same size, sharing its storage (no copy):
     * writes through either are seen by both. Closing the view releases nothing; the storage
     * belongs to {@code t} and must not be used after {@code t} is closed.
     *
     * @param t the tensor viewed (not null)
     * @param shape the view's extents (not null), holding {@code t.size()} elements
     * @return the view, of {@code t}'s element type; the caller closes it (which frees nothing)
     * @throws IllegalArgumentException when the sizes differ
     */
    Tensor reshape(Tensor t, int... shape);

    // ---- sparse inference ----------------------------------------------------------------------

    /**
     * The sparse form of {@code w [rows, cols]} keeping the entries where {@code mask} (same shape)
     * is not 0, for {@link #sparseMatmul}; null where the backend has no sparse product (callers
     * then use {@link #gemm} on the masked weight, which computes the same). The default returns
     * null.
     *
     * @param w the weight (not null)
     * @param mask the 0/1 mask, of {@code w}'s shape (not null)
     * @return a snapshot that the caller owns and closes, or null
     * @throws IllegalArgumentException when {@code w} is not rank 2 or {@code mask} has another shape
     *                                  (a backend with a sparse form)
     */
    default SparseMatrix sparse(Tensor w, Tensor mask) {
        return null;
    }

    /**
     * Whether {@link #sparseMatmul} with {@code s} beats the dense product on this backend for
     * {@code batch} rows of input (the crossover density the backend measured or documents). The
     * default returns false.
     *
     * @param s a sparse form from this backend's {@link #sparse} (not null)
     * @param batch the rows of input the product will have
     * @return true when the sparse product is expected to be faster
     */
    default boolean sparseFaster(SparseMatrix s, int batch) {
        return false;
    }

    /**
     * Whether {@link #sparseConv2d} with the filter bank {@code s} ({@code [out, in·kh·kw]}) beats this
     * backend's dense convolution for an output of {@code positions} pixels per channel. The default
     * returns false.
     *
     * @param s a sparse form from this backend's {@link #sparse} (not null)
     * @param positions the output pixels per channel, {@code Ho·Wo}
     * @return true when the sparse convolution is expected to be faster
     */
    default boolean sparseConvFaster(SparseMatrix s, int positions) {
        return false;
    }

    /**
     * A one-group convolution with sparse filters: {@code y [batch, out, ho, wo] = act(conv(x, W) + bias)}
     * for {@code x [batch, in, h, w]} and {@code W} given as {@code s [out, in·kh·kw]} (the weight
     * {@code [out, in, kh, kw]} flattened), bias {@code [out]} or null, with the geometry of
     * {@link #conv2d(Tensor, Tensor, Tensor, Tensor, int, int, int, boolean)}. Overwrites {@code y}.
     * The default throws {@link UnsupportedOperationException}.
     *
     * @param y the output (not null)
     * @param x the input (not null)
     * @param s the filters in this backend's sparse form (not null)
     * @param bias the bias; null for none
     * @param kh the kernel's height
     * @param kw the kernel's width
     * @param stride the stride, ≥ 1
     * @param pad the zero padding on every side, ≥ 0
     * @param relu whether a ReLU follows
     * @throws UnsupportedOperationException when this backend has no sparse convolution
     * @throws IllegalArgumentException when {@code s} is not this backend's or the shapes do not fit
     */
    default void sparseConv2d(Tensor y, Tensor x, SparseMatrix s, Tensor bias, int kh, int kw, int stride, int pad, boolean relu) {
        throw new UnsupportedOperationException(name() + " has no sparse convolution");
    }

    /**
     * {@code c [batch, rows] = a [batch, cols] · sᵀ}: Dense's forward product with a sparse weight.
     * Overwrites {@code c}. The default throws {@link UnsupportedOperationException}.
     *
     * @param c the product (not null)
     * @param a the input (not null)
     * @param s the weight in this backend's sparse form (not null)
     * @throws UnsupportedOperationException when this backend has no sparse product
     * @throws IllegalArgumentException when {@code s} is not this backend's or the shapes do not fit
     */
    default void sparseMatmul(Tensor c, Tensor a, SparseMatrix s) {
        throw new UnsupportedOperationException(name() + " has no sparse product");
    }

    // ---- linear algebra ------------------------------------------------------------------------

    /**
     * General matrix product {@code c = alpha · op(a) · op(b) + beta · c}, where {@code op(x)} is
     * {@code x} or its transpose. All three are rank-2 FLOAT32 tensors: {@code op(a) [m, k]},
     * {@code op(b) [k, n]}, {@code c [m, n]}, read and written in place.
     *
     * @param c the product, read (scaled by {@code beta}) and written (not null)
     * @param a the left operand (not null)
     * @param transA whether {@code op(a)} is {@code a}'s transpose
     * @param b the right operand (not null)
     * @param transB whether {@code op(b)} is {@code b}'s transpose
     * @param alpha the product's factor
     * @param beta {@code c}'s factor
     * @throws IllegalArgumentException when a rank, an extent or an element type does not fit
     */
    void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta);

    // ---- convolution and pooling (NCHW) --------------------------------------------------------

    /**
     * 2-D cross-correlation, PyTorch's {@code conv2d}: {@code y [batch, out, Ho, Wo] = act(conv(x, w) + bias)}
     * for {@code x [batch, in, H, W]}, {@code w [out, in / groups, kh, kw]}, {@code bias [out]} or null
     * (no bias), zero padding {@code pad} on every side and {@code Ho = (H + 2·pad − kh) / stride + 1}
     * (likewise {@code Wo}), with a fused ReLU when {@code relu}. With {@code groups > 1} the input
     * and output channels fall into {@code groups} consecutive blocks and output block {@code g} reads
     * input block {@code g} only; {@code groups} must divide both {@code in} and {@code out}, and
     * {@code groups == in} is a depthwise convolution. An output plane {@code Ho·Wo} and one example's
     * patch matrix of one group {@code [in / groups·kh·kw, Ho·Wo]} (the CPU's im2col) must each hold
     * fewer than 2^31 elements. Overwrites {@code y}.
     *
     * @param y the output (not null)
     * @param x the input (not null)
     * @param w the weight (not null)
     * @param bias the bias; null for none
     * @param stride the stride, ≥ 1
     * @param pad the zero padding on every side, ≥ 0
     * @param groups the number of groups, ≥ 1
     * @param relu whether a ReLU follows
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     *                                  (checked by {@link ArgChecks#conv2d(Tensor, Tensor, Tensor, Tensor, int, int, int)})
     */
    void conv2d(Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad, int groups, boolean relu);

    /**
     * {@link #conv2d(Tensor, Tensor, Tensor, Tensor, int, int, int, boolean)} with one group.
     *
     * @param y the output {@code [batch, out, Ho, Wo]} (not null)
     * @param x the input {@code [batch, in, H, W]} (not null)
     * @param w the weight {@code [out, in, kh, kw]} (not null)
     * @param bias the bias {@code [out]}; null for none
     * @param stride the stride, ≥ 1
     * @param pad the zero padding on every side, ≥ 0
     * @param relu whether a ReLU follows
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    default void conv2d(Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad, boolean relu) {
        conv2d(y, x, w, bias, stride, pad, 1, relu);
    }

    /**
     * Gradients of {@link #conv2d(Tensor, Tensor, Tensor, Tensor, int, int, int, boolean)} (without its
     * activation) for the output gradient {@code dy [batch, out, Ho, Wo]}: overwrites
     * {@code dw [out, in / groups, kh, kw]}, {@code db [out]} unless it is null, and
     * {@code dx [batch, in, H, W]} unless it is null.
     *
     * @param dx the input gradient; null when not wanted
     * @param dw the weight gradient (not null)
     * @param db the bias gradient; null when not wanted
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param w the weight (not null)
     * @param stride the forward's stride
     * @param pad the forward's padding
     * @param groups the forward's number of groups
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     *                                  (checked by
     *                                  {@link ArgChecks#conv2dBackward(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int)})
     */
    void conv2dBackward(Tensor dx, Tensor dw, Tensor db, Tensor dy, Tensor x, Tensor w, int stride, int pad, int groups);

    /**
     * {@link #conv2dBackward(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int)} with one group.
     *
     * @param dx the input gradient; null when not wanted
     * @param dw the weight gradient (not null)
     * @param db the bias gradient; null when not wanted
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param w the weight (not null)
     * @param stride the forward's stride
     * @param pad the forward's padding
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    default void conv2dBackward(Tensor dx, Tensor dw, Tensor db, Tensor dy, Tensor x, Tensor w, int stride, int pad) {
        conv2dBackward(dx, dw, db, dy, x, w, stride, pad, 1);
    }

    /**
     * Max pooling over {@code window × window} patches {@code stride} apart, PyTorch's {@code max_pool2d}
     * with {@code ceil_mode=False}: the input is padded by {@code pad} on every side with −∞ (so a
     * padded position is never the maximum; {@code pad ≤ window / 2}), a partial patch at the edge is
     * dropped, and {@code y [batch, c, Ho, Wo]} from {@code x [batch, c, H, W]} has
     * {@code Ho = (H + 2·pad − window) / stride + 1}. {@code argmax} (INT32, the shape of {@code y})
     * gets the position within {@code x}'s plane {@code (h·W + w)} of each maximum; ties go to the
     * first in row order. Overwrites {@code y} and {@code argmax}.
     *
     * @param y the output (not null)
     * @param argmax the positions of the maxima, INT32 (not null)
     * @param x the input (not null)
     * @param window the patch's side, ≥ 1
     * @param stride the stride, ≥ 1
     * @param pad the padding on every side, in {@code [0, window / 2]}
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     *                                  (checked by
     *                                  {@link ArgChecks#maxPool2d(Tensor, Tensor, Tensor, int, int, int, boolean)})
     */
    default void maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad) {
        maxPool2d(y, argmax, x, window, stride, pad, false);
    }

    /**
     * {@link #maxPool2d(Tensor, Tensor, Tensor, int, int, int)}, or with {@code ceil} PyTorch's and
     * ONNX's {@code ceil_mode}: a partial patch at the bottom or right edge is kept, so
     * {@code Ho = ⌈(H + 2·pad − window) / stride⌉ + 1}, less one when that last patch would start in
     * the padding ({@code (Ho − 1)·stride ≥ H + pad}); every patch holds at least one position of the
     * input, and positions outside it never win.
     *
     * @param y the output {@code [batch, c, Ho, Wo]} (not null)
     * @param argmax the positions of the maxima, INT32 of {@code y}'s shape (not null)
     * @param x the input {@code [batch, c, H, W]} (not null)
     * @param window the patch's side, ≥ 1
     * @param stride the stride, ≥ 1
     * @param pad the padding on every side, in {@code [0, window / 2]}
     * @param ceil whether partial patches at the far edges are kept
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     *                                  (checked by
     *                                  {@link ArgChecks#maxPool2d(Tensor, Tensor, Tensor, int, int, int, boolean)})
     */
    void maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad, boolean ceil);

    /**
     * {@link #maxPool2d(Tensor, Tensor, Tensor, int, int, int)} without padding.
     *
     * @param y the output {@code [batch, c, Ho, Wo]} (not null)
     * @param argmax the positions of the maxima, INT32 of {@code y}'s shape (not null)
     * @param x the input {@code [batch, c, H, W]} (not null)
     * @param window the patch's side, ≥ 1
     * @param stride the stride, ≥ 1
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    default void maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride) {
        maxPool2d(y, argmax, x, window, stride, 0);
    }

    /**
     * Gradient of {@link #maxPool2d(Tensor, Tensor, Tensor, int, int, int, boolean)}: {@code dx} is
     * zeroed, then each {@code dy} is added at its argmax position (so overlapping patches that share
     * a maximum add up).
     *
     * @param dx the input gradient {@code [batch, c, H, W]}, overwritten (not null)
     * @param dy the output gradient {@code [batch, c, Ho, Wo]} (not null)
     * @param argmax the forward's positions of the maxima, INT32 of {@code dy}'s shape (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void maxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax);

    /**
     * Global max pooling, PyTorch's {@code AdaptiveMaxPool2d(1)} and ONNX's {@code GlobalMaxPool}, of
     * maps of any shape: {@code y[n, c, 0, 0]} is the maximum of plane {@code x[n, c]} and
     * {@code argmax} its position in the plane ({@code h·W + w}), the first maximum in row order; a
     * NaN wins (the first one), as in PyTorch. Its gradient is
     * {@link #maxPool2dBackward(Tensor, Tensor, Tensor)} with this {@code argmax}.
     *
     * @param y the output {@code [batch, c, 1, 1]} (not null)
     * @param argmax the positions of the maxima, INT32 of {@code y}'s shape (not null)
     * @param x the input {@code [batch, c, H, W]} (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit (checked by
     *                                  {@link ArgChecks#globalMaxPool})
     */
    void globalMaxPool(Tensor y, Tensor argmax, Tensor x);

    /**
     * Nearest-neighbour upsampling by whole factors, PyTorch's {@code nn.Upsample(scale_factor=(sh, sw))}
     * and ONNX's nearest Resize: {@code y[n, c, i, j] = x[n, c, i / sh, j / sw]}, each input value
     * repeated over an {@code sh × sw} block.
     *
     * @param y      the output {@code [batch, c, H·sh, W·sw]} (not null)
     * @param x      the input {@code [batch, c, H, W]} (not null)
     * @param scaleH the height factor, at least 1
     * @param scaleW the width factor, at least 1
     * @throws IllegalArgumentException when the shapes, factors or element types do not fit (checked by
     *                                  {@link ArgChecks#upsampleNearest})
     */
    void upsampleNearest(Tensor y, Tensor x, int scaleH, int scaleW);

    /**
     * The gradient of {@link #upsampleNearest}: {@code dx[n, c, i, j]} is the sum of {@code dy} over
     * its {@code sh × sw} block, rows then columns in order; {@code dx} is overwritten.
     *
     * @param dx     the input gradient {@code [batch, c, H, W]} (not null)
     * @param dy     the output gradient {@code [batch, c, H·sh, W·sw]} (not null)
     * @param scaleH the height factor, at least 1
     * @param scaleW the width factor, at least 1
     * @throws IllegalArgumentException when the shapes, factors or element types do not fit (checked by
     *                                  {@link ArgChecks#upsampleNearest})
     */
    void upsampleNearestBackward(Tensor dx, Tensor dy, int scaleH, int scaleW);

    /**
     * Average pooling over {@code window × window} patches {@code stride} apart with zero padding
     * {@code pad} on every side ({@code pad ≤ window / 2}), PyTorch's {@code avg_pool2d} with
     * {@code ceil_mode=False}: {@code y [batch, c, Ho, Wo]}, {@code Ho = (H + 2·pad − window) / stride + 1}.
     * Each patch's sum is divided by {@code window²} when {@code countIncludePad} (PyTorch's default),
     * else by the number of its positions inside the input (ONNX's default). Overwrites {@code y}.
     *
     * @param y the output (not null)
     * @param x the input {@code [batch, c, H, W]} (not null)
     * @param window the patch's side, ≥ 1
     * @param stride the stride, ≥ 1
     * @param pad the zero padding on every side, in {@code [0, window / 2]}
     * @param countIncludePad whether the padding counts in the divisor
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    default void avgPool2d(Tensor y, Tensor x, int window, int stride, int pad, boolean countIncludePad) {
        avgPool2d(y, x, window, stride, pad, countIncludePad, false);
    }

    /**
     * {@link #avgPool2d(Tensor, Tensor, int, int, int, boolean)}, or with {@code ceil} PyTorch's and
     * ONNX's {@code ceil_mode}: a partial patch at the bottom or right edge is kept ({@code Ho} as
     * {@link #maxPool2d(Tensor, Tensor, Tensor, int, int, int, boolean)} has it). With
     * {@code countIncludePad} the divisor of such a patch counts its positions up to the far padding
     * and not beyond it, {@code (min(h0 + window, H + pad) − h0)} rows from its first row {@code h0}
     * (as PyTorch and ONNX Runtime count them); without, its positions inside the input.
     *
     * @param y the output {@code [batch, c, Ho, Wo]} (not null)
     * @param x the input {@code [batch, c, H, W]} (not null)
     * @param window the patch's side, ≥ 1
     * @param stride the stride, ≥ 1
     * @param pad the zero padding on every side, in {@code [0, window / 2]}
     * @param countIncludePad whether the padding counts in the divisor
     * @param ceil whether partial patches at the far edges are kept
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    void avgPool2d(Tensor y, Tensor x, int window, int stride, int pad, boolean countIncludePad, boolean ceil);

    /**
     * Gradient of {@link #avgPool2d}: overwrites {@code dx [batch, c, H, W]} from {@code dy [batch, c, Ho, Wo]},
     * each {@code dy} divided as the forward divided and added to its patch's positions inside the input.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param window the forward's patch side
     * @param stride the forward's stride
     * @param pad the forward's padding
     * @param countIncludePad the forward's divisor rule
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    default void avgPool2dBackward(Tensor dx, Tensor dy, int window, int stride, int pad, boolean countIncludePad) {
        avgPool2dBackward(dx, dy, window, stride, pad, countIncludePad, false);
    }

    /**
     * Gradient of {@link #avgPool2d(Tensor, Tensor, int, int, int, boolean, boolean)}, ceil mode included.
     *
     * @param dx the input gradient {@code [batch, c, H, W]}, overwritten (not null)
     * @param dy the output gradient {@code [batch, c, Ho, Wo]} (not null)
     * @param window the forward's patch side
     * @param stride the forward's stride
     * @param pad the forward's padding
     * @param countIncludePad the forward's divisor rule
     * @param ceil the forward's ceil mode
     * @throws IllegalArgumentException when the shapes, the element types or the scalars do not fit
     */
    void avgPool2dBackward(Tensor dx, Tensor dy, int window, int stride, int pad, boolean countIncludePad, boolean ceil);

    /**
     * Zero padding of a map, PyTorch's {@code ZeroPad2d} and ONNX's constant {@code Pad} of zeros:
     * overwrites {@code y [batch, c, H + top + bottom, W + left + right]} with {@code x [batch, c, H, W]}
     * at rows {@code top …} and columns {@code left …} and zeros everywhere else; {@code y}'s extents give
     * {@code bottom} and {@code right}. {@code y} may not be {@code x}.
     *
     * @param y the padded output (not null)
     * @param x the input (not null)
     * @param top the rows of zeros above, ≥ 0
     * @param left the columns of zeros on the left, ≥ 0
     * @throws IllegalArgumentException when the shapes, the element types or the offsets do not fit
     *                                  (checked by {@link ArgChecks#zeroPad2d})
     */
    void zeroPad2d(Tensor y, Tensor x, int top, int left);

    /**
     * Gradient of {@link #zeroPad2d}: overwrites {@code dx [batch, c, H, W]} with the window of
     * {@code dy} that the forward pass wrote {@code x} into, rows {@code top …} and columns {@code left …}.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient, of the forward's {@code y} shape (not null)
     * @param top the forward's rows above
     * @param left the forward's columns on the left
     * @throws IllegalArgumentException when the shapes, the element types or the offsets do not fit
     */
    void zeroPad2dBackward(Tensor dx, Tensor dy, int top, int left);

    /**
     * Data augmentation of a batch of images, {@code in, out [batch, C, H, W]} ({@code out} may not be
     * {@code in}): example {@code r} is shifted by {@code (dy, dx)} pixels, each in
     * {@code [−maxShift, maxShift]}, and, when {@code flip}, mirrored left to right with probability
     * one half, all drawn from {@code seed} and {@code r} alone:
     * {@code out[r, c, y, x] = in[r, c, y + dy, x' + dx]} with {@code x' = W − 1 − x} for a mirrored
     * example and {@code x} otherwise, 0 where that falls outside the image. With
     * {@code z = splitmix64(seed + (r + 1)·0x9E3779B97F4A7C15)} (Steele et al.'s finaliser), the
     * example is mirrored when {@code z & 1}, {@code dx = ((z >>> 8) mod (2·maxShift + 1)) − maxShift}
     * and {@code dy = ((z >>> 32) mod (2·maxShift + 1)) − maxShift}: every backend draws the same, so
     * training stays the same computation on each, and a device needs no upload per batch.
     *
     * @param out the augmented batch, overwritten (not null)
     * @param in the batch (not null)
     * @param seed the batch's seed
     * @param maxShift the largest shift, in {@code [0, 2^20]}
     * @param flip whether examples may be mirrored
     * @throws IllegalArgumentException when the shapes, the element types or {@code maxShift} do not fit
     */
    void augmentImages(Tensor out, Tensor in, long seed, int maxShift, boolean flip);

    // ---- normalisation -------------------------------------------------------------------------

    /**
     * Batch normalisation (Ioffe &amp; Szegedy 2015), PyTorch's {@code batch_norm}, over
     * {@code x [batch, C]} (BatchNorm1d) or {@code x [batch, C, H, W]} (BatchNorm2d), with
     * {@code gamma, beta, runningMean, runningVar, saveMean, saveInvStd [C]}:
     * {@code y = gamma · (x − μ) / sqrt(σ² + eps) + beta} per channel.
     * <ul>
     *   <li>{@code training}: μ and σ² are the channel's mean and biased variance over the batch and
     *       the spatial positions ({@code n = batch·H·W ≥ 2} values); {@code saveMean = μ} and
     *       {@code saveInvStd = 1 / sqrt(σ² + eps)} are written for the backward pass, and the running
     *       statistics move towards the batch's: {@code running = (1 − momentum)·running + momentum·stat},
     *       with the unbiased variance {@code σ²·n/(n−1)} for {@code runningVar}. A {@code momentum} of
     *       {@code 1/k} at the {@code k}-th batch gives the plain average over batches.</li>
     *   <li>not {@code training}: μ and σ² are the running statistics, which stay as they are;
     *       {@code saveMean} and {@code saveInvStd} are not used and may be null.</li>
     * </ul>
     * {@code y} may be {@code x}.
     *
     * @param y the output, of {@code x}'s shape (not null)
     * @param saveMean the batch means, written in training; may be null when not {@code training}
     * @param saveInvStd the batch inverse deviations, written in training; may be null when not {@code training}
     * @param x the input (not null)
     * @param gamma the scales (not null)
     * @param beta the shifts (not null)
     * @param runningMean the running means, updated in training (not null)
     * @param runningVar the running variances, updated in training (not null)
     * @param momentum the running statistics' momentum, in {@code [0, 1]}
     * @param eps added to the variance, {@code > 0}
     * @param training whether to use (and record) the batch's statistics
     * @throws IllegalArgumentException when a save tensor is null in training, or the shapes, the
     *                                  element types or the scalars do not fit (checked by
     *                                  {@link ArgChecks#batchNorm})
     */
    void batchNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                   Tensor runningVar, float momentum, float eps, boolean training);

    /**
     * Gradients of a training-mode {@link #batchNorm} for the output gradient {@code dy} (shaped like
     * {@code x}): overwrites {@code dx} (unless it is null), {@code dGamma} and {@code dBeta [C]}, from
     * the forward pass's {@code x}, {@code gamma} and its {@code saveMean} and {@code saveInvStd}.
     *
     * @param dx the input gradient, of {@code x}'s shape; null when not wanted
     * @param dGamma the scales' gradient (not null)
     * @param dBeta the shifts' gradient (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param gamma the scales (not null)
     * @param saveMean the forward's batch means (not null)
     * @param saveInvStd the forward's batch inverse deviations (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void batchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                           Tensor saveInvStd);

    /**
     * Layer normalisation over the channels (Ba, Kiros &amp; Hinton 2016) at every position: PyTorch's
     * {@code layer_norm} over the last axis of a channels-last map, as ConvNeXt normalises (its
     * {@code LayerNorm2d}), or over the features of {@code x [batch, F]}. For each example and position
     * {@code p} of {@code x [batch, C]} or {@code [batch, C, H, W]}, over the {@code K} channels where
     * {@code mask} is 1 (all {@code C} when {@code mask} is null):
     * {@code μ = Σ x / K}, {@code σ² = Σ (x − μ)² / K} (two passes, in double),
     * {@code y = gamma · (x − μ) / sqrt(σ² + eps) + beta}; {@code y} is 0 at a channel the mask
     * removes, whatever it held, so a masked layer computes what the layer without those channels
     * does (structured pruning by masks). With no channel kept, {@code y} is 0 everywhere.
     * {@code saveMean} and {@code saveInvStd [batch, H·W]} ({@code [batch, 1]} for vectors) receive μ
     * and {@code 1 / sqrt(σ² + eps)} for the backward pass; both null when not wanted. {@code y} may not be
     * {@code x}.
     *
     * @param y the output, of {@code x}'s shape (not null)
     * @param saveMean the means per example and position, or null (then {@code saveInvStd} too)
     * @param saveInvStd the inverse deviations per example and position, or null (then {@code saveMean} too)
     * @param x the input (not null)
     * @param gamma the scales {@code [C]} (not null)
     * @param beta the shifts {@code [C]} (not null)
     * @param mask the kept channels {@code [C]}, 0 or 1, or null for all
     * @param eps added to the variance, {@code > 0}
     * @throws IllegalArgumentException when the shapes, the element types or {@code eps} do not fit
     *                                  (checked by {@link ArgChecks#layerNorm})
     */
    void layerNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor mask, float eps);

    /**
     * Gradients of {@link #layerNorm} for the output gradient {@code dy} (shaped like {@code x}), from
     * the forward pass's {@code x}, {@code gamma}, {@code mask}, {@code saveMean} and {@code saveInvStd}:
     * with {@code x̂ = (x − μ)·invStd} and {@code g = dy·gamma} over the kept channels,
     * {@code dx = invStd·(g − mean(g) − x̂·mean(g·x̂))} at the kept channels and 0 at the others (unless
     * {@code dx} is null); {@code dGamma = Σ dy·x̂} and {@code dBeta = Σ dy} over examples and positions,
     * 0 at the removed channels. All outputs are overwritten.
     *
     * @param dx the input gradient, of {@code x}'s shape; null when not wanted
     * @param dGamma the scales' gradient {@code [C]} (not null)
     * @param dBeta the shifts' gradient {@code [C]} (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param gamma the scales (not null)
     * @param mask the forward pass's kept channels, or null for all
     * @param saveMean the forward's means (not null)
     * @param saveInvStd the forward's inverse deviations (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void layerNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor mask, Tensor saveMean,
                           Tensor saveInvStd);

    /**
     * Group normalisation (Wu &amp; He 2018), PyTorch's {@code group_norm}: the {@code C} channels of
     * {@code x [batch, C]} or {@code [batch, C, H, W]} fall into {@code groups} consecutive blocks of
     * {@code C / groups}, and for each example and block, over its {@code M = (C / groups)·H·W} values
     * (contiguous in memory), {@code μ = Σ x / M}, {@code σ² = Σ (x − μ)² / M} (two passes, in double),
     * {@code y = (x − μ) / sqrt(σ² + eps) · gamma + beta} per channel. {@code groups = C} is instance
     * normalisation ({@code InstanceNorm2d}), {@code groups = 1} a layer normalisation over
     * {@code [C, H, W]}. {@code saveMean} and {@code saveInvStd [batch, groups]} receive μ and
     * {@code 1 / sqrt(σ² + eps)} for the backward pass; both null when not wanted. {@code y} may not
     * be {@code x}.
     *
     * @param y the output, of {@code x}'s shape (not null)
     * @param saveMean the means per example and group, or null (then {@code saveInvStd} too)
     * @param saveInvStd the inverse deviations per example and group, or null (then {@code saveMean} too)
     * @param x the input (not null)
     * @param gamma the scales {@code [C]} (not null)
     * @param beta the shifts {@code [C]} (not null)
     * @param groups the number of blocks, at least 1, dividing {@code C}
     * @param eps added to the variance, {@code > 0}
     * @throws IllegalArgumentException when the shapes, the element types, {@code groups} or {@code eps}
     *                                  do not fit (checked by {@link ArgChecks#groupNorm})
     */
    void groupNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, int groups, float eps);

    /**
     * Gradients of {@link #groupNorm} for the output gradient {@code dy} (shaped like {@code x}), from
     * the forward pass's {@code x}, {@code gamma}, {@code saveMean} and {@code saveInvStd}: with
     * {@code x̂ = (x − μ)·invStd} and {@code g = dy·gamma}, over each example's block,
     * {@code dx = invStd·(g − mean(g) − x̂·mean(g·x̂))} (unless {@code dx} is null);
     * {@code dGamma = Σ dy·x̂} and {@code dBeta = Σ dy} per channel over examples and positions. All
     * outputs are overwritten.
     *
     * @param dx the input gradient, of {@code x}'s shape; null when not wanted
     * @param dGamma the scales' gradient {@code [C]} (not null)
     * @param dBeta the shifts' gradient {@code [C]} (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param gamma the scales (not null)
     * @param saveMean the forward's means {@code [batch, groups]} (not null)
     * @param saveInvStd the forward's inverse deviations {@code [batch, groups]} (not null)
     * @param groups the forward's number of blocks
     * @throws IllegalArgumentException when the shapes, the element types or {@code groups} do not fit
     */
    void groupNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           int groups);

    // ---- element-wise and reductions -----------------------------------------------------------

    /**
     * In place on {@code y [rows, n]}: {@code y += bias} row by row, then {@code y = max(y, 0)} if {@code relu}.
     *
     * @param y the tensor added to (not null)
     * @param bias the bias {@code [n]} (not null)
     * @param relu whether a ReLU follows
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void biasAdd(Tensor y, Tensor bias, boolean relu);

    /**
     * {@code y = max(x, 0)}; {@code y} may be {@code x}.
     *
     * @param y the output, of {@code x}'s size (not null)
     * @param x the input (not null)
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void relu(Tensor y, Tensor x);

    /**
     * {@code dx = dy} where {@code y > 0}, else 0; {@code dx} may be {@code dy}.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param y the forward output (not null); all three of one size
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void reluBackward(Tensor dx, Tensor dy, Tensor y);

    /**
     * {@code y = min(max(x, lo), hi)} (ReLU6 is {@code lo = 0, hi = 6}); {@code y} may be {@code x}.
     *
     * @param y the output, of {@code x}'s size (not null)
     * @param x the input (not null)
     * @param lo the lower bound, not NaN
     * @param hi the upper bound, {@code ≥ lo}
     * @throws IllegalArgumentException when the sizes, the element types or the bounds do not fit
     */
    void clamp(Tensor y, Tensor x, float lo, float hi);

    /**
     * Gradient of {@link #clamp} from its output {@code y}: {@code dx = dy} where {@code lo < y < hi},
     * else 0 (PyTorch's {@code hardtanh_backward}); {@code dx} may be {@code dy}.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param y the clamp's output (not null); all three of one size
     * @param lo the clamp's lower bound
     * @param hi the clamp's upper bound
     * @throws IllegalArgumentException when the sizes, the element types or the bounds do not fit
     */
    void clampBackward(Tensor dx, Tensor dy, Tensor y, float lo, float hi);

    /**
     * {@code y = f(x)} element-wise for the activation {@code kind}, with its {@code alpha} and
     * {@code beta} where its formula has them (finite; ignored otherwise): see {@link ActivationKind}
     * for each formula. {@code y} may be {@code x}.
     *
     * @param y the output, of {@code x}'s size (not null)
     * @param x the input (not null)
     * @param kind the activation (required: a null one is an {@link IllegalArgumentException})
     * @param alpha its α, where {@link ActivationKind#hasAlpha()}
     * @param beta its β, where {@link ActivationKind#hasBeta()}
     * @throws IllegalArgumentException when {@code kind} is null, or the sizes, the element types or a
     *                                  parameter the formula has do not fit
     */
    void activation(Tensor y, Tensor x, ActivationKind kind, float alpha, float beta);

    /**
     * Gradient of {@link #activation} from the forward pass's input {@code x} and output {@code y}
     * (each kind reads the one its formula needs, see {@link ActivationKind}): {@code dx = f'(x)·dy}.
     * {@code dx} may be {@code dy}.
     *
     * @param dx the input gradient (not null)
     * @param dy the output gradient (not null)
     * @param x the forward input (not null)
     * @param y the forward output (not null); all four of one size
     * @param kind the activation (required: a null one is an {@link IllegalArgumentException})
     * @param alpha the forward's α
     * @param beta the forward's β
     * @throws IllegalArgumentException when {@code kind} is null, or the sizes, the element types or a
     *                                  parameter the formula has do not fit
     */
    void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, ActivationKind kind, float alpha, float beta);

    /**
     * {@code y = a + b} element-wise (same size); {@code y} may be {@code a} or {@code b}.
     *
     * @param y the sum (not null)
     * @param a the first term (not null)
     * @param b the second term (not null)
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void add(Tensor y, Tensor a, Tensor b);

    /**
     * {@code y = a ⊙ b} element-wise (same size), one float product per element, the same bits on
     * every backend; {@code y} may be {@code a} or {@code b}. SiLU's {@code x·sigmoid(x)}, and both
     * gradients of a product of equal shapes.
     *
     * @param y the product (not null)
     * @param a the first factor (not null)
     * @param b the second factor (not null)
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void mul(Tensor y, Tensor a, Tensor b);

    /**
     * {@code y[b, c, …] = x[b, c, …] · s[b, c]}: each channel of {@code x [B, C]} or {@code [B, C, H, W]}
     * scaled by its example's entry of {@code s}, which is {@code [B, C]} or {@code [B, C, 1, 1]} (a
     * squeeze-and-excitation gate; also the gradient of the gated input, {@code dy} scaled by {@code s}).
     * {@code y} has {@code x}'s shape and may be {@code x}. One float product per element: the same bits
     * on every backend.
     *
     * @param y the output (not null)
     * @param x the input (not null)
     * @param s the scale per example and channel (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void mulChannels(Tensor y, Tensor x, Tensor s);

    /**
     * The gradient of {@link #mulChannels} with respect to {@code s}: {@code ds[b, c] = Σ_{h,w} dy[b, c, h, w]
     * · x[b, c, h, w]}, {@code ds} shaped like {@code s}. Every product is exact in double and the sum is
     * in double, rounded once: the CPU adds in the channel's order, a device in another fixed order (the
     * same on every run), so the two agree within an ulp of the float result.
     *
     * @param ds the scale's gradient, overwritten (not null)
     * @param dy the output gradient, of {@code x}'s shape (not null)
     * @param x the forward input (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void mulChannelsBackward(Tensor ds, Tensor dy, Tensor x);

    /**
     * Copies {@code channels} channels between two tensors of the same batch and spatial size,
     * {@code dst [batch, Cd, …]} and {@code src [batch, Cs, …]} (rank 2 or 4):
     * {@code dst[b, dstOffset + c, …] = src[b, srcOffset + c, …]} for {@code c < channels}. Concatenation
     * along channels, and its gradient, in one operation. The other channels of {@code dst} are left
     * as they are.
     *
     * @param dst the tensor written (not null)
     * @param dstOffset the first channel written, ≥ 0
     * @param src the tensor read (not null)
     * @param srcOffset the first channel read, ≥ 0
     * @param channels the channels copied, ≥ 0; both ranges inside their tensors
     * @throws IllegalArgumentException when the shapes, the ranges or the element types do not fit
     */
    void copyChannels(Tensor dst, int dstOffset, Tensor src, int srcOffset, int channels);

    /**
     * {@code out [n] = beta · out + Σ_rows x [rows, n]}: the bias gradient.
     *
     * @param out the sums, read (unless {@code beta} is 0) and written (not null)
     * @param x the rows (not null)
     * @param beta {@code out}'s factor; 0 ignores its old values
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void sumRows(Tensor out, Tensor x, float beta);

    /**
     * {@code out [1] = Σ x}, accumulated in double precision on the CPU and in a fixed tree order on a device.
     *
     * @param out the sum, overwritten (not null)
     * @param x the tensor summed, any shape (not null)
     * @throws IllegalArgumentException when the shape of {@code out} or an element type does not fit
     */
    void sum(Tensor out, Tensor x);

    /**
     * {@code y = y + alpha · x} (element-wise, same size).
     *
     * @param y the tensor added to (not null)
     * @param alpha {@code x}'s factor
     * @param x the tensor added (not null)
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void axpy(Tensor y, float alpha, Tensor x);

    /**
     * {@code y = y ⊙ x} (element-wise, same size), e.g. applying a 0/1 mask.
     *
     * @param y the tensor multiplied in place (not null)
     * @param x the factor (not null)
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void mul(Tensor y, Tensor x);

    /**
     * {@code y = alpha · y}.
     *
     * @param y the tensor scaled in place (not null)
     * @param alpha the factor
     * @throws IllegalArgumentException when {@code y} is not FLOAT32
     */
    void scale(Tensor y, float alpha);

    /**
     * Fused softmax and cross-entropy over {@code logits [batch, classes]} with class indices
     * {@code labels [batch]} (INT32). Adds the summed loss and the number of correct arg-max
     * predictions to {@code metrics [2]} (so a whole epoch accumulates on the device), and, when
     * {@code gradLogits} is not null, writes {@code gradScale · (softmax − onehot)} into it.
     * A label outside {@code [0, classes)} is an {@link IllegalArgumentException} naming the first such
     * row, {@code "softmaxCrossEntropy: label 12 in row 3 outside [0, 10)"}: the CPU throws it at the call;
     * a device backend, whose labels are in device memory, finds it on the device and throws it with the
     * same message at its next synchronising call (a host read or {@link #synchronize()}: for training,
     * the epoch's read of its metrics), for the first call since the last synchronisation that had one.
     *
     * @param gradLogits the logits' gradient, of their shape, overwritten; null when not wanted
     * @param metrics the loss and correct-count accumulators, added to (not null)
     * @param logits the logits, with at least one class when there are rows (not null)
     * @param labels the class indices, INT32 (not null)
     * @param gradScale the gradient's factor (e.g. {@code 1 / batch})
     * @throws IllegalArgumentException when the shapes or the element types do not fit, or a label is
     *                                  outside the classes
     */
    void softmaxCrossEntropy(Tensor gradLogits, Tensor metrics, Tensor logits, Tensor labels, float gradScale);

    /**
     * Copies row {@code idx[offset + r]} of {@code src} into row {@code r} of {@code out}, where a
     * row is everything after the first dimension (so labels {@code [n]} gather like {@code [n, 1]}).
     * {@code idx} is INT32; an index outside {@code src} is an {@link IndexOutOfBoundsException}
     * (on a device backend, at its next synchronising call).
     *
     * @param out the rows written, FLOAT32 or INT32 (not null)
     * @param src the rows read, of {@code out}'s element type and row width (not null)
     * @param idx the row indices, INT32 (not null)
     * @param offset the first index used, with {@code offset + out.dim(0) ≤ idx.size()}
     * @throws IllegalArgumentException when the row widths, the element types or the range do not fit
     * @throws IndexOutOfBoundsException when an index is outside {@code src}'s rows
     */
    void gatherRows(Tensor out, Tensor src, Tensor idx, int offset);

    /**
     * {@code dst[dstOffset + i] = src[srcOffset + i]} for {@code i < count}; both FLOAT32 or both INT32.
     *
     * @param dst the tensor written (not null)
     * @param dstOffset the first element written, ≥ 0
     * @param src the tensor read (not null)
     * @param srcOffset the first element read, ≥ 0
     * @param count the elements copied, ≥ 0; both ranges inside their tensors
     * @throws IllegalArgumentException when a range does not fit or the element types differ
     */
    void copyRange(Tensor dst, int dstOffset, Tensor src, int srcOffset, int count);

    /**
     * Copies column {@code idx[c]} of {@code src [rows, cols]} into column {@code c} of {@code out [rows, k]}
     * ({@code idx [k]}, INT32), {@code k} at most {@link ArgChecks#MAX_GATHER_COLUMNS}; an index outside
     * {@code src} is an {@link IndexOutOfBoundsException}.
     *
     * @param out the columns written (not null)
     * @param src the columns read (not null)
     * @param idx the column indices (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     * @throws IndexOutOfBoundsException when an index is outside {@code [0, cols)}
     */
    void gatherColumns(Tensor out, Tensor src, Tensor idx);

    /**
     * Copies column block {@code idx[c]} of {@code src} into column block {@code c} of {@code out}, a
     * block being {@code block} consecutive columns: {@code out[r, c·block + j] = src[r, idx[c]·block + j]}.
     * Rows are the first dimension and columns everything after it, so for a convolution weight
     * {@code [out, in, kh, kw]} with {@code block = kh·kw} this keeps input channels, and for a Dense
     * layer behind a flattened feature map with {@code block = H·W} it keeps that map's channels. At most
     * {@link ArgChecks#MAX_GATHER_COLUMNS} output columns per row ({@code idx.size() · block}).
     *
     * @param out the blocks written, {@code idx.size()} per row (not null)
     * @param src the blocks read, of {@code out}'s rows (not null)
     * @param idx the block indices, INT32 (not null)
     * @param block the columns per block, ≥ 1, dividing {@code src}'s columns
     * @throws IllegalArgumentException when the sizes, the element types or {@code block} do not fit
     * @throws IndexOutOfBoundsException when an index is outside {@code src}'s blocks
     */
    void gatherColumnBlocks(Tensor out, Tensor src, Tensor idx, int block);

    /**
     * {@code out [rows, cols]} gets {@code v[r]} in every column of row {@code r}: turns a unit mask into a row mask.
     *
     * @param out the tensor written; a row is everything after the first dimension (not null)
     * @param v the value per row {@code [rows]} (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void broadcastRows(Tensor out, Tensor v);

    // ---- importance scoring --------------------------------------------------------------------

    /**
     * Fused activation×gradient accumulation for {@code a, g [batch, units]} (or {@code [batch, units, spatial]}
     * feature maps, averaged over the spatial positions first): {@code acc[n] += scale · |Σ_b a·g|}, or
     * with {@code absInside} {@code acc[n] += scale · Σ_b |a·g|}. Never materialises {@code a·g}.
     *
     * @param acc the scores {@code [units]}, added to (not null)
     * @param a the activations (not null)
     * @param g their gradients, of {@code a}'s size (not null)
     * @param absInside whether the magnitude is taken per example rather than of the sum
     * @param scale the factor of what is added
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void taylorAccumulate(Tensor acc, Tensor a, Tensor g, boolean absInside, float scale);

    /**
     * {@code acc[n] += Σ_b (fraction of the positions of unit n in example b where a > 0)}: for dense
     * layers the count of examples in which the unit is active; activation frequency and APoZ.
     *
     * @param acc the counts {@code [units]}, added to (not null)
     * @param a the activations {@code [batch, units, …]} (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void countPositive(Tensor acc, Tensor a);

    /**
     * {@code acc += scale · t(x)} element-wise, with {@code t} the identity, |·| or (·)².
     *
     * @param acc the tensor added to (not null)
     * @param x the input, of {@code acc}'s size (not null)
     * @param scale the factor
     * @param t the transform (not null)
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void accumulate(Tensor acc, Tensor x, float scale, Transform t);

    /**
     * {@code acc += |x| / Σ|x|} (nothing when {@code Σ|x| = 0}): one batch's share of gradient magnitude.
     *
     * @param acc the tensor added to (not null)
     * @param x the input, of {@code acc}'s size (not null)
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void accumulateNormalizedAbs(Tensor acc, Tensor x);

    /**
     * {@code acc += scale · |a ⊙ b|} element-wise.
     *
     * @param acc the tensor added to (not null)
     * @param a the first factor (not null)
     * @param b the second factor (not null); all three of one size
     * @param scale the factor
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void accumulateAbsProduct(Tensor acc, Tensor a, Tensor b, float scale);

    /**
     * {@code out [rows] = ‖w[r, :]‖_p} for {@code p} 1 or 2, a row being everything after the first
     * dimension.
     *
     * @param out the norms, overwritten (not null)
     * @param w the rows (not null)
     * @param p the norm's order, 1 or 2
     * @throws IllegalArgumentException when {@code p}, the shapes or the element types do not fit
     */
    void rowNorms(Tensor out, Tensor w, int p);

    /**
     * {@code out [rows] = Σ_c x[r, c]}, a row being everything after the first dimension.
     *
     * @param out the sums, overwritten (not null)
     * @param x the rows (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void rowSums(Tensor out, Tensor x);

    /**
     * The composite criterion {@code out[n] = Σ_j |w[n,j]|·gAbs[n,j]·freq[j] / Σ_j |w[n,j]|} (0 when
     * the row is all zeros), with {@code gAbs} the accumulated gradient magnitudes and {@code freq [cols]}
     * the activation frequency of each input. {@code freq} may also have {@code cols / block} entries,
     * one per input channel of a convolution, each shared by that channel's {@code block = kh·kw} weights.
     *
     * @param out the scores {@code [rows]}, overwritten (not null)
     * @param w the weights {@code [rows, …]} (not null)
     * @param gAbs the gradient magnitudes, of {@code w}'s size (not null)
     * @param freq the input frequencies, a divisor of {@code cols} in number (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void compositeScores(Tensor out, Tensor w, Tensor gAbs, Tensor freq);

    /**
     * Filter pruning via geometric median (He et al. 2019): {@code out [rows] = Σ_j ‖w[r, :] − w[j, :]‖₂}
     * over the rows of {@code w [rows, …]} (everything after the first dimension is the row). A row
     * close to all others is the one the rest can stand in for.
     *
     * @param out the scores, overwritten (not null)
     * @param w the weights, rank ≥ 1 (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     */
    void fpgmScores(Tensor out, Tensor w);

    /**
     * Layer-adaptive magnitude scores (Lee et al. 2021) of the elements of {@code w}, written to
     * {@code out} (same size): with the elements sorted by magnitude in increasing order (equal
     * magnitudes by increasing index), the score of the element at sorted position {@code u} is
     * {@code w_u² / Σ_{v ≥ u} w_v²}; the largest element scores 1. An all-zero tensor scores 0.
     *
     * @param out the scores, overwritten (not null)
     * @param w the weights (not null)
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void lampScores(Tensor out, Tensor w);

    /**
     * Segmented reduction: {@code out[k] = reduce(src[perm[i]] for offsets[k] ≤ i < offsets[k + 1])}
     * for {@code out [K]}, {@code offsets [K + 1]} (INT32, non-decreasing, from 0 to {@code perm}'s
     * size) and {@code perm} (INT32 indices into {@code src}). An empty segment gives 0. The order of
     * the terms within a segment is fixed, so the result is deterministic on every backend. Reduces the
     * scores of a dependency group's members onto the group's channels. Offsets or indices out of
     * range are an {@link IndexOutOfBoundsException}: the CPU throws it before writing anything; a
     * device backend writes that segment as 0 and throws it at its next synchronising call.
     *
     * @param out the reductions, overwritten (not null)
     * @param src the terms (not null)
     * @param perm the indices into {@code src} (not null)
     * @param offsets the segments' bounds in {@code perm} (not null)
     * @param reduction how a segment is folded (not null)
     * @throws IllegalArgumentException when the shapes or the element types do not fit
     * @throws IndexOutOfBoundsException when an offset or an index is out of range
     */
    void segmentReduce(Tensor out, Tensor src, Tensor perm, Tensor offsets, Reduction reduction);

    /**
     * Divides {@code s} in place as {@code kind} says (see {@link Normalization}: nothing for
     * {@code NONE}; its L2 norm, largest magnitude, sum of magnitudes, or mean magnitude); leaves it
     * as it is when that divisor is 0 (an all-zero tensor) or not finite.
     *
     * @param s the scores (not null)
     * @param kind the normalisation (not null)
     * @throws IllegalArgumentException when {@code s} is not FLOAT32
     */
    void normalize(Tensor s, Normalization kind);

    // ---- ranking and masks ---------------------------------------------------------------------

    /**
     * The k-th-value selection every ranking goes through: writes a 0/1 FLOAT32 {@code mask} that
     * keeps exactly the {@code keep} largest {@code scores} (NaN counts as smallest), ties at the
     * k-th value kept in index order (lower index first). Not a full sort.
     *
     * @param mask the mask, overwritten (not null)
     * @param scores the scores, of {@code mask}'s size (not null)
     * @param keep how many to keep, in {@code [0, scores.size()]}
     * @throws IllegalArgumentException when the sizes, the element types or {@code keep} do not fit
     */
    void selectTopK(Tensor mask, Tensor scores, int keep);

    /**
     * {@code s[i] = value} wherever {@code mask[i] == 0}: keeps pruned units out of later rankings.
     *
     * @param s the scores, written in place (not null)
     * @param mask the 0/1 mask, of {@code s}'s size (not null)
     * @param value the value of masked entries
     * @throws IllegalArgumentException when the sizes or the element types do not fit
     */
    void maskedFill(Tensor s, Tensor mask, float value);

    /**
     * Number of elements with {@code scores[i] >= threshold} (one scalar copied to the host).
     *
     * @param scores the scores (not null)
     * @param threshold the threshold
     * @return the count
     * @throws IllegalArgumentException when {@code scores} is not FLOAT32
     */
    int countAtLeast(Tensor scores, float threshold);

    /**
     * Prefix sum over a 0/1 {@code mask}: writes the indices of the kept elements, in increasing
     * order, to the front of {@code indices} (INT32, at least the mask's size) and returns how many
     * there are (one scalar copied to the host).
     *
     * @param indices the indices, written at the front (not null)
     * @param mask the mask (not null)
     * @return the number of kept elements
     * @throws IllegalArgumentException when {@code indices} is too small or an element type does not fit
     */
    int maskToIndices(Tensor indices, Tensor mask);

    /**
     * {@link #maskToIndices(Tensor, Tensor)} that leaves the count on the device, in
     * {@code counts[slot]} (INT32), instead of copying it to the host: a caller that compacts several
     * layers reads all their counts with one {@link #toIntArray}.
     *
     * @param indices the indices, written at the front (not null)
     * @param mask the mask (not null)
     * @param counts the counts, INT32; only {@code counts[slot]} is written (not null)
     * @param slot the entry of {@code counts} written
     * @throws IllegalArgumentException when {@code indices} is too small or an element type does not fit
     * @throws IndexOutOfBoundsException when {@code slot} is outside {@code counts}
     */
    void maskToIndices(Tensor indices, Tensor mask, Tensor counts, int slot);

    // ---- distillation --------------------------------------------------------------------------

    /**
     * Knowledge-distillation loss (Hinton et al. 2015): {@code (1−α)·CE(s, y) + α·T²·KL(softmax(t/T) ‖ softmax(s/T))}
     * per row of student logits {@code s} and teacher logits {@code t}; adds the summed loss and the
     * student's correct count to {@code metrics [2]} and writes {@code gradScale ·} its gradient with
     * respect to {@code s} into {@code gradLogits}. A label outside {@code [0, classes)} is an
     * {@link IllegalArgumentException}, thrown when {@link #softmaxCrossEntropy} throws it.
     *
     * @param gradLogits the student's logit gradient, of its shape, overwritten (required: a null one
     *                   is an {@link IllegalArgumentException})
     * @param metrics the loss and correct-count accumulators, added to (not null)
     * @param student the student's logits {@code [rows, classes]} (not null)
     * @param teacher the teacher's logits, of the student's shape (not null)
     * @param labels the class indices {@code [rows]}, INT32 (not null)
     * @param temperature the softmax temperature T, {@code > 0}
     * @param alpha the soft term's weight α, in {@code [0, 1]}
     * @param gradScale the gradient's factor
     * @throws IllegalArgumentException when {@code gradLogits} is null, the shapes, the element types or
     *                                  the scalars do not fit, or a label is outside the classes
     */
    void distillation(Tensor gradLogits, Tensor metrics, Tensor student, Tensor teacher, Tensor labels, float temperature,
                      float alpha, float gradScale);

    // ---- optimisers ----------------------------------------------------------------------------

    /**
     * SGD with momentum and decoupled-from-nothing (L2) weight decay, PyTorch's formulation:
     * {@code g' = g + wd·w; v = momentum·v + g'; w -= lr·v} ({@code v} unused when momentum is 0).
     *
     * @param w the weights, updated in place (not null)
     * @param velocity the momentum buffer, of {@code w}'s size, updated in place; may be null when
     *                 {@code momentum} is 0
     * @param grad the gradient, of {@code w}'s size (not null)
     * @param lr the learning rate
     * @param momentum the momentum
     * @param weightDecay the L2 weight decay
     * @throws IllegalArgumentException when {@code velocity} is null with a momentum, or the sizes or
     *                                  the element types do not fit
     */
    void sgdStep(Tensor w, Tensor velocity, Tensor grad, float lr, float momentum, float weightDecay);

    /**
     * Adam (Kingma &amp; Ba 2015) with L2 weight decay added to the gradient, bias-corrected with
     * {@code step} ≥ 1: {@code m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
     * w -= lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps)}.
     *
     * @param w the weights, updated in place (not null)
     * @param m the first-moment buffer, updated in place (not null)
     * @param v the second-moment buffer, updated in place (not null)
     * @param grad the gradient (not null); all four of one size
     * @param lr the learning rate
     * @param beta1 the first moment's decay β1
     * @param beta2 the second moment's decay β2
     * @param eps added to the denominator
     * @param weightDecay the L2 weight decay
     * @param step the step number t, ≥ 1
     * @throws IllegalArgumentException when the sizes, the element types or {@code step} do not fit
     */
    void adamStep(Tensor w, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
                  float weightDecay, int step);

    // ---- accounting ----------------------------------------------------------------------------

    /**
     * Device-to-host copies made so far; zero for the CPU backend, which has no device.
     *
     * @return a snapshot of the counts since the backend was made
     */
    TransferStats transfers();

    /**
     * Waits until queued work has finished (a no-op on the CPU). A device backend throws here what a
     * queued operation found (a failed kernel, a deferred index or label error).
     */
    void synchronize();

    /** Releases what the backend holds (handles, streams); tensors must be closed by their owners. */
    @Override
    void close();
}
