package io.prune4j.nn;

import java.util.Objects;

/**
 * How a layer's output channels relate to its inputs' channels: the local rule from which the
 * dependency groups of a whole graph are derived ({@link Layer#channelRule}). Dimension 1 of every
 * tensor is its channel axis. The kinds are fixed: a layer picks the one that describes it, or
 * {@link Opaque} when none does.
 */
public sealed interface ChannelRule {

    /**
     * The output channels are a space of their own and every input channel is consumed (Dense,
     * Conv2d with one group): the layer can drop output channels (its own units) and input channels
     * (columns of its weight) independently.
     */
    record Independent() implements ChannelRule {}

    /**
     * Output channel {@code c} is channel {@code c} of every input, which all have the same channel
     * count (element-wise layers, BatchNorm, pooling, Add, Identity). Removing a channel removes it
     * from every input and the output together.
     */
    record PassThrough() implements ChannelRule {}

    /**
     * Output channel {@code c} is the product of channel {@code c} of every input, which all have the
     * same channel count (Mul: SiLU's {@code x·sigmoid(x)}, a squeeze-and-excitation gate times the
     * map it gates). Channels are tied as by {@link PassThrough}; a channel that is zero in one input is
     * zero in the output, whatever the other inputs hold there.
     */
    record Product() implements ChannelRule {}

    /**
     * Output channel {@code c} is a function of channel {@code c} of the one input, tied as by
     * {@link PassThrough}, but the function maps 0 to a constant that is not 0 ({@code reason} says
     * which: a sigmoid's 0.5). A removed channel then comes out of the gate as that constant, and is
     * removed only where a {@link Product} multiplies it by the same unit's zero channel of another
     * input: the dependency analysis keeps the gate's channels unless every reader of its output is
     * such a product.
     *
     * @param reason what the gate maps 0 to, for messages, e.g. {@code Sigmoid s maps 0 to 0.5} (not null)
     */
    record Gate(String reason) implements ChannelRule {
        /**
         * A gate rule.
         *
         * @param reason what the gate maps 0 to, for messages (not null)
         */
        public Gate {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The output's channels are the inputs' channels one after the other (Concat along channels). */
    record Concat() implements ChannelRule {}

    /**
     * Input and output channels fall into {@code groups} consecutive blocks and output block {@code g}
     * depends on input block {@code g} only (grouped and depthwise convolutions): a block of inputs and
     * its block of outputs are removed together, whole.
     *
     * @param groups the number of blocks, at least 1
     */
    record Grouped(int groups) implements ChannelRule {
        /**
         * A grouped rule.
         *
         * @param groups the number of blocks, at least 1
         * @throws IllegalArgumentException when {@code groups} is below 1
         */
        public Grouped {
            if (groups < 1) {
                throw new IllegalArgumentException("a grouped rule needs at least one group, got " + groups);
            }
        }
    }

    /**
     * Output channel {@code c} is input channel {@code start + c}, for {@code c < count}, of the one
     * input (a slice along the channels: {@code x[:, start:start + count]}, one output of a channel
     * split); the input's other channels are not read here.
     *
     * @param start the first input channel read, ≥ 0
     * @param count the channels read, ≥ 1
     */
    record Slice(int start, int count) implements ChannelRule {
        /**
         * A slice rule.
         *
         * @param start the first input channel read, ≥ 0
         * @param count the channels read, ≥ 1
         * @throws IllegalArgumentException when {@code start} is negative or {@code count} below 1
         */
        public Slice {
            if (start < 0 || count < 1) {
                throw new IllegalArgumentException("a slice rule needs start ≥ 0 and count ≥ 1, got " + start + " and " + count);
            }
        }
    }

    /**
     * Output channel {@code c} is input channel {@code source[c]} of the one input, {@code source}
     * being a permutation (a channel shuffle, or what is left of one once channels are removed).
     * Channels are tied one to one, as by {@link PassThrough}, but not in order.
     *
     * @param source per output channel, the input channel it is (not null; a copy is kept)
     */
    record Permutation(int[] source) implements ChannelRule {
        /**
         * A permutation rule.
         *
         * @param source per output channel, the input channel it is (not null)
         * @throws IllegalArgumentException when {@code source} is not a permutation of {@code 0 … n−1}
         */
        public Permutation {
            Objects.requireNonNull(source, "source");
            source = source.clone();
            boolean[] seen = new boolean[source.length];
            for (int s : source) {
                if (s < 0 || s >= source.length || seen[s]) {
                    throw new IllegalArgumentException("a permutation rule needs each of 0 … " + (source.length - 1) + " once, got "
                            + java.util.Arrays.toString(source));
                }
                seen[s] = true;
            }
        }

        /**
         * The permutation.
         *
         * @return per output channel, the input channel it is (a copy)
         */
        @Override
        public int[] source() {
            return source.clone();
        }
    }

    /**
     * {@code [C, H, W] → [C·H·W]}: channel {@code c} of the input becomes the block of {@code H·W}
     * consecutive features starting at {@code c·H·W} of the output.
     */
    record Flatten() implements ChannelRule {}

    /**
     * The channels cannot be followed through the layer: nothing it reads or writes is pruned.
     *
     * @param reason why, for messages, e.g. {@code Scale s does not say how its channels couple} (not null)
     */
    record Opaque(String reason) implements ChannelRule {
        /**
         * An opaque rule.
         *
         * @param reason why the channels cannot be followed, for messages (not null)
         */
        public Opaque {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
