package io.prune4j.cli;

import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.onnx.Agreement;
import io.prune4j.onnx.ModelFormat;
import io.prune4j.onnx.OnnxNames;
import io.prune4j.onnx.OutputFunction;
import io.prune4j.onnx.OnnxRuntime;
import io.prune4j.onnx.OnnxWriter;
import io.prune4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** {@code --verify}: the network's ONNX export run in ONNX Runtime against prune4j on the same inputs. */
final class Verify {
    private static final int BATCH = 32;

    private Verify() {}

    /**
     * Compares {@code net} with its ONNX form (the file {@code saved} when it is ONNX, else an export
     * in memory) on the first {@code n} examples of {@code test} (when there is one) and on {@code n}
     * random inputs; the worst agreement of the two.
     */
    static Agreement run(Graph net, OnnxNames names, Path saved, Dataset test, int n, long seed) {
        byte[] model;
        try {
            model = saved != null && ModelFormat.of(saved) == ModelFormat.ONNX ? Files.readAllBytes(saved)
                    : OnnxWriter.toModel(net, names, Map.of()).toByteArray();
        } catch (IOException e) {
            throw new io.prune4j.Prune4jException(saved + ": cannot read back for --verify (" + e.getMessage() + ")", e);
        }
        Dataset random = Dataset.random(net.inputShape(), net.classifies() ? net.outputSize() : 1, n, seed + 1);
        try (OnnxRuntime ort = OnnxRuntime.open(model, 0)) {
            OutputFunction f = names == null ? OutputFunction.NONE : names.outputFunction();
            Agreement a = compare(net, f, ort, random, n);
            return test == null ? a : a.worst(compare(net, f, ort, test, Math.min(n, test.count())));
        }
    }

    /** {@code net}'s outputs, passed through {@code f} as the file does, against ONNX Runtime's. */
    private static Agreement compare(Graph net, OutputFunction f, OnnxRuntime ort, Dataset data, int n) {
        int size = net.inputSize();
        Agreement worst = null;
        float[] first = null;
        boolean constant = true;
        for (int from = 0; from < n; from += BATCH) {
            int rows = Math.min(BATCH, n - from);
            float[] x = Arrays.copyOfRange(data.features(), from * size, (from + rows) * size);
            int[] shape = new int[net.inputShape().length + 1];
            shape[0] = rows;
            System.arraycopy(net.inputShape(), 0, shape, 1, net.inputShape().length);
            float[] ours;
            try (Tensor t = net.backend().fromArray(x, shape)) {
                ours = f.apply(net.forward(t, false).toFloatArray(), rows);
            }
            int classes = ours.length / rows;
            first = first == null ? Arrays.copyOf(ours, classes) : first;
            for (int i = 0; i < ours.length; i++) {
                constant &= Float.compare(ours[i], first[i % classes]) == 0;
            }
            Agreement a = Agreement.of(rows, ours, ort.run(x, rows, net.inputShape()));
            worst = worst == null ? a : worst.worst(a);
        }
        if (constant && n > 1) {
            System.out.println("verify: note: every one of the " + n + " " + data.name() + " examples gives the same output, so agreeing"
                    + " on them shows little (the network no longer responds to its input)");
        }
        return worst;
    }
}
