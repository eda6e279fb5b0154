package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.FeatureMoments;
import io.sparkmlp.nn.InputScaling;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Standardisation: the moments over the cached blocks, the mode {@code standardize} picks, and the older values. */
@Tag("spark")
class StandardizationTest {

    private final SparkSession spark = SparkTestSession.get();

    @TempDir
    Path dir;

    /** Columns: 1e-3 scale, 1e4 scale, 1e8 plus noise of a few float steps (8 apart there), and a constant. */
    private static List<Row> rows(int n, long seed) {
        Random rng = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            double[] x = {1e-3 * rng.nextGaussian(), 1e4 * (3 + rng.nextGaussian()), 1e8 + 8 * (rng.nextInt(3) - 1), 5};
            rows.add(RowFactory.create((double) rng.nextInt(2), Vectors.dense(x)));
        }
        return rows;
    }

    /** Mean and variance of each feature in double, a mean first, then squared deviations from it, over the float values. */
    private static double[][] twoPass(List<Row> rows, int features) {
        double[] mean = new double[features];
        double[] variance = new double[features];
        for (int k = 0; k < features; k++) {
            double sum = 0;
            for (Row row : rows) {
                sum += (float) ((org.apache.spark.ml.linalg.Vector) row.get(1)).apply(k);
            }
            mean[k] = sum / rows.size();
            double m2 = 0;
            for (Row row : rows) {
                double d = (float) ((org.apache.spark.ml.linalg.Vector) row.get(1)).apply(k) - mean[k];
                m2 += d * d;
            }
            variance[k] = m2 / rows.size();
        }
        return new double[][] {mean, variance};
    }

    private PackedData pack(List<Row> rows, int partitions) {
        return PackedData.pack(TestData.frame(spark, rows, partitions), "label", "features", 4, 2, 0);
    }

    @Test
    void perFeatureMomentsOverOneTwoAndThreePartitionsEqualTwoPassMomentsInDouble() {
        List<Row> rows = rows(1500, 7);
        double[][] reference = twoPass(rows, 4);
        for (int partitions = 1; partitions <= 3; partitions++) {
            PackedData data = pack(rows, partitions);
            try {
                assertEquals(partitions, data.numPartitions());
                FeatureMoments m = data.featureMoments();
                assertEquals(1500, m.count());
                assertFalse(m.imageLike());
                for (int k = 0; k < 4; k++) {
                    assertEquals(reference[0][k], m.mean(k), 1e-13 * Math.abs(reference[0][k]),
                            "mean of feature " + k + " on " + partitions + " partitions");
                    assertEquals(reference[1][k], m.variance(k), 1e-11 * reference[1][k],
                            "variance of feature " + k + " on " + partitions + " partitions");
                }
                assertEquals(0.0, m.variance(3), "a constant column has no variance");
            } finally {
                data.unpersist();
            }
        }
        // the 1e8 column is one where E[x²] - E[x]² in double loses the variance: the check above has teeth
        double sum = 0;
        double sumSq = 0;
        for (Row row : rows) {
            double x = (float) ((org.apache.spark.ml.linalg.Vector) row.get(1)).apply(2);
            sum += x;
            sumSq += x * x;
        }
        double naive = sumSq / rows.size() - (sum / rows.size()) * (sum / rows.size());
        assertTrue(Math.abs(naive - reference[1][2]) > 0.01 * reference[1][2],
                "naive " + naive + " vs two-pass " + reference[1][2]);
    }

    @Test
    void eachModeDrawsItsScalingAndAutoFollowsWhetherTheDataAreImageLike() {
        PackedData floats = pack(rows(300, 3), 2);
        List<Row> pixels = new ArrayList<>();
        Random rng = new Random(5);
        for (int r = 0; r < 200; r++) {
            double[] x = new double[4];
            for (int k = 0; k < 4; k++) {
                x[k] = rng.nextInt(k == 3 ? 30 : 256) / 255.0;
            }
            pixels.add(RowFactory.create((double) rng.nextInt(2), Vectors.dense(x)));
        }
        PackedData images = pack(pixels, 2);
        try {
            TrainingParams p = new TrainingParams().layers(4, 3, 2);
            assertSame(InputScaling.IDENTITY, Trainer.inputScaling(floats, p.standardize("none")));
            assertTrue(Trainer.inputScaling(floats, p.standardize("global")).isGlobal());
            assertTrue(Trainer.inputScaling(images, p.standardize("auto")).isGlobal(), "images: global");
            InputScaling auto = Trainer.inputScaling(floats, p.standardize("auto"));
            assertFalse(auto.isGlobal(), "columns of other scales: per feature");
            assertEquals(Trainer.inputScaling(floats, p.standardize("feature")), auto);
            assertEquals(4, Trainer.inputScaling(images, p.standardize("feature")).features());
            // the constant column is left as it is: x' = x
            assertEquals(1f, auto.scale(3));
            assertEquals(0f, auto.shift(3));
            assertEquals(5f, auto.apply(3, 5f));
            // the others come out with mean about 0 and standard deviation about 1; not checked for the 1e8
            // column, whose scaled values are only as precise as float32 at 1e8 allows (steps of 8, its spread)
            FeatureMoments m = floats.featureMoments();
            for (int k = 0; k < 2; k++) {
                assertEquals(0, auto.apply(k, (float) m.mean(k)), 1e-3, "feature " + k);
                assertEquals(1, auto.apply(k, (float) (m.mean(k) + Math.sqrt(m.variance(k))))
                        - auto.apply(k, (float) m.mean(k)), 1e-3, "feature " + k);
            }
        } finally {
            floats.unpersist();
            images.unpersist();
        }
    }

    @Test
    void theOlderBooleanValuesMeanGlobalAndNone() {
        assertEquals("global", new TrainingParams().set(HyperParameters.STANDARDIZE, "true").standardize());
        assertEquals("none", new TrainingParams().set(HyperParameters.STANDARDIZE, "false").standardize());
        assertEquals("global", new TrainingParams().standardize(true).standardize());
        assertEquals("auto", new TrainingParams().standardize());
        assertEquals("global", HyperParameters.STANDARDIZE.canonicalText("true"));
        assertEquals("feature", HyperParameters.STANDARDIZE.canonicalText("feature"));
        assertEquals("global", new TrainingParams().standardize(true).asMap().get("standardize"));
    }

    @Test
    void aCheckpointWrittenBeforePerFeatureScalingReadsWithTheSameSettingsAndFingerprint() throws Exception {
        Configuration conf = new Configuration();
        Checkpoint written = CheckpointFilesTest.sample(2, 3, true);
        Path file = Path.of(CheckpointFiles.write(written, dir.toString(), conf).toUri().getPath());
        // rewrite it as the previous sparkmlp did: standardize = true, the scaling as one scale's and shift's bits
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = in.getInt(CheckpointFiles.MAGIC.length + 4);
        int headerStart = CheckpointFiles.MAGIC.length + 8;
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = (ObjectNode) json.readTree(new String(bytes, headerStart, headerLength, StandardCharsets.UTF_8));
        ((ObjectNode) header.get("settings")).put("standardize", "true");
        ObjectNode data = (ObjectNode) header.get("data");
        data.remove("input_scaling_crc32");
        data.put("input_scale_bits", Float.floatToRawIntBits(3.5f)).put("input_shift_bits", Float.floatToRawIntBits(-0.25f));
        byte[] newHeader = json.writeValueAsBytes(header);
        int arrays = bytes.length - 4 - headerStart - headerLength;
        ByteBuffer out = ByteBuffer.allocate(headerStart + newHeader.length + arrays + 4).order(ByteOrder.LITTLE_ENDIAN);
        out.put(bytes, 0, CheckpointFiles.MAGIC.length + 4).putInt(newHeader.length).put(newHeader)
                .put(bytes, headerStart + headerLength, arrays);
        CRC32 crc = new CRC32();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        Files.write(file, out.array());
        Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));

        Checkpoint read = CheckpointFiles.read(file.toString(), conf);
        assertEquals("global", read.settings().get("standardize"));
        assertEquals(written.data(), read.data(), "fingerprint of scale 3.5, shift -0.25 for every feature");
        assertEquals(InputScaling.global(3.5f, -0.25f).crc32(), read.data().inputScalingCrc());
        Map<String, String> others = new java.util.HashMap<>(read.settings());
        others.remove("standardize");
        Map<String, String> before = new java.util.HashMap<>(written.settings());
        before.remove("standardize");
        assertEquals(before, others);
    }
}
