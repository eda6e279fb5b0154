package io.sparkmlp.train;

import java.io.Serializable;
import java.util.List;

/**
 * What a training run produced: the model (the best epoch's weights when early stopping is on),
 * the per-epoch history, and the run's size, partitions (those it trained on) and time.
 */
public record TrainingResult(MlpModel model, List<EpochMetrics> history, int bestEpoch, boolean stoppedEarly,
                             long trainRows, long validationRows, int partitions, long samplesSeen, double trainSeconds)
        implements Serializable {

    /** Training rows processed per second of step time (evaluation excluded). */
    public double samplesPerSecond() {
        return samplesSeen / trainSeconds;
    }

    public int epochsRun() {
        return history.size();
    }
}
