package io.prune4j.testing;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Relu;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.onnx.OnnxFuzzSeeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Writes the seed corpora of the fuzz tests: small valid files, so that mutations start from
 * inputs that get past the headers. The seeds are committed under {@code src/test/resources};
 * after a format change, rewrite them from the project root with
 * {@code scripts/fuzz.sh --seeds} (which runs this class's {@code main} with the root as argument).
 */
public final class FuzzSeeds {
    private static final String RESOURCES = "src/test/resources/";

    private FuzzSeeds() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        Path idx = root.resolve(RESOURCES + "io/prune4j/data/IdxReaderFuzzTestInputs");
        byte[] images = IdxFiles.idx(new int[] {3, 2, 2}, bytes(12, 1));
        byte[] labels = IdxFiles.idx(new int[] {5}, new byte[] {0, 1, 2, 3, 9});
        byte[] four = IdxFiles.idx(new int[] {2, 1, 3, 2}, bytes(12, 2));
        write(idx.resolve("idxBytes/seed-images-raw"), images);
        write(idx.resolve("idxBytes/seed-images-gz"), IdxFiles.gzip(images));
        write(idx.resolve("idxBytes/seed-labels-gz"), IdxFiles.gzip(labels));
        write(idx.resolve("idxBehindGzip/seed-images"), images);
        write(idx.resolve("idxBehindGzip/seed-labels"), labels);
        write(idx.resolve("idxBehindGzip/seed-4d"), four);

        Path model = root.resolve(RESOURCES + "io/prune4j/io/ModelFileFuzzTestInputs/modelBytes");
        Files.createDirectories(model);
        CpuBackend cpu = new CpuBackend(1);
        try (Graph mlp = Models.mlp(cpu, 3, new int[] {4}, 2, 1)) {
            ModelFile.save(mlp, model.resolve("seed-mlp"), Map.of());
        }
        // seed-relu-layer is a file of the layout before graphs (its ReLU entry has no name, which the writer
        // now always gives): kept as committed, so that the fuzzer keeps starting from the old layout too
        if (!Files.exists(model.resolve("seed-relu-layer"))) {
            SplittableRandom rng = new SplittableRandom(2);
            try (Graph withRelu = Graph.chain(cpu, 2, List.of(Dense.create(cpu, "a", 2, 3, false, rng), new Relu("r", cpu),
                    Dense.create(cpu, "b", 3, 2, false, rng)))) {
                ModelFile.save(withRelu, model.resolve("seed-relu-layer"), Map.of());
            }
        }
        // the headers alone, for the target that writes the length and the data itself
        Path headers = model.resolveSibling("modelHeader");
        for (String name : new String[] {"seed-mlp", "seed-relu-layer"}) {
            byte[] file = Files.readAllBytes(model.resolve(name));
            long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            write(headers.resolve(name), Arrays.copyOfRange(file, 8, 8 + (int) n));
        }

        // ONNX: the models whole, and for the structure-aware target one byte each (which model, no mutation;
        // it picks among the onnxBytes seeds in name order)
        Path onnx = root.resolve(RESOURCES + "io/prune4j/onnx/OnnxReaderFuzzTestInputs");
        Map<String, byte[]> models = new TreeMap<>(OnnxFuzzSeeds.models());
        int i = 0;
        for (Map.Entry<String, byte[]> m : models.entrySet()) {
            write(onnx.resolve("onnxBytes/seed-" + m.getKey()), m.getValue());
            write(onnx.resolve("onnxMutations/seed-" + m.getKey()), new byte[] {(byte) i++});
        }
    }

    /** The committed seeds ({@code seed-*}; findings sit beside them) of one fuzz test method, from the test class path. */
    public static List<Path> committed(Class<?> test, String method) throws IOException {
        URL url = test.getResource(test.getSimpleName() + "Inputs/" + method);
        if (url == null) {
            throw new IOException("no seed folder " + test.getSimpleName() + "Inputs/" + method + " on the class path");
        }
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            return files.filter(p -> p.getFileName().toString().startsWith("seed-")).sorted().toList();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static void write(Path p, byte[] b) {
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
