package io.sparkmlp.train;

import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the state as a checkpoint every N steps, at every epoch's end and at a requested stop, as
 * {@link CheckpointParams} say, then deletes all but the newest K. A step's checkpoint that falls on
 * the epoch's last step is left to the epoch's end, a moment later, when that is on.
 */
final class Checkpointing implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpointing.class);

    private final CheckpointParams params;
    private final Configuration conf;
    private Path last;
    private long lastEpoch = -1;
    private long lastStep = -1;

    Checkpointing(CheckpointParams params, Configuration conf) {
        this.params = Objects.requireNonNull(params, "params");
        this.conf = Objects.requireNonNull(conf, "conf");
        if (params.dir() == null) {
            throw new IllegalArgumentException("checkpoints need a folder");
        }
    }

    @Override
    public void afterStep(TrainingState state) {
        int every = params.everySteps();
        if (every > 0 && state.globalStep() % every == 0 && !(params.atEpochEnd() && state.epochStepsDone())) {
            write(state);
        }
    }

    @Override
    public void afterEpoch(TrainingState state) {
        if (params.atEpochEnd()) {
            write(state);
        }
    }

    @Override
    public void beforeStop(TrainingState state) {
        write(state);
    }

    /** Writes the state unless this very position was written last; returns the checkpoint. */
    Path write(TrainingState state) {
        if (state.epoch() == lastEpoch && state.step() == lastStep) {
            return last;
        }
        if (!Trainer.finite(state.weights())) {
            // the step that overflowed them had a finite gradient; never store such a state
            throw Trainer.diverged(state, Math.max(1, state.step()), state.learningRate(),
                    "the weights became NaN or infinite", last);
        }
        long started = System.nanoTime();
        Path written = CheckpointFiles.write(state.snapshot(), params.dir(), conf);
        CheckpointFiles.prune(params.dir(), params.keep(), conf);
        last = written;
        lastEpoch = state.epoch();
        lastStep = state.step();
        LOG.info("checkpoint at {} written to {} in {} ms", state.position(), written,
                (System.nanoTime() - started) / 1_000_000);
        return written;
    }

    /** The last checkpoint this run wrote; null before the first. */
    Path last() {
        return last;
    }
}
