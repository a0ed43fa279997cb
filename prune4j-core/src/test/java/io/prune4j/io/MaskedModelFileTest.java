package io.prune4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.Parameter;
import io.prune4j.testing.Check;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Masked parameters stored as mask bits and kept values: sizes, exact round trips, old files, damaged entries. */
class MaskedModelFileTest {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final Backend cpu = new CpuBackend(1);

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        cpu.close();
    }

    /** Masks fc1 and fc2 at {@code density} (fc2 with one row emptied and one full), fc1's bias by a channel mask; fc3 stays dense. */
    private Graph masked(double density, long seed) {
        Graph net = Models.mlp(cpu, 61, new int[] {37, 9}, 5, seed); // sizes that are not multiples of 8
        SplittableRandom rng = new SplittableRandom(seed);
        for (int l = 0; l < 2; l++) {
            Parameter w = net.parameters().get(2 * l);
            float[] m = new float[w.size()];
            for (int i = 0; i < m.length; i++) {
                m[i] = rng.nextDouble() < density ? 1 : 0;
            }
            if (l == 1) {
                int in = 37;
                Arrays.fill(m, 0, in, 0f);
                Arrays.fill(m, in, 2 * in, 1f);
            }
            w.setMask(cpu.fromArray(m, w.value().shape()));
        }
        Parameter b = net.parameters().get(1);
        float[] bm = new float[b.size()];
        for (int i = 0; i < bm.length; i++) {
            bm[i] = i % 3 == 0 ? 0 : 1;
        }
        b.setMask(cpu.fromArray(bm, b.value().shape()));
        return net;
    }

    @Test
    void masksAndKeptValuesComeBackBitForBitAndASecondSaveIsTheSameFile() throws IOException {
        for (double density : new double[] {0, 0.05, 0.5, 1}) {
            try (Graph net = masked(density, 3)) {
                Path p = dir.resolve("m" + density + ".safetensors");
                ModelFile.save(net, p, Map.of());
                try (Graph back = ModelFile.load(p, cpu)) {
                    List<Parameter> a = net.parameters();
                    List<Parameter> b = back.parameters();
                    assertEquals(a.size(), b.size());
                    for (int i = 0; i < a.size(); i++) {
                        float[] va = a.get(i).value().toFloatArray();
                        float[] vb = b.get(i).value().toFloatArray();
                        float[] ma = a.get(i).mask() == null ? null : a.get(i).mask().toFloatArray();
                        for (int j = 0; j < va.length; j++) {
                            if (ma != null && ma[j] == 0) { // pruned: +0 back where the masking may have left −0 (x·0 keeps x's sign)
                                assertEquals(0, Float.floatToRawIntBits(vb[j]), "parameter " + i + " pruned entry " + j);
                                va[j] = 0f;
                            }
                        }
                        Check.sameBits("parameter " + i + " at density " + density, va, vb);
                        if (a.get(i).mask() == null) {
                            assertNull(b.get(i).mask(), "an unmasked parameter stays dense");
                        } else {
                            assertArrayEquals(a.get(i).mask().toFloatArray(), b.get(i).mask().toFloatArray(), "mask " + i);
                        }
                    }
                    Path again = dir.resolve("again.safetensors");
                    ModelFile.save(back, again, Map.of());
                    assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(again), "the loaded network saves to the same bytes");
                }
            }
        }
    }

    @Test
    void fileSizeFollowsTheNonZeroCount() throws IOException {
        try (Graph net = Models.mlp(cpu, 400, new int[] {200}, 10, 1)) {
            Path dense = dir.resolve("dense.safetensors");
            ModelFile.save(net, dense, Map.of());
            Parameter w = net.parameters().get(0);
            float[] m = new float[w.size()];
            SplittableRandom rng = new SplittableRandom(2);
            int kept = 0;
            for (int i = 0; i < m.length; i++) {
                m[i] = rng.nextInt(10) == 0 ? 1 : 0;
                kept += (int) m[i];
            }
            w.setMask(cpu.fromArray(m, w.value().shape()));
            Path sparse = dir.resolve("sparse.safetensors");
            ModelFile.save(net, sparse, Map.of());
            long denseData = dataBytes(dense);
            long sparseData = dataBytes(sparse);
            assertEquals(denseData - 4L * w.size() + w.size() / 8 + 4L * kept, sparseData, "fc1 as n/8 mask bytes and its kept floats");
            assertTrue(Files.size(sparse) < 0.2 * Files.size(dense), Files.size(sparse) + " bytes against " + Files.size(dense));
            assertTrue(ModelFileTest.header(Files.readAllBytes(sparse)).contains("\"prune4j.masked\":\"{\\\"fc1.weight\\\":[200,400]}\""),
                    "the dense shape is in the metadata");
        }
    }

    @Test
    void filesWithoutMaskEntriesLoadDenseAsBefore() {
        try (Graph net = masked(0.3, 4)) {
            for (Parameter p : net.parameters()) {
                p.setMask(null); // what files of earlier versions held: the zeros, no masks
            }
            Path p = dir.resolve("old.safetensors");
            ModelFile.save(net, p, Map.of());
            assertTrue(!ModelFileTest.header(readAll(p)).contains(".mask"), "no mask entries");
            try (Graph back = ModelFile.load(p, cpu)) {
                for (int i = 0; i < net.parameters().size(); i++) {
                    assertNull(back.parameters().get(i).mask());
                    Check.sameBits("parameter " + i, net.parameters().get(i).value().toFloatArray(),
                            back.parameters().get(i).value().toFloatArray());
                }
            }
        }
    }

    @Test
    void damagedMaskEntriesAreRejectedNamingTheTensor() throws IOException {
        try (Graph net = masked(0.5, 5)) {
            Path p = dir.resolve("m.safetensors");
            ModelFile.save(net, p, Map.of());
            byte[] good = Files.readAllBytes(p);
            String h = ModelFileTest.header(good);
            // one kept value fewer than the mask says
            com.fasterxml.jackson.databind.node.ObjectNode json = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(h);
            com.fasterxml.jackson.databind.node.ObjectNode kept = (com.fasterxml.jackson.databind.node.ObjectNode) json.get("fc1.weight.kept");
            int k = kept.get("shape").get(0).asInt();
            long begin = kept.get("data_offsets").get(0).asLong();
            kept.putArray("shape").add(k - 1);
            kept.putArray("data_offsets").add(begin).add(begin + 4L * (k - 1));
            Path bad = dir.resolve("bad.safetensors");
            Files.write(bad, ModelFileTest.withHeader(good, json.toString()));
            String msg = assertThrows(ModelFormatException.class, () -> ModelFile.load(bad, cpu)).getMessage();
            assertTrue(msg.contains("fc1.weight.kept holds " + (k - 1) + " values but the mask of fc1.weight keeps " + k), msg);
            // a mask entry of another dtype
            String wrong = h.replace("\"fc2.weight.mask\":{\"dtype\":\"U8\"", "\"fc2.weight.mask\":{\"dtype\":\"I8\"");
            Files.write(bad, ModelFileTest.withHeader(good, wrong));
            msg = assertThrows(ModelFormatException.class, () -> ModelFile.load(bad, cpu)).getMessage();
            assertTrue(msg.contains("fc2.weight.mask has dtype 'I8'"), msg);
            // a set bit past the last entry (fc1.weight has 37·61 = 2257 entries: 7 spare bits in its last byte)
            byte[] flipped = good.clone();
            long headerLen = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            int end = Integer.parseInt(h.replaceFirst("(?s).*\"fc1.weight.mask\":\\{[^}]*\"data_offsets\":\\[\\d+,(\\d+)\\].*", "$1"));
            flipped[(int) (8 + headerLen + end - 1)] |= (byte) 0x80;
            Files.write(bad, flipped);
            msg = assertThrows(ModelFormatException.class, () -> ModelFile.load(bad, cpu)).getMessage();
            assertTrue(msg.contains("fc1.weight.mask sets bit 2263, past the 2257 entries of fc1.weight"), msg);
        }
    }

    private static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long dataBytes(Path p) throws IOException {
        byte[] f = Files.readAllBytes(p);
        return f.length - 8 - ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }
}
