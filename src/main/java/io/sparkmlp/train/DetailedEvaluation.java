package io.sparkmlp.train;

import io.sparkmlp.nn.Layout;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

/**
 * A model's figures over labelled rows, from one Spark job: the mean loss, the confusion matrix
 * (rows: the true class, columns: the predicted one) and, from it, accuracy and each class's
 * precision, recall and F1; plus the first misclassified rows (by row index), with their unscaled
 * values and the predicted probabilities, for a picture of the mistakes.
 */
public final class DetailedEvaluation implements Serializable {

    private static final long serialVersionUID = 1L;

    /** One misclassified row: its index in the data, its label, the prediction, every class's probability, its raw values. */
    public record Misclassified(long row, int label, int predicted, float[] probabilities, float[] features)
            implements Serializable {

        /** The probability the model gave its (wrong) prediction. */
        public double predictedProbability() {
            return probabilities[predicted];
        }
    }

    private final long[][] counts;
    private final double lossSum;
    private final List<Misclassified> misclassified;

    /**
     * From confusion counts ({@code counts[label][predicted]}, square), the summed loss over the counted rows,
     * and the misclassified rows kept.
     */
    public DetailedEvaluation(long[][] counts, double lossSum, List<Misclassified> misclassified) {
        int classes = counts.length;
        if (classes < 2) {
            throw new IllegalArgumentException("a confusion matrix needs at least 2 classes, got " + classes);
        }
        this.counts = new long[classes][];
        for (int i = 0; i < classes; i++) {
            if (counts[i].length != classes) {
                throw new IllegalArgumentException("confusion matrix row " + i + " has " + counts[i].length
                        + " counts; the matrix has " + classes + " rows and must be square");
            }
            this.counts[i] = counts[i].clone();
        }
        this.lossSum = lossSum;
        this.misclassified = List.copyOf(misclassified);
    }

    /**
     * The model over {@code data} in one job over its packed blocks: each partition returns its confusion counts, its
     * summed loss and its first {@code keepMisclassified} misclassified rows; the driver adds them in partition order.
     */
    static DetailedEvaluation of(MlpModel model, Dataset<Row> data, String labelCol, String featuresCol,
                                 ClusterParams cluster, int keepMisclassified) {
        if (keepMisclassified < 0) {
            throw new IllegalArgumentException("misclassified rows to keep must be >= 0, got " + keepMisclassified);
        }
        Layout layout = model.network().layout();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        PackedData packed = null;
        try {
            packed = PackedData.pack(data, labelCol, featuresCol, layout.inputSize(), layout.outputSize(),
                    cluster.partitions());
            if (packed.rows() == 0) {
                throw new IllegalArgumentException("there are no rows to evaluate on");
            }
            try (SharedWeights shared = SharedWeights.share(jsc, model.weights())) {
                ConfusionTask task = new ConfusionTask(shared, model.network(), model.scaling(), packed.partitionStarts(),
                        keepMisclassified);
                return merge(run(packed, task), layout.outputSize(), keepMisclassified);
            }
        } catch (Exception e) {
            throw Trainer.unwrap(e);
        } finally {
            if (packed != null) {
                packed.unpersist();
            }
        }
    }

    /** One task a partition; the results by partition index. */
    private static ConfusionSum[] run(PackedData data, ConfusionTask task) {
        ConfusionSum[] sums = new ConfusionSum[data.numPartitions()];
        RDD<Block> blocks = data.blocks().rdd();
        scala.Function2<Object, ConfusionSum, BoxedUnit> handler = (partition, result) -> {
            sums[(Integer) partition] = result;
            return BoxedUnit.UNIT;
        };
        blocks.sparkContext().runJob(blocks, new FirstResult<>(data.checkingRows(task)), handler,
                ClassTag$.MODULE$.apply(ConfusionSum.class));
        return sums;
    }

    private static DetailedEvaluation merge(ConfusionSum[] sums, int classes, int keep) {
        long[][] counts = new long[classes][classes];
        double lossSum = 0;
        List<Misclassified> kept = new ArrayList<>();
        for (ConfusionSum s : sums) {
            for (int label = 0; label < classes; label++) {
                for (int predicted = 0; predicted < classes; predicted++) {
                    counts[label][predicted] += s.counts[label * classes + predicted];
                }
            }
            lossSum += s.lossSum;
            // partitions hold consecutive rows in order: the first kept overall are the first of the first partitions
            for (int i = 0; i < s.kept() && kept.size() < keep; i++) {
                kept.add(new Misclassified(s.missRows[i], s.missLabels[i], s.missPredicted[i],
                        java.util.Arrays.copyOfRange(s.missProbabilities, i * classes, (i + 1) * classes),
                        java.util.Arrays.copyOfRange(s.missFeatures, i * s.features, (i + 1) * s.features)));
            }
        }
        return new DetailedEvaluation(counts, lossSum, kept);
    }

    public int classes() {
        return counts.length;
    }

    /** A copy of the counts: {@code [label][predicted]}. */
    public long[][] confusionMatrix() {
        long[][] copy = new long[counts.length][];
        for (int i = 0; i < counts.length; i++) {
            copy[i] = counts[i].clone();
        }
        return copy;
    }

    /** Rows counted: the sum of the matrix. */
    public long rows() {
        long total = 0;
        for (long[] row : counts) {
            for (long c : row) {
                total += c;
            }
        }
        return total;
    }

    /** Rows predicted right: the trace. */
    public long correct() {
        long trace = 0;
        for (int k = 0; k < counts.length; k++) {
            trace += counts[k][k];
        }
        return trace;
    }

    /** trace / total. */
    public double accuracy() {
        return correct() / (double) rows();
    }

    /** Mean cross-entropy loss over the rows. */
    public double loss() {
        return lossSum / rows();
    }

    /** Loss, accuracy and rows, as {@link Trainer#evaluate} reports them. */
    public Evaluation summary() {
        return new Evaluation(loss(), accuracy(), rows());
    }

    /** Rows of class {@code k}: its matrix row's sum. */
    public long support(int k) {
        long n = 0;
        for (long c : counts[k]) {
            n += c;
        }
        return n;
    }

    /** Rows predicted as {@code k}: its matrix column's sum. */
    public long predictedAs(int k) {
        long n = 0;
        for (long[] row : counts) {
            n += row[k];
        }
        return n;
    }

    /** Of the rows predicted as {@code k}, the share that are {@code k}; 0 when none is predicted as {@code k}. */
    public double precision(int k) {
        long predicted = predictedAs(k);
        return predicted == 0 ? 0 : counts[k][k] / (double) predicted;
    }

    /** Of the rows of class {@code k}, the share predicted as {@code k}; 0 when there are none. */
    public double recall(int k) {
        long support = support(k);
        return support == 0 ? 0 : counts[k][k] / (double) support;
    }

    /** The harmonic mean of precision and recall; 0 when both are 0 (as Spark's MulticlassMetrics). */
    public double f1(int k) {
        double p = precision(k);
        double r = recall(k);
        // F1 = 2 p r / (p + r)
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** The misclassified rows kept, by row index. */
    public List<Misclassified> misclassified() {
        return misclassified;
    }
}
