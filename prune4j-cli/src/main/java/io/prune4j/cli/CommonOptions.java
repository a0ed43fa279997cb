package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.backend.Backends;
import io.prune4j.data.Mnist;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command that trains or evaluates shares. */
final class CommonOptions {
    @Option(names = "--data", paramLabel = "DIR", description = "Folder with the MNIST-format IDX files, or with binary CIFAR-10 (data_batch_1.bin …, test_batch.bin) (default: ${DEFAULT-VALUE}).")
    Path data = Mnist.FASHION_MNIST_DIR;

    @Option(names = "--input-mean", paramLabel = "M[,M…]", split = ",", description = "Scale pixels to (p/255 − M) / S, for a model "
            + "trained with other statistics than the data set's (one value, or one per channel; default: the data set's, Fashion-MNIST "
            + "0.2860).")
    float[] inputMean;

    @Option(names = "--input-std", paramLabel = "S[,S…]", split = ",", description = "See --input-mean (default: the data set's, "
            + "Fashion-MNIST 0.3530).")
    float[] inputStd;

    /** The data set in {@code --data}, scaled as {@code --input-mean} and {@code --input-std} say. */
    io.prune4j.data.Mnist.Splits loadData() {
        try {
            return io.prune4j.data.DataSets.load(data, inputMean, inputStd);
        } catch (io.prune4j.MissingFileException e) {
            // the library's message says what is missing; the command line adds where to point instead
            throw new io.prune4j.Prune4jException(e.getMessage() + " (--data DIR reads another folder)", e);
        }
    }

    @Option(names = "--device", paramLabel = "cpu|cuda|auto", description = "Where to compute (default: ${DEFAULT-VALUE}).")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads for matrix products (default: all processors).")
    Integer threads;

    @Option(names = "--seed", description = "Seed for initialisation, shuffling and scoring (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    /**
     * The fields every report starts with, what it takes to run it again and get the same numbers
     * (issue 6): versions (prune4j, Java, OS), device (and on the CPU the OpenBLAS thread count, the
     * gemm path and the convolution path with oneDNN's version, since OpenBLAS and oneDNN may sum in
     * another order with another thread count or version), data set, seed.
     */
    java.util.Map<String, Object> reportHeader(Backend backend, io.prune4j.data.Dataset train) {
        java.util.Map<String, Object> r = new java.util.LinkedHashMap<>();
        r.put("version", Main.version());
        r.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"));
        r.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        r.put("device", backend.name());
        if (backend instanceof io.prune4j.backend.cpu.CpuBackend cpu) {
            r.put("threads", cpu.threads());
            r.put("gemm", io.prune4j.backend.cpu.CpuBackend.gemmPath());
            // the convolutions' summation order is oneDNN's or the Java code's: part of what gives the same bits
            r.put("conv", cpu.convPath());
            if (cpu.convPath().equals("dnnl")) {
                r.put("dnnl", io.prune4j.backend.cpu.DnnlConv.version());
            }
        }
        r.put("dataset", train.name().replace("/train", ""));
        r.put("seed", seed);
        return r;
    }

    /** {@code --threads}, or every processor. */
    int threadCount() {
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) {
            throw new InvalidSettingException("--threads must be at least 1, got " + t);
        }
        return t;
    }

    Backend openBackend() {
        Backends.Device d = Backends.Device.parse(device);
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) {
            throw new InvalidSettingException("--threads must be at least 1, got " + t);
        }
        Backend backend;
        try {
            backend = Backends.create(d, t);
        } catch (io.prune4j.backend.DeviceUnavailableException e) {
            throw new io.prune4j.backend.DeviceUnavailableException(e.getMessage() + " (--device cpu)", e);
        }
        System.err.println("device: " + backend.name() + (d == Backends.Device.AUTO ? " (chosen by --device auto)" : "")
                + (backend.name().equals("cpu") ? ", " + t + " thread" + (t == 1 ? "" : "s") : ""));
        return backend;
    }
}
