package io.sparkmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("unit")
class IdxReaderTest {

    private static final IdxImages IMAGES = Fixtures.images(7, 3, 2);
    private static final byte[] LABELS = Fixtures.labels(7);

    private static IdxImages images(byte[] bytes, String name) throws IOException {
        return IdxReader.readImages(new ByteArrayInputStream(bytes), name);
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
        }
        assertTrue(!e.getMessage().contains("\n"), "the message is one line");
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {false, true})
    void imagesAndLabelsRoundTrip(boolean gzip) throws IOException {
        byte[] img = Fixtures.imageFileBytes(IMAGES);
        byte[] lab = Fixtures.labelFileBytes(LABELS);
        if (gzip) {
            img = Fixtures.gzip(img);
            lab = Fixtures.gzip(lab);
        }
        LabeledImages read = IdxReader.readLabeled(new ByteArrayInputStream(img), "i", new ByteArrayInputStream(lab), "l");
        assertEquals(7, read.images().count());
        assertEquals(3, read.images().rows());
        assertEquals(2, read.images().cols());
        assertArrayEquals(IMAGES.pixels(), read.images().pixels());
        assertArrayEquals(LABELS, read.labels());
        assertEquals(137, read.images().pixel(3, 2, 1), "pixel (3, 2, 1) = 40 * 3 + 7 * 2 + 3, read unsigned");
    }

    @Test
    void gzipIsDetectedByItsBytesNotByTheName() throws IOException {
        byte[] raw = Fixtures.imageFileBytes(IMAGES);
        assertArrayEquals(IMAGES.pixels(), images(Fixtures.gzip(raw), "plain-images-idx3-ubyte").pixels());
        assertArrayEquals(IMAGES.pixels(), images(raw, "looks-gzipped.gz").pixels());
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {false, true})
    void truncatedImageFileNamesTheFileAndTheMissingByteCount(boolean gzip) throws IOException {
        byte[] cut = Fixtures.cut(Fixtures.imageFileBytes(IMAGES), 5);
        IdxFormatException e = assertThrows(IdxFormatException.class,
                () -> images(gzip ? Fixtures.gzip(cut) : cut, "tiny-images"));
        assertMessage(e, "tiny-images", "the header promises 7 x 3 x 2 = 42 data bytes, the file holds 37",
                "5 bytes missing");
    }

    @Test
    void trailingBytesAfterTheDataAreCounted() throws IOException {
        byte[] raw = Fixtures.imageFileBytes(IMAGES);
        byte[] longer = java.util.Arrays.copyOf(raw, raw.length + 3);
        assertMessage(assertThrows(IdxFormatException.class, () -> images(longer, "tiny-images")),
                "tiny-images", "42 data bytes, the file holds 45", "3 trailing bytes");
    }

    @Test
    void floatImagesAreAKnownButUnsupportedType() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IdxWriter.write(out, new IdxHeader(IdxType.FLOAT, 2, 3, 2), new byte[48]);
        assertMessage(assertThrows(IdxFormatException.class, () -> images(out.toByteArray(), "float-images")),
                "float-images", "0x08 ubyte", "0x0D float");
    }

    @Test
    void imagesNeedRankThreeAndLabelsRankOne() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IdxWriter.write(out, new IdxHeader(IdxType.UBYTE, 5, 4), new byte[20]);
        byte[] rank2 = out.toByteArray();
        assertMessage(assertThrows(IdxFormatException.class, () -> images(rank2, "flat-images")),
                "flat-images", "rank 3", "rank 2", "5 x 4");
        assertMessage(assertThrows(IdxFormatException.class,
                () -> IdxReader.readLabels(new ByteArrayInputStream(rank2), "grid-labels")),
                "grid-labels", "rank 1", "rank 2");
    }

    @Test
    void imageAndLabelCountMismatchNamesBothFilesAndBothCounts() throws IOException {
        byte[] img = Fixtures.imageFileBytes(IMAGES);
        byte[] lab = Fixtures.labelFileBytes(Fixtures.labels(6));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readLabeled(
                new ByteArrayInputStream(img), "a-images", new ByteArrayInputStream(lab), "b-labels"));
        assertMessage(e, "a-images holds 7 images", "b-labels holds 6 labels");
    }

    @Test
    void corruptGzipTrailerNamesTheFile() throws IOException {
        byte[] gz = Fixtures.gzip(Fixtures.imageFileBytes(IMAGES));
        gz[gz.length - 8] ^= 0x55; // CRC-32 of the trailer
        assertMessage(assertThrows(IdxFormatException.class, () -> images(gz, "crc-images.gz")),
                "crc-images.gz", "gzip stream is corrupt");
    }

    @Test
    void gzipStreamCutShortNamesTheFile() throws IOException {
        byte[] gz = Fixtures.cut(Fixtures.gzip(Fixtures.imageFileBytes(IMAGES)), 12);
        assertMessage(assertThrows(IdxFormatException.class, () -> images(gz, "cut-images.gz")),
                "cut-images.gz", "gzip stream is cut short");
    }

    @Test
    void gzipMagicFollowedByGarbageNamesTheFile() {
        byte[] bad = {0x1f, (byte) 0x8b, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
        assertMessage(assertThrows(IdxFormatException.class, () -> images(bad, "fake.gz")), "fake.gz", "gzip stream is corrupt");
    }

    @Test
    void emptyFileIsReportedAsEmpty() {
        assertMessage(assertThrows(IdxFormatException.class, () -> images(new byte[0], "nothing")), "nothing", "0 bytes");
    }
}
