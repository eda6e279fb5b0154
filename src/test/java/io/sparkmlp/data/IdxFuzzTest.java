package io.sparkmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkmlp.SparkTestSession;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Randomly corrupted IDX files, from a fixed seed: every one is either read back unchanged in meaning (a flip in
 * a gzip field that nothing checks, such as its time stamp) or refused with one line that names the file, as an
 * {@link IdxFormatException} or IllegalArgumentException; never a hang, an OutOfMemoryError or a bare
 * EOFException, NullPointerException, NegativeArraySizeException and the like.
 */
@Tag("spark")
class IdxFuzzTest {

    private static final long SEED = 0x1D4F022L;
    private static final int CASES = 400;
    private static final int SPARK_CASES = 20;
    private static final Duration PER_CASE = Duration.ofSeconds(10);
    /** Reading a file of a few hundred bytes may allocate buffers (1 MiB for the data, Hadoop's), never more. */
    private static final long MAX_ALLOCATED = 32L << 20;
    private static final com.sun.management.ThreadMXBean ALLOCATION =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int COUNT = 9;
    private static final int ROWS = 4;
    private static final int COLS = 3;

    @TempDir
    Path dir;

    private final Configuration conf = new Configuration();

    enum Corruption {
        TRUNCATE, HEADER_FLIP, ABSURD_DIMENSION, WRONG_MAGIC, WRONG_TYPE, WRONG_RANK, TRAILING_BYTES, GZIP_CUT,
        GZIP_FLIP, GARBAGE
    }

    /** One corrupted file: what was done, whether it holds images or labels, and its bytes as stored. */
    record Case(int index, Corruption corruption, boolean images, boolean gzip, byte[] stored, byte[] original) {
        String name() {
            return "case-" + index + "-" + corruption.name().toLowerCase() + (images ? "-images" : "-labels")
                    + (gzip ? ".gz" : "");
        }
    }

    private static byte[] originalImages() throws IOException {
        Random pixels = new Random(SEED + 1);
        byte[] px = new byte[COUNT * ROWS * COLS];
        pixels.nextBytes(px);
        return Fixtures.imageFileBytes(new IdxImages(COUNT, ROWS, COLS, px));
    }

    private static byte[] originalLabels() throws IOException {
        return Fixtures.labelFileBytes(Fixtures.labels(COUNT));
    }

