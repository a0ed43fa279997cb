package io.prune4j.backend.cpu;

import io.prune4j.nn.Adam;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.Parameter;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The two convolution paths of the CPU backend, oneDNN and the Java code, timed in one JVM with
 * their runs alternating, so that whatever else loads the machine loads both alike (not a test:
 * run it by hand, see docs/dnnl.md).
 *
 * <pre>
 *   java -cp target/classes:target/test-classes:target/lib/* io.prune4j.backend.cpu.ConvPathBench MODE THREADS
 *   MODE layers   forward and backward ms of single convolutions (the ResNet's and others), both paths
 *        profile  per-node forward and backward ms of the ResNet's training step, both paths
 *        step     ResNet training steps per second (forward, softmax-CE, backward, Adam 1e-3, batch 128),
 *                 rounds of 3 s as benchmarks/torch_resnet.py counts them; -Darch=cnn for the Fashion-MNIST CNN
 * </pre>
 */
public final class ConvPathBench {
    private static final int BATCH = 128;

    private ConvPathBench() {}

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "step";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        switch (mode) {
            case "layers" -> layers(threads, Integer.getInteger("reps", 20));
            case "profile" -> profile(threads, Integer.getInteger("iters", 40));
            case "step" -> step(threads, Integer.getInteger("rounds", 5), Double.parseDouble(System.getProperty("seconds", "3")));
            default -> throw new IllegalArgumentException("mode is layers, profile or step, not " + mode);
        }
    }

    private static float[] randn(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** {batch, in, hw, out, k, stride, pad, groups}: the ResNet's convolutions, a 5×5, odd channels, depthwise and grouped ones. */
    private static final int[][] SHAPES = {
        {128, 1, 28, 16, 3, 1, 1, 1}, {128, 16, 28, 16, 3, 1, 1, 1}, {128, 16, 28, 32, 3, 2, 1, 1}, {128, 32, 14, 32, 3, 1, 1, 1},
        {128, 16, 28, 32, 1, 2, 0, 1}, {128, 32, 14, 64, 3, 2, 1, 1}, {128, 64, 7, 64, 3, 1, 1, 1}, {128, 32, 14, 64, 1, 2, 0, 1},
        {128, 32, 14, 64, 1, 1, 0, 1}, {128, 13, 28, 11, 3, 1, 1, 1}, {128, 16, 28, 16, 5, 1, 2, 1}, {128, 64, 14, 128, 3, 1, 1, 1},
        {128, 32, 14, 32, 3, 1, 1, 32}, {128, 32, 28, 32, 3, 2, 1, 32}, {128, 32, 14, 64, 3, 1, 1, 32}, {128, 32, 14, 64, 3, 1, 1, 2}};

    private static void layers(int threads, int reps) {
        try (CpuBackend dnnl = new CpuBackend(threads, true); CpuBackend java = new CpuBackend(threads, false)) {
            CpuBackend[] be = {dnnl, java};
            SplittableRandom rng = new SplittableRandom(1);
            System.out.printf("%-34s %17s %17s   %s%n", "batch,in,hw,out,k,stride,pad,groups", "oneDNN fwd  bwd", "Java fwd  bwd", "oneDNN plan");
            for (int[] s : SHAPES) {
                int b = s[0], c = s[1], h = s[2], o = s[3], k = s[4], st = s[5], p = s[6], g = s[7];
                int ho = (h + 2 * p - k) / st + 1;
                float[] x = randn(rng, b * c * h * h);
                float[] w = randn(rng, o * (c / g) * k * k);
                float[] dy = randn(rng, b * o * ho * ho);
                double[][] t = new double[2][2];
                Tensor[][] ts = new Tensor[2][];
                for (int i = 0; i < 2; i++) {
                    ts[i] = new Tensor[] {be[i].fromArray(x, b, c, h, h), be[i].fromArray(w, o, c / g, k, k), be[i].zeros(DType.FLOAT32, b, o, ho, ho),
                        be[i].fromArray(dy, b, o, ho, ho), be[i].zeros(DType.FLOAT32, b, c, h, h), be[i].zeros(DType.FLOAT32, o, c / g, k, k)};
                }
                for (int it = 0; it < reps + 2; it++) {
                    for (int i = 0; i < 2; i++) {
                        Tensor[] q = ts[i];
                        long t0 = System.nanoTime();
                        be[i].conv2d(q[2], q[0], q[1], null, st, p, g, false);
                        long t1 = System.nanoTime();
                        be[i].conv2dBackward(q[4], q[5], null, q[3], q[0], q[1], st, p, g);
                        long t2 = System.nanoTime();
                        if (it >= 2) {
                            t[i][0] += (t1 - t0) / 1e6 / reps;
                            t[i][1] += (t2 - t1) / 1e6 / reps;
                        }
                    }
                }
                for (Tensor[] q : ts) {
                    for (Tensor e : q) {
                        e.close();
                    }
                }
                System.out.printf("%-34s %8.2f %8.2f %8.2f %8.2f   %s / %s%n", Arrays.toString(s), t[0][0], t[0][1], t[1][0], t[1][1],
                        dnnl.dnnlPlan(b, c, h, h, o, k, st, p, g, false), dnnl.dnnlPlan(b, c, h, h, o, k, st, p, g, true));
            }
        }
    }

    /** One network, its optimiser and a fixed batch on one backend. */
    private record Setup(CpuBackend be, Graph net, Adam adam, Tensor x, Tensor y, Tensor grad, Tensor metrics, List<Parameter> params) {
        static Setup of(int threads, boolean dnnl) {
            CpuBackend be = new CpuBackend(threads, dnnl);
            Graph net = System.getProperty("arch", "resnet").equals("cnn")
                    ? Models.cnn(be, new int[] {1, 28, 28}, new int[] {64, 128}, 256, 10, 42)
                    : Models.resnet(be, new int[] {1, 28, 28}, 1, 16, 10, 42);
            SplittableRandom rng = new SplittableRandom(7);
            float[] x = new float[BATCH * 784];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextDouble();
            }
            int[] labels = new int[BATCH];
            for (int i = 0; i < BATCH; i++) {
                labels[i] = rng.nextInt(10);
            }
            return new Setup(be, net, new Adam(), be.fromArray(x, BATCH, 784), be.fromArray(labels, BATCH), be.zeros(DType.FLOAT32, BATCH, 10),
                    be.zeros(DType.FLOAT32, 2), net.parameters());
        }

        void step() {
            Tensor logits = net.forward(x, true);
            be.softmaxCrossEntropy(grad, metrics, logits, y, 1f / BATCH);
            net.backward(grad);
            adam.step(params, 1e-3f);
        }

        void close() {
            adam.close();
            net.close();
            be.close();
        }
    }

    private static void step(int threads, int rounds, double seconds) {
        Setup[] s = {Setup.of(threads, true), Setup.of(threads, false)};
        String[] names = {"oneDNN", "Java"};
        double[][] rates = new double[2][rounds];
        for (int r = -1; r < rounds; r++) { // round -1 warms up (JIT, primitives)
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                int n = 0;
                while (System.nanoTime() - t0 < seconds * 1e9) {
                    s[i].step();
                    n++;
                }
                if (r >= 0) {
                    rates[i][r] = n * BATCH / ((System.nanoTime() - t0) / 1e9);
                }
            }
        }
        for (int i = 0; i < 2; i++) {
            System.out.printf("%-6s convolutions, %d threads: train_samples_per_s %.0f, rounds %s%n", names[i], threads,
                    Arrays.stream(rates[i]).average().orElse(0), Arrays.toString(Arrays.stream(rates[i]).map(Math::round).toArray()));
            s[i].close();
        }
    }

    private static void profile(int threads, int iters) {
        Setup[] s = {Setup.of(threads, true), Setup.of(threads, false)};
        List<Map<String, long[]>> fw = new ArrayList<>();
        List<Map<String, long[]>> bw = new ArrayList<>();
        long[] t = {0};
        String[] prev = {null};
        for (int i = 0; i < 2; i++) {
            Map<String, long[]> f = new LinkedHashMap<>();
            Map<String, long[]> b = new LinkedHashMap<>();
            fw.add(f);
            bw.add(b);
            // a node's time: from the previous hook to its own (as /tmp/prof/Prof.java measures it)
            s[i].net.addForwardHook((name, layer, in, out) -> {
                long now = System.nanoTime();
                f.computeIfAbsent(name, k -> new long[1])[0] += now - t[0];
                t[0] = now;
            });
            s[i].net.addBackwardHook((name, layer, g) -> {
                long now = System.nanoTime();
                if (prev[0] != null) {
                    b.computeIfAbsent(prev[0], k -> new long[1])[0] += now - t[0];
                }
                prev[0] = name;
                t[0] = now;
            });
        }
        int warm = 10;
        for (int it = 0; it < iters; it++) {
            for (int i = 0; i < 2; i++) {
                Setup q = s[i];
                if (it == warm) {
                    fw.get(i).clear();
                    bw.get(i).clear();
                }
                t[0] = System.nanoTime();
                prev[0] = null;
                Tensor logits = q.net.forward(q.x, true);
                q.be.softmaxCrossEntropy(q.grad, q.metrics, logits, q.y, 1f / BATCH);
                t[0] = System.nanoTime();
                q.net.backward(q.grad);
                long now = System.nanoTime();
                if (prev[0] != null) {
                    bw.get(i).computeIfAbsent(prev[0], k -> new long[1])[0] += now - t[0];
                }
            }
        }
        double per = (iters - warm) * 1e6;
        System.out.printf("%-14s %-46s %17s %17s%n", "node", "layer", "oneDNN fwd  bwd", "Java fwd  bwd");
        double[][] tot = new double[2][4];
        for (String name : fw.get(0).keySet()) {
            String d = s[0].net.layer(name).describe();
            System.out.printf("%-14s %-46s", name, d.substring(0, Math.min(46, d.length())));
            for (int i = 0; i < 2; i++) {
                double f = fw.get(i).get(name)[0] / per;
                double b = bw.get(i).getOrDefault(name, new long[1])[0] / per;
                tot[i][0] += f;
                tot[i][1] += b;
                if (d.startsWith("Conv2d")) {
                    tot[i][2] += f;
                    tot[i][3] += b;
                }
                System.out.printf(" %8.2f %8.2f", f, b);
            }
            System.out.println();
        }
        String[] names = {"oneDNN", "Java"};
        for (int i = 0; i < 2; i++) {
            System.out.printf("%-6s: total fwd %.1f ms, bwd %.1f ms (convolutions %.1f + %.1f) per batch -> %.0f samples/s (no optimiser)%n",
                    names[i], tot[i][0], tot[i][1], tot[i][2], tot[i][3], BATCH / ((tot[i][0] + tot[i][1]) / 1000));
            s[i].close();
        }
    }
}
