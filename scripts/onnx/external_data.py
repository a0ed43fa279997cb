"""Writes the external-data fixtures: committed models re-saved with their tensors in a file beside them.

PyTorch 2.9 and later export every weight into `<model>.onnx.data` by default (`external_data=True`),
and any model over protobuf's 2 GiB must keep its weights outside the file. This script takes two of
the fixtures `make_fixtures.py` wrote and re-saves them with onnx's own external-data writer, so that
prune4j's reader is tested on the layout the reference tool writes:

- `residual_block_ext.op17.onnx` + `residual_block_ext.op17.onnx.data`: every tensor of at least
  1 KiB outside (onnx's default threshold), the small ones (biases, BatchNorm vectors) inside;
- `se_silu_ext.op13.onnx` + `weights/se_silu_ext.bin`: every tensor outside (threshold 0), in a
  sub-folder, one file for all.

The Java test (`ExternalDataTest`) checks that each reads to the network its one-file original reads
to, bit for bit. Run from the repository root: `/usr/bin/python3 scripts/onnx/external_data.py`.
"""
import os

import onnx
from onnx.external_data_helper import convert_model_to_external_data

DIR = "prune4j-core/src/test/resources/io/prune4j/onnx"


def resave(source, target, location, threshold):
    model = onnx.load(os.path.join(DIR, source))
    convert_model_to_external_data(model, all_tensors_to_one_file=True, location=location, size_threshold=threshold)
    data = os.path.join(DIR, location)
    os.makedirs(os.path.dirname(data), exist_ok=True)
    if os.path.exists(data):
        os.remove(data)  # onnx appends to an existing data file
    onnx.save_model(model, os.path.join(DIR, target))
    outside = sum(1 for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL)
    print(f"{target}: {outside} of {len(model.graph.initializer)} initializers in {location} ({os.path.getsize(data)} bytes)")


if __name__ == "__main__":
    resave("residual_block.op17.onnx", "residual_block_ext.op17.onnx", "residual_block_ext.op17.onnx.data", 1024)
    resave("se_silu.op13.onnx", "se_silu_ext.op13.onnx", "weights/se_silu_ext.bin", 0)
