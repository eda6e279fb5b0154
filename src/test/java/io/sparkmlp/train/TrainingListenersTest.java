package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.InputScaling;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each listener on a hand-driven state, without Spark. */
@Tag("unit")
class TrainingListenersTest {

    @TempDir
    Path dir;

    private static final DataFingerprint DATA = new DataFingerprint(40, 2, 1, 10, 2, 2, 1f, 0f);

    private static TrainingState state(TrainingParams params, int stepsPerEpoch) {
        float[] weights = new float[params.layout().numParameters()];
        return TrainingState.start(params, DATA, stepsPerEpoch, weights, Trainer.optimizer(params));
    }

    private static TrainingParams params() {
        return new TrainingParams().layers(3, 4, 2).activation(Activation.TANH).epochs(6).batchSize(10).seed(3);
    }

    /** Takes one fake step: a gradient of {@code value} everywhere over 10 rows, then the listeners. */
    private static void step(TrainingState state, float value, List<TrainingListener> listeners) {
        float[] gradient = new float[state.weights().length];
        java.util.Arrays.fill(gradient, value * 10);
        GradientSum total = new GradientSum(0, gradient, 5.0, 10, 7, 0, 0);
        double rate = state.nextRate();
        assertTrue(Trainer.update(state.optimizer(), state.weights(), total, rate));
        state.stepDone(total, rate, 0.001);
        listeners.forEach(l -> l.afterStep(state));
    }

    private static void endEpoch(TrainingState state, double validationLoss, List<TrainingListener> listeners) {
        state.closeEpoch(state.epochMetrics(new Evaluation(validationLoss, 0.5, 10)));
        listeners.forEach(l -> l.afterEpoch(state));
    }

    @Test
    void earlyStoppingKeepsTheBestEpochsWeightsAndStopsAfterThePatience() {
        TrainingState state = state(params().patience(2), 2);
        List<TrainingListener> listeners = List.of(new EarlyStopping(2));
        double[] losses = {0.9, 0.5, 0.6, 0.55};
        float[] weightsAtBest = null;
        for (int epoch = 0; epoch < losses.length; epoch++) {
            step(state, 0.1f, listeners);
            step(state, 0.2f, listeners);
            endEpoch(state, losses[epoch], listeners);
            if (epoch == 1) {
                weightsAtBest = state.weights().clone();
            }
            assertEquals(epoch == 3, state.stoppedEarly(), "after epoch " + (epoch + 1));
        }
        assertEquals(2, state.bestEpoch());
        assertEquals(0.5, state.bestLoss());
        assertEquals(2, state.epochsWithoutGain());
        assertTrue(state.finished());
        assertArrayEquals(weightsAtBest, state.bestWeights());
        assertFalse(java.util.Arrays.equals(weightsAtBest, state.weights()));
    }

    @Test
    void withoutPatienceTheBestEpochIsTrackedButNoWeightsAreCopiedAndTheRunGoesOn() {
        TrainingState state = state(params(), 1);
        List<TrainingListener> listeners = List.of(new EarlyStopping(0));
        for (double loss : new double[] {0.5, 0.6, 0.7, 0.8}) {
            step(state, 0.1f, listeners);
            endEpoch(state, loss, listeners);
        }
        assertEquals(1, state.bestEpoch());
        assertNull(state.bestWeights());
        assertFalse(state.stoppedEarly());
    }

