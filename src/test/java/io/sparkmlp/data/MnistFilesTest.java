package io.sparkmlp.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class MnistFilesTest {

    private final Configuration conf = new Configuration();

    @TempDir
    Path dir;

    private static boolean endsWith(String path, String name) {
        return path.endsWith("/" + name);
    }

    @Test
    void findsTheFourGzippedFiles() throws IOException {
        Fixtures.writePair(dir, "train", 4, 2, 2, true);
        Fixtures.writePair(dir, "t10k", 3, 2, 2, true);
        MnistFiles f = MnistFiles.find(dir.toString(), conf);
        assertTrue(endsWith(f.trainImages(), "train-images-idx3-ubyte.gz"), f.trainImages());
        assertTrue(endsWith(f.trainLabels(), "train-labels-idx1-ubyte.gz"), f.trainLabels());
        assertTrue(endsWith(f.testImages(), "t10k-images-idx3-ubyte.gz"), f.testImages());
        assertTrue(endsWith(f.testLabels(), "t10k-labels-idx1-ubyte.gz"), f.testLabels());
        assertEquals(3, IdxFiles.readLabeled(f.testImages(), f.testLabels(), conf).count());
    }

    @Test
    void findsRawFilesAndMixedForms() throws IOException {
        Fixtures.writePair(dir, "train", 4, 2, 2, false);
        Fixtures.writePair(dir, "t10k", 3, 2, 2, true);
        MnistFiles f = MnistFiles.find(dir.toUri().toString(), conf);
        assertTrue(endsWith(f.trainImages(), "train-images-idx3-ubyte"), f.trainImages());
        assertTrue(endsWith(f.testLabels(), "t10k-labels-idx1-ubyte.gz"), f.testLabels());
    }

    @Test
    void missingFilesAreListedWithWhatWasLookedFor() throws IOException {
        Fixtures.writePair(dir, "train", 4, 2, 2, true);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> MnistFiles.find(dir.toString(), conf));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("lacks t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]"), e.getMessage());
        assertTrue(e.getMessage().contains("looked for train-images-idx3-ubyte, train-labels-idx1-ubyte"), e.getMessage());
    }
}
