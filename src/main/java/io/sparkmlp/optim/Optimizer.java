package io.sparkmlp.optim;

/**
 * A first-order update rule over the flat parameter array. Lifecycle: construct once per training
 * run for a layout; call {@link #step} once per mini-batch with the mean gradient; to checkpoint,
 * {@link #exportState} between steps, and to resume, construct it afresh with the same settings and
 * {@link #restoreState} what was exported. After a restore the next step is bit for bit the step
 * the exporting optimizer would have taken.
 *
 * <p>State is named: vectors with the parameters' layout (SGD's momentum buffer; Adam's first and second
 * moments) and scalars (Adam's step count), so that optimizers with several state vectors fit the
 * same checkpoint format.
 */
public interface Optimizer {

    /** A stable name for checkpoints, e.g. {@code momentum-sgd}. */
    String name();

    /** Takes one step in place on {@code weights}, given the mean gradient over the mini-batch. */
    void step(float[] weights, float[] gradient, double learningRate);

    /** A copy of the state the next step depends on. */
    OptimizerState exportState();

    /**
     * Replaces the state with {@code state}, exported by an optimizer of the same name and layout;
     * anything else is refused with a message naming what differs.
     */
    void restoreState(OptimizerState state);
}
