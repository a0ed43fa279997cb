package io.prune4j.onnx;

import io.prune4j.onnx.OnnxReader.Constant;
import java.util.Arrays;

/**
 * The shape arithmetic PyTorch exports around a {@code Reshape}, evaluated while reading: for
 * {@code x.view(x.size(0), -1)} the exporter writes {@code Shape → Gather → Unsqueeze → Concat →
 * Reshape}. The values are integer constants, except that the batch extent, which a file may leave
 * symbolic, is the marker {@link #BATCH}; a Reshape to {@code [BATCH, -1]} is then a flatten like
 * any other. Unsqueeze, Squeeze, Reshape and Transpose also take FLOAT constants, which an export
 * without constant folding computes in the graph ({@code W.T}, {@code gamma[:, None, None]}). Each
 * method checks its inputs and throws {@link IllegalArgumentException} with the reason, which the
 * reader reports with the node.
 */
final class ShapeFolding {
    /** The batch extent, whatever it is at run time. No arithmetic is done on it. */
    static final long BATCH = Long.MIN_VALUE;

    private ShapeFolding() {}

    /** {@code Shape}: the extents of a {@code [batch, …perExample]} activation, from {@code start} to {@code end} (opset 15). */
    static Constant shape(int[] perExample, long start, long end) {
        long[] all = new long[perExample.length + 1];
        all[0] = BATCH;
        for (int i = 0; i < perExample.length; i++) {
            all[i + 1] = perExample[i];
        }
        return slice(new Constant(new int[] {all.length}, null, all), start, end, 1);
    }

    /** {@code Gather} along axis 0 of a one-dimensional integer tensor; the result has the indices' shape. */
    static Constant gather(Constant data, Constant indices, long axis) {
        long[] d = vector(data, "data");
        if (axis != 0 && axis != -1) {
            throw new IllegalArgumentException("axis " + axis + " is not supported; shapes are gathered along axis 0");
        }
        if (indices.ints() == null) {
            throw new IllegalArgumentException("indices must be integers");
        }
        long[] out = new long[indices.ints().length];
        for (int i = 0; i < out.length; i++) {
            long k = indices.ints()[i];
            if (k < -d.length || k >= d.length) {
                throw new IllegalArgumentException("index " + k + " is out of range for " + describe(data));
            }
            out[i] = d[(int) (k < 0 ? k + d.length : k)];
        }
        return new Constant(indices.dims().clone(), null, out);
    }

