package io.prune4j.nn;

import static io.prune4j.nn.GraphTest.refusesNull;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The built-in layers, parameters, channel selections and rules, and optimisers refuse a null
 * argument at the call, naming the parameter (rather than storing it and failing later, or, for
 * layers that pass their input on, handing the null to the next layer).
 */
class NullArgumentTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void close() {
        cpu.close();
    }

    @Test
    void layersRefuseANullNameOrBackend() {
        SplittableRandom rng = new SplittableRandom(1);
        refusesNull("name", () -> new Relu(null, cpu));
        refusesNull("backend", () -> new Relu("r", null));
        refusesNull("name", () -> new Identity(null, cpu));
        refusesNull("backend", () -> new Flatten("f", null));
        refusesNull("backend", () -> new GlobalAvgPool("g", null));
        refusesNull("backend", () -> new Add("a", null));
        refusesNull("backend", () -> new Concat("c", null));
        refusesNull("backend", () -> new Clamp("c", null, 0f, 6f));
        refusesNull("backend", () -> Clamp.relu6("c", null));
        refusesNull("backend", () -> new MaxPool2d("p", null, 2, 2));
        refusesNull("backend", () -> new AvgPool2d("p", null, 2, 2, 0, true));
        refusesNull("backend", () -> new ZeroPad2d("p", null, 1, 1, 1, 1));
        refusesNull("name", () -> new ZeroPad2d(null, cpu, 1, 1, 1, 1));
        refusesNull("slope", () -> new PRelu("pr", cpu, 2, null, true));
        refusesNull("scale", () -> new ChannelAffine("af", cpu, null, new float[1], true));
        refusesNull("shift", () -> new ChannelAffine("af", cpu, new float[1], null, true));
        refusesNull("name", () -> new ChannelSlice(null, cpu, 0, 1));
        refusesNull("backend", () -> new ChannelSlice("s", null, 0, 1));
        refusesNull("source", () -> new PermuteChannels("p", cpu, null));
        refusesNull("backend", () -> PermuteChannels.shuffle("p", null, 4, 2));
        refusesNull("x", () -> new ChannelSlice("s", cpu, 0, 1).forward((Tensor) null, false));
        refusesNull("dy", () -> PermuteChannels.shuffle("p", cpu, 4, 2).backward(null, true));
        refusesNull("keepInputs", () -> new ChannelSlice("s", cpu, 0, 1).pruned(null, null));
        refusesNull("name", () -> Dense.create(cpu, null, 3, 2, false, rng));
        refusesNull("backend", () -> Dense.create(null, "d", 3, 2, false, rng));
        refusesNull("rng", () -> Dense.create(cpu, "d", 3, 2, false, null));
        refusesNull("weight", () -> new Dense("d", null, null, false));
        refusesNull("rng", () -> Conv2d.create(cpu, "c", 1, 2, 3, 1, 1, false, null));
        refusesNull("weight", () -> new Conv2d("c", null, null, 1, 0, false));
        refusesNull("backend", () -> BatchNorm.create(null, "bn", 2));
        try (Tensor t = cpu.zeros(DType.FLOAT32, 2)) {
            refusesNull("runningVar", () -> new BatchNorm("bn", t, t, t, null, 0.1f, 1e-5f));
        }
    }

    @Test
    void layersRefuseNullTensorsAndSelections() {
        Identity id = new Identity("id", cpu);
        refusesNull("x", () -> id.forward((Tensor) null, false));
        refusesNull("inputs", () -> id.forward((Tensor[]) null, false));
        refusesNull("dy", () -> id.backward(null, true));
        refusesNull("needInputGrad", () -> id.backward(null, (boolean[]) null));
        refusesNull("inputShapes", () -> id.outputShape((int[][]) null));
        refusesNull("keepInputs", () -> id.pruned(null, null));
        Add add = new Add("add", cpu);
        refusesNull("dy", () -> add.backward(null, new boolean[] {true, true}));
        try (Dense d = Dense.create(cpu, "d", 3, 2, false, new SplittableRandom(1))) {
            refusesNull("x", () -> d.forward((Tensor) null, false));
            refusesNull("keepInputs", () -> d.pruned(null, null));
            refusesNull("channelMask", () -> d.maskChannels(null));
            refusesNull("inputShape", () -> d.flopsPerExample((int[]) null));
        }
        try (BatchNorm bn = BatchNorm.create(cpu, "bn", 2)) {
            refusesNull("channelMask", () -> bn.maskChannels(null));
        }
    }

    @Test
    void parametersSelectionsAndRulesRefuseNull() {
        refusesNull("value", () -> new Parameter("w", null));
        refusesNull("name", () -> new Parameter(null, cpu.zeros(DType.FLOAT32, 1)));
        try (Parameter p = new Parameter("w", cpu.zeros(DType.FLOAT32, 2))) {
            refusesNull("newValue", () -> p.replace(null));
            p.setMask(null); // null is documented: a dense parameter
        }
        refusesNull("indices", () -> new ChannelSelection(null, 3));
        refusesNull("reason", () -> new ChannelRule.Gate(null));
        refusesNull("reason", () -> new ChannelRule.Opaque(null));
        try (Tensor idx = cpu.fromArray(new int[] {0, 2}, 2)) {
            assertEquals(2, new ChannelSelection(idx, 3).count());
            assertThrows(IllegalArgumentException.class, () -> new ChannelSelection(idx, 1), "more kept than there are");
            assertThrows(IllegalArgumentException.class, () -> new ChannelSelection(idx, -1), "a negative total");
            assertThrows(IllegalArgumentException.class, () -> new ChannelSelection(idx, 3, new int[] {0}), "host indices of another count");
            int[] host = {0, 2};
            ChannelSelection withHost = new ChannelSelection(idx, 3, host);
            assertArrayEquals(host, withHost.keptIndices());
            org.junit.jupiter.api.Assertions.assertNotSame(host, withHost.keptIndices(), "a copy");
            assertArrayEquals(idx.toIntArray(), new ChannelSelection(idx, 3).keptIndices(), "read from the device when none is given");
        }
    }

    @Test
    void optimisersRefuseANullParameterList() {
        try (Sgd sgd = new Sgd(0.9f, 0f); Adam adam = new Adam()) {
            refusesNull("parameters", () -> sgd.step(null, 0.1f));
            refusesNull("parameters", () -> adam.step(null, 0.1f));
            sgd.step(List.of(), 0.1f);
        }
    }
}
