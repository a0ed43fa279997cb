package io.prune4j.onnx;

import io.prune4j.onnx.proto.StringStringEntryProto;
import io.prune4j.onnx.proto.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors an ONNX file keeps outside itself ({@code data_location = EXTERNAL}: PyTorch 2.9 and
 * later write every weight so, into {@code model.onnx.data}, and any model over protobuf's 2 GiB must
 * be). Each such tensor names a file relative to the model's folder ({@code location}), where its
 * bytes start ({@code offset}, default 0) and how many there are ({@code length}, default: to the end
 * of the file); a {@code checksum} is accepted and not checked, as ONNX Runtime does not check it.
 *
 * <p>A location is read only inside the model's folder: an absolute path, a drive, or a {@code ..}
 * that leaves the folder is refused, as is any other key, a number that is not one, and a range past
 * the end of the file. The bytes read are exactly what the tensor's shape needs, so nothing is
 * allocated that the data file does not hold. The files opened are closed by {@link #close()}.
 */
final class ExternalData implements AutoCloseable {
    /** The largest tensor read from an external file, in bytes: one Java array. */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

    private final Path folder;
    private final Map<Path, FileChannel> open = new LinkedHashMap<>();
    private final Map<Path, Long> sizes = new LinkedHashMap<>();

    /**
     * @param folder the folder of the model file, against which locations are resolved; null when the
     *               model was given as bytes, and then every external tensor is refused
     */
    ExternalData(Path folder) {
        this.folder = folder == null ? null : folder.toAbsolutePath().normalize();
    }

    /** Whether {@code t} keeps its data in an external file. */
    static boolean isExternal(TensorProto t) {
        return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    }

    /**
     * The {@code expected} bytes of the external tensor {@code t}, little-endian, positioned at 0.
     *
     * @param where    the tensor in messages ({@code file: initializer 'w'})
     * @param t        a tensor whose data location is EXTERNAL
     * @param expected the bytes its shape and data type need
     * @return a new buffer of exactly {@code expected} bytes
     * @throws OnnxFormatException naming the tensor and the problem
     */
    ByteBuffer read(String where, TensorProto t, long expected) {
        String location = null;
        long offset = 0;
        long length = -1;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (StringStringEntryProto e : t.getExternalDataList()) {
            if (!seen.add(e.getKey())) {
                throw new OnnxFormatException(where + ": external data key '" + e.getKey() + "' is given twice");
            }
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = number(where, "offset", e.getValue());
                case "length" -> length = number(where, "length", e.getValue());
                case "checksum" -> { } // not checked, as ONNX Runtime does not check it
                default -> throw new OnnxFormatException(where + ": unknown external data key '" + e.getKey()
                        + "' (known: location, offset, length, checksum)");
            }
        }
        if (location == null || location.isEmpty()) {
            throw new OnnxFormatException(where + " keeps its data in an external file but names no location");
        }
        if (folder == null) {
            throw new OnnxFormatException(where + " keeps its data in the external file '" + location + "': read the model from its"
                    + " file, whose folder holds the data, not from bytes");
        }
        Path path = resolve(where, location);
        long size = size(where, location, path);
        if (offset > size) {
            throw new OnnxFormatException(where + ": offset " + offset + " is past the end of '" + location + "' (" + size + " bytes)");
        }
        long available = length < 0 ? size - offset : length;
        if (length >= 0 && length > size - offset) {
            throw new OnnxFormatException(where + ": bytes " + offset + " to " + (offset + length) + " are past the end of '" + location
                    + "' (" + size + " bytes)");
        }
        if (available != expected) {
            throw new OnnxFormatException(where + " has " + available + " bytes of data in '" + location + "' but its shape "
                    + t.getDimsList() + " needs " + expected);
        }
        if (expected > MAX_TENSOR_BYTES) {
            throw new OnnxFormatException(where + ": " + expected + " bytes is larger than the 2 GiB prune4j reads for one tensor");
        }
        ByteBuffer b = ByteBuffer.allocate((int) expected).order(ByteOrder.LITTLE_ENDIAN);
        try {
            FileChannel c = channel(path);
            long at = offset;
            while (b.hasRemaining()) {
                int n = c.read(b, at);
                if (n < 0) {
                    throw new OnnxFormatException(where + ": '" + location + "' ended at byte " + at + " while reading it (was it"
                            + " truncated while being read?)");
                }
                at += n;
            }
        } catch (IOException e) {
            throw new OnnxFormatException(where + ": cannot read '" + location + "' (" + e.getMessage() + ")");
        }
        return b.flip();
    }

    /** The bytes of the external files read so far, each counted once. */
    long bytes() {
        return sizes.values().stream().mapToLong(Long::longValue).sum();
    }

    private static long number(String where, String key, String value) {
        try {
            long v = Long.parseLong(value.trim());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new OnnxFormatException(where + ": external data " + key + " '" + value + "' is not a byte count");
        }
    }

    /** {@code location} inside the model's folder, or an error when it would leave it. */
    private Path resolve(String where, String location) {
        Path rel;
        try {
            rel = Path.of(location);
        } catch (InvalidPathException e) {
            throw new OnnxFormatException(where + ": external data location '" + location + "' is not a path (" + e.getReason() + ")");
        }
        if (rel.isAbsolute() || rel.getRoot() != null || location.startsWith("/") || location.startsWith("\\")
                || location.indexOf(':') >= 0) {
            throw new OnnxFormatException(where + ": external data location '" + location + "' is absolute; it must be relative to the"
                    + " model's folder");
        }
        Path p = folder.resolve(rel).normalize();
        if (!p.startsWith(folder) || p.equals(folder)) {
            throw new OnnxFormatException(where + ": external data location '" + location + "' leaves the model's folder");
        }
        return p;
    }

    private long size(String where, String location, Path path) {
        Long known = sizes.get(path);
        if (known != null) {
            return known;
        }
        if (Files.isDirectory(path)) {
            throw new OnnxFormatException(where + ": external data location '" + location + "' is a folder");
        }
        try {
            long s = Files.size(path);
            sizes.put(path, s);
            return s;
        } catch (NoSuchFileException e) {
            throw new OnnxFormatException(where + " keeps its data in '" + location + "', which is not in the model's folder ("
                    + folder + ")");
        } catch (IOException e) {
            throw new OnnxFormatException(where + ": cannot read '" + location + "' (" + e.getMessage() + ")");
        }
    }

    private FileChannel channel(Path path) throws IOException {
        FileChannel c = open.get(path);
        if (c == null) {
            c = FileChannel.open(path, StandardOpenOption.READ);
            open.put(path, c);
        }
        return c;
    }

    /** Closes the files opened. */
    @Override
    public void close() {
        for (FileChannel c : open.values()) {
            try {
                c.close();
            } catch (IOException e) {
                // reading is over; a failed close loses nothing
            }
        }
        open.clear();
    }
}
