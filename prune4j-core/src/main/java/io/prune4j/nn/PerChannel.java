package io.prune4j.nn;

import java.util.Arrays;
import java.util.Objects;

/**
 * The shape rule of the layers that hold one value per channel and keep their input's shape
 * ({@link ChannelAffine}, {@link PRelu}, {@link LayerScale}): made for maps {@code [C, H, W]} or for
 * vectors {@code [C]}, and for their {@code C}.
 */
final class PerChannel {
    private PerChannel() {}

    /**
     * {@code in}, when it is a per-example shape the layer takes.
     *
     * @param layer    the layer's {@link Layer#describe()}, for the message
     * @param channels its {@code C}
     * @param maps     true when it takes {@code [C, H, W]} maps, false for {@code [C]} vectors
     * @param in       the input's per-example shape (not null)
     * @return a copy of {@code in}
     * @throws IllegalArgumentException naming the layer and what it takes, when it does not take {@code in}
     */
    static int[] outputShape(String layer, int channels, boolean maps, int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != (maps ? 3 : 1) || in[0] != channels) {
            throw new IllegalArgumentException(layer + " takes " + (maps ? "[" + channels + ", H, W] maps" : "[" + channels + "] vectors")
                    + ", got " + Arrays.toString(in));
        }
        return in.clone();
    }
}
