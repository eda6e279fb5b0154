package io.sparkmlp.train;

import io.sparkmlp.optim.OptimizerState;
import java.util.List;
import java.util.Map;

/**
 * A {@link TrainingState} as it is written to and read from a checkpoint file ({@link CheckpointFiles}):
 * plain values, nothing live. The position is {@code (epoch, step)}: {@code step} steps of epoch
 * {@code epoch} (from 0) are done; {@code step == stepsPerEpoch} means the epoch's steps are done
 * but its end (validation, history, early stopping) is not.
 *
 * @param settings       the resolved hyper-parameters ({@link TrainingParams#asMap})
 * @param bestWeights    the weights of the best validation epoch, when early stopping keeps them; else null
 */
public record Checkpoint(Map<String, String> settings, DataFingerprint data, int stepsPerEpoch, int epoch, int step,
                         double learningRate, double epochLossSum, long epochCorrect, long epochCount,
                         double epochTrainSeconds, double bestLoss, int bestEpoch, int epochsWithoutGain,
                         boolean stoppedEarly, double cumulativeTrainSeconds, double elapsedSeconds, long samplesSeen,
                         List<EpochMetrics> history, float[] weights, OptimizerState optimizer, float[] bestWeights) {

    /** Steps done over the whole run. */
    public long globalStep() {
        return (long) epoch * stepsPerEpoch + step;
    }

    /** "epoch 2, step 7 of 38" (counting from 1, as the logs do). */
    public String position() {
        return describe(epoch, step, stepsPerEpoch);
    }

    static String describe(int epoch, int step, int stepsPerEpoch) {
        return step == 0 && epoch > 0 ? "the end of epoch " + epoch
                : "epoch " + (epoch + 1) + ", step " + step + " of " + stepsPerEpoch;
    }
}
