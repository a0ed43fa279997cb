package io.prune4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link Activation} layer's own promises: what it says of itself, what it refuses (with one line
 * naming the layer), its channel rule (a pass-through where 0 stays 0, else a gate), and copies. Its arithmetic is the backend's
 * ({@code CpuGraphOpsTest}, {@code GraphOpsParity}); its gradients in a graph are {@code GraphGradientCheckTest}'s.
 */
class ActivationTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void close() {
        cpu.close();
    }

    @Test
    void describesItselfWithTheParametersItsKindHas() {
        assertEquals("LeakyReLU act (alpha 0.1)", Activation.leakyRelu("act", cpu, 0.1f).describe());
        assertEquals("Sigmoid s", Activation.sigmoid("s", cpu).describe());
        assertEquals("Tanh t", Activation.tanh("t", cpu).describe());
        assertEquals("HardSigmoid h (alpha 0.16666667, beta 0.5)", Activation.hardSigmoid("h", cpu).describe());
        assertEquals("HardSwish hs", Activation.hardSwish("hs", cpu).describe());
        assertEquals("ELU e (alpha 1.0)", Activation.elu("e", cpu, 1f).describe());
        assertEquals("GELU g", Activation.gelu("g", cpu).describe());
    }

    @Test
    void parametersMustBeFiniteWhereTheKindHasThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activation.leakyRelu("lr", cpu, Float.NaN));
        assertEquals("LeakyReLU lr: parameters must be finite, got alpha NaN", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Activation.hardSigmoid("h", cpu, 0.2f, Float.NEGATIVE_INFINITY));
        assertEquals("HardSigmoid h: parameters must be finite, got alpha 0.2 and beta -Infinity", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Activation("x", cpu, null, 0f, 0f));
        GraphTest.refusesNull("name", () -> new Activation(null, cpu, ActivationKind.TANH, 0f, 0f));
        GraphTest.refusesNull("backend", () -> Activation.sigmoid("s", null));
        GraphTest.refusesNull("x", () -> Activation.tanh("t", cpu).forward((io.prune4j.tensor.Tensor) null, false));
        assertEquals("Activation x: a kind is required, one of leaky_relu, sigmoid, tanh, hard_sigmoid, hard_swish, elu, gelu, selu, celu, softplus, mish, gelu_tanh",
                e.getMessage());
        // a kind without parameters ignores them, and reads them as 0
        Activation t = new Activation("t", cpu, ActivationKind.TANH, Float.NaN, 7f);
        assertEquals(0f, t.alpha());
        assertEquals(0f, t.beta());
    }

    @Test
    void channelsPassThroughWhereZeroStaysZeroElseTheActivationIsAGate() {
        assertInstanceOf(ChannelRule.PassThrough.class, Activation.leakyRelu("a", cpu, 0.2f).channelRule());
        assertInstanceOf(ChannelRule.PassThrough.class, Activation.elu("a", cpu, 2f).channelRule());
        assertInstanceOf(ChannelRule.PassThrough.class, Activation.gelu("a", cpu).channelRule());   // GELU(0) = 0·Φ(0)
        assertInstanceOf(ChannelRule.PassThrough.class, Activation.hardSigmoid("a", cpu, 0.5f, -0.5f).channelRule());
        ChannelRule r = Activation.hardSigmoid("hs", cpu, 0.2f, 1.5f).channelRule();
        assertEquals(new ChannelRule.Gate("HardSigmoid hs (alpha 0.2, beta 1.5) maps 0 to 1.0"), r);
        assertEquals(new ChannelRule.Gate("Sigmoid s maps 0 to 0.5"), Activation.sigmoid("s", cpu).channelRule());
    }

    @Test
    void backwardNeedsTheForwardPassAndCopiesAreAlike() {
        Activation a = Activation.elu("e", cpu, 0.5f);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.backward(cpu.zeros(DType.FLOAT32, 2, 3), true));
        assertEquals("ELU e (alpha 0.5): backward needs the matching forward pass first", e.getMessage());
        Activation c = a.copy();
        assertEquals(a.describe(), c.describe());
        assertEquals(a.kind(), c.kind());
        assertEquals(a.alpha(), c.alpha());
        assertEquals(a.describe(), a.pruned(new ChannelSelection[] {null}, null).describe());
        a.close();
        c.close();
    }
}
