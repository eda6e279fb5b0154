package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov and Hutter 2019, "Decoupled Weight Decay
 * Regularization", Algorithm 2), in the form of {@code torch.optim.AdamW}: the weights shrink by
 * {@code η·λ} before the Adam step, and the decay never enters the moments. As in torch, the decay
 * is scaled by the learning rate passed to {@link #step} (the paper's schedule multiplier
 * {@code η_t} times a base rate); unlike torch, it applies to the weights only, not the biases (as
 * {@link MomentumSgd} and {@link Adam} do). With gradient {@code g}, rate {@code η}, moment decays
 * {@code β1, β2}, {@code ε}, decay {@code λ} and step count {@code t} (from 1):
 * <pre>
 *   w ← w·(1 − η·λ)                  (λ applies to weight entries only)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   w ← w − η/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 * </pre>
 * Lifecycle: construct once per training run; call {@link #step} once per mini-batch with the mean
 * gradient. The state ({@link #exportState}) is the step count (scalar {@code step}) and the two
 * moments (vectors {@code firstMoment}, {@code secondMoment}).
 */
public final class AdamW extends AdaptiveMoments {

    /** The name this optimizer's state carries in checkpoints. */
    public static final String NAME = "adamw";

    /** Settings as torch's defaults: {@code new AdamW(layout, 0.9, 0.999, 1e-8, 0.01)}. */
    public AdamW(Layout layout, double beta1, double beta2, double epsilon, double weightDecay) {
        super(NAME, layout, beta1, beta2, epsilon, weightDecay);
    }

    /** As {@link Adam#step}; refuses a rate at which {@code 1 − η·λ} would not shrink the weights. */
    @Override
    public void step(float[] weights, float[] gradient, double learningRate) {
        StepArguments.check(layout, weights, gradient, learningRate);
        if (learningRate * weightDecay >= 1) {
            throw new IllegalArgumentException("adamw: learning rate (" + learningRate + ") times weight decay ("
                    + weightDecay + ") must be < 1, or every weight's sign flips or it is zeroed in one step");
        }
        super.step(weights, gradient, learningRate);
    }

    @Override
    void update(float[] w, float[] g, int from, int to, double learningRate, float stepSize, float correction2Sqrt,
            double decay) {
        float[] m = firstMoment;
        float[] v = secondMoment;
        // 1 − ηλ, in double as torch computes it
        float shrink = (float) (1 - learningRate * decay);
        for (int i = from; i < to; i++) {
            // m = β1·m + (1 − β1)·g
            m[i] = beta1f * m[i] + oneMinusBeta1 * g[i];
            // v = β2·v + (1 − β2)·g·g
            v[i] = beta2f * v[i] + oneMinusBeta2 * g[i] * g[i];
            // w = w·(1 − ηλ) − s·m / (√v / √(1 − β2^t) + ε),  s = η / (1 − β1^t)
            w[i] = w[i] * shrink - stepSize * m[i] / ((float) Math.sqrt(v[i]) / correction2Sqrt + epsilon);
        }
    }
}
