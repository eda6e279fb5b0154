package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {

    @TempDir
    Path dir;

    private final Configuration conf = new Configuration();

    private static MlpModel model() {
        Network network = new Network(new Layout(5, 7, 3), Activation.LEAKY_RELU);
        return new MlpModel(network, new InputScaling(2.5f, -0.75f), network.initialParameters(4, Initialization.HE));
    }

    @Test
    void aSavedModelLoadsBackWithTheSameWeightsAndPredictions() {
        MlpModel original = model();
        String folder = dir.resolve("model").toString();
        ModelFiles.save(original, folder, conf);
        MlpModel loaded = ModelFiles.load(folder, conf);
        assertEquals(original.network(), loaded.network());
        assertEquals(original.scaling(), loaded.scaling());
        assertArrayEquals(original.weights(), loaded.weights());
        double[] x = {0.1, -2, 3, 0.5, 1};
        assertArrayEquals(original.predictProbabilities(x), loaded.predictProbabilities(x));
        // saving again over the same folder replaces it
        ModelFiles.save(loaded, folder, conf);
        assertArrayEquals(original.weights(), ModelFiles.load(folder, conf).weights());
    }

    @Test
    void aCorruptOrShortWeightsFileIsRejectedWithTheReason() throws Exception {
        String folder = dir.resolve("model").toString();
        ModelFiles.save(model(), folder, conf);
        Path weights = dir.resolve("model").resolve(ModelFiles.WEIGHTS);
        Files.deleteIfExists(dir.resolve("model").resolve("." + ModelFiles.WEIGHTS + ".crc")); // Hadoop's own checksum
        try (RandomAccessFile file = new RandomAccessFile(weights.toFile(), "rw")) {
            file.seek(17);
            file.write(0x5A);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(folder, conf));
        assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains("CRC32"), e.getMessage());

        try (RandomAccessFile file = new RandomAccessFile(weights.toFile(), "rw")) {
            file.setLength(100);
        }
        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(folder, conf));
        int parameters = new Layout(5, 7, 3).numParameters();
        assertTrue(e.getMessage().contains("holds 100 bytes") && e.getMessage().contains(String.valueOf(4 * parameters)),
                e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir.resolve("nothing").toString(), conf));
        assertTrue(e.getMessage().contains("no model at"), e.getMessage());
    }
}
