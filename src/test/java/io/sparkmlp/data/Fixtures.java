package io.sparkmlp.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Tiny deterministic IDX fixtures for the tests. */
final class Fixtures {

    private Fixtures() {
    }

    /** Pixel (i, r, c) = (40 i + 7 r + 3 c) mod 256, so rows differ and values reach past 127 (sign bit). */
    static IdxImages images(int count, int rows, int cols) {
        byte[] px = new byte[count * rows * cols];
        for (int i = 0; i < count; i++) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    px[i * rows * cols + r * cols + c] = (byte) (40 * i + 7 * r + 3 * c);
                }
            }
        }
        return new IdxImages(count, rows, cols, px);
    }

    /** Label i = (3 i + 1) mod 10. */
    static byte[] labels(int count) {
        byte[] l = new byte[count];
        for (int i = 0; i < count; i++) {
            l[i] = (byte) ((3 * i + 1) % 10);
        }
        return l;
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    static byte[] imageFileBytes(IdxImages images) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IdxWriter.writeImages(out, images);
        return out.toByteArray();
    }

    static byte[] labelFileBytes(byte[] labels) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IdxWriter.writeLabels(out, labels);
        return out.toByteArray();
    }

    /** Writes a matching train pair (count images of rows x cols, count labels) into dir; returns the image path. */
    static Path writePair(Path dir, String prefix, int count, int rows, int cols, boolean gzip) throws IOException {
        String gz = gzip ? ".gz" : "";
        Path images = dir.resolve(prefix + "-images-idx3-ubyte" + gz);
        IdxWriter.writeImages(images, images(count, rows, cols), gzip);
        IdxWriter.writeLabels(dir.resolve(prefix + "-labels-idx1-ubyte" + gz), labels(count), gzip);
        return images;
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        return Files.write(file, bytes);
    }

    static byte[] cut(byte[] bytes, int drop) {
        return java.util.Arrays.copyOf(bytes, bytes.length - drop);
    }
}
