package io.prune4j.testing;

import java.util.function.DoubleSupplier;

/** Central finite differences for the gradient checks, in double precision. */
public final class FiniteDifference {
    /** The step: small enough that the truncation error is far below float precision. */
    public static final double H = 1e-6;

    private FiniteDifference() {}

    /** {@code (loss(v + H) − loss(v − H)) / 2H} for every element {@code v} of {@code values}, each restored after. */
    public static double[] gradient(double[] values, DoubleSupplier loss) {
        double[] g = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            values[i] = v + H;
            double up = loss.getAsDouble();
            values[i] = v - H;
            double down = loss.getAsDouble();
            values[i] = v;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    /** The dot product of two equally long vectors. */
    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
