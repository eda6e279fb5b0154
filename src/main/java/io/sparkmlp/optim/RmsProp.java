package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * RMSProp (Tieleman and Hinton 2012, "Neural Networks for Machine Learning", lecture 6e), in the
 * form of {@code torch.optim.RMSprop} with {@code centered=false}: ε is added to the root, and the
 * optional momentum buffer accumulates the scaled gradient. Optional L2 weight decay is added to the
 * gradient, on the weights only (torch decays every parameter; here the biases are left alone, as
 * {@link MomentumSgd} does). With gradient {@code g}, rate {@code η}, smoothing {@code α}, {@code ε},
 * momentum {@code μ} and decay {@code λ}:
 * <pre>
 *   d = g + λ·w                      (λ applies to weight entries only)
 *   s ← α·s + (1 − α)·d²
 *   μ = 0:  w ← w − η·d / (√s + ε)
 *   μ > 0:  b ← μ·b + d / (√s + ε);   w ← w − η·b
 * </pre>
 * Lifecycle: construct once per training run; call {@link #step} once per mini-batch with the mean
 * gradient. The state ({@link #exportState}) is the square average (vector {@code squareAverage})
 * and, when {@code μ > 0}, the momentum buffer (vector {@code momentumBuffer}); nothing depends on a
 * step count.
 */
public final class RmsProp extends PerLayerUpdate {

    /** The name this optimizer's state carries in checkpoints. */
    public static final String NAME = "rmsprop";
    static final String SQUARE_AVERAGE = "squareAverage";
    static final String MOMENTUM_BUFFER = "momentumBuffer";

    private final Layout layout;
    private final float alpha;
    // 1 − α taken in double and then rounded, as torch does with its Python-float settings
    private final float oneMinusAlpha;
    private final float epsilon;
    private final float momentum;
    private final float weightDecay;
    // s and b: the parameters' layout; b is empty without momentum
    private final float[] squareAverage;
    private final float[] momentumBuffer;

    /** Settings as torch's defaults: {@code new RmsProp(layout, 0.99, 1e-8, 0, 0)}. */
    public RmsProp(Layout layout, double alpha, double epsilon, double momentum, double weightDecay) {
        Objects.requireNonNull(layout, "layout");
        if (!(alpha >= 0 && alpha < 1)) {
            throw new IllegalArgumentException("rmsprop: alpha (smoothing) must be in [0, 1), got " + alpha);
        }
        if (!(epsilon > 0) || Double.isInfinite(epsilon) || (float) epsilon == 0f) {
            throw new IllegalArgumentException("rmsprop: epsilon must be finite and > 0 (as a float), got " + epsilon);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("rmsprop: momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("rmsprop: weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.layout = layout;
        this.alpha = (float) alpha;
        this.oneMinusAlpha = (float) (1 - alpha);
        this.epsilon = (float) epsilon;
        this.momentum = (float) momentum;
        this.weightDecay = (float) weightDecay;
        this.squareAverage = new float[layout.numParameters()];
        this.momentumBuffer = new float[momentum > 0 ? layout.numParameters() : 0];
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OptimizerState exportState() {
        Map<String, float[]> vectors = momentum > 0
                ? AdaptiveMoments.orderedVectors(SQUARE_AVERAGE, squareAverage.clone(), MOMENTUM_BUFFER,
                        momentumBuffer.clone())
                : Map.of(SQUARE_AVERAGE, squareAverage.clone());
        return new OptimizerState(NAME, Map.of(), vectors);
    }

    @Override
    public void restoreState(OptimizerState state) {
        List<String> expected = momentum > 0 ? List.of(SQUARE_AVERAGE, MOMENTUM_BUFFER) : List.of(SQUARE_AVERAGE);
        state.check(NAME, List.of(), expected, squareAverage.length);
        System.arraycopy(state.vectors().get(SQUARE_AVERAGE), 0, squareAverage, 0, squareAverage.length);
        if (momentum > 0) {
            System.arraycopy(state.vectors().get(MOMENTUM_BUFFER), 0, momentumBuffer, 0, momentumBuffer.length);
        }
    }

    /** Takes one step in place on {@code weights}, given the mean gradient over the mini-batch. */
    @Override
    public void step(float[] weights, float[] gradient, double learningRate) {
        StepArguments.check(layout, weights, gradient, learningRate);
        stepLayers(layout, weights, gradient, (float) learningRate, weightDecay);
    }

    @Override
    void update(float[] w, float[] g, int from, int to, float eta, float decay) {
        float[] s = squareAverage;
        if (momentum > 0) {
            float mu = momentum;
            float[] b = momentumBuffer;
            for (int i = from; i < to; i++) {
                // d = g + λw
                float d = g[i] + decay * w[i];
                // s = α·s + (1 − α)·d·d
                s[i] = alpha * s[i] + oneMinusAlpha * d * d;
                // b = μ·b + d / (√s + ε)
                b[i] = mu * b[i] + d / ((float) Math.sqrt(s[i]) + epsilon);
                // w = w − η·b
                w[i] -= eta * b[i];
            }
        } else {
            for (int i = from; i < to; i++) {
                // d = g + λw
                float d = g[i] + decay * w[i];
                // s = α·s + (1 − α)·d·d
                s[i] = alpha * s[i] + oneMinusAlpha * d * d;
                // w = w − η·d / (√s + ε)
                w[i] -= eta * d / ((float) Math.sqrt(s[i]) + epsilon);
            }
        }
    }
}
