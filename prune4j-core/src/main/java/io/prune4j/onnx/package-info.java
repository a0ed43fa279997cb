/**
 * ONNX import and export: {@link io.prune4j.onnx.OnnxReader} builds a prune4j graph from an ONNX
 * model as PyTorch exports it, {@link io.prune4j.onnx.OnnxWriter} writes any graph of the built-in
 * layers back as ONNX (opset 17), keeping the names of what survives pruning
 * ({@link io.prune4j.onnx.OnnxNames}). {@link io.prune4j.onnx.ModelFormat} picks ONNX or prune4j's
 * safetensors files by the file name, and {@link io.prune4j.onnx.OnnxRuntime} runs an exported model
 * in ONNX Runtime when that optional dependency is present.
 * The protobuf classes in {@code io.prune4j.onnx.proto} are generated at build time from the
 * vendored {@code src/main/proto/onnx.proto} (ONNX 1.12, Apache-2.0).
 */
package io.prune4j.onnx;
