package io.sparkmlp.nn;

import java.io.Serializable;

/**
 * The affine map applied to every input value before the first layer, {@code x' = scale * x + shift}.
 * It is part of the model, so predictions see inputs exactly as training did.
 */
public record InputScaling(float scale, float shift) implements Serializable {

    /** No change. */
    public static final InputScaling IDENTITY = new InputScaling(1f, 0f);

    public InputScaling {
        if (!Float.isFinite(scale) || scale == 0f || !Float.isFinite(shift)) {
            throw new IllegalArgumentException("input scaling needs a finite, non-zero scale and a finite shift, got scale "
                    + scale + ", shift " + shift);
        }
    }

    /** Standardisation with one global mean and standard deviation: {@code x' = (x - mean) / std}. */
    public static InputScaling standardize(double mean, double std) {
        if (!(std > 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("cannot standardise inputs with mean " + mean + " and standard deviation "
                    + std + ": the standard deviation must be positive and finite (are all inputs equal?)");
        }
        return new InputScaling((float) (1.0 / std), (float) (-mean / std));
    }

    public float apply(float x) {
        // x' = scale * x + shift
        return scale * x + shift;
    }
}
