package io.prune4j.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The ONNX package's values ({@link Agreement}, {@link OnnxModel}, {@link OnnxNames}) refuse what
 * cannot be, and its entry points refuse null arguments by name (except the documented nullable ones).
 */
class OnnxValuesTest {
    private static final CpuBackend CPU = new CpuBackend(1);

    private static void refusesNull(String parameter, Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call, parameter);
        assertEquals(parameter, e.getMessage());
    }

    @Test
    void anAgreementHasACountAndDifferencesOfAtLeastZero() {
        Agreement a = Agreement.of(2, new float[] {1, -2}, new float[] {1.5f, -2});
        assertEquals(0.5, a.maxAbs());
        assertEquals(0.25, a.maxRelative());
        assertEquals(4, a.worst(a).examples());
        assertTrue(Double.isNaN(new Agreement(1, Double.NaN, Double.NaN).maxAbs()), "NaN says an output was NaN");
        assertThrows(IllegalArgumentException.class, () -> new Agreement(-1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Agreement(1, -0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> Agreement.of(-1, new float[0], new float[0]));
        refusesNull("reference", () -> Agreement.of(1, null, new float[0]));
        refusesNull("other", () -> a.worst(null));
    }

    @Test
    void aModelHasItsPartsAndNamesHaveTheirs() {
        try (Graph net = Models.mlp(CPU, 4, new int[] {3}, 2, 1)) {
            refusesNull("names", () -> new OnnxModel(net, null, 17, "", Map.of()));
            refusesNull("metadata", () -> new OnnxModel(net, OnnxNames.defaults(), 17, "", null));
            assertThrows(IllegalArgumentException.class, () -> new OnnxModel(net, OnnxNames.defaults(), -1, "", Map.of()));
        }
        refusesNull("graph", () -> new OnnxModel(null, OnnxNames.defaults(), 0, "prune4j", Map.of()));
        refusesNull("input", () -> new OnnxNames(null, "output", Map.of(), Map.of(), Map.of(), ""));
        refusesNull("function", () -> new OnnxNames("input", "output", Map.of(), Map.of(), Map.of(), "", null, ""));
        refusesNull("node", () -> OnnxNames.defaults().nodeName(null));
        assertEquals("fc1.weight", OnnxNames.defaults().initializer("fc1", "weight"));
    }

    @Test
    void entryPointsRefuseNullButWhereItIsDocumented() {
        refusesNull("file", () -> ModelFormat.of(null));
        refusesNull("backend", () -> ModelFormat.load(Path.of("model.onnx"), null, null));
        refusesNull("file", () -> OnnxReader.read((Path) null, CPU, null));
        refusesNull("bytes", () -> OnnxReader.read((byte[]) null, "x", CPU, null));
        refusesNull("source", () -> OnnxReader.read(new byte[0], null, CPU, null));
        refusesNull("scores", () -> OutputFunction.SOFTMAX.apply(null, 1));
        try (Graph net = Models.mlp(CPU, 4, new int[] {3}, 2, 1)) {
            refusesNull("metadata", () -> OnnxWriter.toModel(net, null, null));
            refusesNull("metadata", () -> ModelFormat.save(net, Path.of("x.onnx"), null, null));
            assertEquals(OnnxWriter.OPSET, OnnxWriter.toModel(net, null, Map.of()).getOpsetImport(0).getVersion(),
                    "null names are the defaults");
        }
    }
}
