package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum (Polyak 1964; Nesterov's form as in Sutskever et al.
 * 2013), with L2 weight decay on the weights (not the biases). With gradient {@code g}, rate
 * {@code η}, momentum {@code μ} and decay {@code λ}:
 * <pre>
 *   d = g + λ·w                      (λ applies to weight entries only)
 *   v ← μ·v − η·d
 *   classical:  w ← w + v
 *   Nesterov:   w ← w + μ·v − η·d
 * </pre>
 * Lifecycle: construct once per training run; call {@link #step} once per mini-batch with the
 * mean gradient. The velocity has the parameters' layout and is the whole state
 * ({@link #exportState}: one vector, {@code velocity}).
 */
public final class MomentumSgd extends PerLayerUpdate {

    /** The name this optimizer's state carries in checkpoints. */
    public static final String NAME = "momentum-sgd";
    static final String VELOCITY = "velocity";

    private final Layout layout;
    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;
    private final float[] velocity;

    public MomentumSgd(Layout layout, double momentum, boolean nesterov, double weightDecay) {
        java.util.Objects.requireNonNull(layout, "layout");
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("Nesterov momentum needs a momentum > 0, got " + momentum);
        }
        this.layout = layout;
        this.momentum = (float) momentum;
        this.nesterov = nesterov;
        this.weightDecay = (float) weightDecay;
        this.velocity = new float[layout.numParameters()];
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptimizerState exportState() {
        return new OptimizerState(NAME, Map.of(), Map.of(VELOCITY, velocity.clone()));
    }

    @Override
    public void restoreState(OptimizerState state) {
        state.check(NAME, List.of(), List.of(VELOCITY), velocity.length);
        System.arraycopy(state.vectors().get(VELOCITY), 0, velocity, 0, velocity.length);
    }

    /** Takes one step in place on {@code weights}, given the mean gradient over the mini-batch. */
    @Override
    public void step(float[] weights, float[] gradient, double learningRate) {
        StepArguments.check(layout, weights, gradient, learningRate);
        stepLayers(layout, weights, gradient, (float) learningRate, weightDecay);
    }

    @Override
    void update(float[] w, float[] g, int from, int to, float eta, float decay) {
        float mu = momentum;
        if (nesterov) {
            for (int i = from; i < to; i++) {
                // d = g + λw;  v = μv − ηd;  w += μv − ηd
                float d = g[i] + decay * w[i];
                float v = mu * velocity[i] - eta * d;
                velocity[i] = v;
                w[i] += mu * v - eta * d;
            }
        } else {
            for (int i = from; i < to; i++) {
                // v = μv − η(g + λw);  w += v
                float v = mu * velocity[i] - eta * (g[i] + decay * w[i]);
                velocity[i] = v;
                w[i] += v;
            }
        }
    }
}
