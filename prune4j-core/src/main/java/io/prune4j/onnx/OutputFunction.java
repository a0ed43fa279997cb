package io.prune4j.onnx;

import java.util.Objects;

/**
 * What an ONNX model does to its class scores last. A deployed classifier often ends in Softmax or
 * LogSoftmax; prune4j trains and scores on the scores before it (its loss is the cross-entropy of
 * logits), so the reader takes that last node off and {@link OnnxNames} remembers it, and the writer
 * puts it back. Accuracy is the same either way (both are monotone in each row).
 */
public enum OutputFunction {
    /** The file's output is the scores themselves. */
    NONE(""),
    /** {@code Softmax} along the classes. */
    SOFTMAX("Softmax"),
    /** {@code LogSoftmax} along the classes. */
    LOG_SOFTMAX("LogSoftmax");

    private final String operator;

    OutputFunction(String operator) {
        this.operator = operator;
    }

    /**
     * The ONNX operator.
     *
     * @return {@code Softmax} or {@code LogSoftmax}, or "" for {@link #NONE}
     */
    public String operator() {
        return operator;
    }

    /**
     * The file's outputs for {@code rows} rows of {@code scores}, computed in double per row.
     *
     * @param scores {@code rows × classes} values, row after row (not null); not modified
     * @param rows   the number of rows, at least 0
     * @return a new array of the function's values, or {@code scores} itself for {@link #NONE}
     * @throws IllegalArgumentException when the function is not {@link #NONE} and {@code scores} is not
     *     {@code rows} whole rows
     */
    public float[] apply(float[] scores, int rows) {
        Objects.requireNonNull(scores, "scores");
        if (this == NONE) {
            return scores;
        }
        int classes = classes(scores, rows);
        float[] out = new float[scores.length];
        for (int r = 0; r < rows; r++) {
            double lse = logSumExp(scores, r * classes, classes);
            for (int c = r * classes; c < (r + 1) * classes; c++) {
                double log = scores[c] - lse;
                out[c] = (float) (this == SOFTMAX ? Math.exp(log) : log);
            }
        }
        return out;
    }

    /**
     * Scores whose softmax is the file's output, from {@code outputs}: the log of probabilities (the
     * cross-entropy of a row is then {@code −log p} of its label), log-probabilities as they are.
     *
     * @param outputs the file's outputs, {@code rows × classes} values row after row (not null); not modified
     * @param rows    the number of rows, at least 0
     * @return a new array of logs for {@link #SOFTMAX}, {@code outputs} itself otherwise
     * @throws IllegalArgumentException for {@link #SOFTMAX} when {@code outputs} is not {@code rows} whole rows
     */
    public float[] toScores(float[] outputs, int rows) {
        Objects.requireNonNull(outputs, "outputs");
        if (this != SOFTMAX) {
            return outputs;
        }
        classes(outputs, rows);
        float[] s = new float[outputs.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) Math.log(outputs[i]);
        }
        return s;
    }

    private static int classes(float[] v, int rows) {
        if (rows < 0 || (rows == 0 ? v.length != 0 : v.length % rows != 0)) {
            throw new IllegalArgumentException(v.length + " outputs are not " + rows + " rows");
        }
        return rows == 0 ? 0 : v.length / rows;
    }

    private static double logSumExp(float[] v, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, v[i]);
        }
        if (Double.isInfinite(max)) {
            return max;
        }
        double sum = 0;
        for (int i = from; i < from + n; i++) {
            sum += Math.exp(v[i] - max);
        }
        return max + Math.log(sum);
    }
}
