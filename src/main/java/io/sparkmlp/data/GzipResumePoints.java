package io.sparkmlp.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decoded gzip streams that readers of this JVM closed before the end of the file, kept open where they
 * stopped, so that a reader of a later offset of the same file continues inflating from the nearest one
 * before it instead of from byte 0. A gzip member can only be entered at its start: without this, P
 * partitions of one file would inflate (P + 1) / 2 files' worth of bytes between them. With it, partition
 * i + 1 usually continues where partition i stopped, and each executor inflates the file about once
 * whatever P is.
 *
 * <p>A stream is resumed only for the same file version (qualified path, length, modification time), only
 * if no read of it failed, and never twice. At most {@link #MAX_PARKED} streams stay open, each for at
 * most {@link #IDLE_NANOS}; the oldest is closed first.
 */
final class GzipResumePoints {

    static final int MAX_PARKED = 8;
    static final long IDLE_NANOS = 60_000_000_000L;

    /** Bytes inflated by {@link IdxFiles#openAt} streams in this JVM, skipped ones included. */
    static final AtomicLong INFLATED = new AtomicLong();

    /** Identifies the bytes of a file: a rewritten file has another length or modification time. */
    record FileVersion(String path, long length, long modified) {
    }

    private record Parked(FileVersion file, InputStream decoded, long position, long parkedAt) {
    }

    private static final List<Parked> PARKED = new ArrayList<>();

    private GzipResumePoints() {
    }

    /**
     * A stream of {@code file}'s decoded bytes positioned at {@code offset}: a parked one moved forward
     * when one is at or before {@code offset}, else a fresh one from {@code open} (decoded, at byte 0).
     */
    static InputStream openAt(FileVersion file, long offset, Opener open) throws IOException {
        Parked nearest = take(file, offset);
        Resumable stream = nearest != null ? new Resumable(file, nearest.decoded(), nearest.position())
                : new Resumable(file, open.open(), 0);
        try {
            IdxFiles.skipUpTo(stream, offset - stream.position);
            return stream;
        } catch (IOException | RuntimeException e) {
            stream.close();
            throw e;
        }
    }

    /** Opens the file's decoded bytes from byte 0. */
    interface Opener {
        InputStream open() throws IOException;
    }

    private static Parked take(FileVersion file, long offset) {
        List<InputStream> expired = new ArrayList<>();
        Parked best = null;
        synchronized (PARKED) {
            long now = System.nanoTime();
            PARKED.removeIf(p -> now - p.parkedAt() > IDLE_NANOS && expired.add(p.decoded()));
            for (Parked p : PARKED) {
                if (p.file().equals(file) && p.position() <= offset && (best == null || p.position() > best.position())) {
                    best = p;
                }
            }
            if (best != null) {
                PARKED.remove(best);
            }
        }
        closeQuietly(expired);
        return best;
    }

    private static void park(FileVersion file, InputStream decoded, long position) {
        List<InputStream> evicted = new ArrayList<>();
        synchronized (PARKED) {
            PARKED.add(new Parked(file, decoded, position, System.nanoTime()));
            while (PARKED.size() > MAX_PARKED) {
                evicted.add(PARKED.remove(0).decoded());
            }
        }
        closeQuietly(evicted);
    }

    /** Closes every parked stream (tests, and callers that want the file handles back now). */
    static void closeAll() {
        List<InputStream> all = new ArrayList<>();
        synchronized (PARKED) {
            PARKED.forEach(p -> all.add(p.decoded()));
            PARKED.clear();
        }
        closeQuietly(all);
    }

    static int parkedCount() {
        synchronized (PARKED) {
            return PARKED.size();
        }
    }

    private static void closeQuietly(List<InputStream> streams) {
        for (InputStream in : streams) {
            try {
                in.close();
            } catch (IOException ignored) {
                // an idle decoder's file handle: nothing depends on closing it cleanly
            }
        }
    }

    /**
     * The reader's view of a decoded stream: counts its position and the bytes it inflates; closing it parks
     * the decoder where it stopped, unless it reached the end or a read failed.
     */
    private static final class Resumable extends InputStream {
        private final FileVersion file;
        private final InputStream decoded;
        private final byte[] one = new byte[1];
        private long position;
        private boolean ended;
        private boolean failed;
        private boolean closed;

        Resumable(FileVersion file, InputStream decoded, long position) {
            this.file = file;
            this.decoded = decoded;
            this.position = position;
        }

        @Override
        public int read() throws IOException {
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException(file.path() + ": stream closed");
            }
            try {
                int n = decoded.read(b, off, len);
                if (n < 0) {
                    ended = true;
                } else {
                    position += n;
                    INFLATED.addAndGet(n);
                }
                return n;
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (ended || failed) {
                decoded.close();
            } else {
                park(file, decoded, position);
            }
        }
    }
}
