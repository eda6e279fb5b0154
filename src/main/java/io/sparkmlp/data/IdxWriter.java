package io.sparkmlp.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes idx3-ubyte image files and idx1-ubyte label files, raw or gzipped. */
public final class IdxWriter {

    private IdxWriter() {
    }

    /** Writes a header and its data; the data must be exactly as long as the header promises. */
    public static void write(OutputStream out, IdxHeader header, byte[] data) throws IOException {
        if (data.length != header.dataBytes()) {
            throw new IllegalArgumentException("header " + header + " promises " + header.dataBytes()
                    + " data bytes, got " + data.length);
        }
        header.write(out);
        out.write(data);
    }

    public static void writeImages(OutputStream out, IdxImages images) throws IOException {
        write(out, new IdxHeader(IdxType.UBYTE, images.count(), images.rows(), images.cols()), images.pixels());
    }

    public static void writeLabels(OutputStream out, byte[] labels) throws IOException {
        if (labels.length == 0) {
            throw new IllegalArgumentException("labels must not be empty");
        }
        write(out, new IdxHeader(IdxType.UBYTE, labels.length), labels);
    }

    /** Writes an image file on the local disk, gzipped when {@code gzip}. */
    public static void writeImages(Path file, IdxImages images, boolean gzip) throws IOException {
        try (OutputStream out = create(file, gzip)) {
            writeImages(out, images);
        }
    }

    /** Writes a label file on the local disk, gzipped when {@code gzip}. */
    public static void writeLabels(Path file, byte[] labels, boolean gzip) throws IOException {
        try (OutputStream out = create(file, gzip)) {
            writeLabels(out, labels);
        }
    }

    private static OutputStream create(Path file, boolean gzip) throws IOException {
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        return gzip ? new GZIPOutputStream(out, 1 << 16) : out;
    }
}
