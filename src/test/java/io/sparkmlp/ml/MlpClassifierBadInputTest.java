package io.sparkmlp.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.train.HyperParameters;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input to the Estimator: each refused before training with one line that names the value and the limit. */
@Tag("spark")
class MlpClassifierBadInputTest {

    private final SparkSession spark = SparkTestSession.get();

    @TempDir
    Path dir;

    private static MlpClassifier small() {
        return new MlpClassifier().setLayers(6, 10, 3).setActivation("tanh").setEpochs(2).setBatchSize(8)
                .setLearningRate(0.1).setLrSchedule("constant").setSeed(5);
    }

    /** 40 good rows of 6 features and 3 classes, with row 13 replaced by {@code bad}, on 2 partitions. */
    private Dataset<Row> withRow(Row bad) {
        List<Row> rows = new ArrayList<>(TestData.blobs(40, 6, 3, 0.6, 1));
        rows.set(13, bad);
        return TestData.frame(spark, rows, 2);
    }

    private static String fitFails(MlpClassifier classifier, Dataset<Row> data) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> classifier.fit(data));
        assertTrue(!e.getMessage().contains("\n"), "not one line: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' is not in: " + message);
        }
    }

    @Test
    void aLabelThatIsNotAnIntegerIsRefusedWithItsValueAndTheClassRange() {
        String m = fitFails(small(), withRow(RowFactory.create(1.5, Vectors.dense(new double[6]))));
        assertContains(m, "label 1.5 in row", "expected an integer in [0, 3)");
    }

    @Test
    void aLabelOutsideTheClassesIsRefusedWithItsValueAndTheClassRange() {
        assertContains(fitFails(small(), withRow(RowFactory.create(3.0, Vectors.dense(new double[6])))),
                "label 3.0 in row", "[0, 3)");
        assertContains(fitFails(small(), withRow(RowFactory.create(-1.0, Vectors.dense(new double[6])))),
                "label -1.0 in row", "[0, 3)");
        assertContains(fitFails(small(), withRow(RowFactory.create(Double.NaN, Vectors.dense(new double[6])))),
                "label NaN in row", "[0, 3)");
    }

    @Test
    void aNonNumericLabelGetsSparksOwnMessage() {
        Dataset<Row> data = withRow(RowFactory.create(1.0, Vectors.dense(new double[6])))
                .withColumn("label", functions.col("label").cast("string"));
        assertContains(fitFails(small(), data), "Column label must be of type numeric but was actually of type string.");
    }

    @Test
    void aFeatureVectorOfTheWrongSizeIsRefusedWithBothSizes() {
        assertContains(fitFails(small(), withRow(RowFactory.create(1.0, Vectors.dense(1, 2, 3)))),
                "has 3 features; the network's input layer has 6");
        assertContains(fitFails(small(), withRow(RowFactory.create(1.0, Vectors.sparse(9, new int[] {8}, new double[] {1})))),
                "has 9 features; the network's input layer has 6");
    }

    @Test
    void layersThatDoNotMatchTheDataAreRefusedBeforeAnyRowIsRead() {
        // VectorAssembler records the vector size in the column's metadata: checked on the schema alone
        Dataset<Row> numbers = spark.range(20).selectExpr("cast(id % 3 as double) as label", "id * 0.1 as a",
                "id * 0.2 as b");
        Dataset<Row> assembled = new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("features")
                .transform(numbers);
        assertContains(fitFails(small(), assembled), "holds vectors of size 2 (its metadata says so)",
                "the network's input layer has 6");
        // StringIndexer records the number of classes: an output layer of 3 cannot hold 4
        Dataset<Row> named = spark.range(20).selectExpr("cast(id % 4 as string) as name", "id * 0.1 as a",
                "id * 0.2 as b");
        Dataset<Row> indexed = new StringIndexer().setInputCol("name").setOutputCol("label").fit(named).transform(named);
        Dataset<Row> both = new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("features")
                .transform(indexed);
        assertContains(fitFails(small().setLayers(2, 5, 3), both), "label column 'label' has 4 classes",
                "output layer has 3");
    }

    @Test
    void aNaNOrInfiniteFeatureIsRefusedWithItsPositionAndValue() {
        assertContains(fitFails(small(), withRow(RowFactory.create(1.0, Vectors.dense(0, 0, Double.NaN, 0, 0, 0)))),
                "has feature 2 = NaN; every input must be a finite number");
        assertContains(fitFails(small(), withRow(RowFactory.create(1.0,
                Vectors.dense(0, 0, 0, 0, 0, Double.NEGATIVE_INFINITY)))), "has feature 5 = -Infinity");
    }

    @Test
    void aNullLabelOrVectorIsRefused() {
        StructType nullable = new StructType().add("label", DataTypes.DoubleType, true)
                .add("features", org.apache.spark.ml.linalg.SQLDataTypes.VectorType(), true);
        List<Row> rows = new ArrayList<>(TestData.blobs(20, 6, 3, 0.6, 1));
        rows.set(4, RowFactory.create(null, Vectors.dense(new double[6])));
        assertContains(fitFails(small(), spark.createDataFrame(rows, nullable)), "has a null label");
        rows.set(4, RowFactory.create(1.0, null));
        assertContains(fitFails(small(), spark.createDataFrame(rows, nullable)), "has a null features vector");
    }

    @Test
    void emptyDataIsRefusedWithTheRowCount() {
        Dataset<Row> empty = TestData.frame(spark, TestData.blobs(30, 6, 3, 0.6, 1), 2).limit(0);
        assertContains(fitFails(small(), empty), "the training data has 0 rows; at least 1 is needed");
    }

    @Test
    void dataThatIsEmptyAfterTheSplitIsRefusedWithTheRowCount() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(30, 6, 3, 0.6, 1), 2);
        assertContains(fitFails(small().setValidationIndicatorCol("v"), data.withColumn("v", functions.lit(true))),
                "the training data has 0 rows; at least 1 is needed");
        assertContains(fitFails(small().setValidationIndicatorCol("v"), data.withColumn("v", functions.lit(false))),
                "the validation data has 0 rows; at least 1 is needed");
        // two rows leave no validation row at a share of 0.01
        assertContains(fitFails(small().setBatchSize(1).setValidationFraction(0.01), data.limit(2)),
                "the validation split has 0 rows; at least 1 is needed (validation fraction 0.01 of 2 rows)");
        assertContains(fitFails(small().setBatchSize(25).setValidationFraction(0.5), data),
                "batch size (25) must not exceed the number of training rows (", "left after the validation split");
    }

    @Test
    void missingColumnsAndWrongTypesAreNamed() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(30, 6, 3, 0.6, 1), 2);
        // Spark's own check (Predictor.fit validates the schema first), naming the column and those there are
        assertContains(fitFails(small().setFeaturesCol("pixels"), data), "No such struct field `pixels` in `label`, `features`");
        assertContains(fitFails(small().setLabelCol("class"), data), "No such struct field `class` in `label`, `features`");
        Dataset<Row> arrays = data.withColumn("features", org.apache.spark.ml.functions.vector_to_array(
                functions.col("features"), "float64"));
        assertContains(fitFails(small(), arrays), "Column features must be of type", "array<double>");
        assertContains(fitFails(small().setValidationIndicatorCol("absent"), data),
                "validationIndicatorCol 'absent' is not in the data");
        assertContains(fitFails(small().setValidationIndicatorCol("label"), data),
                "validationIndicatorCol 'label' has type double; expected boolean");
    }

    static Stream<Arguments> badParams() {
        return Stream.of(
                Arguments.of("layers", (Consumer<MlpClassifier>) c -> c.setLayers(6, 0, 3), "layers must be at least 2 sizes, each >= 1, the last >= 2, got [6, 0, 3]"),
                Arguments.of("layers", (Consumer<MlpClassifier>) c -> c.setLayers(6, 1), "got [6, 1]"),
                Arguments.of("activation", (Consumer<MlpClassifier>) c -> c.setActivation("gelu"), "activation must be one of relu, leaky_relu, tanh, sigmoid, got gelu"),
                Arguments.of("initialization", (Consumer<MlpClassifier>) c -> c.setInitialization("xavier"), "initialization must be one of auto, he, glorot, lecun, got xavier"),
                Arguments.of("epochs", (Consumer<MlpClassifier>) c -> c.setEpochs(0), "epochs must be >= 1, got 0"),
                Arguments.of("batchSize", (Consumer<MlpClassifier>) c -> c.setBatchSize(-4), "batchSize must be >= 1, got -4"),
                Arguments.of("learningRate", (Consumer<MlpClassifier>) c -> c.setLearningRate(0), "learningRate must be finite and > 0, got 0.0"),
                Arguments.of("learningRate", (Consumer<MlpClassifier>) c -> c.setLearningRate(Double.NaN), "learningRate must be finite and > 0, got NaN"),
                Arguments.of("learningRate", (Consumer<MlpClassifier>) c -> c.setLearningRate(Double.POSITIVE_INFINITY), "got Infinity"),
                Arguments.of("lrSchedule", (Consumer<MlpClassifier>) c -> c.setLrSchedule("linear"), "lrSchedule must be one of constant, step, cosine, got linear"),
                Arguments.of("lrStepEpochs", (Consumer<MlpClassifier>) c -> c.setLrStepEpochs(0), "lrStepEpochs must be >= 1, got 0"),
                Arguments.of("lrGamma", (Consumer<MlpClassifier>) c -> c.setLrGamma(1.5), "lrGamma must be in (0, 1], got 1.5"),
                Arguments.of("lrGamma", (Consumer<MlpClassifier>) c -> c.setLrGamma(0), "lrGamma must be in (0, 1], got 0.0"),
                Arguments.of("lrMinFraction", (Consumer<MlpClassifier>) c -> c.setLrMinFraction(1), "lrMinFraction must be in [0, 1), got 1.0"),
                Arguments.of("warmupEpochs", (Consumer<MlpClassifier>) c -> c.setWarmupEpochs(-1), "warmupEpochs must be finite and >= 0, got -1.0"),
                Arguments.of("referenceBatchSize", (Consumer<MlpClassifier>) c -> c.setReferenceBatchSize(-1), "referenceBatchSize must be >= 0 (0: no scaling), got -1"),
                Arguments.of("momentum", (Consumer<MlpClassifier>) c -> c.setMomentum(-0.1), "momentum must be in [0, 1), got -0.1"),
                Arguments.of("momentum", (Consumer<MlpClassifier>) c -> c.setMomentum(Double.NaN), "momentum must be in [0, 1), got NaN"),
                Arguments.of("weightDecay", (Consumer<MlpClassifier>) c -> c.setWeightDecay(-1e-4), "weightDecay must be finite and >= 0, got -1.0E-4"),
                Arguments.of("optimizer", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.OPTIMIZER, "lbfgs"), "optimizer must be one of sgd, adam, adamw, rmsprop, got lbfgs"),
                Arguments.of("beta1", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.BETA1, 1.0), "beta1 must be in [0, 1), got 1.0"),
                Arguments.of("beta2", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.BETA2, -0.5), "beta2 must be in [0, 1), got -0.5"),
                Arguments.of("epsilon", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.EPSILON, 0.0), "epsilon must be finite and > 0 (as a float), got 0.0"),
                Arguments.of("epsilon", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.EPSILON, 1e-50), "epsilon must be finite and > 0 (as a float), got 1.0E-50"),
                Arguments.of("rmspropAlpha", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.RMSPROP_ALPHA, 1.0), "rmspropAlpha must be in [0, 1), got 1.0"),
                Arguments.of("l1", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.L1, -0.1), "l1 must be finite and >= 0, got -0.1"),
                Arguments.of("elasticNet", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.ELASTIC_NET, 1.5), "elasticNet must be in [0, 1], got 1.5"),
                Arguments.of("clipValue", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.CLIP_VALUE, -1.0), "clipValue must be finite and >= 0 (0: off), got -1.0"),
                Arguments.of("clipNorm", (Consumer<MlpClassifier>) c -> c.set(HyperParameters.CLIP_NORM, Double.POSITIVE_INFINITY), "clipNorm must be finite and >= 0 (0: off), got Infinity"),
                Arguments.of("dropout", (Consumer<MlpClassifier>) c -> c.setDropout(1.0), "dropout must be one rate or one per hidden layer, each in [0, 1), got [1.0]"),
                Arguments.of("dropout", (Consumer<MlpClassifier>) c -> c.setDropout(0.2, Double.NaN), "got [0.2, NaN]"),
                Arguments.of("dropout", (Consumer<MlpClassifier>) c -> c.setDropout(), "got []"),
                Arguments.of("classWeights", (Consumer<MlpClassifier>) c -> c.setClassWeights("heavy"), "classWeights must be none, balanced or one weight >= 0 per class separated by commas, got heavy"),
                Arguments.of("classWeights", (Consumer<MlpClassifier>) c -> c.setClassWeights("0,0,0"), "are all 0"),
                Arguments.of("validationFraction", (Consumer<MlpClassifier>) c -> c.setValidationFraction(1), "validationFraction must be in [0, 1), got 1.0"),
                Arguments.of("patience", (Consumer<MlpClassifier>) c -> c.setPatience(-1), "patience must be >= 0, got -1"),
                Arguments.of("standardize", (Consumer<MlpClassifier>) c -> c.setStandardize("minmax"), "standardize must be one of none, global, feature, auto (or true: global, false: none), got minmax"),
                Arguments.of("numPartitions", (Consumer<MlpClassifier>) c -> c.setNumPartitions(-1), "numPartitions must be >= 0, got -1"),
                Arguments.of("aggregationDepth", (Consumer<MlpClassifier>) c -> c.setAggregationDepth(0), "aggregationDepth must be >= 1, got 0"));
    }

    @Test
    void dropoutRatesAndClassWeightsThatDoNotFitTheLayersAreRefusedAtFitWithBothCounts() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(40, 6, 3, 0.6, 1), 2);
        assertContains(fitFails(small().setDropout(0.1, 0.2), data), "dropout has 2 rates [0.1, 0.2]",
                "have 1 hidden layer");
        assertContains(fitFails(small().setClassWeights("1,2"), data), "class weights 1,2 give 2 weights",
                "the output layer has 3 classes");
        assertContains(fitFails(small().setWeightCol("features"), data), "Column features must be of type numeric");
    }

    @Test
    void everyHyperParameterWithALimitHasABadValueAbove() {
        // nesterov is a boolean, every long is a seed: no value of theirs is bad
        java.util.Set<String> covered = badParams().map(a -> (String) a.get()[0]).collect(java.util.stream.Collectors.toSet());
        for (io.sparkmlp.train.HyperParameter<?> h : io.sparkmlp.train.HyperParameters.ALL) {
            if (!List.of("nesterov", "seed").contains(h.name())) {
                assertTrue(covered.contains(h.name()), h.name() + " has no bad value in badParams()");
            }
        }
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("badParams")
    void everyHyperParameterOutOfRangeIsRefusedWhenSet(String param, Consumer<MlpClassifier> set, String message) {
        MlpClassifier c = small();
        String before = String.valueOf(c.explainParam(c.getParam(param)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set.accept(c));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(before, c.explainParam(c.getParam(param)), "the bad value was kept");
    }

    @Test
    void fiveRowsOnEightPartitionsAndDataWithEmptyPartitionsTrain() {
        List<Row> rows = TestData.blobs(5, 6, 3, 0.3, 4);
        MlpClassificationModel model = small().setBatchSize(2).setNumPartitions(8).fit(TestData.frame(spark, rows, 1));
        assertEquals(5, model.summary().trainRows());
        assertEquals(2, model.history().size());
        // 5 rows parallelized over 8 partitions: at least 3 partitions hold nothing, and are kept as they are
        Dataset<Row> sparse = TestData.frame(spark, rows, 8);
        MlpClassificationModel same = small().setBatchSize(2).fit(sparse);
        assertEquals(5, same.summary().trainRows());
        // with a validation share as well, the split leaves more partitions empty
        Dataset<Row> forty = TestData.frame(spark, TestData.blobs(40, 6, 3, 0.3, 4), 1)
                .repartition(16).filter(functions.col("label").notEqual(2.0));
        MlpClassificationModel split = small().setValidationFraction(0.3).fit(forty);
        assertEquals(forty.count(), split.summary().trainRows() + split.summary().validationRows());
        assertTrue(Double.isFinite(split.history().get(1).validationLoss()), split.history().toString());
    }

    @Test
    void aSavedModelWhoseWeightsWereTruncatedOrFlippedFailsToLoadWithTheReason() throws Exception {
        MlpClassificationModel model = small().fit(TestData.frame(spark, TestData.blobs(40, 6, 3, 0.6, 1), 2));
        String path = dir.resolve("model").toString();
        model.write().overwrite().save(path);
        Path weights = dir.resolve("model").resolve("data").resolve("weights.bin");
        long length = Files.size(weights);
        try (RandomAccessFile file = new RandomAccessFile(weights.toFile(), "rw")) {
            file.seek(9);
            int b = file.read();
            file.seek(9);
            file.write(b ^ 0x10);
        }
        Files.deleteIfExists(weights.resolveSibling(".weights.bin.crc"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MlpClassificationModel.load(path));
        assertTrue(e.getMessage().contains("weights.bin is corrupt: CRC32"), e.getMessage());
        try (RandomAccessFile file = new RandomAccessFile(weights.toFile(), "rw")) {
            file.setLength(length - 4);
        }
        e = assertThrows(IllegalArgumentException.class, () -> MlpClassificationModel.load(path));
        assertTrue(e.getMessage().contains("holds " + (length - 4) + " bytes") && e.getMessage().contains("(truncated)"),
                e.getMessage());
        Files.delete(weights);
        e = assertThrows(IllegalArgumentException.class, () -> MlpClassificationModel.load(path));
        assertTrue(e.getMessage().contains("weights.bin (the weights metadata.json names) is missing"), e.getMessage());
    }
}
