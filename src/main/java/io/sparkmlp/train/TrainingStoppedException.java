package io.sparkmlp.train;

/** A run stopped on request ({@link StopRequest}) before its end; {@link #checkpoint()} continues it. */
public final class TrainingStoppedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String checkpoint;

    public TrainingStoppedException(String message, String checkpoint) {
        super(message);
        this.checkpoint = checkpoint;
    }

    /** The checkpoint written at the stop; null when checkpoints were off. */
    public String checkpoint() {
        return checkpoint;
    }
}
