package io.sparkmlp.train;

/** The loss became NaN or infinite: the learning rate is too high for the data and network. */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
