package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum (Polyak 1964; Nesterov's as Sutskever et al. 2013),
 * with L2 weight decay on the weights (not the biases), as {@code torch.optim.SGD} (dampening 0)
 * computes it. With gradient {@code g}, rate {@code η}, momentum {@code μ} and decay {@code λ}:
 * <pre>
 *   d = g + λ·w                      (λ applies to weight entries only)
 *   b ← μ·b + d                      (the momentum buffer holds gradients, not steps)
 *   classical:  w ← w − η·b
 *   Nesterov:   w ← w − η·(d + μ·b)
 * </pre>
 * So each step's rate applies to the whole buffer, as in torch: under a schedule this differs from
 * the velocity form v ← μ·v − η·d, w ← w + v, which it equals at a constant rate.
 * Lifecycle: construct once per training run; call {@link #step} once per mini-batch with the
 * mean gradient. The buffer has the parameters' layout and is the whole state
 * ({@link #exportState}: one vector, {@code momentumBuffer}).
 */
public final class MomentumSgd extends PerLayerUpdate {

    /** The name this optimizer's state carries in checkpoints. */
    public static final String NAME = "momentum-sgd";
    static final String BUFFER = "momentumBuffer";
    /** What checkpoints before torch's form held: the velocity v (steps), which no buffer can be made of exactly. */
    static final String VELOCITY = "velocity";

    private final Layout layout;
    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;
    private final float[] buffer;

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
        this.buffer = new float[layout.numParameters()];
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptimizerState exportState() {
        return new OptimizerState(NAME, Map.of(), Map.of(BUFFER, buffer.clone()));
    }

    @Override
    public void restoreState(OptimizerState state) {
        if (state.optimizer().equals(NAME) && state.vectors().containsKey(VELOCITY)) {
            throw new IllegalArgumentException("the checkpoint's sgd state is a velocity (steps, as sparkmlp kept it"
                    + " before its sgd took torch.optim.SGD's form); this version keeps torch's momentum buffer"
                    + " (gradients) and cannot continue that run exactly: resume it with the version that wrote it,"
                    + " or start afresh");
        }
        state.check(NAME, List.of(), List.of(BUFFER), buffer.length);
        System.arraycopy(state.vectors().get(BUFFER), 0, buffer, 0, buffer.length);
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
                // d = g + λw;  b = μb + d;  w −= η(d + μb)
                float d = g[i] + decay * w[i];
                float b = mu * buffer[i] + d;
                buffer[i] = b;
                w[i] -= eta * (d + mu * b);
            }
        } else {
            for (int i = from; i < to; i++) {
                // b = μb + (g + λw);  w −= ηb
                float b = mu * buffer[i] + (g[i] + decay * w[i]);
                buffer[i] = b;
                w[i] -= eta * b;
            }
        }
    }
}
