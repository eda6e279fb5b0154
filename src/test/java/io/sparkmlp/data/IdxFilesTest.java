package io.sparkmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class IdxFilesTest {

    private final Configuration conf = new Configuration();

    @TempDir
    Path dir;

    @Test
    void readsThroughAFileUriAndAPlainLocalPath() throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, true);
        String labels = dir.resolve("train-labels-idx1-ubyte.gz").toString();
        LabeledImages plain = IdxFiles.readLabeled(images.toString(), labels, conf);
        LabeledImages uri = IdxFiles.readLabeled(images.toUri().toString(), "file:" + labels, conf);
        assertArrayEquals(Fixtures.images(7, 3, 2).pixels(), plain.images().pixels());
        assertArrayEquals(plain.images().pixels(), uri.images().pixels());
        assertArrayEquals(Fixtures.labels(7), uri.labels());
    }

    @Test
    void openAtLandsOnTheSameDecodedByteInRawAndGzipFiles() throws IOException {
        Path raw = Fixtures.write(dir.resolve("raw"), Fixtures.imageFileBytes(Fixtures.images(7, 3, 2)));
        Path gz = Fixtures.write(dir.resolve("gz"), Fixtures.gzip(Files.readAllBytes(raw)));
        byte[] all = Files.readAllBytes(raw);
        for (long offset : new long[] {0, 16, 16 + 4 * 6, all.length, all.length + 10}) {
            byte[] expected = java.util.Arrays.copyOfRange(all, (int) Math.min(offset, all.length), all.length);
            try (InputStream a = IdxFiles.openAt(raw.toString(), conf, offset);
                 InputStream b = IdxFiles.openAt(gz.toString(), conf, offset)) {
                assertArrayEquals(expected, a.readAllBytes(), "raw at " + offset);
                assertArrayEquals(expected, b.readAllBytes(), "gzip at " + offset);
            }
        }
    }

    @Test
    void partitionsOfAGzipFileReadOneAfterAnotherInflateItExactlyOnce() throws IOException {
        int count = 50;
        int rowBytes = 6;
        byte[] bytes = Fixtures.imageFileBytes(Fixtures.images(count, 3, 2));
        Path gz = Fixtures.write(dir.resolve("gz"), Fixtures.gzip(bytes));
        GzipResumePoints.closeAll();
        long before = IdxFiles.inflatedBytes();
        int partitions = 5;
        for (int i = 0; i < partitions; i++) {
            int start = 16 + i * count / partitions * rowBytes;
            int end = 16 + (i + 1) * count / partitions * rowBytes;
            try (InputStream in = IdxFiles.openAt(gz.toString(), conf, start)) {
                assertArrayEquals(java.util.Arrays.copyOfRange(bytes, start, end), in.readNBytes(end - start),
                        "partition " + i);
                if (i == partitions - 1) {
                    assertEquals(-1, in.read(), "nothing follows the last partition's rows");
                }
            }
        }
        // inflating from byte 0 each time, the five would inflate 76 + 136 + 196 + 256 + 316 = 980 bytes
        assertEquals(bytes.length, IdxFiles.inflatedBytes() - before);
        assertEquals(0, GzipResumePoints.parkedCount(), "a stream that reached the end is closed, not kept");
    }

    @Test
    void aStreamLeftOpenIsNotResumedOnceTheFileIsRewritten() throws IOException {
        Path gz = dir.resolve("gz");
        byte[] first = Fixtures.imageFileBytes(Fixtures.images(7, 3, 2));
        Fixtures.write(gz, Fixtures.gzip(first));
        try (InputStream in = IdxFiles.openAt(gz.toString(), conf, 16)) {
            assertArrayEquals(java.util.Arrays.copyOfRange(first, 16, 22), in.readNBytes(6));
        }
        byte[] second = Fixtures.imageFileBytes(Fixtures.images(9, 3, 2));
        for (int i = 16; i < second.length; i++) {
            second[i] = (byte) (second[i] + 1);
        }
        Fixtures.write(gz, Fixtures.gzip(second));
        try (InputStream in = IdxFiles.openAt(gz.toString(), conf, 28)) {
            assertArrayEquals(java.util.Arrays.copyOfRange(second, 28, second.length), in.readAllBytes());
        }
    }

    @Test
    void decodedLengthTrustsAMatchingIsizeAndCountsOtherwise() throws IOException {
        byte[] bytes = Fixtures.imageFileBytes(Fixtures.images(7, 3, 2));
        Path raw = Fixtures.write(dir.resolve("raw"), bytes);
        Path gz = Fixtures.write(dir.resolve("gz"), Fixtures.gzip(bytes));
        assertEquals(58, bytes.length);
        assertEquals(58, IdxFiles.decodedLength(raw.toString(), conf, 58));
        assertEquals(58, IdxFiles.decodedLength(raw.toString(), conf, 99), "raw length comes from the file system");
        assertEquals(58, IdxFiles.decodedLength(gz.toString(), conf, 58));
        assertEquals(58, IdxFiles.decodedLength(gz.toString(), conf, 99), "a wrong guess makes it count");
        assertEquals(58, IdxFiles.decodedLength(gz.toString(), conf, -1));
        assertTrue(IdxFiles.isGzip(gz.toString(), conf));
        assertTrue(!IdxFiles.isGzip(raw.toString(), conf));
    }

    @Test
    void countMismatchBetweenFilesNamesBothPathsAndCounts() throws IOException {
        Path images = Fixtures.write(dir.resolve("x-images"), Fixtures.imageFileBytes(Fixtures.images(7, 3, 2)));
        Path labels = Fixtures.write(dir.resolve("x-labels"), Fixtures.labelFileBytes(Fixtures.labels(9)));
        IdxFormatException e = assertThrows(IdxFormatException.class,
                () -> IdxFiles.readLabeled(images.toString(), labels.toString(), conf));
        assertTrue(e.getMessage().contains(images + " holds 7 images"), e.getMessage());
        assertTrue(e.getMessage().contains(labels + " holds 9 labels"), e.getMessage());
    }
}
