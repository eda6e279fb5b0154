package io.sparkmlp.bench;

import io.sparkmlp.ml.MlpClassificationModel;
import io.sparkmlp.ml.MlpClassifier;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.train.TrainingParams;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Rows per second of {@code transform}: sparkmlp's model (blocks of rows, one sgemm per layer) against
 * Spark MLlib's {@code MultilayerPerceptronClassificationModel} with the same layers, on the same cached
 * test rows. Each model is fitted briefly (the quality of its weights does not change the time of a
 * forward pass); every timed run writes all output columns of every row to Spark's {@code noop} sink.
 * Beside them, Spark's row round trip alone (the same rows in and out, no scoring) shows the floor
 * that any transform through {@code mapPartitions} stands on.
 */
final class TransformSpeed {

    private TransformSpeed() {
    }

    /**
     * @param copies how many times the test rows are repeated, so that a run lasts long enough to time
     * @param runs   timed runs of each model, after one untimed warm-up run; the median counts
     */
    static Map<String, Object> measure(Dataset<Row> train, Dataset<Row> test, TrainingParams params, int copies,
                                       int runs, PrintStream console) {
        if (copies < 1 || runs < 1) {
            throw new IllegalArgumentException("copies (" + copies + ") and runs (" + runs + ") must be >= 1");
        }
        Layout layout = params.layout();
        Dataset<Row> rows = test;
        for (int c = 1; c < copies; c++) {
            rows = rows.union(test);
        }
        rows = rows.cache();
        long count = rows.count();

        MlpClassificationModel ours = new MlpClassifier().setLayers(layout.sizes())
                .setActivation(params.activation().id()).setEpochs(1).setSeed(params.seed()).fit(train);
        MultilayerPerceptronClassificationModel theirs = new MultilayerPerceptronClassifier().setLayers(layout.sizes())
                .setMaxIter(5).setSeed(params.seed()).fit(train);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("rows", count);
        result.put("partitions", rows.rdd().getNumPartitions());
        result.put("runs", runs);
        result.put("how", "median of " + runs + " timed runs after a warm-up, the models taken in turn (each round"
                + " starting at the next model); every output column written to the noop sink; sparkmlp fitted 1 epoch,"
                + " MLlib maxIter 5, layers " + layout);
        Map<String, Dataset<Row>> models = new LinkedHashMap<>();
        models.put("sparkmlp", ours.transform(rows));
        models.put("sparkmlp_row_at_a_time", ours.transformRowByRow(rows));
        models.put("mllib", theirs.transform(rows));
        Dataset<Row> scored = models.get("sparkmlp");
        models.put("row_round_trip", rows.mapPartitions(new RowRoundTrip(rows.schema().fieldIndex("features"),
                layout.outputSize()), Encoders.row(scored.schema())));
        result.putAll(timeInTurn(models, count, runs));
        double oursRate = rate(result, "sparkmlp");
        double theirRate = rate(result, "mllib");
        result.put("sparkmlp_over_mllib", oursRate / theirRate);
        // no transform through Spark's rows can beat the round trip alone: MLlib's time over it bounds the ratio
        result.put("round_trip_over_mllib", rate(result, "row_round_trip") / theirRate);
        console.printf(Locale.ROOT, "bench: transform of %,d rows (%s): sparkmlp %,.0f rows/s, its row-at-a-time path"
                        + " %,.0f rows/s, MLlib %,.0f rows/s: %.2fx MLlib; Spark's row round trip alone (no scoring)"
                        + " %,.0f rows/s, %.2fx MLlib%n", count, layout, oursRate,
                rate(result, "sparkmlp_row_at_a_time"), theirRate, oursRate / theirRate, rate(result, "row_round_trip"),
                rate(result, "row_round_trip") / theirRate);
        rows.unpersist();
        return result;
    }

    /**
     * What every {@code mapPartitions} transform pays whatever it computes: Spark's rows in (the features
     * vector deserialised), the input columns and three outputs out (two vectors of {@code classes} and a
     * double), with no scoring. sparkmlp's transform is this plus its forward pass.
     */
    private static final class RowRoundTrip implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final int featuresIndex;
        private final int classes;

        RowRoundTrip(int featuresIndex, int classes) {
            this.featuresIndex = featuresIndex;
            this.classes = classes;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row row = rows.next();
                    Vector features = row.getAs(featuresIndex);
                    double[] raw = new double[classes];
                    // a value that depends on the row, so that the vector is read
                    raw[0] = features.apply(features.size() - 1);
                    Object[] values = new Object[row.size() + 3];
                    for (int i = 0; i < row.size(); i++) {
                        values[i] = row.get(i);
                    }
                    values[row.size()] = Vectors.dense(raw);
                    values[row.size() + 1] = Vectors.dense(raw.clone());
                    values[row.size() + 2] = 0.0;
                    return RowFactory.create(values);
                }
            };
        }
    }

    @SuppressWarnings("unchecked")
    private static double rate(Map<String, Object> result, String key) {
        return (double) ((Map<String, Object>) result.get(key)).get("rows_per_second");
    }

    /**
     * Times each model's output {@code runs} times, round-robin rather than one model after the
     * other: the JVM keeps warming up (the JIT, Spark's generated code) over the first runs, which
     * would otherwise favour whichever model runs last. Each round starts at the next model.
     */
    private static Map<String, Object> timeInTurn(Map<String, Dataset<Row>> models, long rows, int runs) {
        List<String> names = new ArrayList<>(models.keySet());
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        for (String name : names) {
            write(models.get(name)); // warm-up: JIT, the model's broadcast, the cached input's first read
            seconds.put(name, new ArrayList<>());
        }
        for (int r = 0; r < runs; r++) {
            for (int m = 0; m < names.size(); m++) {
                String name = names.get((r + m) % names.size());
                long start = System.nanoTime();
                write(models.get(name));
                seconds.get(name).add((System.nanoTime() - start) / 1e9);
            }
        }
        Map<String, Object> timings = new LinkedHashMap<>();
        for (String name : names) {
            double median = median(seconds.get(name));
            Map<String, Object> timing = new LinkedHashMap<>();
            timing.put("seconds", seconds.get(name));
            timing.put("median_seconds", median);
            timing.put("rows_per_second", rows / median);
            timings.put(name, timing);
        }
        return timings;
    }

    /** Computes every column of every row and keeps none of them. */
    private static void write(Dataset<Row> transformed) {
        transformed.write().format("noop").mode("overwrite").save();
    }

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