    private static List<Case> cases(int n, long seed) throws IOException {
        Random rng = new Random(seed);
        byte[] images = originalImages();
        byte[] labels = originalLabels();
        Corruption[] kinds = Corruption.values();
        List<Case> result = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Corruption kind = kinds[i % kinds.length];
            boolean isImages = rng.nextBoolean();
            byte[] original = isImages ? images : labels;
            int headerBytes = isImages ? 16 : 8;
            boolean gzip = kind == Corruption.GZIP_CUT || kind == Corruption.GZIP_FLIP || rng.nextBoolean();
            byte[] decoded = original.clone();
            byte[] stored;
            switch (kind) {
                case TRUNCATE -> decoded = Arrays.copyOf(decoded, rng.nextInt(decoded.length));
                case HEADER_FLIP -> decoded[rng.nextInt(headerBytes)] ^= (byte) (1 + rng.nextInt(255));
                case ABSURD_DIMENSION -> {
                    long[] absurd = {0, Integer.MAX_VALUE, 1L << 31, 0xFFFFFFFFL, 1 + rng.nextInt(Integer.MAX_VALUE),
                        100_000_000, 1 << 16};
                    int dim = rng.nextInt((headerBytes - 4) / 4);
                    ByteBuffer.wrap(decoded).putInt(4 + 4 * dim, (int) absurd[rng.nextInt(absurd.length)]);
                }
                case WRONG_MAGIC -> decoded[rng.nextInt(2)] = (byte) (1 + rng.nextInt(255));
                case WRONG_TYPE -> {
                    int[] codes = {0x00, 0x01, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0xFF};
                    decoded[2] = (byte) codes[rng.nextInt(codes.length)];
                }
                case WRONG_RANK -> {
                    int rank = decoded[3];
                    int other;
                    do {
                        other = rng.nextInt(256);
                    } while (other == rank);
                    decoded[3] = (byte) other;
                }
                case TRAILING_BYTES -> {
                    byte[] extra = new byte[1 + rng.nextInt(20)];
                    rng.nextBytes(extra);
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.write(decoded);
                    out.write(extra);
                    decoded = out.toByteArray();
                }
                case GARBAGE -> {
                    decoded = new byte[rng.nextInt(40)];
                    rng.nextBytes(decoded);
                    if (decoded.length >= 2 && rng.nextBoolean()) {
                        decoded[0] = 0x1f; // the gzip magic followed by nonsense
                        decoded[1] = (byte) 0x8b;
                    }
                }
                default -> {
                }
            }
            stored = gzip ? Fixtures.gzip(decoded) : decoded;
            if (kind == Corruption.GZIP_CUT) {
                stored = Arrays.copyOf(stored, rng.nextInt(stored.length));
            } else if (kind == Corruption.GZIP_FLIP) {
                stored[rng.nextInt(stored.length)] ^= (byte) (1 + rng.nextInt(255));
            }
            result.add(new Case(i, kind, isImages, gzip, stored, original));
        }
        return result;
    }

    /** The decoded file as read back through {@code read}: its header and data bytes, for comparison. */
    private static byte[] reencoded(IdxImages images) throws IOException {
        return Fixtures.imageFileBytes(images);
    }

    /**
     * Runs {@code read} with a deadline and a memory bound; returns what it threw, or null. The bound is checked on
     * the bytes the reading thread allocates, so that a header promising gigabytes fails the test even where the
     * heap would have room for them.
     */
    private static Throwable outcome(Case c, String via, Callable<byte[]> read) {
        return assertTimeoutPreemptively(PER_CASE, () -> {
            long before = ALLOCATION.getCurrentThreadAllocatedBytes();
            try {
                byte[] result = read.call();
                assertArrayEquals(c.original(), result, c.name() + " via " + via
                        + " was read without an error, but its content changed");
                return null;
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable t) {
                return t;
            } finally {
                long allocated = ALLOCATION.getCurrentThreadAllocatedBytes() - before;
                assertTrue(allocated < MAX_ALLOCATED, c.name() + " via " + via + " allocated " + allocated
                        + " bytes to read a file of " + c.stored().length);
            }
        }, () -> c.name() + " via " + via + " did not finish within " + PER_CASE);
    }

    /** The error must be ours, one line, and name the file. */
    private static void assertClear(Case c, String via, String file, Throwable t) {
        if (t == null) {
            return;
        }
        String what = c.name() + " via " + via + " ended in " + t;
        if (!(t instanceof IdxFormatException || t instanceof IllegalArgumentException)) {
            fail(what + " (an unexplained exception)", t);
        }
        String message = t.getMessage();
        assertTrue(message != null && message.contains(file), what + " (the message does not name " + file + ")");
        assertTrue(!message.contains("\n"), what + " (the message is not one line)");
    }

    @Test
    void randomlyCorruptedFilesAreEitherReadUnchangedOrRefusedWithAClearErrorNamingTheFile() throws Exception {
        long started = System.nanoTime();
        Map<Corruption, int[]> tally = new EnumMap<>(Corruption.class); // {refused, read unchanged}
        for (Case c : cases(CASES, SEED)) {
            String name = c.name();
            // 1. the stream API: no file length to check against, so reading must stay bounded by the bytes given
            Throwable viaStream = outcome(c, "IdxReader", () -> c.images()
                    ? reencoded(IdxReader.readImages(new ByteArrayInputStream(c.stored()), name))
                    : Fixtures.labelFileBytes(IdxReader.readLabels(new ByteArrayInputStream(c.stored()), name)));
            assertClear(c, "IdxReader", name, viaStream);

            // 2. the file API on a Hadoop path: a raw file's header is checked against its length first
            Path file = Fixtures.write(dir.resolve(name), c.stored());
            String path = file.toString();
            Throwable viaFiles = outcome(c, "IdxFiles", () -> c.images()
                    ? reencoded(IdxFiles.readImages(path, conf))
                    : Fixtures.labelFileBytes(IdxFiles.readLabels(path, conf)));
            assertClear(c, "IdxFiles", path, viaFiles);

            // 3. the idx source's driver-side check: header and decoded length, no data read
            Throwable viaPlan = assertTimeoutPreemptively(PER_CASE, () -> {
                try {
                    IdxHeader header = IdxFiles.readHeader(path, conf);
                    if (c.images()) {
                        IdxReader.requireImages(header, path);
                    } else {
                        IdxReader.requireLabels(header, path);
                    }
                    IdxReadPlan.checkLength(path, header, conf);
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }, () -> name + " via IdxReadPlan did not finish within " + PER_CASE);
            assertClear(c, "IdxReadPlan", path, viaPlan);

            assertEquals(viaStream == null, viaFiles == null, name + ": the stream and file APIs disagree: "
                    + viaStream + " / " + viaFiles);
            int[] counts = tally.computeIfAbsent(c.corruption(), k -> new int[2]);
            counts[viaStream == null ? 1 : 0]++;
            Files.delete(file);
        }
        // every kind but a flip inside a gzip stream always makes the file invalid
        for (Map.Entry<Corruption, int[]> e : tally.entrySet()) {
            if (e.getKey() != Corruption.GZIP_FLIP) {
                assertEquals(0, e.getValue()[1], e.getKey() + " produced a file that was read without an error");
            }
            assertTrue(e.getValue()[0] > 0, e.getKey() + " never produced an error");
        }
        System.out.printf("IdxFuzzTest: %d cases in %.1f s; refused/read unchanged per kind: %s%n", CASES,
                (System.nanoTime() - started) / 1e9, describe(tally));
    }

    private static String describe(Map<Corruption, int[]> tally) {
        StringBuilder s = new StringBuilder();
        tally.forEach((k, v) -> s.append(k).append(' ').append(v[0]).append('/').append(v[1]).append(", "));
        return s.toString();
    }

    /** Message of the exception and every cause. */
    private static List<Throwable> chain(Throwable t) {
        List<Throwable> result = new ArrayList<>();
        for (Throwable c = t; c != null && !result.contains(c); c = c.getCause()) {
            result.add(c);
        }
        return result;
    }

    @Test
    void corruptedFilesReadThroughTheSparkSourceFailWithTheClearMessageInTheCauseChain() throws Exception {
        var spark = SparkTestSession.get();
        int refused = 0;
        int fromTasks = 0; // refused inside a task, so wrapped in a SparkException, rather than on the driver
        for (Case c : cases(SPARK_CASES, SEED + 2)) {
            Path folder = Files.createDirectories(dir.resolve("spark-" + c.index()));
            String suffix = c.gzip() ? ".gz" : "";
            Path images = folder.resolve("train-images-idx3-ubyte" + suffix);
            Path labels = folder.resolve("train-labels-idx1-ubyte" + suffix);
            Files.write(images, c.images() ? c.stored() : Fixtures.gzip(originalImages()));
            Files.write(labels, c.images() ? Fixtures.gzip(originalLabels()) : c.stored());
            String corrupted = (c.images() ? images : labels).toString();
            Throwable thrown = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try {
                    List<Row> rows = spark.read().format("idx").option("numPartitions", 3).load(images.toString())
                            .collectAsList();
                    assertEquals(COUNT, rows.size(), c.name() + " was read without an error, but rows are missing");
                    IdxImages expected = IdxReader.readImages(new ByteArrayInputStream(originalImages()), "original");
                    for (int i = 0; i < COUNT; i++) {
                        double[] features = ((Vector) rows.get(i).get(1)).toArray();
                        for (int k = 0; k < features.length; k++) {
                            assertEquals((expected.pixels()[i * ROWS * COLS + k] & 0xFF) / 255.0, features[k],
                                    c.name() + " was read without an error, but row " + i + " changed");
                        }
                        assertEquals(Fixtures.labels(COUNT)[i], rows.get(i).getDouble(0), c.name() + " label " + i);
                    }
                    return null;
                } catch (AssertionError e) {
                    throw e;
                } catch (Throwable t) {
                    return t;
                }
            }, () -> c.name() + " through the idx source did not finish");
            if (thrown == null) {
                continue;
            }
            refused++;
            Throwable clear = chain(thrown).stream()
                    .filter(t -> t instanceof IdxFormatException || t instanceof IllegalArgumentException)
                    .findFirst().orElse(null);
            if (clear == null) {
                fail(c.name() + " through the idx source ended in an unexplained " + thrown, thrown);
            }
            assertTrue(clear.getMessage() != null && clear.getMessage().contains(corrupted),
                    c.name() + ": " + clear + " does not name " + corrupted);
            fromTasks += thrown instanceof org.apache.spark.SparkException ? 1 : 0;
        }
        assertTrue(refused >= SPARK_CASES / 2, "only " + refused + " of " + SPARK_CASES + " files were refused");
        assertTrue(fromTasks >= 1, "no corruption got past the driver's checks into a task; the sample tests too little");
        System.out.printf("IdxFuzzTest through Spark: %d of %d refused, %d of them inside a task%n", refused,
                SPARK_CASES, fromTasks);
    }
}
