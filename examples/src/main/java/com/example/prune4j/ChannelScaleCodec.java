package com.example.prune4j;

import io.prune4j.backend.Backend;
import io.prune4j.io.LayerCodec;
import io.prune4j.io.ModelFormatException;
import io.prune4j.tensor.Tensor;
import java.util.Map;

/** How {@link ChannelScale} layers are written to model files and read back (register it with {@code ModelFile.register}). */
public final class ChannelScaleCodec implements LayerCodec<ChannelScale> {
    @Override
    public String type() {
        return "com.example.channel_scale";
    }

    @Override
    public Class<ChannelScale> layerClass() {
        return ChannelScale.class;
    }

    @Override
    public Map<String, String> settings(ChannelScale layer) {
        return Map.of("channels", Integer.toString(layer.channels()));
    }

    @Override
    public ChannelScale create(String name, Map<String, String> settings, Map<String, Tensor> tensors, Backend backend) {
        Tensor w = tensors.get("weight");
        if (w == null || w.rank() != 1 || !Integer.toString(w.dim(0)).equals(settings.get("channels"))) {
            throw new ModelFormatException("a ChannelScale of " + settings.get("channels") + " channels needs a weight of that many scales");
        }
        return new ChannelScale(name, w);
    }
}
