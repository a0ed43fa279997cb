package io.prune4j.prune;

import io.prune4j.nn.Parameter;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.testing.Naive;
import java.util.List;

/**
 * A double-precision copy of a two-layer MLP {@code in → hidden (ReLU) → classes} with finite
 * differences, the reference the scorers are checked against.
 */
final class NaiveMlp {
    static final double H = 1e-6;
    final int in;
    final int hidden;
    final int classes;
    final double[] w1;
    final double[] b1;
    final double[] w2;
    final double[] b2;
    final double[] x;
    final int[] y;
    final int batch;

    NaiveMlp(Graph net, float[] x, int[] y, int in, int hidden, int classes) {
        List<Parameter> p = net.parameters();
        this.w1 = Naive.toDouble(p.get(0).value().toFloatArray());
        this.b1 = Naive.toDouble(p.get(1).value().toFloatArray());
        this.w2 = Naive.toDouble(p.get(2).value().toFloatArray());
        this.b2 = Naive.toDouble(p.get(3).value().toFloatArray());
        this.x = Naive.toDouble(x);
        this.y = y;
        this.in = in;
        this.hidden = hidden;
        this.classes = classes;
        this.batch = y.length;
    }

    double[] hiddenActivations() {
        return Naive.dense(x, batch, in, w1, b1, hidden, true);
    }

    /** Mean cross-entropy as a function of the hidden activations. */
    double lossFromHidden(double[] a) {
        return Naive.crossEntropy(Naive.dense(a, batch, hidden, w2, b2, classes, false), y, batch, classes);
    }

    double loss() {
        return lossFromHidden(hiddenActivations());
    }

    /** ∂L/∂a for every hidden activation, by central differences. */
    double[] gradHidden() {
        double[] a = hiddenActivations();
        double[] g = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double v = a[i];
            a[i] = v + H;
            double up = lossFromHidden(a);
            a[i] = v - H;
            double down = lossFromHidden(a);
            a[i] = v;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    /** ∂L/∂w for every element of {@code w} (one of this object's arrays), by central differences. */
    double[] grad(double[] w) {
        double[] g = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            double v = w[i];
            w[i] = v + H;
            double up = loss();
            w[i] = v - H;
            double down = loss();
            w[i] = v;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }
}
