package io.sparkmlp.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Opens IDX files on any Hadoop file system ({@code file:}, {@code hdfs:}, {@code s3a:}, or a plain local path)
 * through {@link Path#getFileSystem(Configuration)}; the only class of the codec that knows Hadoop.
 */
public final class IdxFiles {

    private static final int BUFFER = 1 << 16;

    private IdxFiles() {
    }

    /** The file's bytes as stored (compressed if it is gzip). */
    public static InputStream openRaw(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        return p.getFileSystem(conf).open(p, BUFFER);
    }

    /** The file's IDX bytes, decompressed when the file starts with the gzip magic. */
    public static InputStream open(String path, Configuration conf) throws IOException {
        return IdxReader.decode(new BufferedInputStream(openRaw(path, conf), BUFFER), path);
    }

    /**
     * The file's IDX bytes from decoded byte {@code offset} on: a raw file seeks there, a gzip file decompresses
     * up to it, from where a stream of the same file that an earlier caller in this JVM closed stopped, if one
     * stopped at or before {@code offset}, else from byte 0 (see {@link GzipResumePoints}). An offset past the
     * end gives a stream at its end, so the caller's read reports the shortfall.
     */
    public static InputStream openAt(String path, Configuration conf, long offset) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        FSDataInputStream in = fs.open(p, BUFFER);
        try {
            boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
            FileStatus status = fs.getFileStatus(p);
            if (!gzip) {
                // some file systems refuse to seek past the end, so stop at it
                in.seek(Math.min(offset, status.getLen()));
                return new BufferedInputStream(in, BUFFER);
            }
            in.close();
            GzipResumePoints.FileVersion version = new GzipResumePoints.FileVersion(fs.makeQualified(p).toString(),
                    status.getLen(), status.getModificationTime());
            return GzipResumePoints.openAt(version, offset,
                    () -> IdxReader.decode(new BufferedInputStream(fs.open(p, BUFFER), BUFFER), path));
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Bytes that gzip streams from {@link #openAt} have inflated in this JVM so far, skipped ones included. */
    public static long inflatedBytes() {
        return GzipResumePoints.INFLATED.get();
    }

    /** Closes the gzip decoders that {@link #openAt} streams left open for later readers (see {@link GzipResumePoints}). */
    public static void closeParkedDecoders() {
        GzipResumePoints.closeAll();
    }

    /** True when the file starts with the gzip magic {@code 1f 8b}. */
    public static boolean isGzip(String path, Configuration conf) throws IOException {
        try (InputStream in = openRaw(path, conf)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    public static boolean exists(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        return p.getFileSystem(conf).exists(p);
    }

    /** Reads just the header (cheap, also for gzip files). */
    public static IdxHeader readHeader(String path, Configuration conf) throws IOException {
        try (InputStream in = open(path, conf)) {
            return IdxHeader.read(in, path);
        }
    }

    /**
     * Length of the decoded (decompressed) file. A raw file's length comes from the file system. For gzip, the
     * ISIZE trailer (uncompressed length mod 2^32) is trusted when it matches {@code expected}; otherwise, or when
     * {@code expected < 0}, the file is decompressed once to count.
     */
    public static long decodedLength(String path, Configuration conf, long expected) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        long length = fs.getFileStatus(p).getLen();
        try (FSDataInputStream in = fs.open(p, BUFFER)) {
            boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
            if (!gzip) {
                return length;
            }
            if (expected >= 0 && length >= 8) {
                byte[] t = new byte[4];
                in.readFully(length - 4, t);
                long isize = (t[0] & 0xFFL) | (t[1] & 0xFFL) << 8 | (t[2] & 0xFFL) << 16 | (t[3] & 0xFFL) << 24;
                if (isize == (expected & 0xFFFFFFFFL)) {
                    return expected;
                }
            }
        }
        try (InputStream in = open(path, conf)) {
            return in.transferTo(OutputStream.nullOutputStream());
        }
    }

    public static IdxImages readImages(String path, Configuration conf) throws IOException {
        checkRawLength(path, conf);
        try (InputStream in = openRaw(path, conf)) {
            return IdxReader.readImages(in, path);
        }
    }

    public static byte[] readLabels(String path, Configuration conf) throws IOException {
        checkRawLength(path, conf);
        try (InputStream in = openRaw(path, conf)) {
            return IdxReader.readLabels(in, path);
        }
    }

    /** Reads an image file and its label file and checks that they hold the same number of items. */
    public static LabeledImages readLabeled(String imagesPath, String labelsPath, Configuration conf) throws IOException {
        checkRawLength(imagesPath, conf);
        checkRawLength(labelsPath, conf);
        try (InputStream images = openRaw(imagesPath, conf); InputStream labels = openRaw(labelsPath, conf)) {
            return IdxReader.readLabeled(images, imagesPath, labels, labelsPath);
        }
    }

    /**
     * For a raw file, checks the header's promise against the file's length before anything is allocated, so
     * that absurd dimensions fail at once; a gzip file's length is known only once inflated, and the reader
     * reads it in bounded chunks instead.
     */
    static void checkRawLength(String path, Configuration conf) throws IOException {
        if (isGzip(path, conf)) {
            return;
        }
        IdxHeader header = readHeader(path, conf);
        Path p = new Path(path);
        header.checkDataBytes(path, p.getFileSystem(conf).getFileStatus(p).getLen() - header.headerBytes());
    }

    /** Skips {@code n} bytes or up to the end of the stream, whichever comes first; returns the bytes skipped. */
    static long skipUpTo(InputStream in, long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, BUFFER)];
        long done = 0;
        while (done < n) {
            int k = in.read(scratch, 0, (int) Math.min(scratch.length, n - done));
            if (k < 0) {
                break;
            }
            done += k;
        }
        return done;
    }
}
