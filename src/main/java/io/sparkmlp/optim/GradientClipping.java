package io.sparkmlp.optim;

/**
 * Gradient clipping on the driver, after the elastic net and before the optimizer's step: first by
 * value, then by the global L2 norm over all parameters, as {@code torch.nn.utils.clip_grad_value_}
 * and {@code clip_grad_norm_} (Pascanu et al. 2013) do:
 * <pre>
 *   by value (c > 0):   g ← min(max(g, −c), c)                     per component
 *   by norm  (m > 0):   g ← g · min(1, m / (‖g‖₂ + 1e-6))          ‖g‖₂ over every parameter
 * </pre>
 * A limit of 0 turns that clipping off. Both work in place and allocate nothing.
 */
public final class GradientClipping {

    /** torch's clip_grad_norm_ adds this to the norm before dividing, so a zero gradient stays zero. */
    static final double NORM_EPSILON = 1e-6;

    private final float clipValue;
    private final double clipNorm;

    /** {@code clipValue} c >= 0 and {@code clipNorm} m >= 0; 0 turns either off. */
    public GradientClipping(double clipValue, double clipNorm) {
        if (!(clipValue >= 0) || Double.isInfinite(clipValue)) {
            throw new IllegalArgumentException("clip value must be finite and >= 0 (0: off), got " + clipValue);
        }
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clip norm must be finite and >= 0 (0: off), got " + clipNorm);
        }
        this.clipValue = (float) clipValue;
        this.clipNorm = clipNorm;
    }

    /** Clips {@code gradient} in place: by value, then by norm, each where its limit is > 0. */
    public void clip(float[] gradient) {
        if (clipValue > 0) {
            clipValue(gradient, clipValue);
        }
        if (clipNorm > 0) {
            clipNorm(gradient, clipNorm);
        }
    }

    /** Clamps every component to {@code [−c, c]}, in place. */
    public static void clipValue(float[] gradient, float c) {
        if (!(c > 0) || Float.isInfinite(c)) {
            throw new IllegalArgumentException("clip value must be finite and > 0, got " + c);
        }
        for (int i = 0; i < gradient.length; i++) {
            // g = min(max(g, −c), c)
            gradient[i] = Math.min(Math.max(gradient[i], -c), c);
        }
    }

    /**
     * Scales the gradient by {@code min(1, m / (‖g‖₂ + 1e-6))}, in place; returns the norm before
     * clipping, as torch's clip_grad_norm_ does.
     */
    public static double clipNorm(float[] gradient, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clip norm must be finite and > 0, got " + maxNorm);
        }
        double squares = 0;
        for (float g : gradient) {
            // Σg², in double
            squares += (double) g * g;
        }
        // ‖g‖₂
        double norm = Math.sqrt(squares);
        // s = m / (‖g‖₂ + 1e-6), applied only when it shrinks
        double scale = maxNorm / (norm + NORM_EPSILON);
        if (scale < 1) {
            float s = (float) scale;
            for (int i = 0; i < gradient.length; i++) {
                // g = s·g
                gradient[i] *= s;
            }
        }
        return norm;
    }
}
