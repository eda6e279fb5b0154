package io.sparkmlp.train;

import io.sparkmlp.optim.LearningRateSchedule;
import io.sparkmlp.optim.Optimizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a training run needs to continue: the weights, the optimizer's state, the position
 * (epoch, step) and with it the schedule's, the epoch's running sums, the best weights, loss and
 * epoch with the early-stopping counter, the history so far, the resolved hyper-parameters and a
 * fingerprint of the data. The driver loop reads and advances it; listeners ({@link TrainingListener})
 * look at it after every step and epoch; a checkpoint is this object written down ({@link #snapshot}),
 * and a run resumed from one ({@link #resume}) continues bit for bit.
 *
 * <p>The position: {@link #step()} steps of epoch {@link #epoch()} (from 0) are done. After the
 * epoch's last step, {@code step() == stepsPerEpoch()} until the loop closes the epoch
 * ({@link #closeEpoch}), which moves to the next epoch's step 0.
 */
public final class TrainingState {

    private final TrainingParams params;
    private final DataFingerprint data;
    private final int stepsPerEpoch;
    private final LearningRateSchedule schedule;
    private final float[] weights;
    private final Optimizer optimizer;

    private int epoch;
    private int step;
    private double learningRate;
    private double epochLossSum;
    private long epochCorrect;
    private long epochCount;
    private double epochTrainSeconds;

    private float[] bestWeights;
    private double bestLoss = Double.POSITIVE_INFINITY;
    private int bestEpoch;
    private int epochsWithoutGain;
    private boolean stoppedEarly;

    private final List<EpochMetrics> history = new ArrayList<>();
    private double cumulativeTrainSeconds;
    private long samplesSeen;
    /** Wall time of the runs before this one (a resume), and where this one's clock started. */
    private double elapsedBefore;
    private long clockStart = System.nanoTime();
    private long pausedNanos;

    private TrainingState(TrainingParams params, DataFingerprint data, int stepsPerEpoch, float[] weights,
                          Optimizer optimizer) {
        this.params = Objects.requireNonNull(params, "params");
        this.data = Objects.requireNonNull(data, "data");
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("steps per epoch must be >= 1, got " + stepsPerEpoch);
        }
        this.stepsPerEpoch = stepsPerEpoch;
        this.schedule = params.schedule(stepsPerEpoch);
        this.weights = weights;
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        if (weights.length != params.layout().numParameters()) {
            throw new IllegalArgumentException("weights have " + weights.length + " values, layers "
                    + params.layout() + " need " + params.layout().numParameters());
        }
    }

    /**
     * A hyper-parameter's value in a checkpoint's settings. One written before the hyper-parameter
     * existed does not name it, and ran with what is now its default (the one behaviour there was).
     */
    private static String recorded(Map<String, String> settings, String option) {
        String value = settings.get(option);
        if (value == null) {
            HyperParameter<?> parameter = HyperParameters.forOption(option);
            if (parameter != null) {
                return parameter.format(parameter.defaultValue());
            }
        }
        return value;
    }

    /** A run's start: the initial weights, a fresh optimizer, epoch 0 step 0. */
    public static TrainingState start(TrainingParams params, DataFingerprint data, int stepsPerEpoch,
                                      float[] initialWeights, Optimizer optimizer) {
        return new TrainingState(params, data, stepsPerEpoch, initialWeights.clone(), optimizer);
    }

    /**
     * The state a checkpoint holds, for a run with {@code params} on data with fingerprint {@code data};
     * refused, with what differs, when the checkpoint was written under other settings or for other data.
     *
     * @param optimizer a fresh optimizer for {@code params}, into which the checkpoint's state is restored
     * @param source    where the checkpoint came from, for messages
     */
    public static TrainingState resume(Checkpoint saved, TrainingParams params, DataFingerprint data,
                                       int stepsPerEpoch, Optimizer optimizer, String source) {
        List<String> differences = new ArrayList<>();
        Map<String, String> here = params.asMap();
        for (String key : union(saved.settings().keySet(), here.keySet())) {
            String then = recorded(saved.settings(), key);
            String now = here.get(key);
            if (!Objects.equals(then, now)) {
                differences.add(key + " (" + (then == null ? "absent" : then) + " in the checkpoint, "
                        + (now == null ? "absent" : now) + " here)");
            }
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("cannot resume from " + source + ": it was written with other"
                    + " hyper-parameters: " + String.join("; ", differences));
        }
        differences.addAll(saved.data().differences(data));
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("cannot resume from " + source + ": it was written for other data: "
                    + String.join("; ", differences));
        }
        if (saved.stepsPerEpoch() != stepsPerEpoch) {
            throw new IllegalArgumentException("cannot resume from " + source + ": it has " + saved.stepsPerEpoch()
                    + " steps an epoch, this run " + stepsPerEpoch);
        }
        if (saved.epoch() > params.epochs() || saved.step() > stepsPerEpoch
                || (saved.epoch() == params.epochs() && saved.step() != 0)) {
            throw new IllegalArgumentException("cannot resume from " + source + ": its position (epoch index "
                    + saved.epoch() + ", step " + saved.step() + ") lies outside a run of " + params.epochs()
                    + " epochs of " + stepsPerEpoch + " steps");
        }
        if (saved.history().size() != saved.epoch()) {
            throw new IllegalArgumentException("cannot resume from " + source + ": it holds " + saved.history().size()
                    + " epochs of history at epoch index " + saved.epoch());
        }
        TrainingState state = new TrainingState(params, data, stepsPerEpoch, saved.weights().clone(), optimizer);
        optimizer.restoreState(saved.optimizer());
        state.epoch = saved.epoch();
        state.step = saved.step();
        state.learningRate = saved.learningRate();
        state.epochLossSum = saved.epochLossSum();
        state.epochCorrect = saved.epochCorrect();
        state.epochCount = saved.epochCount();
        state.epochTrainSeconds = saved.epochTrainSeconds();
        if (saved.bestWeights() != null) {
            if (saved.bestWeights().length != state.weights.length) {
                throw new IllegalArgumentException("cannot resume from " + source + ": its best weights have "
                        + saved.bestWeights().length + " values, the layout " + state.weights.length);
            }
            state.bestWeights = saved.bestWeights().clone();
        }
        state.bestLoss = saved.bestLoss();
        state.bestEpoch = saved.bestEpoch();
        state.epochsWithoutGain = saved.epochsWithoutGain();
        state.stoppedEarly = saved.stoppedEarly();
        state.history.addAll(saved.history());
        state.cumulativeTrainSeconds = saved.cumulativeTrainSeconds();
        state.samplesSeen = saved.samplesSeen();
        state.elapsedBefore = saved.elapsedSeconds();
        return state;
    }

    private static List<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(a);
        all.addAll(b);
        return new ArrayList<>(all);
    }

    /** This state written down: copies of the arrays, so the run may go on while it is stored. */
    public Checkpoint snapshot() {
        return new Checkpoint(params.asMap(), data, stepsPerEpoch, epoch, step, learningRate, epochLossSum,
                epochCorrect, epochCount, epochTrainSeconds, bestLoss, bestEpoch, epochsWithoutGain, stoppedEarly,
                cumulativeTrainSeconds, elapsedSeconds(), samplesSeen, List.copyOf(history), weights.clone(),
                optimizer.exportState(), bestWeights == null ? null : bestWeights.clone());
    }

    // --- advancing, by the loop

    /** The learning rate of the next step. */
    double nextRate() {
        return schedule.rate(epoch, globalStep(), (long) stepsPerEpoch * params.epochs());
    }

    /** Records a step taken at {@code rate}: its sums, its time, and the position moves on by one. */
    void stepDone(GradientSum total, double rate, double seconds) {
        if (step >= stepsPerEpoch) {
            throw new IllegalStateException("epoch " + (epoch + 1) + " has only " + stepsPerEpoch + " steps");
        }
        learningRate = rate;
        epochLossSum += total.lossSum();
        epochCorrect += total.correct();
        epochCount += total.count();
        epochTrainSeconds += seconds;
        step++;
    }

    /** Whether the epoch in progress has had all its steps. */
    boolean epochStepsDone() {
        return step == stepsPerEpoch;
    }

    /** The metrics of the epoch whose steps are done, given its validation (null for none). */
    EpochMetrics epochMetrics(Evaluation validation) {
        double cumulative = cumulativeTrainSeconds + epochTrainSeconds;
        return new EpochMetrics(epoch + 1, epochLossSum / epochCount, epochCorrect / (double) epochCount,
                validation == null ? Double.NaN : validation.loss(),
                validation == null ? Double.NaN : validation.accuracy(), learningRate, epochTrainSeconds, cumulative,
                elapsedSeconds());
    }

    /** Ends the epoch whose steps are done with its metrics and moves to the next epoch's first step. */
    void closeEpoch(EpochMetrics metrics) {
        if (!epochStepsDone()) {
            throw new IllegalStateException("epoch " + (epoch + 1) + " is at step " + step + " of " + stepsPerEpoch);
        }
        history.add(metrics);
        cumulativeTrainSeconds += epochTrainSeconds;
        samplesSeen += epochCount;
        epoch++;
        step = 0;
        epochLossSum = 0;
        epochCorrect = 0;
        epochCount = 0;
        epochTrainSeconds = 0;
    }

    /** Starts this process's clock for {@link #elapsedSeconds}; time paused (validation) is excluded. */
    void startClock(long nanos) {
        clockStart = nanos;
        pausedNanos = 0;
    }

    void pauseClockFor(long nanos) {
        pausedNanos += nanos;
    }

    // --- early stopping, by its listener

    void improved(double loss, boolean keepWeights) {
        bestLoss = loss;
        bestEpoch = epoch; // the epoch just closed, counted from 1
        epochsWithoutGain = 0;
        if (keepWeights) {
            if (bestWeights == null) {
                bestWeights = weights.clone();
            } else {
                System.arraycopy(weights, 0, bestWeights, 0, weights.length);
            }
        }
    }

    int noGain() {
        return ++epochsWithoutGain;
    }

    void stopEarly() {
        stoppedEarly = true;
    }

    // --- reading

    public TrainingParams params() {
        return params;
    }

    public DataFingerprint data() {
        return data;
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** The epoch in progress, from 0 ({@link TrainingParams#epochs()} once all are done). */
    public int epoch() {
        return epoch;
    }

    /** Steps done in the epoch in progress. */
    public int step() {
        return step;
    }

    /** Steps done over the whole run: the schedule's position. */
    public long globalStep() {
        return (long) epoch * stepsPerEpoch + step;
    }

    /** The live weights; listeners read them, only the loop changes them. */
    public float[] weights() {
        return weights;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** The last step's learning rate. */
    public double learningRate() {
        return learningRate;
    }

    public float[] bestWeights() {
        return bestWeights;
    }

    public double bestLoss() {
        return bestLoss;
    }

    /** The best validation epoch, from 1; 0 before any. */
    public int bestEpoch() {
        return bestEpoch;
    }

    public int epochsWithoutGain() {
        return epochsWithoutGain;
    }

    public boolean stoppedEarly() {
        return stoppedEarly;
    }

    /** Whether the run is over: every epoch done, or stopped early. */
    public boolean finished() {
        return stoppedEarly || epoch >= params.epochs();
    }

    public List<EpochMetrics> history() {
        return Collections.unmodifiableList(history);
    }

    /** The epoch closed last; null before the first. */
    public EpochMetrics lastEpoch() {
        return history.isEmpty() ? null : history.get(history.size() - 1);
    }

    public double cumulativeTrainSeconds() {
        return cumulativeTrainSeconds;
    }

    public long samplesSeen() {
        return samplesSeen;
    }

    /** Wall time since the run began, earlier runs of a resumed one included, pauses (validation) excluded. */
    public double elapsedSeconds() {
        return elapsedBefore + (System.nanoTime() - clockStart - pausedNanos) / 1e9;
    }

    /** "epoch 2, step 7 of 38", counting from 1. */
    /** The running epoch's mean training loss over its steps so far; NaN before its first step. */
    public double epochLoss() {
        return epochCount == 0 ? Double.NaN : epochLossSum / epochCount;
    }

    /** Rows the running epoch's steps have trained on so far. */
    public long epochSamples() {
        return epochCount;
    }

    /** Seconds the running epoch's steps took so far (validation not counted). */
    public double epochTrainSeconds() {
        return epochTrainSeconds;
    }

    public String position() {
        return Checkpoint.describe(epoch, step, stepsPerEpoch);
    }
}
