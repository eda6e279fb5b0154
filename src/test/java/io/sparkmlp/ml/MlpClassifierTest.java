package io.sparkmlp.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.Trainer;
import io.sparkmlp.train.TrainingParams;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MlpClassifierTest {

    @TempDir
    Path dir;

    private static Dataset<Row> blobs(int rows, long seed) {
        return TestData.frame(SparkTestSession.get(), TestData.blobs(rows, 6, 3, 0.6, seed), 2);
    }

    private static MlpClassifier small() {
        return new MlpClassifier().setLayers(6, 10, 3).setActivation("tanh").setEpochs(4).setBatchSize(32)
                .setLearningRate(0.1).setLrSchedule("constant").setSeed(5);
    }

    /** Rows of a transformed frame, ordered by label then features, as comparable strings. */
    private static List<String> predictions(Dataset<Row> transformed) {
        return transformed.select("features", "rawPrediction", "probability", "prediction")
                .collectAsList().stream().map(Row::toString).sorted().toList();
    }

    @Test
    void invalidParamsThrowWhenSetWithTheValueAndTheLimit() {
        MlpClassifier c = new MlpClassifier();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setLearningRate(-0.5));
        assertEquals("learningRate must be finite and > 0, got -0.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setLayers(784));
        assertEquals("layers must be at least 2 sizes, each >= 1, the last >= 2, got [784]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setMomentum(1.0));
        assertEquals("momentum must be in [0, 1), got 1.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setActivation("gelu"));
        assertTrue(e.getMessage().contains("gelu") && e.getMessage().contains("relu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setBatchSize(0));
        assertEquals("batchSize must be >= 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setNumPartitions(-2));
        assertEquals("numPartitions must be >= 0, got -2", e.getMessage());
        // nothing was set by the failed calls
        assertEquals(0.05, c.getLearningRate());
    }

    @Test
    void explainParamsDescribesEveryParamWithItsDefault() {
        String text = new MlpClassifier().explainParams();
        for (String name : List.of("layers", "activation", "epochs", "batchSize", "learningRate", "momentum", "nesterov",
                "weightDecay", "patience", "validationIndicatorCol", "numPartitions", "aggregationDepth", "featuresCol",
                "probabilityCol", "thresholds")) {
            assertTrue(text.contains(name + ":"), name + " missing from\n" + text);
        }
        assertTrue(text.contains("learningRate: initial learning rate (> 0) (default: 0.05)"), text);
    }

    @Test
    void theEstimatorTrainsTheSameWeightsAsTheCoreTrainer() {
        Dataset<Row> data = blobs(300, 1);
        MlpClassificationModel model = small().fit(data);
        TrainingParams params = new TrainingParams().layers(6, 10, 3).activation(Activation.TANH).epochs(4)
                .batchSize(32).learningRate(0.1).schedule("constant").seed(5);
        float[] core = new Trainer(params, new ClusterParams()).fit(data, null, "label", "features").model().weights();
        assertArrayEquals(core, model.weights());
        assertEquals(4, model.history().size());
        assertArrayEquals(new int[] {6, 10, 3}, model.getLayers());
    }

    @Test
    void sparseAndDenseFeaturesOfTheSameRowsTrainIdenticalWeights() {
        List<Row> dense = TestData.blobs(200, 6, 3, 0.6, 12).stream()
                .map(r -> org.apache.spark.sql.RowFactory.create(r.get(0), zeroSome((Vector) r.get(1)))).toList();
        List<Row> sparse = dense.stream()
                .map(r -> org.apache.spark.sql.RowFactory.create(r.get(0), ((Vector) r.get(1)).toSparse())).toList();
        assertTrue(sparse.stream().anyMatch(r -> ((Vector) r.get(1)).numNonzeros() < 6), "some rows must be sparse");
        SparkSession spark = SparkTestSession.get();
        float[] fromDense = small().fit(TestData.frame(spark, dense, 2)).weights();
        float[] fromSparse = small().fit(TestData.frame(spark, sparse, 2)).weights();
        assertArrayEquals(fromDense, fromSparse);
    }

    /** The vector with its negative entries set to zero, so that sparse storage has something to leave out. */
    private static Vector zeroSome(Vector v) {
        double[] values = v.toArray();
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.max(0, values[i]);
        }
        return org.apache.spark.ml.linalg.Vectors.dense(values);
    }

    @Test
    void transformAddsRawPredictionProbabilityAndPredictionConsistentWithSingleRowPredict() {
        Dataset<Row> data = blobs(300, 2);
        MlpClassificationModel model = small().fit(data);
        List<Row> rows = model.transform(data).select("label", "features", "rawPrediction", "probability", "prediction")
                .collectAsList();
        int correct = 0;
        for (Row row : rows) {
            Vector features = row.getAs("features");
            Vector probability = row.getAs("probability");
            double sum = 0;
            for (double p : probability.toArray()) {
                sum += p;
            }
            assertEquals(1.0, sum, 1e-9);
            assertEquals(probability.argmax(), row.<Double>getAs("prediction"), 0.0);
            assertEquals(((Vector) row.getAs("rawPrediction")).argmax(), probability.argmax());
            assertEquals(model.predict(features), row.<Double>getAs("prediction"), 0.0);
            assertArrayEquals(model.predictProbability(features).toArray(), probability.toArray(), 1e-12);
            correct += row.<Double>getAs("prediction").doubleValue() == row.<Double>getAs("label") ? 1 : 0;
        }
        // three classes: chance is a third
        assertTrue(correct > 0.75 * rows.size(), correct + " of " + rows.size());
    }

    @Test
    void aValidationIndicatorColumnHoldsOutTheMarkedRows() {
        Dataset<Row> data = blobs(400, 3).withColumn("isVal", functions.rand(7).lt(0.25));
        long marked = data.filter("isVal").count();
        MlpClassificationModel model = small().setValidationIndicatorCol("isVal").setPatience(2).setEpochs(6).fit(data);
        assertEquals(marked, model.summary().validationRows());
        assertEquals(400 - marked, model.summary().trainRows());
        for (EpochMetrics m : model.history()) {
            assertFalse(Double.isNaN(m.validationLoss()), m.toString());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> small().setValidationIndicatorCol("label").fit(data));
        assertTrue(e.getMessage().contains("'label' has type double; expected boolean"), e.getMessage());
    }

    @Test
    void aSavedModelAndPipelineLoadInAFreshSessionAndPredictIdentically() throws Exception {
        Dataset<Row> data = blobs(300, 4);
        MlpClassificationModel model = small().fit(data);
        PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {
                new StandardScaler().setInputCol("features").setOutputCol("scaled"),
                small().setFeaturesCol("scaled").setProbabilityCol("p")}).fit(data);
        List<String> direct = predictions(model.transform(data));
        List<String> piped = pipeline.transform(data).select("scaled", "rawPrediction", "p", "prediction")
                .collectAsList().stream().map(Row::toString).sorted().toList();
        List<Row> input = data.collectAsList();
        String modelPath = dir.resolve("model").toString();
        String pipelinePath = dir.resolve("pipeline").toString();
        model.write().overwrite().save(modelPath);
        pipeline.write().overwrite().save(pipelinePath);
        small().write().overwrite().save(dir.resolve("estimator").toString());

        SparkSession fresh = SparkTestSession.restart();
        Dataset<Row> again = fresh.createDataFrame(input, TestData.SCHEMA);
        MlpClassificationModel loaded = MlpClassificationModel.load(modelPath);
        assertEquals(model.uid(), loaded.uid());
        assertFalse(loaded.hasSummary());
        assertArrayEquals(model.weights(), loaded.weights());
        assertEquals(direct, predictions(loaded.transform(again)));
        PipelineModel loadedPipeline = PipelineModel.load(pipelinePath);
        assertEquals(piped, loadedPipeline.transform(again).select("scaled", "rawPrediction", "p", "prediction")
                .collectAsList().stream().map(Row::toString).sorted().toList());
        MlpClassifier estimator = MlpClassifier.load(dir.resolve("estimator").toString());
        assertEquals(0.1, estimator.getLearningRate());
        assertArrayEquals(new int[] {6, 10, 3}, estimator.getLayers());
    }

    @Test
    void transformOnAStreamingDataFrameMatchesTheBatchOutput() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = blobs(200, 6);
        MlpClassificationModel model = small().fit(data);
        String source = dir.resolve("stream-in").toString();
        data.write().parquet(source);
        Dataset<Row> stream = spark.readStream().schema(data.schema()).parquet(source);
        assertTrue(stream.isStreaming());
        String sink = dir.resolve("stream-out").toString();
        StreamingQuery query = model.transform(stream).writeStream().format("parquet").option("path", sink)
                .option("checkpointLocation", dir.resolve("checkpoint").toString())
                .outputMode("append").trigger(Trigger.AvailableNow()).start();
        query.awaitTermination();
        List<String> streamed = predictions(spark.read().parquet(sink));
        assertEquals(200, streamed.size());
        assertEquals(predictions(model.transform(spark.read().parquet(source))), streamed);
    }

    @Test
    void crossValidatorWithAGridOverTwoLearningRatesPicksOne() {
        Dataset<Row> data = blobs(400, 8);
        MlpClassifier classifier = small().setEpochs(2);
        ParamMap[] grid = new ParamGridBuilder().addGrid(classifier.learningRate(), new double[] {0.001, 0.2}).build();
        CrossValidatorModel cv = new CrossValidator().setEstimator(classifier).setEstimatorParamMaps(grid)
                .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setNumFolds(2)
                .setSeed(3).fit(data);
        assertEquals(2, cv.avgMetrics().length);
        // a tiny learning rate barely moves in two epochs; the larger one learns the blobs
        assertTrue(cv.avgMetrics()[1] > cv.avgMetrics()[0], java.util.Arrays.toString(cv.avgMetrics()));
        MlpClassificationModel best = (MlpClassificationModel) cv.bestModel();
        assertEquals(0.2, ((MlpClassifier) best.parent()).getLearningRate());
    }
}
