package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;

/**
 * Adam (Kingma and Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1), in the form
 * of {@code torch.optim.Adam} (ε added to the bias-corrected root, not inside it), with optional L2
 * weight decay added to the gradient, on the weights only (torch decays every parameter; here the
 * biases are left alone, as {@link MomentumSgd} does). With gradient {@code g}, rate {@code η},
 * moment decays {@code β1, β2}, {@code ε}, decay {@code λ} and step count {@code t} (from 1):
 * <pre>
 *   d = g + λ·w                      (λ applies to weight entries only)
 *   m ← β1·m + (1 − β1)·d
 *   v ← β2·v + (1 − β2)·d²
 *   w ← w − η/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 * </pre>
 * Lifecycle: construct once per training run; call {@link #step} once per mini-batch with the mean
 * gradient. The state ({@link #exportState}) is the step count (scalar {@code step}) and the two
 * moments (vectors {@code firstMoment}, {@code secondMoment}).
 */
public final class Adam extends AdaptiveMoments {

    /** The name this optimizer's state carries in checkpoints. */
    public static final String NAME = "adam";

    /** Settings as torch's defaults: {@code new Adam(layout, 0.9, 0.999, 1e-8, 0)}. */
    public Adam(Layout layout, double beta1, double beta2, double epsilon, double weightDecay) {
        super(NAME, layout, beta1, beta2, epsilon, weightDecay);
    }

    @Override
    void update(float[] w, float[] g, int from, int to, double learningRate, float stepSize, float correction2Sqrt,
            double decay) {
        float lambda = (float) decay;
        float[] m = firstMoment;
        float[] v = secondMoment;
        for (int i = from; i < to; i++) {
            // d = g + λw
            float d = g[i] + lambda * w[i];
            // m = β1·m + (1 − β1)·d
            m[i] = beta1f * m[i] + oneMinusBeta1 * d;
            // v = β2·v + (1 − β2)·d·d
            v[i] = beta2f * v[i] + oneMinusBeta2 * d * d;
            // w = w − s·m / (√v / √(1 − β2^t) + ε),  s = η / (1 − β1^t)
            w[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) / correction2Sqrt + epsilon);
        }
    }
}
