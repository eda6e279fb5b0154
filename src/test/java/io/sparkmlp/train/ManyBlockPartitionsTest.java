package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.FeatureMoments;
import io.sparkmlp.nn.InputScaling;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A partition with more rows than one block takes (16 Mi values: 21,399 images of 784 pixels) is
 * packed into several blocks. Here blocks of 7 rows stand in for that size. Tasks read a partition's
 * rows as one sequence, so every mini-batch and evaluation chunk is the matrix one block would give,
 * and training ends with the same weights bit for bit.
 */
@Tag("spark")
class ManyBlockPartitionsTest {

    private static final int BLOCK_ROWS = 7;
    private static final StructType WEIGHTED = new StructType()
            .add("label", DataTypes.DoubleType, false)
            .add("features", SQLDataTypes.VectorType(), false)
            .add("weight", DataTypes.DoubleType, false);

    private final SparkSession spark = SparkTestSession.get();
    private final JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    /**
     * 100 weighted rows of 6 features in 2 partitions: rows 0-29 are multiples of 1/255 (packed as
     * bytes), the rest are not.
     */
    private Dataset<Row> mixedFrame() {
        List<Row> blobs = TestData.blobs(100, 6, 3, 1.0, 31);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < blobs.size(); i++) {
            Row row = blobs.get(i);
            double[] x = ((org.apache.spark.ml.linalg.Vector) row.getAs(1)).toArray();
            if (i < 30) {
                for (int k = 0; k < x.length; k++) {
                    x[k] = ((i * 7 + k * 31) % 256) / 255.0;
                }
            }
            rows.add(RowFactory.create(row.get(0), Vectors.dense(x), 0.5 + i % 3));
        }
        List<Integer> indices = java.util.stream.IntStream.range(0, rows.size()).boxed().toList();
        return spark.createDataFrame(jsc.parallelize(indices, 2).map(rows::get), WEIGHTED);
    }

    private <T> T inBlocksOf(int rows, Supplier<T> action) {
        jsc.setLocalProperty(PackedData.TEST_BLOCK_ROWS_KEY, Integer.toString(rows));
        try {
            return action.get();
        } finally {
            jsc.setLocalProperty(PackedData.TEST_BLOCK_ROWS_KEY, null);
        }
    }

    private static PackedData pack(Dataset<Row> frame) {
        return PackedData.pack(frame, "label", "features", "weight", 6, 3, 0);
    }

    /** The blocks {@code frame}'s partitions are packed into under the current settings, as a fit packs it. */
    private static long blocksOf(Dataset<Row> frame) {
        PackedData data = pack(frame);
        try {
            return data.blocks().count();
        } finally {
            data.unpersist();
        }
    }

    /** Each partition's rows as (label, weight, 6 values) after one another, read through {@link PartitionRows}. */
    private static List<List<Float>> rowsOf(PackedData data) {
        List<float[]> partitions = data.blocks().mapPartitions(blocks -> {
            PartitionRows rows = PartitionRows.of(blocks);
            float[] out = new float[8 * rows.rows()];
            float[] table = new float[256];
            Block.fillByteTable(InputScaling.IDENTITY, table);
            for (int r = 0; r < rows.rows(); r++) {
                out[8 * r] = rows.label(r);
                out[8 * r + 1] = rows.weight(r);
                rows.unpack(r, out, 8 * r + 2, InputScaling.IDENTITY, table);
            }
            return java.util.Collections.singletonList(out).iterator();
        }, true).collect();
        List<List<Float>> result = new ArrayList<>();
        for (float[] partition : partitions) {
            List<Float> values = new ArrayList<>();
            for (float v : partition) {
                values.add(v);
            }
            result.add(values);
        }
        return result;
    }

    @Test
    void aPartitionOfMoreRowsThanABlockTakesIsPackedIntoSeveralWithEveryRowInItsPlace() {
        Dataset<Row> frame = mixedFrame();
        PackedData one = pack(frame);
        PackedData many = inBlocksOf(BLOCK_ROWS, () -> pack(frame));
        try {
            assertEquals(List.of(1, 1), one.blocks().glom().map(List::size).collect());
            List<int[]> sizes = many.blocks().glom()
                    .map(blocks -> blocks.stream().mapToInt(Block::rows).toArray()).collect();
            assertEquals(one.rows(), many.rows());
            assertArrayEquals(one.partitionStarts(), many.partitionStarts());
            for (int p = 0; p < 2; p++) {
                int[] partition = sizes.get(p);
                long rows = p == 0 ? many.partitionStarts()[1] : many.rows() - many.partitionStarts()[1];
                assertEquals((rows + BLOCK_ROWS - 1) / BLOCK_ROWS, partition.length, "blocks of partition " + p);
                for (int b = 0; b < partition.length - 1; b++) {
                    assertEquals(BLOCK_ROWS, partition[b], "block " + b + " of partition " + p + " is full");
                }
            }
            assertEquals(rowsOf(one), rowsOf(many));
            assertEquals(DataFingerprint.labelsCrc(one), DataFingerprint.labelsCrc(many));
            assertArrayEquals(one.classTotals(3), many.classTotals(3));
            // partition 0's first blocks hold bytes, while its one block turned to floats at row 30
            FeatureMoments a = one.featureMoments();
            FeatureMoments b = many.featureMoments();
            assertEquals(a.count(), b.count());
            assertEquals(a.imageLike(), b.imageLike());
            assertArrayEquals(a.means(), b.means());
            assertArrayEquals(a.standardDeviations(), b.standardDeviations());

            PackedData[] oneSplit = one.split(5, 0.3);
            PackedData[] manySplit = many.split(5, 0.3);
            for (int side = 0; side < 2; side++) {
                assertEquals(oneSplit[side].rows(), manySplit[side].rows());
                assertArrayEquals(oneSplit[side].partitionStarts(), manySplit[side].partitionStarts());
                assertEquals(rowsOf(oneSplit[side]), rowsOf(manySplit[side]));
                oneSplit[side].unpersist();
                manySplit[side].unpersist();
            }
        } finally {
            one.unpersist();
            many.unpersist();
        }
    }

    /**
     * Batches of 16 straddle blocks of 7; dropout, row and class weights, Adam and a validation split
     * all draw on (epoch, step, row), so a row read from the wrong place would show in the weights.
     * Each feature is standardised by its own moments, which must come out the same too.
     */
    @ParameterizedTest(name = "step jobs {0}, over the driver's socket: {1}")
    @CsvSource({"per-step, false", "per-epoch, false", "per-epoch, true"})
    void trainingOnPartitionsOfManyBlocksEndsWithTheWeightsOfOneBlockEachBitForBit(String stepJobs, boolean socket) {
        Dataset<Row> frame = mixedFrame();
        TrainingParams params = new TrainingParams().layers(6, 9, 3).activation(Activation.TANH).epochs(3)
                .batchSize(16).learningRate(0.05).dropout(new double[] {0.2}).classWeights("balanced")
                .validationFraction(0.2).standardize("feature").seed(8).set(HyperParameters.OPTIMIZER, "adam");
        jsc.setLocalProperty(StepLoop.KEY, stepJobs);
        jsc.setLocalProperty(StepLoop.TEST_SOCKET_KEY, Boolean.toString(socket));
        try {
            TrainingResult one = new Trainer(params, new ClusterParams()).fit(frame, null, "label", "features", "weight");
            TrainingResult many = inBlocksOf(BLOCK_ROWS, () -> {
                assertEquals(16, blocksOf(frame), "the fit's data is packed into blocks of 7 (50 rows a partition)");
                return new Trainer(params, new ClusterParams()).fit(frame, null, "label", "features", "weight");
            });
            assertArrayEquals(one.model().weights(), many.model().weights());
            assertEquals(TrainingListenersTest.figures(one.history()), TrainingListenersTest.figures(many.history()));
        } finally {
            jsc.setLocalProperty(StepLoop.KEY, null);
            jsc.setLocalProperty(StepLoop.TEST_SOCKET_KEY, null);
        }
    }

    @Test
    void aDetailedEvaluationOverManyBlocksCountsAndKeepsTheRowsOfOneBlockEach() {
        Dataset<Row> frame = mixedFrame();
        TrainingParams params = new TrainingParams().layers(6, 9, 3).activation(Activation.TANH).epochs(1)
                .batchSize(16).learningRate(0.05).seed(8);
        MlpModel model = new Trainer(params, new ClusterParams()).fit(frame, null, "label", "features").model();
        DetailedEvaluation one = model.evaluateInDetail(frame, "label", "features", new ClusterParams(), 50);
        DetailedEvaluation many = inBlocksOf(BLOCK_ROWS, () -> {
            assertEquals(16, blocksOf(frame), "the evaluated data is packed into blocks of 7");
            return model.evaluateInDetail(frame, "label", "features", new ClusterParams(), 50);
        });
        assertArrayEquals(one.confusionMatrix(), many.confusionMatrix());
        assertEquals(one.loss(), many.loss());
        assertTrue(one.misclassified().size() > 0, "some rows are misclassified after one epoch");
        assertEquals(one.misclassified().stream().map(DetailedEvaluation.Misclassified::row).toList(),
                many.misclassified().stream().map(DetailedEvaluation.Misclassified::row).toList());
    }

    @Test
    void packedRowsThatWentToDiskAreReportedWithTheirSizeAndWhatToChange() {
        PackedData data = pack(mixedFrame());
        long[] starts = data.partitionStarts();
        long[] rows = {starts[1], data.rows() - starts[1]};
        org.apache.spark.api.java.JavaRDD<Block> onDisk = data.blocks().map(block -> block)
                .persist(org.apache.spark.storage.StorageLevel.DISK_ONLY());
        try {
            assertEquals(java.util.Optional.empty(), PackedData.spilledToDisk(data.blocks(), rows),
                    "the packed rows are all in memory");
            assertEquals(2, onDisk.count());
            String warning = PackedData.spilledToDisk(onDisk, rows).orElseThrow();
            assertTrue(warning.startsWith("the packed rows do not all fit in Spark's storage memory: ")
                    && warning.contains(" in 2 partitions went to disk")
                    && warning.contains("spark.executor.memory") && warning.contains("SPARKMLP_DRIVER_MEMORY"), warning);
        } finally {
            onDisk.unpersist();
            data.unpersist();
        }
    }

    @Test
    void aBadRowInALaterBlockIsNamedByItsRowInThePartition() {
        List<Row> rows = new ArrayList<>(TestData.blobs(20, 6, 3, 1.0, 32));
        rows.set(9, RowFactory.create(7.0, rows.get(9).get(1)));
        Dataset<Row> frame = TestData.frame(spark, rows, 1);
        SparkException e = assertThrows(SparkException.class,
                () -> inBlocksOf(4, () -> PackedData.pack(frame, "label", "features", 6, 3, 0)));
        assertTrue(e.getMessage().contains("label 7.0 in row 9 of partition 0 is not a class of the network"),
                e.getMessage());
    }

    @Test
    void aBlockSizeThatIsNotAPositiveIntegerIsRefusedNamingTheSetting() {
        Dataset<Row> frame = TestData.frame(spark, TestData.blobs(20, 6, 3, 1.0, 33), 1);
        jsc.setLocalProperty(PackedData.TEST_BLOCK_ROWS_KEY, "0");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PackedData.pack(frame, "label", "features", 6, 3, 0));
            assertEquals(PackedData.TEST_BLOCK_ROWS_KEY + " must be a positive integer, got '0'", e.getMessage());
        } finally {
            jsc.setLocalProperty(PackedData.TEST_BLOCK_ROWS_KEY, null);
        }
    }

    @Test
    void aBlockTakesAsManyWholeRowsAsItsValuesAllowAndAtLeastOne() {
        assertEquals(21_399, Block.rowsPerBlock(784, Block.DEFAULT_BLOCK_VALUES));
        assertEquals(1, Block.rowsPerBlock(Block.DEFAULT_BLOCK_VALUES + 1, Block.DEFAULT_BLOCK_VALUES));
        assertEquals(Block.MAX_VALUES / 784, Block.rowsPerBlock(784, Integer.MAX_VALUE));
        Block.Builder builder = new Block.Builder(2, 3, 1, false);
        for (int r = 0; r < 3; r++) {
            builder.add(0, new double[] {r, r});
        }
        assertTrue(builder.full());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> builder.add(0, new double[] {3, 3}));
        assertEquals("a block of at most 3 rows is full; start another", e.getMessage());
    }
}
