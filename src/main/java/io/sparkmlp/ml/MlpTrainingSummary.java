package io.sparkmlp.ml;

import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.TrainingResult;
import java.util.List;
import java.util.Objects;
import org.apache.spark.ml.classification.TrainingSummary;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The summary of a fit, as MLlib's {@code MultilayerPerceptronClassificationTrainingSummary}: the
 * {@link MlpClassificationSummary} figures on the training rows, {@link #objectiveHistory()} (the
 * training loss of each epoch) and {@link #totalIterations()} (epochs run), with sparkmlp's
 * per-epoch {@link #history()} (train and validation loss and accuracy, learning rate, seconds) and
 * the run's counts on top.
 */
public final class MlpTrainingSummary extends MlpClassificationSummary implements TrainingSummary {

    private static final long serialVersionUID = 1L;

    private final TrainingResult result;

    MlpTrainingSummary(TrainingResult result, Dataset<Row> predictions, String predictionCol, String labelCol,
                       String weightCol) {
        super(predictions, predictionCol, labelCol, weightCol);
        this.result = Objects.requireNonNull(result, "result");
        TrainingSummary.$init$(this);
    }

    /** The mean training loss of each epoch, in order. */
    @Override
    public double[] objectiveHistory() {
        return result.history().stream().mapToDouble(EpochMetrics::trainLoss).toArray();
    }

    /** Epochs run (each a full pass of steps); an early stop makes it fewer than asked for. */
    @Override
    public int totalIterations() {
        return result.history().size();
    }

    /** Per epoch: train and validation loss and accuracy, learning rate, seconds. */
    public List<EpochMetrics> history() {
        return result.history();
    }

    /** The epoch whose weights the model holds: the best by validation loss under early stopping, else the last. */
    public int bestEpoch() {
        return result.bestEpoch();
    }

    public boolean stoppedEarly() {
        return result.stoppedEarly();
    }

    public long trainRows() {
        return result.trainRows();
    }

    public long validationRows() {
        return result.validationRows();
    }

    /** Training rows processed per second of step time (evaluation excluded). */
    public double samplesPerSecond() {
        return result.samplesPerSecond();
    }

    /** Seconds of steps, validation excluded. */
    public double trainSeconds() {
        return result.trainSeconds();
    }

    /** The core trainer's result. */
    public TrainingResult result() {
        return result;
    }
}