    /** {@code Unsqueeze} of a constant: extents of 1 inserted at {@code axes} (of the output's rank); the values are unchanged. */
    static Constant unsqueeze(Constant data, long[] axes) {
        int rank = data.dims().length + axes.length;
        boolean[] inserted = new boolean[rank];
        for (long a : axes) {
            int k = (int) normalise(a, rank);
            if (inserted[k]) {
                throw new IllegalArgumentException("axes " + Arrays.toString(axes) + " repeat an axis");
            }
            inserted[k] = true;
        }
        int[] dims = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) {
            dims[i] = inserted[i] ? 1 : data.dims()[j++];
        }
        return withDims(data, dims);
    }

    /** {@code Squeeze} of a constant: the extents of 1 at {@code axes} removed, or every extent of 1 when {@code axes} is null. */
    static Constant squeeze(Constant data, long[] axes) {
        int rank = data.dims().length;
        boolean[] removed = new boolean[rank];
        if (axes == null) {
            for (int i = 0; i < rank; i++) {
                removed[i] = data.dims()[i] == 1;
            }
        } else {
            for (long a : axes) {
                int k = (int) normalise(a, rank);
                if (data.dims()[k] != 1) {
                    throw new IllegalArgumentException("axis " + a + " has extent " + data.dims()[k] + ", not 1");
                }
                removed[k] = true;
            }
        }
        int[] dims = new int[rank];
        int n = 0;
        for (int i = 0; i < rank; i++) {
            if (!removed[i]) {
                dims[n++] = data.dims()[i];
            }
        }
        return withDims(data, Arrays.copyOf(dims, n));
    }

    /** The number of values of {@code c}, integers or FLOAT. */
    private static int count(Constant c) {
        return c.ints() != null ? c.ints().length : c.floats().length;
    }

    /** {@code data}'s values (a copy) under other extents of the same count. */
    private static Constant withDims(Constant data, int[] dims) {
        return new Constant(dims, data.floats() == null ? null : data.floats().clone(), data.ints() == null ? null : data.ints().clone());
    }

    /** {@code Concat} along axis 0 of one-dimensional integer tensors. */
    static Constant concat(Constant[] parts, long axis) {
        if (axis != 0 && axis != -1) {
            throw new IllegalArgumentException("axis " + axis + " is not supported for constants; shapes are concatenated along axis 0");
        }
        long[] out = new long[0];
        for (int i = 0; i < parts.length; i++) {
            long[] p = vector(parts[i], "input " + i);
            long[] joined = Arrays.copyOf(out, out.length + p.length);
            System.arraycopy(p, 0, joined, out.length, p.length);
            out = joined;
        }
        return new Constant(new int[] {out.length}, null, out);
    }

    /** {@code Slice} of a one-dimensional integer tensor: {@code data[start:end:step]} with ONNX's clamping. */
    static Constant slice(Constant data, long start, long end, long step) {
        vector(data, "data");
        return slice(data, 0, start, end, step);
    }

    /**
     * {@code Slice} of an integer tensor along one axis, {@code start:end:step} with ONNX's clamping
     * (a negative step walks backwards: PyTorch reverses the rows of its padding table so).
     */
    static Constant slice(Constant data, long axis, long start, long end, long step) {
        ints(data, "data");
        if (step == 0) {
            throw new IllegalArgumentException("step 0 is not a slice");
        }
        int[] dims = data.dims();
        if (dims.length == 0) {
            throw new IllegalArgumentException("a scalar cannot be sliced");
        }
        int a = (int) normalise(axis, dims.length);
        int n = dims[a];
        int inner = 1;
        for (int i = a + 1; i < dims.length; i++) {
            inner *= dims[i];
        }
        int outer = data.ints().length / Math.max(1, n * inner);
        long from = start < 0 ? start + n : start;
        long to = end < 0 ? end + n : end;
        int kept;
        // counts as (span − 1) / |step| + 1, which cannot overflow for any step (|Long.MIN_VALUE| as Long.MAX_VALUE)
        if (step > 0) {
            from = Math.max(0, Math.min(from, n));
            to = Math.max(0, Math.min(to, n));
            kept = to > from ? (int) ((to - from - 1) / step + 1) : 0;
        } else {
            from = Math.max(-1, Math.min(from, n - 1));
            to = Math.max(-1, Math.min(to, n - 1));
            long magnitude = step == Long.MIN_VALUE ? Long.MAX_VALUE : -step;
            kept = from > to ? (int) ((from - to - 1) / magnitude + 1) : 0;
        }
        long[] values = new long[outer * kept * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < kept; i++) {
                System.arraycopy(data.ints(), (o * n + (int) (from + i * step)) * inner, values, (o * kept + i) * inner, inner);
            }
        }
        int[] shape = dims.clone();
        shape[a] = kept;
        return new Constant(shape, null, values);
    }

    /** The most values {@link #constantOfShape} makes: shape arithmetic needs few, and a file cannot ask for memory it does not hold. */
    static final int MAX_VALUES = 1 << 16;

    /** {@code ConstantOfShape}: a tensor of the extents in {@code shape}, every value {@code value}'s one value. */
    static Constant constantOfShape(Constant shape, Constant value) {
        long[] extents = vector(shape, "input");
        long count = 1;
        for (long e : extents) {
            if (e < 0 || e == BATCH) {
                throw new IllegalArgumentException("the extents " + describe(shape) + " are not a fixed shape");
            }
            count *= e;
            if (count > MAX_VALUES) {
                throw new IllegalArgumentException("the extents " + describe(shape) + " hold more than " + MAX_VALUES + " values; shape arithmetic"
                        + " is supported up to that");
            }
        }
        int[] dims = Arrays.stream(extents).mapToInt(e -> (int) e).toArray();
        int values = (int) count;
        if (value.ints() != null && value.ints().length == 1) {
            long[] out = new long[values];
            Arrays.fill(out, value.ints()[0]);
            return new Constant(dims, null, out);
        }
        if (value.floats() != null && value.floats().length == 1) {
            float[] out = new float[values];
            Arrays.fill(out, value.floats()[0]);
            return new Constant(dims, out, null);
        }
        throw new IllegalArgumentException("the value must be one number, got shape " + Arrays.toString(value.dims()));
    }

    /**
     * {@code Reshape} of a constant to {@code target}: an extent of 0 copies the input's (unless
     * {@code allowZero}), one of −1 takes what is left; the values keep their order.
     */
    static Constant reshape(Constant data, long[] target, boolean allowZero) {
        long total = count(data);
        int[] dims = new int[target.length];
        int free = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            long t = target[i];
            if (t == 0 && !allowZero) {
                if (i >= data.dims().length) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(target) + " copies extent " + i + " of a rank-"
                            + data.dims().length + " tensor");
                }
                t = data.dims()[i];
            } else if (t == -1) {
                if (free >= 0) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(target) + " has more than one -1");
                }
                free = i;
                continue;
            } else if (t < 0 || t > total) {
                throw new IllegalArgumentException("shape " + Arrays.toString(target) + " does not fit " + total + " values");
            }
            dims[i] = (int) t;
            known *= t;
            if (known > total) {
                break;
            }
        }
        if (free >= 0 && known > 0 && total % known == 0) {
            dims[free] = (int) (total / known);
            known *= dims[free];
        }
        if (known != total) {
            throw new IllegalArgumentException("shape " + Arrays.toString(target) + " does not fit the " + total + " values of "
                    + Arrays.toString(data.dims()));
        }
        return withDims(data, dims);
    }

    /**
     * {@code Transpose} of a constant by {@code perm} (reversed axes when null): of a shape, or of a
     * weight, which an export without constant folding transposes in the graph ({@code x @ W.T}).
     */
    static Constant transpose(Constant data, long[] perm) {
        int[] dims = data.dims();
        int rank = dims.length;
        int[] p = new int[rank];
        boolean[] seen = new boolean[rank];
        if (perm != null && perm.length != rank) {
            throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " does not permute " + rank + " axes");
        }
        for (int i = 0; i < rank; i++) {
            long a = perm == null ? rank - 1 - i : perm[i];
            if (a < 0 || a >= rank || seen[(int) a]) {
                throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " does not permute " + rank + " axes");
            }
            seen[(int) a] = true;
            p[i] = (int) a;
        }
        int[] shape = new int[rank];
        int[] stride = new int[rank];
        for (int i = rank - 1, st = 1; i >= 0; i--) {
            stride[i] = st;
            st *= dims[i];
        }
        for (int i = 0; i < rank; i++) {
            shape[i] = dims[p[i]];
        }
        int count = count(data);
        long[] ints = data.ints() != null ? new long[count] : null;
        float[] floats = ints == null ? new float[count] : null;
        int[] index = new int[rank];
        for (int k = 0; k < count; k++) {
            int source = 0;
            for (int i = 0; i < rank; i++) {
                source += index[i] * stride[p[i]];
            }
            if (ints != null) {
                ints[k] = data.ints()[source];
            } else {
                floats[k] = data.floats()[source];
            }
            for (int i = rank - 1; i >= 0 && ++index[i] == shape[i]; i--) {
                index[i] = 0;
            }
        }
        return new Constant(shape, floats, ints);
    }

    /**
     * {@code Add}, {@code Sub}, {@code Mul} or {@code Div} of two integer tensors of one shape, or of
     * one and a single value (broadcast); {@code Div} truncates toward zero, as ONNX Runtime's integer
     * division does. The batch extent takes part in no arithmetic, and an overflow or a division by
     * zero is refused.
     */
    static Constant arithmetic(String op, Constant a, Constant b) {
        ints(a, "A");
        ints(b, "B");
        long[] x = a.ints();
        long[] y = b.ints();
        boolean sameShape = Arrays.equals(a.dims(), b.dims());
        if (!sameShape && x.length != 1 && y.length != 1) {
            throw new IllegalArgumentException("shapes " + Arrays.toString(a.dims()) + " and " + Arrays.toString(b.dims()) + " do not"
                    + " broadcast; shape arithmetic takes one shape, or one value");
        }
        int[] dims;
        if (sameShape) {
            dims = a.dims();
        } else if (x.length == 1 && y.length == 1) {
            dims = a.dims().length >= b.dims().length ? a.dims() : b.dims();   // [] with [1]: the higher rank
        } else {
            dims = x.length == 1 ? b.dims() : a.dims();
        }
        // a single value broadcasts against the other tensor, whatever its size (0 included: the result is then empty)
        int n = x.length == 1 ? y.length : x.length;
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long p = x[x.length == 1 ? 0 : i];
            long q = y[y.length == 1 ? 0 : i];
            if (p == BATCH || q == BATCH) {
                throw new IllegalArgumentException(op + " of the batch extent is not supported: it is known only at run time");
            }
            try {
                out[i] = switch (op) {
                    case "Add" -> Math.addExact(p, q);
                    case "Sub" -> Math.subtractExact(p, q);
                    case "Mul" -> Math.multiplyExact(p, q);
                    case "Div" -> {
                        if (q == 0) {
                            throw new IllegalArgumentException("Div by zero in shape arithmetic");
                        }
                        yield p / q;
                    }
                    default -> throw new IllegalArgumentException(op + " is not shape arithmetic");
                };
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(op + " of " + p + " and " + q + " overflows");
            }
        }
        return new Constant(dims.clone(), null, out);
    }

    /** One value of {@code c} as it should read in a message: "batch" for {@link #BATCH}. */
    static String describe(Constant c) {
        if (c.ints() == null) {
            return "shape " + Arrays.toString(c.dims());
        }
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < c.ints().length; i++) {
            s.append(i == 0 ? "" : ", ").append(c.ints()[i] == BATCH ? "batch" : Long.toString(c.ints()[i]));
        }
        return s.append("]").toString();
    }

    private static long[] vector(Constant c, String what) {
        ints(c, what);
        if (c.dims().length != 1) {
            throw new IllegalArgumentException(what + " has shape " + Arrays.toString(c.dims()) + "; only one-dimensional shapes are supported");
        }
        return c.ints();
    }

    private static void ints(Constant c, String what) {
        if (c.ints() == null) {
            throw new IllegalArgumentException(what + " must be integers (a shape), got FLOAT values");
        }
    }

    private static long normalise(long axis, int rank) {
        if (axis < -rank || axis >= rank) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
        }
        return axis < 0 ? axis + rank : axis;
    }
}
