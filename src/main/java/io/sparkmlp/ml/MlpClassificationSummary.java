package io.sparkmlp.ml;

import java.util.Objects;
import org.apache.spark.ml.classification.ClassificationSummary;
import org.apache.spark.mllib.evaluation.MulticlassMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A fitted model's figures on a labelled DataFrame, through Spark's own {@link ClassificationSummary}
 * (as MLlib's {@code MultilayerPerceptronClassificationSummary}): {@code accuracy()}, per-label
 * precision, recall, F-measure, true and false positive rates, and their weighted means, over
 * {@link #predictions()} (the model's {@code transform} of the data; computed when first asked).
 */
public class MlpClassificationSummary implements ClassificationSummary {

    private static final long serialVersionUID = 1L;

    private final transient Dataset<Row> predictions;
    private final String predictionCol;
    private final String labelCol;
    private final String weightCol;
    /** Spark's trait keeps its metrics in the implementing class; its initialiser sets them. */
    private transient MulticlassMetrics metrics;

    MlpClassificationSummary(Dataset<Row> predictions, String predictionCol, String labelCol, String weightCol) {
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.predictionCol = Objects.requireNonNull(predictionCol, "predictionCol");
        this.labelCol = Objects.requireNonNull(labelCol, "labelCol");
        this.weightCol = weightCol == null ? "" : weightCol; // Spark counts each row once when absent
        ClassificationSummary.$init$(this);
    }

    @Override
    public Dataset<Row> predictions() {
        return predictions;
    }

    @Override
    public String predictionCol() {
        return predictionCol;
    }

    @Override
    public String labelCol() {
        return labelCol;
    }

    @Override
    public String weightCol() {
        return weightCol;
    }

    // the accessor pair Scala compiles a trait's private val into; only Spark's trait calls them

    @Override
    public final void org$apache$spark$ml$classification$ClassificationSummary$_setter_$org$apache$spark$ml$classification$ClassificationSummary$$multiclassMetrics_$eq(
            MulticlassMetrics value) {
        this.metrics = value;
    }

    @Override
    public final MulticlassMetrics org$apache$spark$ml$classification$ClassificationSummary$$multiclassMetrics() {
        return metrics;
    }
}
