package org.example.prune4j;

import io.prune4j.backend.Backend;
import io.prune4j.io.LayerCodec;
import io.prune4j.io.ModelFormatException;
import io.prune4j.tensor.Tensor;
import java.util.Map;

/** How {@link Scale} layers are saved: no settings, one tensor ({@code weight [C]}). */
public class ScaleCodec implements LayerCodec<Scale> {
    @Override
    public String type() {
        return "org.example.scale";
    }

    @Override
    public Class<Scale> layerClass() {
        return Scale.class;
    }

    @Override
    public Map<String, String> settings(Scale layer) {
        return Map.of();
    }

    @Override
    public Scale create(String name, Map<String, String> settings, Map<String, Tensor> tensors, Backend backend) {
        Tensor w = tensors.get("weight");
        if (w == null || tensors.size() != 1) {
            throw new ModelFormatException("a Scale layer has exactly one tensor, weight; got " + tensors.keySet());
        }
        return new Scale(name, w);
    }
}