    @Test
    void progressHandsOverEveryClosedEpochsMetricsOnce() {
        TrainingState state = state(params(), 3);
        List<EpochMetrics> seen = new ArrayList<>();
        List<TrainingListener> listeners = List.of(new Progress(seen::add));
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int s = 0; s < 3; s++) {
                step(state, 0.1f, listeners);
            }
            assertEquals(epoch, seen.size(), "no metrics before the epoch ends");
            endEpoch(state, 0.4, listeners);
        }
        assertEquals(state.history(), seen);
        assertEquals(2, seen.get(1).epoch());
        assertEquals(0.5, seen.get(1).trainLoss(), 1e-12); // Σloss 3·5 over 3·10 rows
        assertEquals(0.7, seen.get(1).trainAccuracy(), 1e-12);
        assertEquals(0.4, seen.get(1).validationLoss());
    }

    @Test
    void checkpointingWritesEveryNStepsAndAtEpochEndsAndKeepsTheNewestK() {
        Configuration conf = new Configuration();
        TrainingState state = state(params(), 4);
        Checkpointing checkpoints = new Checkpointing(new CheckpointParams().dir(dir.toString()).everySteps(3)
                .atEpochEnd(true).keep(100), conf);
        List<TrainingListener> listeners = List.of(checkpoints);
        for (int epoch = 0; epoch < 3; epoch++) {
            for (int s = 0; s < 4; s++) {
                step(state, 0.1f, listeners);
            }
            endEpoch(state, 0.4, listeners);
        }
        // steps 3, 6, 9 (12 falls on epoch 3's last step, left to its end) and the three epoch ends
        assertEquals(List.of("checkpoint-000000-00000003.ckpt", "checkpoint-000001-00000000.ckpt",
                "checkpoint-000001-00000002.ckpt", "checkpoint-000002-00000000.ckpt", "checkpoint-000002-00000001.ckpt",
                "checkpoint-000003-00000000.ckpt"), names(dir.toString(), conf));
        Checkpoint last = CheckpointFiles.read(checkpoints.last().toString(), conf);
        assertEquals(3, last.epoch());
        assertEquals(0, last.step());
        assertEquals(3, last.history().size());
        assertArrayEquals(state.weights(), last.weights());

        Path other = dir.resolve("keep2");
        TrainingState second = state(params(), 4);
        Checkpointing keepTwo = new Checkpointing(new CheckpointParams().dir(other.toString()).everySteps(1)
                .atEpochEnd(false).keep(2), conf);
        for (int s = 0; s < 4; s++) {
            step(second, 0.1f, List.of(keepTwo));
        }
        assertEquals(List.of("checkpoint-000000-00000003.ckpt", "checkpoint-000000-00000004.ckpt"),
                names(other.toString(), conf));
        // a stop at a position already written writes nothing new
        keepTwo.beforeStop(second);
        assertEquals(2, names(other.toString(), conf).size());
    }

    private static List<String> names(String folder, Configuration conf) {
        return CheckpointFiles.list(folder, conf).stream().map(org.apache.hadoop.fs.Path::getName).toList();
    }

    @Test
    void aSnapshotRestoredIntoAFreshStateContinuesBitForBit() {
        TrainingParams params = params().patience(3);
        TrainingState uninterrupted = state(params, 3);
        List<TrainingListener> stopping = List.of(new EarlyStopping(3));
        TrainingState resumed = null;
        for (int epoch = 0; epoch < 4; epoch++) {
            for (int s = 0; s < 3; s++) {
                if (epoch == 1 && s == 2) {
                    Checkpoint saved = uninterrupted.snapshot();
                    resumed = TrainingState.resume(saved, params, DATA, 3, Trainer.optimizer(params), "a snapshot");
                }
                step(uninterrupted, 0.05f * (s + epoch), stopping);
                if (resumed != null) {
                    step(resumed, 0.05f * (s + epoch), stopping);
                }
            }
            endEpoch(uninterrupted, 1.0 / (epoch + 1), stopping);
            if (resumed != null) {
                endEpoch(resumed, 1.0 / (epoch + 1), stopping);
            }
        }
        assertArrayEquals(uninterrupted.weights(), resumed.weights());
        assertArrayEquals(uninterrupted.bestWeights(), resumed.bestWeights());
        assertEquals(figures(uninterrupted.history()), figures(resumed.history()));
        assertEquals(uninterrupted.globalStep(), resumed.globalStep());
        assertEquals(uninterrupted.samplesSeen(), resumed.samplesSeen());
        assertEquals(InputScaling.IDENTITY.scale(), 1f);
    }

    /** The history without its timings. */
    static List<List<Double>> figures(List<EpochMetrics> history) {
        return history.stream().map(m -> List.of((double) m.epoch(), m.trainLoss(), m.trainAccuracy(), m.validationLoss(),
                m.validationAccuracy(), m.learningRate())).toList();
    }

    @Test
    void resumingUnderOtherSettingsOrForOtherDataIsRefusedNamingWhatDiffers() {
        TrainingParams params = params();
        Checkpoint saved = state(params, 4).snapshot();
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TrainingState.resume(saved, params().learningRate(0.2).momentum(0.5), DATA, 4,
                        Trainer.optimizer(params), "ck"));
        assertTrue(e.getMessage().contains("learning-rate (0.05 in the checkpoint, 0.2 here)")
                && e.getMessage().contains("momentum (0.9 in the checkpoint, 0.5 here)")
                && !e.getMessage().contains("seed"), e.getMessage());
        DataFingerprint otherData = new DataFingerprint(40, 2, 99, 10, 3, 2, 1f, 0f);
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TrainingState.resume(saved, params, otherData, 4, Trainer.optimizer(params), "ck"));
        assertTrue(e.getMessage().contains("other data") && e.getMessage().contains("training labels")
                && e.getMessage().contains("validation partitions (2 in the checkpoint, 3 here)"), e.getMessage());
    }

    @Test
    void aCheckpointFromBeforeAHyperParameterExistedResumesUnderItsDefaultAndOnlyUnderIt() {
        TrainingParams params = params();
        Checkpoint current = state(params, 4).snapshot();
        Map<String, String> older = new java.util.LinkedHashMap<>(current.settings());
        older.remove("optimizer"); // as a checkpoint written before --optimizer was added
        older.remove("clip-norm");
        Checkpoint saved = new Checkpoint(older, current.data(), current.stepsPerEpoch(), current.epoch(),
                current.step(), current.learningRate(), current.epochLossSum(), current.epochCorrect(),
                current.epochCount(), current.epochTrainSeconds(), current.bestLoss(), current.bestEpoch(),
                current.epochsWithoutGain(), current.stoppedEarly(), current.cumulativeTrainSeconds(),
                current.elapsedSeconds(), current.samplesSeen(), current.history(), current.weights(),
                current.optimizer(), current.bestWeights());
        TrainingState resumed = TrainingState.resume(saved, params, DATA, 4, Trainer.optimizer(params), "old");
        assertArrayEquals(current.weights(), resumed.weights());
        TrainingParams adam = params().set(HyperParameters.OPTIMIZER, "adam");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TrainingState.resume(saved, adam, DATA, 4, Trainer.optimizer(adam), "old"));
        assertTrue(e.getMessage().contains("optimizer (sgd in the checkpoint, adam here)"), e.getMessage());
    }

    @Test
    void weightsThatOverflowedAreNeverCheckpointedAndTheRunStopsAsDiverged() {
        Configuration conf = new Configuration();
        TrainingState state = state(params(), 4);
        Checkpointing checkpoints = new Checkpointing(new CheckpointParams().dir(dir.toString()).everySteps(1), conf);
        step(state, 0.1f, List.of(checkpoints));
        org.apache.hadoop.fs.Path good = checkpoints.last();
        state.weights()[7] = Float.POSITIVE_INFINITY; // as a step with a huge but finite gradient would leave them
        TrainingDivergedException e = org.junit.jupiter.api.Assertions.assertThrows(TrainingDivergedException.class,
                () -> step(state, 0.1f, List.of(checkpoints)));
        assertTrue(e.getMessage().contains("epoch 1, step 2 of 4") && e.getMessage().contains("NaN or infinite")
                && e.getMessage().contains("kept: " + good), e.getMessage());
        assertEquals(List.of(good.getName()), names(dir.toString(), conf));
    }
}
