package io.prune4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.testing.IdxFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6's list of bad inputs through the real command line: each gives exactly one
 * {@code prune4j: error:} line naming the problem, no stack trace, and exit status 1 (2 for usage
 * errors), and a failed run leaves files on disk as they were. {@code docs/bad-inputs.md} shows
 * the same cases with the exact lines ({@code scripts/bad-inputs.sh}).
 */
class BadInputTest {
    @TempDir
    static Path dir;
    private static Path good;
    private static Path base;
    private static final CpuBackend CPU = new CpuBackend(1);

    private record Result(int rc, String err) {
        String errorLine() {
            return err.lines().filter(l -> l.startsWith("prune4j: error: ")).reduce((a, b) -> b).orElse("");
        }
    }

    @BeforeAll
    static void dataAndModel() {
        good = dir.resolve("good");
        mkdirs(good);
        IdxFiles.writeToyDataset(good, 120, 40, 8, 4, 1);
        base = dir.resolve("base.safetensors");
        Result r = run("train", "--data", good.toString(), "--hidden", "16,8", "--epochs", "1", "--save", base.toString());
        assertEquals(0, r.rc(), r.err());
    }

    private static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(1, List.of("--no-progress", "--threads", "1"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int rc = Main.run(all.toArray(new String[0]));
            return new Result(rc, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    /** Exit status {@code rc}, one error line that contains {@code expected}, no stack trace. */
    private static void assertOneLine(int rc, String expected, Result r, String what) {
        assertEquals(rc, r.rc(), what + ": " + r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("prune4j: error: ")).count(), what + ": " + r.err());
        assertTrue(r.errorLine().contains(expected), what + " gave: " + r.errorLine());
        assertFalse(r.err().contains("\tat "), what + ": stack trace without --verbose: " + r.err());
    }

    private static Path dataWith(String name, String file, byte[] bytes) throws IOException {
        Path d = dir.resolve(name);
        mkdirs(d);
        try (var files = Files.list(good)) {
            for (Path f : files.toList()) {
                Files.copy(f, d.resolve(f.getFileName()));
            }
        }
        Files.delete(d.resolve(file.replace(".gz", "") + ".gz"));
        Files.write(d.resolve(file), bytes);
        return d;
    }

    @Test
    void badDataFiles() throws IOException {
        byte[] images = IdxFiles.idx(new int[] {120, 8, 8}, new byte[120 * 64]);
        byte[] gz = IdxFiles.gzip(images);
        byte[] corrupt = gz.clone();
        corrupt[gz.length / 2] ^= 0x5A;
        byte[] magic = images.clone();
        magic[0] = 'P';
        String img = "train-images-idx3-ubyte";
        byte[] labels200 = new byte[120];
        labels200[2] = (byte) 200;
        Object[][] cases = {
            {dataWith("empty", img, new byte[0]), "empty file"},
            {dataWith("cut", img, Arrays.copyOf(images, 1000)), "truncated data (984 of 7680 bytes"},
            {dataWith("cutgz", img + ".gz", Arrays.copyOf(gz, gz.length / 2)), "file ends inside the gzip stream"},
            {dataWith("corrupt", img + ".gz", corrupt), "corrupt gzip data"},
            {dataWith("magic", img, magic), "not an IDX file"},
            {dataWith("dims", img, IdxFiles.idx(new int[] {120, 64}, new byte[120 * 64])), "expected 3 dimensions"},
            {dataWith("count", "train-labels-idx1-ubyte", IdxFiles.idx(new int[] {119}, new byte[119])), "120 train images but 119 labels"},
            {dataWith("overflow", img, IdxFiles.idx(new int[] {65536, 65536, 1}, new byte[0])), "more than 2^31"},
            {dataWith("lying", img, IdxFiles.idx(new int[] {2_000_000_000, 1, 1}, new byte[100])), "truncated data (100 of 2000000000"},
            {dataWith("label", "train-labels-idx1-ubyte", IdxFiles.idx(new int[] {120}, labels200)),
                "train-labels-idx1-ubyte: label 200 of example 2"},
            {dir.resolve("nowhere"), "data folder not found"},
        };
        for (Object[] c : cases) {
            Result r = run("train", "--data", c[0].toString(), "--hidden", "4", "--epochs", "1");
            assertOneLine(1, (String) c[1], r, c[0].toString());
            assertTrue(r.errorLine().contains(c[0].toString()), "names the file or folder: " + r.errorLine());
        }
    }

    private static byte[] withHeader(byte[] file, java.util.function.UnaryOperator<String> edit, byte[] extraData) {
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] h = edit.apply(new String(file, 8, (int) n, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(file, (int) (8 + n), file.length);
        return ByteBuffer.allocate(8 + h.length + data.length + extraData.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h)
                .put(data).put(extraData).array();
    }

    private static Path model(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name + ".safetensors");
        Files.write(p, bytes);
        return p;
    }

    private static Path model(String name, Graph net) {
        Path p = dir.resolve(name + ".safetensors");
        ModelFile.save(net, p, Map.of());
        net.close();
        return p;
    }

    @Test
    void badModelFiles() throws IOException {
        byte[] b = Files.readAllBytes(base);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] longHeader = b.clone();
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, b.length);
        byte[] inf = b.clone();
        ByteBuffer.wrap(inf).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) (8 + n + 8), Float.POSITIVE_INFINITY);
        Object[][] cases = {
            {model("cut5", Arrays.copyOf(b, 5)), "truncated (5 bytes"},
            {model("cutdata", Arrays.copyOf(b, b.length - 4)), "lie outside"},
            {model("longheader", longHeader), "header length " + b.length + " does not fit"},
            {model("notjson", withHeader(b, h -> "{\"fc1.weight\": [1,", new byte[0])), "header is not valid JSON"},
            {model("outside", withHeader(b, h -> h.replace("\"data_offsets\":[0,", "\"data_offsets\":[8,"), new byte[0])),
                "fc1.weight has"},
            {model("f16", withHeader(b, h -> h.replaceFirst("\"F32\"", "\"F16\""), new byte[0])), "only F32 is supported"},
            {model("extra", withHeader(b, h -> "{\"fc9.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":["
                    + (b.length - 8 - n) + "," + (b.length - 8 - n + 4) + "]}," + h.substring(1), new byte[4])),
                "tensors [fc9.weight] are not used by the architecture"},
            {model("inf", inf), "fc1.weight holds a non-finite value (Infinity) at element 2"},
            {model("in784", Models.mlp(CPU, 784, new int[] {16}, 10, 1)), "takes 784 inputs but the data has 64"},
            {model("out4", Models.mlp(CPU, 64, new int[] {16}, 4, 1)), "the model has 4 outputs but the data has 10 classes"},
            {dir, "is a folder, expected a model file"},
        };
        for (Object[] c : cases) {
            Result r = run("prune", "--data", good.toString(), "--model", c[0].toString());
            assertOneLine(1, (String) c[1], r, c[0].toString());
            assertTrue(r.errorLine().startsWith("prune4j: error: " + c[0] + ": "), "names the file: " + r.errorLine());
        }
        Result r = run("prune", "--data", good.toString(), "--model", base.toString(), "--hidden", "300,100");
        assertOneLine(1, "--hidden 300,100 does not match " + base + " (hidden layers 16,8)", r, "--hidden");
    }

    @Test
    void badOptions() throws IOException {
        String[] model = {"prune", "--data", good.toString(), "--model", base.toString()};
        Object[][] cases = {
            {2, "Invalid value for option '--seed': 'abc' is not a long (see prune4j prune --help)", new String[] {"--seed", "abc"}},
            {2, "Unknown option: '--criterio=obd'; did you mean --criterion? (see prune4j prune --help)", new String[] {"--criterio=obd"}},
            {2, "--sparsity=<sparsity>, --keep=<keep> are mutually exclusive", new String[] {"--sparsity", "0.5", "--keep", "3"}},
            {1, "keep count must be a whole number ≥ 1", new String[] {"--keep", "0"}},
            {1, "keep count 99 is larger than layer 0 (16)", new String[] {"--keep", "99"}},
            {1, "--threads must be at least 1, got 0", new String[] {"--threads", "0"}},
            {1, "distillation weight must be in [0, 1], got 2.0", new String[] {"--distill", "--distill-alpha", "2"}},
            {1, "--distill-temperature must be a positive number, got 0.0", new String[] {"--distill", "--distill-temperature", "0"}},
            {1, "learning rate must be a positive number, got 0.0", new String[] {"--finetune-lr", "0"}},
            {1, "is a folder, expected a file name", new String[] {"--report", dir.toString()}},
            {1, "an N:M pattern must be whole numbers N < M, e.g. 2:4 or 4:8; got '2-4' (--pattern N:M)", new String[] {"--unstructured", "--pattern", "2-4"}},
            {1, "pattern 4:4 keeps every weight: N must be smaller than M (e.g. 2:4)", new String[] {"--unstructured", "--pattern", "4:4"}},
            {1, "--pattern masks single weights: add --unstructured", new String[] {"--pattern", "2:4"}},
            {1, "--pattern 2:4 fixes the sparsity at 50%: drop --sparsity, --threshold and --keep",
                    new String[] {"--unstructured", "--pattern", "2:4", "--sparsity", "0.5"}},
            {1, "--pattern compares weights within each group of 4: --scope global does not apply",
                    new String[] {"--unstructured", "--pattern", "2:4", "--scope", "global"}},
            {1, "pattern 4:16: layer fc3 has rows of 8 weights, not a multiple of 16; keep fc3 out of pruning (--ignore NODE)",
                    new String[] {"--unstructured", "--pattern", "4:16"}},
            {1, "wanda prunes each layer on its own (comparing weights within each output row): rank within each layer, not globally (--scope layer)",
                    new String[] {"--unstructured", "--criterion", "wanda", "--scope", "global"}},
            {1, "criterion sparsegpt scores single weights only; use unstructured pruning with it", new String[] {"--criterion", "sparsegpt"}},
            {1, "--permute reorders channels for an N:M pattern: add --pattern N:M", new String[] {"--unstructured", "--permute"}},
        };
        for (Object[] c : cases) {
            List<String> args = new ArrayList<>(List.of(model));
            args.addAll(List.of((String[]) c[2]));
            assertOneLine((int) c[0], (String) c[1], run(args.toArray(new String[0])), String.join(" ", (String[]) c[2]));
        }
        // sizes beyond a tensor: the options' fault (exit 1), not an internal error (they were Shapes' IllegalArgumentException)
        Result big = run("train", "--data", good.toString(), "--hidden", "100000000", "--epochs", "1");
        assertOneLine(1, "--hidden 100000000: fc1's weights [100000000, 64] would have 6400000000 elements, more than 2^31-1", big,
                "--hidden 100000000");
        Result sweep = run("sweep", "--data", good.toString(), "--model", base.toString(), "--sparsities", "0.5,1.5");
        assertOneLine(1, "sparsity must be in [0, 1), got 1.5", sweep, "sweep --sparsities");
        // checked before the baseline is trained, not after
        Result early = run("prune", "--data", good.toString(), "--hidden", "8", "--distill", "--distill-alpha", "-1");
        assertOneLine(1, "distillation weight must be in [0, 1], got -1.0", early, "--distill-alpha -1");
        assertFalse(early.err().contains("model: "), "no baseline trained first: " + early.err());
    }

    @Test
    void outputFolderThatIsNotWritable() throws IOException {
        Path ro = dir.resolve("ro");
        mkdirs(ro);
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        if (Files.isWritable(ro)) {
            ro = Path.of("/proc/1"); // root may write anywhere else; procfs folders refuse even root
        }
        assumeTrue(!Files.isWritable(ro), "no folder this user cannot write to");
        Result r = run("train", "--data", good.toString(), "--hidden", "4", "--epochs", "1", "--save", ro.resolve("m.safetensors").toString());
        assertOneLine(1, ro + " is not writable", r, "unwritable folder");
    }

    @Test
    void divergingRunsLeaveAnExistingModelAsItWas() throws IOException {
        Path keep = dir.resolve("keep.safetensors");
        Files.copy(base, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        byte[] before = Files.readAllBytes(keep);
        Result prune = run("prune", "--data", good.toString(), "--model", base.toString(), "--finetune-lr", "1e30", "--save", keep.toString());
        assertOneLine(1, "fine-tuning diverged in epoch 1: the ", prune, "prune --finetune-lr 1e30");
        assertTrue(prune.errorLine().endsWith("became NaN; the weights from before fine-tuning were restored; nothing written (" + keep
                + " left as it was); lower --finetune-lr (now 1.0E30)"), prune.errorLine());
        Result train = run("train", "--data", good.toString(), "--hidden", "16,8", "--epochs", "2", "--lr", "1e30", "--optimizer", "sgd",
                "--save", keep.toString());
        assertOneLine(1, "training diverged in epoch 1:", train, "train --lr 1e30");
        assertArrayEquals(before, Files.readAllBytes(keep));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    /** All units of fc1 score the same (each row a cyclic shift of one vector): the lower indices stay, every time. */
    @Test
    void allEqualScoresKeepTheLowerIndices() throws IOException {
        float[] vec = new float[64];
        for (int j = 0; j < 64; j++) {
            vec[j] = ((j * 37) % 11 - 5) / 10f;
        }
        float[] w = new float[16 * 64];
        for (int r = 0; r < 16; r++) {
            for (int j = 0; j < 64; j++) {
                w[r * 64 + j] = vec[(j + r) % 64];
            }
        }
        SplittableRandom rng = new SplittableRandom(3);
        Path ties = model("ties", Graph.chain(CPU, 64, List.of(new Dense("fc1", CPU.fromArray(w, 16, 64), CPU.zeros(
                io.prune4j.tensor.DType.FLOAT32, 16), true), Dense.create(CPU, "fc2", 16, 10, false, rng))));
        byte[][] saved = new byte[2][];
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("ties" + i + ".safetensors");
            Result r = run("prune", "--data", good.toString(), "--model", ties.toString(), "--criterion", "magnitude", "--sparsity", "0.5",
                    "--finetune-epochs", "0", "--save", out.toString());
            assertEquals(0, r.rc(), r.err());
            saved[i] = Files.readAllBytes(out);
            try (Graph net = ModelFile.load(out, CPU)) {
                float[] kept = net.parameters().get(0).value().toFloatArray();
                assertArrayEquals(Arrays.copyOf(w, 8 * 64), kept, "rows 0..7 kept");
            }
        }
        assertArrayEquals(saved[0], saved[1], "two runs write the same bytes");
    }
}
