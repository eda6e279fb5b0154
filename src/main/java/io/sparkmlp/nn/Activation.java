package io.sparkmlp.nn;

import java.util.Locale;

/** Hidden-layer activations, applied in place; derivatives are computed from the activation's output. */
public enum Activation {
    SIGMOID("sigmoid"),
    TANH("tanh"),
    RELU("relu"),
    LEAKY_RELU("leaky_relu");

    /** Slope of leaky ReLU for negative inputs. */
    public static final float LEAKY_SLOPE = 0.01f;

    private final String id;

    Activation(String id) {
        this.id = id;
    }

    /** The name used in options and saved models. */
    public String id() {
        return id;
    }

    /** Parses a name as written in options ("relu", "leaky_relu" or "leaky-relu", "tanh", "sigmoid"). */
    public static Activation parse(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        if (key.equals("leaky")) {
            return LEAKY_RELU;
        }
        for (Activation a : values()) {
            if (a.id.equals(key)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name
                + "'; expected one of sigmoid, tanh, relu, leaky_relu");
    }

    /** Applies the activation in place to {@code x[offset, offset + length)}. */
    public void apply(float[] x, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > x.length) {
            throw new IllegalArgumentException("range [" + offset + ", " + (offset + length) + ") is outside an array of "
                    + x.length);
        }
        int end = offset + length;
        switch (this) {
            case SIGMOID -> {
                // a = 1 / (1 + exp(-z))
                for (int i = offset; i < end; i++) {
                    x[i] = (float) (1.0 / (1.0 + Math.exp(-x[i])));
                }
            }
            case TANH -> {
                // a = tanh(z)
                for (int i = offset; i < end; i++) {
                    x[i] = (float) Math.tanh(x[i]);
                }
            }
            case RELU -> {
                // a = max(z, 0)
                for (int i = offset; i < end; i++) {
                    x[i] = Math.max(x[i], 0f);
                }
            }
            case LEAKY_RELU -> {
                // a = z if z > 0 else 0.01 z
                for (int i = offset; i < end; i++) {
                    float z = x[i];
                    x[i] = z > 0f ? z : LEAKY_SLOPE * z;
                }
            }
        }
    }

    /**
     * Multiplies {@code delta} in place by the derivative of the activation, given its output {@code a}.
     * For (leaky) ReLU the sign of the output equals the sign of the input, so the output suffices.
     */
    public void multiplyByDerivative(float[] delta, float[] a, int length) {
        if (length < 0 || length > delta.length || length > a.length) {
            throw new IllegalArgumentException("length " + length + " exceeds delta (" + delta.length
                    + ") or activations (" + a.length + ")");
        }
        switch (this) {
            case SIGMOID -> {
                // delta *= a (1 - a)
                for (int i = 0; i < length; i++) {
                    delta[i] *= a[i] * (1f - a[i]);
                }
            }
            case TANH -> {
                // delta *= 1 - a^2
                for (int i = 0; i < length; i++) {
                    delta[i] *= 1f - a[i] * a[i];
                }
            }
            case RELU -> {
                // delta *= [a > 0]
                for (int i = 0; i < length; i++) {
                    if (a[i] <= 0f) {
                        delta[i] = 0f;
                    }
                }
            }
            case LEAKY_RELU -> {
                // delta *= 1 if a > 0 else 0.01
                for (int i = 0; i < length; i++) {
                    if (a[i] <= 0f) {
                        delta[i] *= LEAKY_SLOPE;
                    }
                }
            }
        }
    }
}
