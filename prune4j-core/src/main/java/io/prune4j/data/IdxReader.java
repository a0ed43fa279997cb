package io.prune4j.data;

import io.prune4j.MissingFileException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (LeCun's MNIST format), raw or gzip-compressed: two zero bytes, a type byte
 * ({@code 0x08}, unsigned byte, is the only type MNIST-style data sets use and the only one read
 * here), the number of dimensions, each dimension as a big-endian int32, then the data.
 *
 * <p>Every way a file can be wrong gives a {@link DataFormatException} whose one-line message
 * names the file and what was wrong; nothing is read past the declared size, and trailing bytes
 * are an error (they mean the header lies).
 */
public final class IdxReader {
    private static final int TYPE_UBYTE = 0x08;
    private static final int MAX_DIMS = 4;
    /** How far past the declared data to read (to let gzip check its CRC) before calling the rest trailing bytes. */
    private static final long MAX_TRAILING_SCAN = 256L << 20;

    private IdxReader() {}

    /**
     * Reads one IDX file, raw or gzip-compressed (told apart by the gzip magic, not the name).
     *
     * @param file the file
     * @return its dimensions and data
     * @throws MissingFileException when {@code file} does not exist
     * @throws DataFormatException  when it cannot be read or is not a valid IDX file of unsigned bytes;
     *                              the message names the file
     */
    public static IdxFile read(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            throw new MissingFileException(file);
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(raw, file.toString());
        } catch (NoSuchFileException e) {
            throw new MissingFileException(file);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /**
     * Reads one IDX file, raw or gzip-compressed, from {@code raw} (which must support
     * {@link InputStream#mark}); {@code name} starts every error message. Every failure, I/O
     * included, is a {@link DataFormatException}. The stream is read up to its end (or a bounded
     * scan past the data) and not closed.
     *
     * @param raw  the file's bytes; must support mark and reset
     * @param name what to call the file in messages
     * @return its dimensions and data
     * @throws DataFormatException when it cannot be read or is not a valid IDX file of unsigned bytes
     */
    public static IdxFile read(InputStream raw, String name) {
        Objects.requireNonNull(raw, "raw");
        Objects.requireNonNull(name, "name");
        try {
            return parse(open(raw), name);
        } catch (ZipException e) {
            throw new DataFormatException(name + ": corrupt gzip data (" + e.getMessage() + ")");
        } catch (EOFException e) {
            throw new DataFormatException(name + ": truncated (file ends inside the gzip stream)");
        } catch (IOException e) {
            throw new DataFormatException(name + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** Wraps the stream in a gzip decoder when it starts with the gzip magic {@code 1f 8b}. */
    private static InputStream open(InputStream raw) throws IOException {
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
        }
        return raw;
    }

    private static IdxFile parse(InputStream in, String name) throws IOException {
        DataInputStream din = new DataInputStream(in);
        byte[] magic = new byte[4];
        int got = din.readNBytes(magic, 0, 4);
        if (got == 0) {
            throw new DataFormatException(name + ": empty file");
        }
        if (got < 4) {
            throw new DataFormatException(name + ": truncated header (" + got + " of 4 magic bytes)");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new DataFormatException(name + ": not an IDX file (magic " + hex(magic) + ", expected 00 00 08 0N)");
        }
        if ((magic[2] & 0xff) != TYPE_UBYTE) {
            throw new DataFormatException(name + ": IDX element type 0x" + Integer.toHexString(magic[2] & 0xff)
                    + " is not supported (expected 0x08, unsigned byte)");
        }
        int ndims = magic[3] & 0xff;
        if (ndims < 1 || ndims > MAX_DIMS) {
            throw new DataFormatException(name + ": IDX dimension count " + ndims + " outside 1.." + MAX_DIMS);
        }
        int[] dims = new int[ndims];
        long total = 1;
        for (int i = 0; i < ndims; i++) {
            byte[] d = new byte[4];
            if (din.readNBytes(d, 0, 4) < 4) {
                throw new DataFormatException(name + ": truncated header (dimension " + i + " of " + ndims + " missing)");
            }
            long v = ((d[0] & 0xffL) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
            if (v > Integer.MAX_VALUE) {
                throw new DataFormatException(name + ": dimension " + i + " is " + v + ", too large");
            }
            dims[i] = (int) v;
            total *= v;
            if (total > Integer.MAX_VALUE - 16) {
                throw new DataFormatException(name + ": dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + " hold more than 2^31 elements");
            }
        }
        byte[] data = readUpTo(din, (int) total);
        if (data.length < total) {
            throw new DataFormatException(name + ": truncated data (" + data.length + " of " + total + " bytes for dimensions "
                    + Arrays.toString(dims) + ")");
        }
        if (din.read() != -1) {
            // in a gzip file, extra bytes usually mean the compressed data is corrupt: reading on to the
            // end lets the decoder check the CRC and say so (ZipException), within a bounded amount of reading
            byte[] sink = new byte[1 << 16];
            for (long left = MAX_TRAILING_SCAN; left > 0; ) {
                int r = din.read(sink, 0, (int) Math.min(sink.length, left));
                if (r < 0) {
                    break;
                }
                left -= r;
            }
            throw new DataFormatException(name + ": trailing bytes after " + data.length + " data bytes for dimensions "
                    + Arrays.toString(dims));
        }
        return new IdxFile(dims, data);
    }

    /**
     * Reads {@code n} bytes, or all there are when the stream ends first. The buffer grows as data
     * arrives (from 1 MiB, doubling) instead of being allocated at the declared size: a 40-byte
     * file whose header claims 2 GiB must be a truncation error, not a 2 GiB allocation (fuzzing
     * found that; see IdxReaderTest#lyingSizeDoesNotAllocateIt).
     */
    private static byte[] readUpTo(InputStream in, int n) throws IOException {
        byte[] buf = new byte[Math.min(n, 1 << 20)];
        int got = 0;
        while (got < n) {
            if (got == buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
            }
            int r = in.read(buf, got, buf.length - got);
            if (r < 0) {
                break;
            }
            got += r;
        }
        return got == buf.length ? buf : Arrays.copyOf(buf, got);
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }
}
