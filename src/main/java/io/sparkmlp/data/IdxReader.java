package io.sparkmlp.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Reads whole IDX image and label files into memory; gzip is recognised by its first two bytes, never by the name. */
public final class IdxReader {

    /** Largest array the JVM reliably allocates. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    /** First allocation when reading the data; later ones double, up to what the header promises. */
    private static final int CHUNK = 1 << 20;

    private IdxReader() {
    }

    /**
     * Wraps {@code raw} so that it yields the IDX bytes: decompressed when it starts with the gzip magic
     * {@code 1f 8b}, as is otherwise. A corrupt or cut-short gzip stream raises an {@link IdxFormatException} naming the file.
     */
    public static InputStream decode(InputStream raw, String file) throws IOException {
        InputStream in = raw.markSupported() ? raw : new BufferedInputStream(raw, 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 != 0x1f || b1 != 0x8b) {
            return in;
        }
        try {
            return new GzipGuard(new GZIPInputStream(in, 1 << 16), file);
        } catch (ZipException | EOFException e) {
            throw GzipGuard.corrupt(file, 0, e);
        }
    }

    /** Reads an idx3-ubyte image file (count, rows, cols) from a raw or gzipped stream. */
    public static IdxImages readImages(InputStream raw, String file) throws IOException {
        InputStream in = decode(raw, file);
        IdxHeader h = IdxHeader.read(in, file);
        requireImages(h, file);
        return new IdxImages(h.dim(0), h.dim(1), h.dim(2), readData(in, h, file));
    }

    /** Reads an idx1-ubyte label file from a raw or gzipped stream. */
    public static byte[] readLabels(InputStream raw, String file) throws IOException {
        InputStream in = decode(raw, file);
        IdxHeader h = IdxHeader.read(in, file);
        requireLabels(h, file);
        return readData(in, h, file);
    }

    /** Reads an image stream and a label stream and checks that they hold the same number of items. */
    public static LabeledImages readLabeled(InputStream images, String imagesFile,
                                            InputStream labels, String labelsFile) throws IOException {
        IdxImages img = readImages(images, imagesFile);
        byte[] lab = readLabels(labels, labelsFile);
        checkCounts(imagesFile, img.count(), labelsFile, lab.length);
        return new LabeledImages(img, lab);
    }

    /** Images: rank 3 (count, rows, cols) of unsigned bytes. */
    public static void requireImages(IdxHeader h, String file) {
        h.require(IdxType.UBYTE, 3, file, "images");
    }

    /** Labels: rank 1 (count) of unsigned bytes. */
    public static void requireLabels(IdxHeader h, String file) {
        h.require(IdxType.UBYTE, 1, file, "labels");
    }

    public static void checkCounts(String imagesFile, long images, String labelsFile, long labels) {
        if (images != labels) {
            throw new IdxFormatException("image file " + imagesFile + " holds " + images
                    + " images but label file " + labelsFile + " holds " + labels + " labels");
        }
    }

    private static byte[] readData(InputStream in, IdxHeader h, String file) throws IOException {
        if (h.dataBytes() > MAX_ARRAY) {
            throw new IdxFormatException(file + ": " + h.dataBytes() + " data bytes do not fit in one Java array (at most "
                    + MAX_ARRAY + "); read it with the idx data source instead");
        }
        int promised = (int) h.dataBytes();
        // the array grows with the bytes that arrive, so a header promising more than the stream holds (a gzip
        // stream's length is unknown until inflated) costs at most twice the memory of what is really there
        byte[] data = new byte[Math.min(promised, CHUNK)];
        int n = 0;
        while (n < promised) {
            if (n == data.length) {
                data = Arrays.copyOf(data, (int) Math.min(promised, 2L * data.length));
            }
            int k = in.read(data, n, data.length - n);
            if (k < 0) {
                throw h.sizeMismatch(file, n);
            }
            n += k;
        }
        long trailing = in.transferTo(OutputStream.nullOutputStream());
        if (trailing > 0) {
            throw h.sizeMismatch(file, n + trailing);
        }
        return data;
    }

    /** Turns gzip's own exceptions into one-line errors that name the file and how far decompression got. */
    static final class GzipGuard extends FilterInputStream {
        private final String file;
        private long position;

        GzipGuard(InputStream in, String file) {
            super(in);
            this.file = file;
        }

        static IdxFormatException corrupt(String file, long position, IOException e) {
            String what = e instanceof EOFException ? "the gzip stream is cut short" : "the gzip stream is corrupt";
            return new IdxFormatException(file + ": " + what + " after " + position + " decompressed bytes ("
                    + e.getMessage() + ")", e);
        }

        @Override
        public int read() throws IOException {
            try {
                int b = in.read();
                if (b >= 0) {
                    position++;
                }
                return b;
            } catch (ZipException | EOFException e) {
                throw corrupt(file, position, e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = in.read(b, off, len);
                if (n > 0) {
                    position += n;
                }
                return n;
            } catch (ZipException | EOFException e) {
                throw corrupt(file, position, e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                long k = in.skip(n);
                position += k;
                return k;
            } catch (ZipException | EOFException e) {
                throw corrupt(file, position, e);
            }
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
