package io.sparkmlp.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The header of an IDX file: magic {@code 00 00}, a type code byte, a rank byte, then {@code rank}
 * big-endian unsigned 32-bit dimensions. The data that follows is {@code product(dims) * elementBytes} bytes.
 */
public final class IdxHeader implements Serializable {

    private static final long serialVersionUID = 1L;

    private final IdxType type;
    private final int[] dims;
    private final long dataBytes;

    /** A header for writing; every dimension must be at least 1. */
    public IdxHeader(IdxType type, int... dims) {
        if (type == null) {
            throw new IllegalArgumentException("type must not be null");
        }
        if (dims.length < 1 || dims.length > 255) {
            throw new IllegalArgumentException("rank must be in 1..255, got " + dims.length);
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1) {
                throw new IllegalArgumentException("dimension " + i + " must be >= 1, got " + dims[i]);
            }
        }
        this.type = type;
        this.dims = dims.clone();
        this.dataBytes = dataBytes("header", type, this.dims);
    }

    /** Parses a header from the first bytes of {@code in} (already decompressed); {@code file} names it in errors. */
    public static IdxHeader read(InputStream in, String file) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length == 0) {
            throw new IdxFormatException(file + ": the file is empty (0 bytes), an IDX file starts with a header of at least 8 bytes");
        }
        if (head.length < 4) {
            throw new IdxFormatException(file + ": header truncated, the file holds " + head.length
                    + " bytes, an IDX header needs at least 8");
        }
        if (head[0] != 0 || head[1] != 0) {
            throw new IdxFormatException(String.format(
                    "%s: wrong magic number, the file starts with %02x %02x %02x %02x, expected 00 00 followed by a type code and rank",
                    file, head[0], head[1], head[2], head[3]));
        }
        int code = head[2] & 0xFF;
        IdxType type = IdxType.ofCode(code);
        if (type == null) {
            throw new IdxFormatException(String.format("%s: unknown type code 0x%02X, known: %s",
                    file, code, IdxType.knownCodes()));
        }
        int rank = head[3] & 0xFF;
        if (rank == 0) {
            throw new IdxFormatException(file + ": rank 0, an IDX file needs at least one dimension");
        }
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw new IdxFormatException(file + ": header truncated, rank " + rank + " needs " + (4 + 4 * rank)
                    + " header bytes, the file holds " + (4 + dimBytes.length));
        }
        ByteBuffer buf = ByteBuffer.wrap(dimBytes); // big-endian by default, as IDX is
        long[] raw = new long[rank];
        for (int i = 0; i < rank; i++) {
            raw[i] = Integer.toUnsignedLong(buf.getInt());
        }
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            if (raw[i] == 0) {
                throw new IdxFormatException(file + ": dimension " + i + " is 0 (dims " + join(raw) + ")");
            }
            if (raw[i] > Integer.MAX_VALUE) {
                throw new IdxFormatException(file + ": dimension " + i + " is " + raw[i]
                        + ", more than the largest supported " + Integer.MAX_VALUE + " (dims " + join(raw) + ")");
            }
            dims[i] = (int) raw[i];
        }
        return new IdxHeader(type, dims, dataBytes(file, type, dims));
    }

    private IdxHeader(IdxType type, int[] dims, long dataBytes) {
        this.type = type;
        this.dims = dims;
        this.dataBytes = dataBytes;
    }

    private static long dataBytes(String file, IdxType type, int[] dims) {
        try {
            long n = type.elementBytes();
            for (int d : dims) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException e) {
            throw new IdxFormatException(file + ": dims " + join(dims) + " of " + type.elementBytes()
                    + "-byte elements overflow a 64-bit byte count");
        }
    }

    public IdxType type() {
        return type;
    }

    public int typeCode() {
        return type.code();
    }

    public int rank() {
        return dims.length;
    }

    public int[] dims() {
        return dims.clone();
    }

    public int dim(int i) {
        if (i < 0 || i >= dims.length) {
            throw new IllegalArgumentException("dimension index " + i + " is outside 0.." + (dims.length - 1));
        }
        return dims[i];
    }

    /** Bytes before the data: 4 + 4 * rank. */
    public int headerBytes() {
        return 4 + 4 * dims.length;
    }

    /** Bytes of data the header promises: product of the dims times the element size. */
    public long dataBytes() {
        return dataBytes;
    }

    /** Fails unless the header declares {@code type} and {@code rank}; {@code what} says what the file should hold. */
    public void require(IdxType expectedType, int expectedRank, String file, String what) {
        if (dims.length != expectedRank) {
            throw new IdxFormatException(file + ": " + what + " need rank " + expectedRank + ", the header has rank "
                    + dims.length + " (dims " + join(dims) + ")");
        }
        if (type != expectedType) {
            throw new IdxFormatException(file + ": " + what + " must be of type " + expectedType
                    + ", the header declares " + type + " (a valid IDX type, but not one " + what + " can have)");
        }
    }

    /** Fails unless the file holds exactly the promised data bytes; {@code heldDataBytes} counts bytes after the header. */
    public void checkDataBytes(String file, long heldDataBytes) {
        if (heldDataBytes != dataBytes) {
            throw sizeMismatch(file, heldDataBytes);
        }
    }

    /** The error for a file that holds {@code heldDataBytes} data bytes instead of {@link #dataBytes()}. */
    public IdxFormatException sizeMismatch(String file, long heldDataBytes) {
        String promise = file + ": the header promises " + join(dims)
                + (type.elementBytes() == 1 ? "" : " x " + type.elementBytes()) + " = " + dataBytes
                + " data bytes, the file holds " + heldDataBytes;
        if (heldDataBytes > dataBytes) {
            return new IdxFormatException(promise + " (" + (heldDataBytes - dataBytes) + " trailing bytes)");
        }
        if (heldDataBytes < dataBytes) {
            return new IdxFormatException(promise + " (truncated, " + (dataBytes - heldDataBytes) + " bytes missing)");
        }
        return new IdxFormatException(promise + ", yet a read ended early; did the file change while it was read?");
    }

    public void write(OutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(headerBytes());
        buf.put((byte) 0).put((byte) 0).put((byte) type.code()).put((byte) dims.length);
        for (int d : dims) {
            buf.putInt(d);
        }
        out.write(buf.array());
    }

    /** "60000 x 28 x 28". */
    public String dimsText() {
        return join(dims);
    }

    @Override
    public String toString() {
        return "IDX " + type + " " + join(dims);
    }

    private static String join(int[] dims) {
        return Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining(" x "));
    }

    private static String join(long[] dims) {
        return Arrays.stream(dims).mapToObj(Long::toString).collect(Collectors.joining(" x "));
    }
}
