package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;
import java.util.Objects;

/**
 * The elastic-net penalty on the weights, not the biases, with strength {@code λ} and mixing
 * {@code α} as Spark's {@code regParam} and {@code elasticNetParam} (Zou and Hastie 2005):
 * <pre>
 *   P(w) = λ·(α·Σ|w| + (1 − α)/2·Σw²)        over weight entries only
 *   ∂P/∂w = λ·(α·sign(w) + (1 − α)·w)         with the subgradient sign(0) = 0
 * </pre>
 * The driver adds {@link #addGradient} to the averaged data gradient before clipping and the
 * optimizer's step, so it is computed once per step, whatever the partitioning. The training loss
 * reported per epoch is the data loss alone; {@link #penalty} is the term for checks and reports.
 */
public final class ElasticNet {

    private final Layout layout;
    private final float strength;
    private final float mixing;

    /** {@code strength} λ >= 0 (0: off), {@code mixing} α in [0, 1] (1: pure L1, 0: pure L2). */
    public ElasticNet(Layout layout, double strength, double mixing) {
        this.layout = Objects.requireNonNull(layout, "layout");
        if (!(strength >= 0) || Double.isInfinite(strength)) {
            throw new IllegalArgumentException("elastic-net strength must be finite and >= 0, got " + strength);
        }
        if (!(mixing >= 0 && mixing <= 1)) {
            throw new IllegalArgumentException("elastic-net mixing must be in [0, 1], got " + mixing);
        }
        this.strength = (float) strength;
        this.mixing = (float) mixing;
    }

    /** Whether the penalty is zero everywhere (λ = 0), so that the driver can skip it. */
    public boolean off() {
        return strength == 0f;
    }

    /** Adds the penalty's (sub)gradient at {@code weights} to {@code gradient}, in place, on the weight entries. */
    public void addGradient(float[] weights, float[] gradient) {
        check(weights, gradient.length);
        if (off()) {
            return;
        }
        float l1 = strength * mixing;
        float l2 = strength * (1 - mixing);
        for (int l = 0; l < layout.numLayers(); l++) {
            int to = layout.biasOffset(l);
            for (int i = layout.weightOffset(l); i < to; i++) {
                float w = weights[i];
                // g += λα·sign(w) + λ(1 − α)·w,  sign(0) = 0
                gradient[i] += l1 * Math.signum(w) + l2 * w;
            }
        }
    }

    /** The penalty {@code λ·(α·Σ|w| + (1 − α)/2·Σw²)} over the weight entries, summed in double. */
    public double penalty(float[] weights) {
        check(weights, weights.length);
        double absolute = 0;
        double squares = 0;
        for (int l = 0; l < layout.numLayers(); l++) {
            int to = layout.biasOffset(l);
            for (int i = layout.weightOffset(l); i < to; i++) {
                // Σ|w|,  Σw²
                absolute += Math.abs(weights[i]);
                squares += (double) weights[i] * weights[i];
            }
        }
        // λ·(α·Σ|w| + (1 − α)/2·Σw²)
        return (double) strength * (mixing * absolute + (1 - (double) mixing) / 2 * squares);
    }

    private void check(float[] weights, int gradientLength) {
        int n = layout.numParameters();
        if (weights.length != n || gradientLength != n) {
            throw new IllegalArgumentException("weights (" + weights.length + ") and gradient (" + gradientLength
                    + ") must both have the layout's " + n + " parameters");
        }
    }
}
