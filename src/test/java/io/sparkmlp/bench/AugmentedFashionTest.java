package io.sparkmlp.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.TinyMnist;
import io.sparkmlp.data.IdxFiles;
import io.sparkmlp.data.LabeledImages;
import io.sparkmlp.data.MnistFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class AugmentedFashionTest {

    @TempDir
    Path dir;

    /** A 3x3 image with the values 1..9, row by row. */
    private static final byte[] IMAGE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    private static byte[] variant(int v) {
        byte[] out = new byte[9];
        AugmentedFashion.augment(IMAGE, 0, 3, 3, v, out);
        return out;
    }

    @Test
    void theFirstVariantIsTheImageAndTheOthersShiftMirrorAndDim() {
        // v = 12: dx = 0, dy = 0
        assertArrayEquals(IMAGE, variant(12));
        // v = 13: one pixel to the right, the first column blank
        assertArrayEquals(new byte[] {0, 1, 2, 0, 4, 5, 0, 7, 8}, variant(13));
        // v = 17: one pixel down, the first row blank
        assertArrayEquals(new byte[] {0, 0, 0, 1, 2, 3, 4, 5, 6}, variant(17));
        // v = 37: no shift, mirrored left to right
        assertArrayEquals(new byte[] {3, 2, 1, 6, 5, 4, 9, 8, 7}, variant(37));
        // v = 112: no shift, no mirror, contrast 0.7
        assertArrayEquals(new byte[] {1, 1, 2, 3, 4, 4, 5, 6, 6}, variant(112));
        // v = 0 moves two pixels left and up: only the bottom-right pixel lands in a 3x3 frame's top-left
        assertArrayEquals(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0}, variant(0));
    }

    @Test
    void theWrittenSetHoldsEveryImagesCopiesInOrderWithTheirLabelsAndTheRealTestFiles() throws Exception {
        TinyMnist.write(dir.resolve("source"), 20, 7);
        long rows = AugmentedFashion.write(dir.resolve("source").toString(), dir.resolve("big"), 3);
        assertEquals(60, rows);
        Configuration conf = new Configuration();
        MnistFiles source = MnistFiles.find(dir.resolve("source").toString(), conf);
        MnistFiles big = MnistFiles.find(dir.resolve("big").toString(), conf);
        LabeledImages original = IdxFiles.readLabeled(source.trainImages(), source.trainLabels(), conf);
        LabeledImages written = IdxFiles.readLabeled(big.trainImages(), big.trainLabels(), conf);
        assertEquals(60, written.images().count());
        assertTrue(!IdxFiles.isGzip(big.trainImages(), conf), "the big training files are raw, so they split");
        byte[] expected = new byte[16];
        for (int i = 0; i < 20; i++) {
            for (int v = 0; v < 3; v++) {
                int row = i * 3 + v;
                assertEquals(original.labels()[i], written.labels()[row], "label of row " + row);
                AugmentedFashion.augment(original.images().pixels(), i * 16, 4, 4, v, expected);
                assertArrayEquals(expected, Arrays.copyOfRange(written.images().pixels(), row * 16, row * 16 + 16));
            }
        }
        assertArrayEquals(Files.readAllBytes(Path.of(source.testImages().replace("file:", ""))),
                Files.readAllBytes(Path.of(big.testImages().replace("file:", ""))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AugmentedFashion.write(dir.resolve("source").toString(), dir.resolve("x"), 151));
        assertTrue(e.getMessage().contains("got 151"), e.getMessage());
    }
}
