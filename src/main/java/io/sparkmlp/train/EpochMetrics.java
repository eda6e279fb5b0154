package io.sparkmlp.train;

import java.io.Serializable;

/**
 * One epoch's figures. Training loss and accuracy are averaged over the epoch's mini-batches, each
 * measured with the weights of its step; validation figures use the weights at the epoch's end
 * (NaN when there is no validation data). {@code trainSeconds} and {@code cumulativeTrainSeconds}
 * count the steps only; {@code elapsedSeconds} is the wall time since {@code fit} began, packing
 * the training and validation data included, the per-epoch validation passes excluded: the time a
 * user waits for these weights.
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double validationLoss,
                           double validationAccuracy, double learningRate, double trainSeconds,
                           double cumulativeTrainSeconds, double elapsedSeconds) implements Serializable {

    /** One line for logs and the console. */
    public String describe(int epochs) {
        String validation = Double.isNaN(validationLoss) ? ""
                : String.format(" | validation loss %.4f accuracy %.4f", validationLoss, validationAccuracy);
        return String.format("epoch %d/%d | train loss %.4f accuracy %.4f%s | lr %.4g | %.2f s",
                epoch, epochs, trainLoss, trainAccuracy, validation, learningRate, trainSeconds);
    }
}
