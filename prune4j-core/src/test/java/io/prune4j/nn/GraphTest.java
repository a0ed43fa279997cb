package io.prune4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** {@link Graph#forwardTo}: a forward pass that stops before a given node; the null arguments the graph and its builder refuse. */
class GraphTest {
    private final CpuBackend b = new CpuBackend(1);

    @AfterEach
    void close() {
        b.close();
    }

    @Test
    void aPartialForwardGivesWhatThatLayerReadsInTheFullPass() {
        try (Graph net = Models.cnn(b, new int[] {1, 8, 8}, new int[] {3, 4}, 6, 3, 1);
             Tensor x = b.fromArray(Check.uniform(new SplittableRandom(2), 5 * 64, 1), 5, 64)) {
            int layers = net.layers().size();
            List<float[]> outputs = new ArrayList<>();
            ForwardHook record = (n, l, in, a) -> outputs.add(b.toFloatArray(a));
            net.addForwardHook(record);
            net.forward(x, false);
            net.removeHook(record);
            assertEquals(layers, outputs.size());

            Tensor[] input = net.forwardTo(x, false, net.nodes().get(0).name());
            assertEquals(1, input.length);
            assertArrayEquals(new int[] {5, 1, 8, 8}, input[0].shape(), "the first node reads the images in the network's input shape");
            assertArrayEquals(b.toFloatArray(x), b.toFloatArray(input[0]));
            for (int end = 1; end < layers; end++) {
                int[] calls = {0};
                ForwardHook count = (n, l, in, a) -> calls[0]++;
                net.addForwardHook(count);
                String node = net.nodes().get(end).name();
                Tensor[] got = net.forwardTo(x, false, node);
                net.removeHook(count);
                assertArrayEquals(outputs.get(end - 1), b.toFloatArray(got[0]), "the input of " + node);
                assertEquals(end, calls[0], "hooks run for the nodes that ran, and only for them");
            }
            assertThrows(IllegalArgumentException.class, () -> net.forwardTo(x, false, "nowhere"));
        }
    }

    /** A null argument is refused at the call, by its parameter's name. */
    static void refusesNull(String parameter, Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call, parameter);
        assertEquals(parameter, e.getMessage());
    }

    @Test
    void nullArgumentsAreRefusedByName() {
        Relu relu = new Relu("r", b);
        refusesNull("layer", () -> new Graph.Node(null, List.of(Graph.INPUT)));
        refusesNull("inputs", () -> new Graph.Node(relu, null));
        refusesNull("backend", () -> new Graph(null, new int[] {4}, List.of(new Graph.Node(relu, List.of(Graph.INPUT)))));
        refusesNull("inputShape", () -> new Graph(b, null, List.of(new Graph.Node(relu, List.of(Graph.INPUT)))));
        refusesNull("nodes", () -> new Graph(b, new int[] {4}, null));
        refusesNull("layers", () -> Graph.chain(b, 4, null));
        refusesNull("backend", () -> Graph.builder(null, 1, 4));
        refusesNull("inputShape", () -> Graph.builder(b, 1, (int[]) null));
        try (Graph net = Models.mlp(b, 4, new int[] {3}, 2, 1)) {
            refusesNull("name", () -> net.hasNode(null));
            refusesNull("name", () -> net.indexOf(null));
            refusesNull("name", () -> net.readersOf(null));
            refusesNull("name", () -> net.shapeOf(null));
            refusesNull("layer", () -> net.setLayer("fc1", null));
            refusesNull("hook", () -> net.addForwardHook(null));
            refusesNull("hook", () -> net.addBackwardHook(null));
            refusesNull("x", () -> net.forward(null, false));
            refusesNull("x", () -> net.forwardTo(null, false, "fc2"));
            refusesNull("dLogits", () -> net.backward(null));
            refusesNull("names", () -> net.unknown(null));
            assertEquals(0, net.hookCount(), "a refused hook is not installed");
        }
        GraphBuilder g = Graph.builder(b, 1, 4);
        refusesNull("layer", () -> g.add((Layer) null, Graph.INPUT));
        refusesNull("name", () -> g.add((String) null, Graph.INPUT, Graph.INPUT));
        refusesNull("inputs", () -> g.add(new Relu("r2", b), (String[]) null));
        refusesNull("name", () -> g.shape(null));
        refusesNull("name", () -> g.relu(null, Graph.INPUT));
        refusesNull("hidden", () -> Models.mlp(b, 4, null, 2, 1));
        refusesNull("inputShape", () -> Models.resnet(b, null, 1, 4, 2, 1));
        refusesNull("stages", () -> Models.mobilenet(b, new int[] {3, 8, 8}, 4, 2, null, 2, 1));
        g.dense("fc", Graph.INPUT, 2);
        try (Graph net = g.build()) {
            assertTrue(net.hasNode("fc"), "the builder still builds after refusing nulls");
        }
        relu.close();
    }

    /** A pass-through layer that counts its {@code close} calls. */
    private static final class Counted implements UnaryLayer {
        private final String name;
        int closes;

        Counted(String name) {
            this.name = name;
        }

        @Override public String name() { return name; }
        @Override public String describe() { return "Counted " + name; }
        @Override public int[] outputShape(int[] in) { return in.clone(); }
        @Override public Tensor forward(Tensor x, boolean training) { return x; }
        @Override public Tensor backward(Tensor dy, boolean need) { return need ? dy : null; }
        @Override public List<Parameter> parameters() { return List.of(); }
        @Override public long flopsPerExample(int[] in) { return 0; }
        @Override public Layer copy() { return new Counted(name); }
        @Override public void close() { closes++; }
    }

    /** The builder owns what it is given: a layer it cannot add is closed, whatever the reason. */
    @Test
    void aLayerTheBuilderCannotAddIsClosed() {
        GraphBuilder g = Graph.builder(b, 1, 4);
        Counted unknownInput = new Counted("a");
        assertThrows(IllegalArgumentException.class, () -> g.add(unknownInput, "nowhere"));
        assertEquals(1, unknownInput.closes, "an unknown input");
        g.add(new Counted("x"), Graph.INPUT);
        Counted taken = new Counted("x");
        assertThrows(IllegalArgumentException.class, () -> g.add(taken, Graph.INPUT));
        assertEquals(1, taken.closes, "a name taken");
        Counted noInputs = new Counted("n");
        assertThrows(NullPointerException.class, () -> g.add(noInputs, (String[]) null));
        assertEquals(1, noInputs.closes, "null inputs");
        g.dense("fc", "x", 2);
        try (Graph net = g.build()) {
            Counted late = new Counted("late");
            assertThrows(IllegalStateException.class, () -> g.add(late, "fc"));
            assertEquals(1, late.closes, "after build");
            assertEquals(2, net.nodes().size());
            g.close();   // after build: the graph's layers stay open
            assertEquals(0, ((Counted) net.layer("x")).closes, "closing the builder after build");
        }
    }

    /** A builder closed before {@link GraphBuilder#build} closes every layer it holds, once, and refuses more. */
    @Test
    void aBuilderGivenUpClosesItsLayers() {
        Counted first = new Counted("first");
        Counted second = new Counted("second");
        GraphBuilder g = Graph.builder(b, 1, 4);
        g.add(first, Graph.INPUT);
        g.add(second, "first");
        g.close();
        g.close();
        assertEquals(1, first.closes);
        assertEquals(1, second.closes);
        IllegalStateException e = assertThrows(IllegalStateException.class, g::build);
        assertEquals("the builder has been closed", e.getMessage());
        Counted late = new Counted("late");
        assertThrows(IllegalStateException.class, () -> g.add(late, Graph.INPUT));
        assertEquals(1, late.closes, "a layer added after close");
    }
}
