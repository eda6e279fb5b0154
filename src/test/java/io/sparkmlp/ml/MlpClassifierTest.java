package io.sparkmlp.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Workspace;
import io.sparkmlp.nn.WorkspacePool;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.HyperParameter;
import io.sparkmlp.train.HyperParameters;
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
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("spark")
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
        assertEquals("layers must be at least 2 sizes, each >= 1, the last >= 2, got [784]: a network needs at least an input and"
                + " an output layer", e.getMessage());
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
    void explainParamsDescribesEveryParamAndEveryHyperParameterHasADefault() {
        MlpClassifier c = new MlpClassifier();
        String text = c.explainParams();
        for (org.apache.spark.ml.param.Param<?> p : c.params()) {
            assertFalse(p.doc().isBlank(), p.name() + " has no doc");
            assertTrue(text.contains(p.name() + ": "), p.name() + " missing from\n" + text);
            if (!List.of("validationIndicatorCol", "thresholds", "weightCol", "initialWeights").contains(p.name())) {
                assertTrue(c.hasDefault(p), p.name() + " has no default");
            }
        }
        assertTrue(text.contains("learningRate: initial learning rate (> 0) (default: 0.05)"), text);
        int[] layers = {6, 10, 3};
        c.setLayers(layers);
        layers[0] = 0; // changing the caller's array afterwards must not bypass the validator
        assertArrayEquals(new int[] {6, 10, 3}, c.getLayers());
    }

    @Test
    void everyHyperParameterHasATypedParamSetterAndGetterAsSparksOwnParamsDo() throws Exception {
        MlpClassifier c = new MlpClassifier();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            String capitalised = Character.toUpperCase(h.name().charAt(0)) + h.name().substring(1);
            Class<?> type = switch (h.kind()) {
                case INT -> int.class;
                case LONG -> long.class;
                case DOUBLE -> double.class;
                case BOOLEAN -> boolean.class;
                case STRING -> String.class;
                case INT_ARRAY -> int[].class;
                case DOUBLE_ARRAY -> double[].class;
            };
            assertSame(c.hyperParameter(h), MlpClassifier.class.getMethod(h.name()).invoke(c), h.name());
            assertEquals(MlpClassifier.class, MlpClassifier.class.getMethod("set" + capitalised, type).getReturnType(),
                    h.name());
            Object value = MlpClassifier.class.getMethod("get" + capitalised).invoke(c);
            assertEquals(h.format(h.defaultValue()), h.format(value), h.name());
        }
        c.setOptimizer("adamw").setBeta1(0.8).setBeta2(0.99).setEpsilon(1e-6).setRmspropAlpha(0.9).setL1(1e-4)
                .setElasticNet(0.5).setClipValue(2.0).setClipNorm(3.0);
        TrainingParams params = c.trainingParams();
        assertEquals(List.of("adamw", 0.8, 0.99, 1e-6, 0.9, 1e-4, 0.5, 2.0, 3.0), List.of(
                params.get(HyperParameters.OPTIMIZER), params.get(HyperParameters.BETA1),
                params.get(HyperParameters.BETA2), params.get(HyperParameters.EPSILON),
                params.get(HyperParameters.RMSPROP_ALPHA), params.get(HyperParameters.L1),
                params.get(HyperParameters.ELASTIC_NET), params.get(HyperParameters.CLIP_VALUE),
                params.get(HyperParameters.CLIP_NORM)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setBeta2(1.0));
        assertEquals("beta2 must be in [0, 1), got 1.0", e.getMessage());
        assertEquals(0.99, c.getBeta2());
    }

    @Test
    void theEstimatorTrainsTheSameWeightsAsTheCoreTrainerWithEveryHyperParameterSet() {
        Dataset<Row> data = blobs(300, 1);
        MlpClassificationModel model = new MlpClassifier().setLayers(6, 12, 7, 3).setActivation("sigmoid")
                .setInitialization("lecun").setEpochs(5).setBatchSize(24).setLearningRate(0.3).setLrSchedule("step")
                .setLrStepEpochs(2).setLrGamma(0.7).setLrMinFraction(0.1).setWarmupEpochs(0.5).setReferenceBatchSize(48)
                .setMomentum(0.8).setNesterov(true)
                .setWeightDecay(1e-3).setStandardize(false).setValidationFraction(0.2).setPatience(1).setSeed(77)
                .setNumPartitions(1).setAggregationDepth(3).fit(data);
        TrainingParams params = new TrainingParams().layers(6, 12, 7, 3).activation(Activation.SIGMOID)
                .initialization(io.sparkmlp.nn.Initialization.LECUN).epochs(5).batchSize(24).learningRate(0.3)
                .schedule("step", 2, 0.7, 0.1).warmupEpochs(0.5).referenceBatchSize(48).momentum(0.8).nesterov(true).weightDecay(1e-3).standardize(false)
                .validationFraction(0.2).patience(1).seed(77);
        io.sparkmlp.train.TrainingResult core = new Trainer(params, new ClusterParams().partitions(1).aggregationDepth(3))
                .fit(data, null, "label", "features");
        assertArrayEquals(core.model().weights(), model.weights());
        assertEquals(figures(core.history()), figures(model.history()));
        assertEquals(core.validationRows(), model.summary().validationRows());
        assertArrayEquals(new int[] {6, 12, 7, 3}, model.getLayers());
    }

    /** The history without its timings, which differ from run to run. */
    private static List<List<Double>> figures(List<EpochMetrics> history) {
        return history.stream().map(m -> List.of((double) m.epoch(), m.trainLoss(), m.trainAccuracy(), m.validationLoss(),
                m.validationAccuracy(), m.learningRate())).toList();
    }

    @Test
    void copyKeepsTheWeightsAndSummaryAndAppliesExtraParams() {
        MlpClassificationModel model = small().fit(blobs(200, 9));
        MlpClassificationModel copy = model.copy(new ParamMap().put(model.probabilityCol().w("p")));
        assertEquals(model.uid(), copy.uid());
        assertArrayEquals(model.weights(), copy.weights());
        assertEquals(model.history(), copy.history());
        assertEquals(model.parent(), copy.parent());
        assertEquals("p", copy.getProbabilityCol());
        assertEquals("probability", model.getProbabilityCol());
    }

    @Test
    void thresholdsChangePredictionsAsInSparksClassifiersAndSurviveSaving() throws Exception {
        Dataset<Row> data = blobs(300, 10);
        MlpClassificationModel model = small().fit(data);
        // a tiny threshold for class 2 makes it win wherever its probability is not negligible
        model.setThresholds(new double[] {1.0, 1.0, 1e-9});
        List<Row> rows = model.transform(data).select("probability", "prediction").collectAsList();
        for (Row row : rows) {
            double[] p = ((Vector) row.get(0)).toArray();
            int expected = 0;
            for (int k = 1; k < 3; k++) {
                if (p[k] / (k == 2 ? 1e-9 : 1.0) > p[expected] / (expected == 2 ? 1e-9 : 1.0)) {
                    expected = k;
                }
            }
            assertEquals(expected, row.getDouble(1), 0.0);
        }
        assertTrue(rows.stream().filter(r -> r.getDouble(1) == 2.0).count() > rows.size() / 2);
        String path = dir.resolve("thresholds").toString();
        model.write().overwrite().save(path);
        assertArrayEquals(new double[] {1.0, 1.0, 1e-9}, MlpClassificationModel.load(path).getThresholds());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.setThresholds(new double[] {0.5, 0.5}));
        assertTrue(e.getMessage().contains("numClasses=3, but thresholds has length 2"), e.getMessage());
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
            // transform scores blocks of rows with one sgemm; its sums may round differently from a one-row sgemv
            assertArrayEquals(model.predictProbability(features).toArray(), probability.toArray(), 1e-6);
            correct += row.<Double>getAs("prediction").doubleValue() == row.<Double>getAs("label") ? 1 : 0;
        }
        // three classes: chance is a third
        assertTrue(correct > 0.75 * rows.size(), correct + " of " + rows.size());
    }

    @Test
    void scoringInBlocksGivesSparksRowAtATimeOutputForEveryColumnSettingWithAndWithoutThresholds() {
        // an input column with metadata, which both routes must keep as Spark's transform does
        Dataset<Row> data = blobs(300, 14).withColumn("id", functions.monotonically_increasing_id())
                .withMetadata("id", new org.apache.spark.sql.types.MetadataBuilder().putString("origin", "test").build());
        MlpClassificationModel fitted = small().fit(data);
        String[][] settings = {{"rawPrediction", "probability", "prediction"}, {"", "probability", "prediction"},
                {"rawPrediction", "", "prediction"}, {"", "", "prediction"}, {"rawPrediction", "probability", ""},
                {"", "p", ""}, {"r", "", ""}};
        for (double[] thresholds : new double[][] {null, {1.0, 1.0, 1e-3}}) {
            for (String[] columns : settings) {
                MlpClassificationModel model = fitted.copy(new ParamMap()).setRawPredictionCol(columns[0])
                        .setProbabilityCol(columns[1]).setPredictionCol(columns[2]);
                if (thresholds != null) {
                    model.setThresholds(thresholds);
                }
                String what = java.util.Arrays.toString(columns) + " thresholds " + java.util.Arrays.toString(thresholds);
                Dataset<Row> expected = model.transformRowByRow(data);
                // 7 rows a pass: many blocks per partition, the last one partly filled
                for (Dataset<Row> blocks : List.of(model.transform(data, 7), model.transform(data))) {
                    assertEquals(expected.schema().json(), blocks.schema().json(), what);
                    assertSameRows(expected.collectAsList(), blocks.collectAsList(), what);
                }
            }
        }
        // two input columns of one name, as a join leaves them
        Dataset<Row> twice = data.select(functions.col("label"), functions.col("features"), functions.col("id"),
                functions.col("id").as("id"));
        assertEquals(fitted.transformRowByRow(twice).schema().json(), fitted.transform(twice).schema().json());
        assertSameRows(fitted.transformRowByRow(twice).collectAsList(), fitted.transform(twice).collectAsList(),
                "two columns named id");
        MlpClassificationModel none = fitted.copy(new ParamMap()).setRawPredictionCol("").setProbabilityCol("")
                .setPredictionCol("");
        assertEquals(data.schema(), none.transform(data).schema());
        assertEquals(data.collectAsList(), none.transform(data).collectAsList());
    }

    @Test
    void transformRunsNoJobUntilAnActionEvenWhereTheInputsPlanHasAShuffleAndScoresSparseRowsAsDense() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = blobs(200, 17);
        MlpClassificationModel model = small().setEpochs(1).fit(data);
        // a shuffle in the input's plan: adaptive execution would run it as the plan becomes an RDD
        Dataset<Row> shuffled = data.repartition(3, functions.col("label"));
        String group = "transform-laziness-" + System.nanoTime();
        spark.sparkContext().setJobGroup(group, "transform laziness", false);
        try {
            Dataset<Row> scored = model.transform(shuffled);
            assertEquals(0, spark.sparkContext().statusTracker().getJobIdsForGroup(group).length,
                    "transform ran a job before any action");
            // a shuffle's rows may come in another order each time it runs
            java.util.Comparator<Row> order = java.util.Comparator.comparing(Row::toString);
            assertSameRows(model.transformRowByRow(shuffled).collectAsList().stream().sorted(order).toList(),
                    scored.collectAsList().stream().sorted(order).toList(), "shuffled input");
            assertTrue(spark.sparkContext().statusTracker().getJobIdsForGroup(group).length > 0);
        } finally {
            spark.sparkContext().clearJobGroup();
        }
        // the same rows with sparse features
        Dataset<Row> sparse = data.map((org.apache.spark.api.java.function.MapFunction<Row, Row>) r -> RowFactory.create(
                r.getDouble(0), ((Vector) r.get(1)).toSparse()), org.apache.spark.sql.Encoders.row(data.schema()));
        assertTrue(sparse.collectAsList().stream().allMatch(r -> r.get(1) instanceof org.apache.spark.ml.linalg.SparseVector));
        assertSameRows(model.transformRowByRow(sparse).collectAsList(), model.transform(sparse).collectAsList(),
                "sparse features");
    }

    @Test
    void transformShipsTheWeightsOnceAsABroadcastNotInEveryTasksClosure() throws Exception {
        Dataset<Row> data = blobs(200, 15);
        // 6-400-3: 4,003 weights, 16 KB of floats, against a few KB of network, scaling and Params
        MlpClassificationModel model = small().setLayers(6, 400, 3).setEpochs(1).fit(data);
        int weightBytes = model.weights().length * Float.BYTES;
        // Spark Java-serialises this function into every task; the weights must not be in it
        int closure = javaSerializedBytes(model.blockScorer(data, 64));
        assertTrue(closure < weightBytes / 2, "the closure is " + closure + " bytes, the weights " + weightBytes);
        int whole = javaSerializedBytes(model);
        assertTrue(whole > weightBytes, "the model itself carries its weights: " + whole + " bytes");
    }

    @Test
    void transformsTasksBorrowTheJvmsScoringWorkspacesAndGiveThemBackAlsoWhenALimitStopsThemEarly() {
        Dataset<Row> data = blobs(300, 16).repartition(6);
        // layers of their own, so that no other test's transform shares this pool
        MlpClassificationModel model = small().setLayers(6, 11, 3).setEpochs(1).fit(data);
        int blockRows = 9;
        WorkspacePool pool = BlockScoring.scoringWorkspaces(model.mlpModel().network(), blockRows);
        assertEquals(0, pool.idleCount(), "nothing scored yet");
        model.transform(data, blockRows).collectAsList();
        // six tasks on local[2]: at most two run at once, so at most two workspaces were made, and all are back
        long made = pool.madeCount();
        assertTrue(made >= 1 && made <= 2, made + " workspaces made for six tasks on two cores");
        assertEquals(made, pool.idleCount(), "every workspace made is back in the pool");
        // six more tasks: they reuse those (a second may be made if this time two tasks overlap, not more)
        model.transform(data, blockRows).collectAsList();
        made = pool.madeCount();
        assertTrue(made <= 2, made + " workspaces made for twelve tasks on two cores");
        assertEquals(made, pool.idleCount(), "every workspace made is back in the pool");
        // a limit ends the task after its first block: its completion listener gives the workspace back
        assertEquals(1, model.transform(data, blockRows).limit(1).collectAsList().size());
        assertEquals(pool.madeCount(), pool.idleCount(), "the workspace of a task stopped early is back in the pool");
        // the one lent next has scored a block: its input holds scaled rows, not the zeros of a new one
        Workspace reused = pool.borrow();
        boolean used = false;
        for (float x : reused.input()) {
            used |= x != 0f;
        }
        pool.giveBack(reused);
        assertTrue(used, "the pool lends the workspaces the tasks used");
    }

    private static int javaSerializedBytes(Object value) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        return bytes.size();
    }

    /** Same rows in the same order: vectors equal to float precision (input ones are equal anyway), the rest exactly. */
    static void assertSameRows(List<Row> expected, List<Row> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int r = 0; r < expected.size(); r++) {
            Row e = expected.get(r);
            Row a = actual.get(r);
            assertEquals(e.size(), a.size(), what);
            for (int i = 0; i < e.size(); i++) {
                if (e.get(i) instanceof Vector ev) {
                    double[] x = ev.toArray();
                    double[] y = ((Vector) a.get(i)).toArray();
                    assertEquals(x.length, y.length, what);
                    for (int k = 0; k < x.length; k++) {
                        assertEquals(x[k], y[k], 1e-5 * Math.max(1, Math.abs(x[k])), what + ", row " + r + ", column " + i);
                    }
                } else {
                    assertEquals(e.get(i), a.get(i), what + ", row " + r + ", column " + i);
                }
            }
        }
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

    /** Six features computed from a number, the same way in a stream and in a batch. */
    private static Dataset<Row> withFeatures(Dataset<Row> numbers) {
        List<org.apache.spark.sql.Column> parts = new java.util.ArrayList<>();
        for (int k = 1; k <= 6; k++) {
            parts.add(functions.sin(functions.col("value").multiply(0.37 * k)).multiply(2.0));
        }
        return numbers.withColumn("features", org.apache.spark.ml.functions.array_to_vector(
                functions.array(parts.toArray(new org.apache.spark.sql.Column[0]))));
    }

    @Test
    void transformOnAStreamingRateSourceMatchesTheBatchOutput() throws Exception {
        SparkSession spark = SparkTestSession.get();
        MlpClassificationModel model = small().fit(blobs(200, 6));
        Dataset<Row> stream = withFeatures(spark.readStream().format("rate").option("rowsPerSecond", 100)
                .option("numPartitions", 2).load());
        assertTrue(stream.isStreaming());
        String sink = dir.resolve("stream-out").toString();
        StreamingQuery query = model.transform(stream).select("value", "rawPrediction", "probability", "prediction")
                .writeStream().format("parquet").option("path", sink)
                .option("checkpointLocation", dir.resolve("checkpoint").toString())
                .trigger(Trigger.ProcessingTime("300 milliseconds")).start();
        List<Row> streamed;
        try {
            long deadline = System.nanoTime() + 90_000_000_000L;
            do {
                Thread.sleep(500);
                query.processAllAvailable();
                streamed = java.nio.file.Files.exists(dir.resolve("stream-out").resolve("_spark_metadata"))
                        ? spark.read().parquet(sink).collectAsList() : List.of();
            } while (streamed.size() < 150 && System.nanoTime() < deadline);
        } finally {
            query.stop();
        }
        assertTrue(streamed.size() >= 150, "only " + streamed.size() + " rows came through the stream");
        long top = streamed.stream().mapToLong(r -> r.getLong(0)).max().orElseThrow();
        Dataset<Row> batch = withFeatures(spark.range(0, top + 1).withColumnRenamed("id", "value"));
        java.util.Map<Long, Row> expected = new java.util.HashMap<>();
        for (Row r : model.transform(batch).select("value", "rawPrediction", "probability", "prediction").collectAsList()) {
            expected.put(r.getLong(0), r);
        }
        // micro-batches put rows into other blocks than the batch does: equal to float precision
        for (Row r : streamed) {
            assertSameRows(List.of(expected.get(r.getLong(0))), List.of(r), "row for value " + r.getLong(0));
        }
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

    @Test
    void aFitResumedFromAnOddStepsCheckpointEqualsTheUninterruptedFit() throws Exception {
        Dataset<Row> data = blobs(300, 12);
        // 240 training rows, batch 32: 8 steps an epoch; step 7 lies inside the first epoch
        MlpClassifier estimator = small().setEpochs(3).setValidationFraction(0.2).setPatience(2).setWarmupEpochs(0.5);
        MlpClassificationModel uninterrupted = estimator.fit(data);
        Path checkpoints = dir.resolve("checkpoints");
        MlpClassificationModel checkpointed = estimator.copy(new ParamMap()).setCheckpointDir(checkpoints.toString())
                .setCheckpointInterval(7).setCheckpointKeep(100).fit(data);
        assertArrayEquals(uninterrupted.weights(), checkpointed.weights(), "writing checkpoints changes nothing");
        Path atStep7 = checkpoints.resolve("checkpoint-000000-00000007.ckpt");
        assertTrue(java.nio.file.Files.exists(atStep7), "checkpoints: " + java.util.Arrays.toString(checkpoints.toFile().list()));

        MlpClassificationModel resumed = estimator.copy(new ParamMap()).setResumeFrom(atStep7.toString()).fit(data);
        assertArrayEquals(uninterrupted.weights(), resumed.weights());
        assertEquals(figures(uninterrupted.history()), figures(resumed.history()));
        assertEquals(uninterrupted.summary().bestEpoch(), resumed.summary().bestEpoch());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> estimator.copy(new ParamMap()).setResumeFrom(atStep7.toString()).setLearningRate(0.3).fit(data));
        assertTrue(e.getMessage().contains("learning-rate (0.1 in the checkpoint, 0.3 here)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> estimator.copy(new ParamMap()).setResumeFrom("latest").fit(data));
        assertTrue(e.getMessage().contains("needs a checkpoint folder"), e.getMessage());
    }

    @Test
    void aWeightColumnInAPipelineWeighsTheRowsAndSaveAndLoadKeepItWithClassWeightsAndDropout() throws Exception {
        Dataset<Row> data = blobs(120, 7).withColumn("w", functions.lit(1.0))
                .withColumn("skewed", functions.when(functions.col("label").equalTo(2.0), 0.0).otherwise(3.0));
        // weights of 1 from a column train the very weights of no column
        float[] plain = small().setDropout(0.1).fit(data).weights();
        assertArrayEquals(plain, small().setDropout(0.1).setWeightCol("w").fit(data).weights());
        // other weights are read and change the model
        MlpClassificationModel skewed = small().setDropout(0.1).setWeightCol("skewed").fit(data);
        assertFalse(java.util.Arrays.equals(plain, skewed.weights()));
        // class 2 weighs nothing: its validation-free training accuracy counts every row, unweighted
        assertEquals(120, skewed.summary().trainRows());

        MlpClassifier stage = small().setFeaturesCol("scaled").setWeightCol("w").setClassWeights("balanced")
                .setDropout(0.2);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
            new StandardScaler().setInputCol("features").setOutputCol("scaled"), stage});
        PipelineModel model = pipeline.fit(data);
        assertEquals(120, model.transform(data).filter(functions.col("prediction").isNotNull()).count());
        String path = dir.resolve("weighted-pipeline").toString();
        pipeline.write().overwrite().save(path);
        MlpClassifier loaded = (MlpClassifier) Pipeline.load(path).getStages()[1];
        assertEquals("w", loaded.getWeightCol());
        assertEquals("balanced", loaded.getClassWeights());
        assertArrayEquals(new double[] {0.2}, loaded.getDropout());
        stage.setClassWeights("1,0.5,2").setDropout(0.3, 0.0);
        stage.write().overwrite().save(dir.resolve("weighted-estimator").toString());
        MlpClassifier again = MlpClassifier.load(dir.resolve("weighted-estimator").toString());
        assertEquals("1,0.5,2", again.getClassWeights());
        assertArrayEquals(new double[] {0.3, 0.0}, again.getDropout());
        assertEquals("w", again.getWeightCol());

        Dataset<Row> negative = data.withColumn("w", functions.when(functions.col("label").equalTo(1.0), -2.0)
                .otherwise(1.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> small().setWeightCol("w").fit(negative));
        assertTrue(e.getMessage().contains("weight -2.0 in row") && e.getMessage().contains("must be finite and >= 0"),
                e.getMessage());
    }

    @Test
    void checkpointParamsAreValidatedWithTheLimitAndKeptBySaveAndLoad() throws Exception {
        MlpClassifier c = new MlpClassifier();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setCheckpointInterval(0));
        assertEquals("checkpointInterval must be >= 1 or -1 (none by steps), got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setCheckpointKeep(0));
        assertEquals("checkpointKeep must be >= 1, got 0", e.getMessage());
        assertEquals("", c.getCheckpointDir());
        assertEquals(-1, c.getCheckpointInterval());
        assertEquals(3, c.getCheckpointKeep());
        assertTrue(c.getCheckpointAtEpochEnd());
        assertEquals(null, c.checkpointParams().dir());

        c.setCheckpointDir("hdfs:///runs/ck").setCheckpointInterval(50).setCheckpointKeep(4)
                .setCheckpointAtEpochEnd(false).setResumeFrom("latest");
        c.save(dir.resolve("estimator").toString());
        MlpClassifier loaded = MlpClassifier.load(dir.resolve("estimator").toString());
        assertEquals("hdfs:///runs/ck", loaded.getCheckpointDir());
        assertEquals(50, loaded.getCheckpointInterval());
        assertEquals(4, loaded.getCheckpointKeep());
        assertFalse(loaded.getCheckpointAtEpochEnd());
        assertEquals("latest", loaded.getResumeFrom());
        io.sparkmlp.train.CheckpointParams run = loaded.checkpointParams();
        assertEquals(50, run.everySteps());
        assertEquals("latest", run.resumeFrom());
    }
}
