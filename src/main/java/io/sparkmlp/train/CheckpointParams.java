package io.sparkmlp.train;

import java.io.Serializable;

/**
 * Where and how often a run writes checkpoints, and what it resumes from. Run settings, kept apart
 * from the hyper-parameters ({@link TrainingParams}): none of them changes what is computed.
 */
public final class CheckpointParams implements Serializable {

    /** {@link #resumeFrom} value meaning the latest checkpoint in {@link #dir}. */
    public static final String LATEST = "latest";

    private static final long serialVersionUID = 1L;

    private String dir;
    private int everySteps = 0;
    private boolean atEpochEnd = true;
    private int keep = 3;
    private String resumeFrom;

    /** The folder (any Hadoop path) checkpoints go to; null writes none. */
    public CheckpointParams dir(String dir) {
        if (dir != null && dir.isBlank()) {
            throw new IllegalArgumentException("checkpoint folder must not be blank");
        }
        this.dir = dir;
        return this;
    }

    /** A checkpoint after every {@code steps} steps (counted over the whole run); 0: none by steps. */
    public CheckpointParams everySteps(int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("checkpoint interval must be >= 0 steps (0: only at epoch ends), got "
                    + steps);
        }
        this.everySteps = steps;
        return this;
    }

    /** A checkpoint at the end of every epoch, after its validation. */
    public CheckpointParams atEpochEnd(boolean atEpochEnd) {
        this.atEpochEnd = atEpochEnd;
        return this;
    }

    /** How many of the latest checkpoints to keep; older ones are deleted. */
    public CheckpointParams keep(int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("checkpoints to keep must be >= 1, got " + keep);
        }
        this.keep = keep;
        return this;
    }

    /**
     * The checkpoint to continue from: a checkpoint file, a folder (its latest checkpoint), or
     * {@value #LATEST} (the latest in {@link #dir}); null starts afresh.
     */
    public CheckpointParams resumeFrom(String resumeFrom) {
        if (resumeFrom != null && resumeFrom.isBlank()) {
            throw new IllegalArgumentException("the checkpoint to resume from must not be blank");
        }
        this.resumeFrom = resumeFrom;
        return this;
    }

    public String dir() {
        return dir;
    }

    public int everySteps() {
        return everySteps;
    }

    public boolean atEpochEnd() {
        return atEpochEnd;
    }

    public int keep() {
        return keep;
    }

    public String resumeFrom() {
        return resumeFrom;
    }

    /** Whether checkpoints are written at all. */
    public boolean writes() {
        return dir != null && (everySteps > 0 || atEpochEnd);
    }

    /** Checks that the settings fit together, e.g. that resuming from the latest checkpoint has a folder to look in. */
    public void check() {
        if (LATEST.equals(resumeFrom) && dir == null) {
            throw new IllegalArgumentException("resuming from the latest checkpoint needs a checkpoint folder;"
                    + " give one, or the checkpoint file to resume from");
        }
    }

    @Override
    public String toString() {
        String resume = resumeFrom != null ? ", resume from " + resumeFrom : "";
        if (!writes()) {
            return "no checkpoints" + resume;
        }
        String when = everySteps > 0 && atEpochEnd ? "every " + everySteps + " steps and at epoch ends"
                : everySteps > 0 ? "every " + everySteps + " steps" : "at epoch ends";
        return "checkpoints in " + dir + " " + when + ", keeping " + keep + resume;
    }
}
