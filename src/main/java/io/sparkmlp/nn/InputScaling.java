package io.sparkmlp.nn;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * The affine map applied to every input value before the first layer, {@code x'_k = scale_k * x_k + shift_k}:
 * one scale and shift for every feature ({@linkplain #isGlobal() global}, as for pixels), or one per
 * feature. It is part of the model, so predictions see inputs exactly as training did.
 */
public final class InputScaling implements Serializable {

    private static final long serialVersionUID = 2L;

    /** No change. */
    public static final InputScaling IDENTITY = global(1f, 0f);

    /** Length 1 for a global scaling (the one value for every feature), else one value per feature. */
    private final float[] scales;
    private final float[] shifts;

    private InputScaling(float[] scales, float[] shifts) {
        this.scales = scales;
        this.shifts = shifts;
    }

    /** One scale and shift for every feature. */
    public static InputScaling global(float scale, float shift) {
        check(scale, shift, -1);
        return new InputScaling(new float[] {scale}, new float[] {shift});
    }

    /** A scale and shift for each feature (the arrays are copied). */
    public static InputScaling perFeature(float[] scales, float[] shifts) {
        if (scales.length != shifts.length || scales.length == 0) {
            throw new IllegalArgumentException("input scaling needs one scale and one shift per feature, got "
                    + scales.length + " scales and " + shifts.length + " shifts");
        }
        for (int k = 0; k < scales.length; k++) {
            check(scales[k], shifts[k], k);
        }
        return new InputScaling(scales.clone(), shifts.clone());
    }

    private static void check(float scale, float shift, int feature) {
        if (!Float.isFinite(scale) || scale == 0f || !Float.isFinite(shift)) {
            throw new IllegalArgumentException("input scaling needs a finite, non-zero scale and a finite shift, got scale "
                    + scale + ", shift " + shift + (feature >= 0 ? " for feature " + feature : ""));
        }
    }

    /** Standardisation with one global mean and standard deviation: {@code x' = (x - mean) / std}. */
    public static InputScaling standardize(double mean, double std) {
        if (!(std > 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("cannot standardise inputs with mean " + mean + " and standard deviation "
                    + std + ": the standard deviation must be positive and finite (are all inputs equal?)");
        }
        // x' = (1 / std) * x + (-mean / std)
        return global((float) (1.0 / std), (float) (-mean / std));
    }

    /**
     * Standardisation of each feature with its own mean and standard deviation,
     * {@code x'_k = (x_k - mean_k) / std_k}; a feature whose standard deviation is 0 (one value in
     * every row), or whose scale would not be a finite float, is left as it is ({@code x'_k = x_k}).
     */
    public static InputScaling standardizeEach(double[] mean, double[] std) {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("per-feature standardisation needs a mean and a standard deviation per"
                    + " feature, got " + mean.length + " means and " + std.length + " standard deviations");
        }
        float[] scales = new float[mean.length];
        float[] shifts = new float[mean.length];
        for (int k = 0; k < mean.length; k++) {
            if (!Double.isFinite(mean[k]) || !Double.isFinite(std[k]) || std[k] < 0) {
                throw new IllegalArgumentException("cannot standardise feature " + k + " with mean " + mean[k]
                        + " and standard deviation " + std[k]);
            }
            // x'_k = (1 / std_k) * x_k + (-mean_k / std_k)
            float scale = (float) (1.0 / std[k]);
            float shift = (float) (-mean[k] / std[k]);
            boolean usable = std[k] > 0 && Float.isFinite(scale) && scale != 0f && Float.isFinite(shift);
            scales[k] = usable ? scale : 1f;
            shifts[k] = usable ? shift : 0f;
        }
        return new InputScaling(scales, shifts);
    }

    /** Whether one scale and shift serve every feature. */
    public boolean isGlobal() {
        return scales.length == 1;
    }

    /** The features a per-feature scaling is for; 0 for a global one, which fits any. */
    public int features() {
        return isGlobal() ? 0 : scales.length;
    }

    /** The global scale; fails for a per-feature scaling. */
    public float scale() {
        requireGlobal();
        return scales[0];
    }

    /** The global shift; fails for a per-feature scaling. */
    public float shift() {
        requireGlobal();
        return shifts[0];
    }

    private void requireGlobal() {
        if (!isGlobal()) {
            throw new IllegalStateException("this input scaling has a scale and shift per feature (" + scales.length
                    + "), not one for all");
        }
    }

    /** Feature {@code k}'s scale. */
    public float scale(int k) {
        return scales[isGlobal() ? 0 : k];
    }

    /** Feature {@code k}'s shift. */
    public float shift(int k) {
        return shifts[isGlobal() ? 0 : k];
    }

    /** The scales, one per feature or one for all (a copy). */
    public float[] scales() {
        return scales.clone();
    }

    /** The shifts, one per feature or one for all (a copy). */
    public float[] shifts() {
        return shifts.clone();
    }

    /** Fails unless this scaling fits rows of {@code features} values. */
    public void requireFeatures(int features) {
        if (!isGlobal() && scales.length != features) {
            throw new IllegalArgumentException("the input scaling has " + scales.length + " features; the network's"
                    + " input layer has " + features);
        }
    }

    /** Feature {@code k}'s value {@code x}, scaled. */
    public float apply(int k, float x) {
        // x' = scale_k * x + shift_k
        return scale(k) * x + shift(k);
    }

    /**
     * Scales {@code features} values: {@code dst[to + k] = scale_k * src[from + k] + shift_k}. Allocates
     * nothing; the caller has checked the feature count ({@link #requireFeatures}).
     */
    public void apply(float[] src, int from, float[] dst, int to, int features) {
        if (isGlobal()) {
            float scale = scales[0];
            float shift = shifts[0];
            for (int k = 0; k < features; k++) {
                // x' = scale * x + shift
                dst[to + k] = scale * src[from + k] + shift;
            }
        } else {
            for (int k = 0; k < features; k++) {
                // x'_k = scale_k * x_k + shift_k
                dst[to + k] = scales[k] * src[from + k] + shifts[k];
            }
        }
    }

    /**
     * Scales {@code features} values as a double vector holds them, each first rounded to float as a packed
     * block stores it: {@code dst[to + k] = scale_k * (float) src[k] + shift_k}.
     */
    public void apply(double[] src, float[] dst, int to, int features) {
        // two loops, as for floats, so that neither branches per feature and the JIT can vectorise both
        if (isGlobal()) {
            float scale = scales[0];
            float shift = shifts[0];
            for (int k = 0; k < features; k++) {
                // x' = scale * (float) x + shift
                dst[to + k] = scale * (float) src[k] + shift;
            }
        } else {
            for (int k = 0; k < features; k++) {
                // x'_k = scale_k * (float) x_k + shift_k
                dst[to + k] = scales[k] * (float) src[k] + shifts[k];
            }
        }
    }

    /**
     * Scales {@code features} values stored as bytes, value {@code = byte / 255}, feature by feature:
     * {@code dst[to + k] = scale_k * byteValues[b_k] + shift_k} with {@code byteValues[v] = v / 255f}.
     * (A global scaling goes faster through a 256-entry table of its own results.)
     */
    public void applyToBytes(byte[] src, int from, float[] byteValues, float[] dst, int to, int features) {
        if (isGlobal()) {
            float scale = scales[0];
            float shift = shifts[0];
            for (int k = 0; k < features; k++) {
                // x' = scale * (b_k / 255) + shift
                dst[to + k] = scale * byteValues[src[from + k] & 0xff] + shift;
            }
        } else {
            for (int k = 0; k < features; k++) {
                // x'_k = scale_k * (b_k / 255) + shift_k
                dst[to + k] = scales[k] * byteValues[src[from + k] & 0xff] + shifts[k];
            }
        }
    }

    /** A CRC32 of the exact bits of every scale and shift, in that order, for fingerprints. */
    public long crc32() {
        ByteBuffer bytes = ByteBuffer.allocate(8 * scales.length);
        for (float s : scales) {
            bytes.putInt(Float.floatToRawIntBits(s));
        }
        for (float s : shifts) {
            bytes.putInt(Float.floatToRawIntBits(s));
        }
        CRC32 crc = new CRC32();
        crc.update(bytes.array());
        return crc.getValue();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputScaling other && Arrays.equals(scales, other.scales) && Arrays.equals(shifts, other.shifts);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(scales) + Arrays.hashCode(shifts);
    }

    @Override
    public String toString() {
        if (isGlobal()) {
            return "scale " + scales[0] + ", shift " + shifts[0] + " for every feature";
        }
        int same = 0;
        for (int k = 0; k < scales.length; k++) {
            same += scales[k] == 1f && shifts[k] == 0f ? 1 : 0;
        }
        return "a scale and shift per feature (" + scales.length + " features, " + same + " left as they are)";
    }
}
