package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class ModelFilesTest {

    @TempDir
    Path dir;

    private final Configuration conf = new Configuration();

    private static MlpModel model() {
        Network network = new Network(new Layout(5, 7, 3), Activation.LEAKY_RELU);
        return new MlpModel(network, InputScaling.global(2.5f, -0.75f), network.initialParameters(4, Initialization.HE));
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
    void aSparkMlModelFolderIsReadFromItsDataFolder() throws Exception {
        MlpModel original = model();
        Path folder = dir.resolve("spark-ml");
        ModelFiles.save(original, folder.resolve(ModelFiles.SPARK_ML_DATA).toString(), conf);
        Files.createDirectories(folder.resolve(ModelFiles.SPARK_ML_METADATA));
        assertTrue(ModelFiles.isSparkMlFolder(folder.toString(), conf));
        assertTrue(!ModelFiles.isModelFilesFolder(folder.toString(), conf));
        assertArrayEquals(original.weights(), ModelFiles.load(folder.toString(), conf).weights());
        assertEquals(original.scaling(), ModelFiles.load(folder.toString(), conf).scaling());
    }

    @Test
    void aModelWithAScaleAndShiftPerFeatureLoadsBackBitForBit() {
        Network network = new Network(new Layout(5, 7, 3), Activation.TANH);
        // values whose shortest decimal text is long, and one feature left as it is
        InputScaling scaling = InputScaling.perFeature(new float[] {1f / 3, 1e-7f, 12345.678f, 1f, Math.nextUp(0.1f)},
                new float[] {-2f / 3, 7e-8f, -1.0e6f, 0f, Float.MIN_NORMAL});
        MlpModel original = new MlpModel(network, scaling, network.initialParameters(9, Initialization.GLOROT));
        String folder = dir.resolve("per-feature").toString();
        ModelFiles.save(original, folder, conf);
        MlpModel loaded = ModelFiles.load(folder, conf);
        assertArrayEquals(scaling.scales(), loaded.scaling().scales());
        assertArrayEquals(scaling.shifts(), loaded.scaling().shifts());
        assertEquals(scaling, loaded.scaling());
        double[] x = {0.3, 2e6, 1e-4, -8, 0.25};
        assertArrayEquals(original.predictProbabilities(x), loaded.predictProbabilities(x));
    }

    @Test
    void aVersionOneFileWithOneScaleAndShiftStillLoads() throws Exception {
        MlpModel original = model();
        Path folder = saved();
        // what version 1 wrote: one input_scale and input_shift, as floats
        editMetadata(folder, meta -> {
            meta.remove("input_scaling");
            meta.put("version", 1).put("input_scale", 2.5f).put("input_shift", -0.75f);
        });
        MlpModel loaded = ModelFiles.load(folder.toString(), conf);
        assertEquals(InputScaling.global(2.5f, -0.75f), loaded.scaling());
        assertTrue(loaded.scaling().isGlobal());
        double[] x = {0.1, -2, 3, 0.5, 1};
        assertArrayEquals(original.predictProbabilities(x), loaded.predictProbabilities(x));
    }

    @Test
    void anInputScalingOfTheWrongSizeIsRefusedWithBothCounts() throws Exception {
        Path folder = saved();
        editMetadata(folder, meta -> {
            ObjectNode scaling = meta.putObject("input_scaling");
            scaling.putArray("scale").add(1.0).add(2.0);
            scaling.putArray("shift").add(0.0).add(0.0);
        });
        IllegalArgumentException e = loadFails(folder);
        assertTrue(e.getMessage().contains("input_scaling has 2 scales and 2 shifts; expected 1 of each (one for all"
                + " features) or 5 (the input layer's size)"), e.getMessage());
        editMetadata(folder, meta -> {
            ObjectNode scaling = meta.putObject("input_scaling");
            scaling.putArray("scale").add(0.0);
            scaling.putArray("shift").add(0.0);
        });
        e = loadFails(folder);
        assertTrue(e.getMessage().contains("finite, non-zero scale"), e.getMessage());
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

    private Path saved() {
        ModelFiles.save(model(), dir.resolve("model").toString(), conf);
        return dir.resolve("model");
    }

    private IllegalArgumentException loadFails(Path folder) {
        return assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(folder.toString(), conf));
    }

    private static void editMetadata(Path folder, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        Path file = folder.resolve(ModelFiles.METADATA);
        ObjectNode meta = (ObjectNode) new ObjectMapper().readTree(file.toFile());
        edit.accept(meta);
        Files.write(file, new ObjectMapper().writeValueAsBytes(meta));
        Files.deleteIfExists(folder.resolve("." + ModelFiles.METADATA + ".crc"));
    }

    private static final int PARAMETERS = new Layout(5, 7, 3).numParameters();

    @Test
    void aTruncatedWeightsFileIsRefusedWithBothLengths() throws Exception {
        Path folder = saved();
        // truncated as a crashed copy leaves it: Hadoop's .crc beside it still describes the whole file
        try (RandomAccessFile file = new RandomAccessFile(folder.resolve(ModelFiles.WEIGHTS).toFile(), "rw")) {
            file.setLength(4L * PARAMETERS - 6);
        }
        IllegalArgumentException e = loadFails(folder);
        assertTrue(e.getMessage().contains("holds " + (4 * PARAMETERS - 6) + " bytes; " + PARAMETERS
                + " float32 parameters need " + 4 * PARAMETERS + " (truncated)"), e.getMessage());
    }

    @Test
    void oneFlippedByteInTheWeightsIsCaughtWithOrWithoutHadoopsChecksumFile() throws Exception {
        Path folder = saved();
        Path weights = folder.resolve(ModelFiles.WEIGHTS);
        try (RandomAccessFile file = new RandomAccessFile(weights.toFile(), "rw")) {
            file.seek(101);
            int b = file.read();
            file.seek(101);
            file.write(b ^ 0x01);
        }
        IllegalArgumentException e = loadFails(folder);
        assertTrue(e.getMessage().contains(ModelFiles.WEIGHTS + " is corrupt"), e.getMessage());
        // the same file where no .crc travelled with it (e.g. copied by another tool): our own CRC32 catches it
        Files.delete(folder.resolve("." + ModelFiles.WEIGHTS + ".crc"));
        e = loadFails(folder);
        assertTrue(e.getMessage().contains(ModelFiles.WEIGHTS + " is corrupt: CRC32 ")
                && e.getMessage().contains("recorded in " + ModelFiles.METADATA), e.getMessage());
    }

    @Test
    void aWrongFormatVersionIsRefusedNamingBothVersions() throws Exception {
        Path folder = saved();
        editMetadata(folder, meta -> meta.put("version", ModelFiles.VERSION + 1));
        IllegalArgumentException e = loadFails(folder);
        assertTrue(e.getMessage().contains("is format '" + ModelFiles.FORMAT + "' version " + (ModelFiles.VERSION + 1)
                + "; this sparkmlp reads '" + ModelFiles.FORMAT + "' version " + ModelFiles.VERSION + " (and 1)"),
                e.getMessage());
        editMetadata(folder, meta -> meta.put("version", ModelFiles.VERSION).put("format", "keras-h5"));
        e = loadFails(folder);
        assertTrue(e.getMessage().contains("is format 'keras-h5'"), e.getMessage());
    }

    @Test
    void layersInTheMetadataThatDoNotMatchTheWeightsAreRefused() throws Exception {
        Path folder = saved();
        // other layers, with the parameter count changed to match them: the weights file's length gives it away
        int wider = new Layout(5, 8, 3).numParameters();
        editMetadata(folder, meta -> {
            meta.putArray("layers").add(5).add(8).add(3);
            meta.put("parameters", wider);
        });
        IllegalArgumentException e = loadFails(folder);
        assertTrue(e.getMessage().contains("holds " + 4 * PARAMETERS + " bytes; " + wider + " float32 parameters need "
                + 4 * wider), e.getMessage());
        // other layers alone: the parameter count gives it away
        editMetadata(folder, meta -> {
            meta.putArray("layers").add(5).add(8).add(3);
            meta.put("parameters", PARAMETERS);
        });
        e = loadFails(folder);
        assertTrue(e.getMessage().contains("says " + PARAMETERS + " parameters, but layers 5-8-3 have " + wider),
                e.getMessage());
        editMetadata(folder, meta -> meta.putArray("layers").add(5).add(0).add(3));
        e = loadFails(folder);
        assertTrue(e.getMessage().contains(ModelFiles.METADATA) && e.getMessage().contains("layer 1 has size 0"),
                e.getMessage());
    }

    @Test
    void missingFilesAndBrokenMetadataAreNamed() throws Exception {
        Path folder = saved();
        Files.delete(folder.resolve(ModelFiles.WEIGHTS));
        IllegalArgumentException e = loadFails(folder);
        assertTrue(e.getMessage().contains("is incomplete") && e.getMessage().contains(ModelFiles.WEIGHTS + " (the weights "
                + ModelFiles.METADATA + " names) is missing"), e.getMessage());

        folder = saved();
        editMetadata(folder, meta -> meta.remove("weights_crc32"));
        e = loadFails(folder);
        assertTrue(e.getMessage().contains("has no 'weights_crc32'"), e.getMessage());

        Path meta = folder.resolve(ModelFiles.METADATA);
        Files.writeString(meta, "{\"format\": \"sparkmlp-mlp\", \"vers");
        Files.deleteIfExists(folder.resolve("." + ModelFiles.METADATA + ".crc"));
        e = loadFails(folder);
        assertTrue(e.getMessage().contains(ModelFiles.METADATA + " is not valid JSON"), e.getMessage());

        Files.delete(meta);
        e = loadFails(folder);
        assertTrue(e.getMessage().contains("no model at") && e.getMessage().contains(ModelFiles.METADATA + " is missing"),
                e.getMessage());
    }
}
