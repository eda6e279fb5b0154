package io.sparkmlp.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the state as a checkpoint every N steps, at every epoch's end and at a requested stop, as
 * {@link CheckpointParams} say, then deletes all but the newest K: this run's latest writes, then the
 * folder's other checkpoints by position. A step's checkpoint that falls on the epoch's last step is
 * left to the epoch's end, a moment later, when that is on.
 */
final class Checkpointing implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpointing.class);

    private final CheckpointParams params;
    private final Configuration conf;
    private Path last;
    /** This run's checkpoints that are still there, in the order written: the newest, whatever else the folder holds. */
    private final List<Path> written = new ArrayList<>();
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
        Path checkpoint = CheckpointFiles.write(state.snapshot(), params.dir(), conf);
        written.remove(checkpoint);
        written.add(checkpoint);
        CheckpointFiles.prune(params.dir(), params.keep(), written, conf);
        while (written.size() > params.keep()) {
            written.remove(0);
        }
        last = checkpoint;
        lastEpoch = state.epoch();
        lastStep = state.step();
        LOG.info("checkpoint at {} written to {} in {} ms", state.position(), checkpoint,
                (System.nanoTime() - started) / 1_000_000);
        return checkpoint;
    }

    /** The last checkpoint this run wrote; null before the first. */
    Path last() {
        return last;
    }
}
