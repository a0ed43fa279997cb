package io.prune4j.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/** Writes small MNIST-format data sets for tests. */
public final class IdxFiles {
    private IdxFiles() {}

    public static byte[] idx(int[] dims, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(8);
        out.write(dims.length);
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
        }
        out.writeBytes(data);
        return out.toByteArray();
    }

    public static byte[] gzip(byte[] raw) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
                gz.write(raw);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The first {@code train} training and {@code test} test examples of the MNIST-format data set in
     * {@code from}, written as an MNIST-format data set into {@code to} (gzip-compressed): a real data
     * set, small enough for a quick test.
     */
    public static void writeHead(Path from, Path to, int train, int test) {
        try {
            Files.createDirectories(to);
            for (String[] split : new String[][] {{"train", Integer.toString(train)}, {"t10k", Integer.toString(test)}}) {
                int n = Integer.parseInt(split[1]);
                for (String kind : new String[] {"images-idx3-ubyte", "labels-idx1-ubyte"}) {
                    String name = split[0] + "-" + kind;
                    Path src = Files.exists(from.resolve(name + ".gz")) ? from.resolve(name + ".gz") : from.resolve(name);
                    io.prune4j.data.IdxFile f = io.prune4j.data.IdxReader.read(src);
                    int[] dims = f.dims().clone();
                    int per = f.data().length / dims[0];
                    dims[0] = n;
                    Files.write(to.resolve(name + ".gz"), gzip(idx(dims, java.util.Arrays.copyOf(f.data(), n * per))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A learnable toy data set in {@code dir}: {@code classes} classes of {@code side×side} images,
     * each class a bright square at its own position plus noise. gzip-compressed like the real files.
     */
    public static void writeToyDataset(Path dir, int train, int test, int side, int classes, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        write(dir, "train", train, side, classes, rng);
        write(dir, "t10k", test, side, classes, rng);
    }

    private static void write(Path dir, String prefix, int n, int side, int classes, SplittableRandom rng) {
        byte[] images = new byte[n * side * side];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int c = rng.nextInt(classes);
            labels[i] = (byte) c;
            for (int p = 0; p < side * side; p++) {
                int row = p / side;
                int col = p % side;
                boolean on = row / 2 == c % (side / 2) && col / 2 == (c / (side / 2)) % (side / 2);
                images[i * side * side + p] = (byte) Math.min(255, (on ? 200 : 0) + rng.nextInt(40));
            }
        }
        try {
            Files.write(dir.resolve(prefix + "-images-idx3-ubyte.gz"), gzip(idx(new int[] {n, side, side}, images)));
            Files.write(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), gzip(idx(new int[] {n}, labels)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
