package io.prune4j.onnx;

import io.prune4j.backend.Backend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The two model file formats, chosen by the file name: {@code .onnx} is ONNX ({@link OnnxReader},
 * {@link OnnxWriter}), anything else prune4j's safetensors layout ({@link ModelFile}). Loading gives
 * an {@link OnnxModel} either way, so that a network read from ONNX and saved as ONNX keeps its names;
 * a safetensors file's names are its own ({@link OnnxNames#defaults()}, {@code opset} 0).
 */
public enum ModelFormat {
    /** prune4j's own model file: safetensors with the architecture in its metadata ({@link ModelFile}). */
    SAFETENSORS,
    /** An ONNX model ({@link OnnxReader}, {@link OnnxWriter}). */
    ONNX;

    /**
     * The format a file of this name is read and written in.
     *
     * @param file the file (not null); only its name is looked at
     * @return {@link #ONNX} for a name ending in {@code .onnx} (in any case), else {@link #SAFETENSORS}
     */
    public static ModelFormat of(Path file) {
        Objects.requireNonNull(file, "file");
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".onnx") ? ONNX : SAFETENSORS;
    }

    /**
     * Reads {@code file} onto {@code backend}; {@code inputShape} (one example) is for ONNX files whose
     * extents are symbolic, and is checked against a safetensors file's (null: the file's).
     *
     * @param file       the model file (not null)
     * @param backend    where the network's tensors go (not null)
     * @param inputShape one example's shape without the batch, or null to take the file's
     * @return the network with its names and metadata; the caller owns it and closes it. A
     *     safetensors file gives opset 0, producer {@code prune4j}, and default names (with the output
     *     function its metadata keeps, see {@link #OUTPUT_FUNCTION})
     * @throws io.prune4j.MissingFileException when the file does not exist
     * @throws OnnxFormatException when an ONNX file cannot be read ({@link OnnxReader#read(Path, Backend, int[])})
     * @throws io.prune4j.io.ModelFormatException when a safetensors file cannot be read, takes inputs
     *     of another shape than {@code inputShape}, or names an unknown output function
     */
    public static OnnxModel load(Path file, Backend backend, int[] inputShape) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(backend, "backend");
        if (of(file) == ONNX) {
            return OnnxReader.read(file, backend, inputShape);
        }
        ModelFile.Loaded loaded = ModelFile.loadWithMetadata(file, backend);
        Graph net = loaded.graph();
        if (inputShape != null && !java.util.Arrays.equals(inputShape, net.inputShape())) {
            int[] has = net.inputShape();
            net.close();
            throw new io.prune4j.io.ModelFormatException(file + ": the model takes inputs of shape " + java.util.Arrays.toString(has)
                    + ", not the " + java.util.Arrays.toString(inputShape) + " given");
        }
        OnnxNames names = OnnxNames.defaults();
        String function = loaded.metadata().get(OUTPUT_FUNCTION);
        if (function != null) {
            try {
                OutputFunction f = OutputFunction.valueOf(function);
                names = new OnnxNames("input", "output", Map.of(), Map.of(), Map.of(), "prune4j", f, "");
            } catch (IllegalArgumentException e) {
                net.close();
                throw new io.prune4j.io.ModelFormatException(file + ": metadata " + OUTPUT_FUNCTION + " '" + function + "' is not one of "
                        + java.util.Arrays.toString(OutputFunction.values()));
            }
        }
        return new OnnxModel(net, names, 0, "prune4j", loaded.metadata());
    }

    /**
     * Metadata key of a safetensors file that keeps the {@link OutputFunction} of the ONNX file it came
     * from, so that an export of it ends in the same Softmax.
     */
    public static final String OUTPUT_FUNCTION = "prune4j.output_function";

    /**
     * Writes {@code net} to {@code file} in the format its name says; {@code names} (null: defaults)
     * are used by ONNX, {@code metadata} goes into either file's metadata. Atomic in both formats.
     * A safetensors file keeps the names' {@link OutputFunction} (other than NONE) under
     * {@link #OUTPUT_FUNCTION}. The network is only read.
     *
     * @param net      the network (not null)
     * @param file     the file to write (not null); its name chooses the format ({@link #of})
     * @param names    what to call things in an ONNX file and the output function to put back, or null
     *                 for {@link OnnxNames#defaults()}
     * @param metadata string keys and values for the file's metadata (not null; may be empty)
     * @throws IllegalArgumentException when the file is ONNX and a layer has no ONNX form
     *     ({@link OnnxWriter#write})
     * @throws io.prune4j.Prune4jException when the file is safetensors and a layer has no file format
     *     ({@link ModelFile#save}), or when the file cannot be written
     */
    public static void save(Graph net, Path file, OnnxNames names, Map<String, String> metadata) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(metadata, "metadata");
        if (of(file) == ONNX) {
            OnnxWriter.write(net, file, names, metadata);
        } else {
            OutputFunction f = names == null ? OutputFunction.NONE : names.outputFunction();
            if (f == OutputFunction.NONE) {
                ModelFile.save(net, file, metadata);
            } else {
                Map<String, String> m = new java.util.LinkedHashMap<>(metadata);
                m.put(OUTPUT_FUNCTION, f.name());
                ModelFile.save(net, file, m);
            }
        }
    }
}
