package io.sparkmlp.nn;

import java.io.Serializable;

/**
 * Count, mean and sum of squared deviations ({@code M2}) of each feature over a set of rows, in
 * double precision, for standardising inputs. A part is computed in two passes over its rows (mean,
 * then deviations from it), and parts are merged with the parallel update of Chan, Golub and
 * LeVeque (1979), which never subtracts two large sums of squares, so values far from zero
 * ({@code 1e8} plus small noise) keep their variance. Also records whether every value was stored
 * as a byte, i.e. a multiple of 1/255 in [0, 1] (image-like).
 */
public final class FeatureMoments implements Serializable {

    private static final long serialVersionUID = 1L;

    private long count;
    private final double[] mean;
    private final double[] m2;
    private boolean bytes;

    /** No rows yet, of {@code features} features. */
    public FeatureMoments(int features) {
        if (features < 1) {
            throw new IllegalArgumentException("moments need at least 1 feature, got " + features);
        }
        this.mean = new double[features];
        this.m2 = new double[features];
        this.bytes = true;
    }

    /** The moments of {@code rows} rows of {@code features} float values, row-major. */
    public static FeatureMoments of(float[] values, int rows, int features) {
        TwoPass passes = new TwoPass(features, false);
        passes.sum(values, rows);
        passes.endFirstPass();
        passes.addDeviations(values, rows);
        return passes.result();
    }

    /** The moments of {@code rows} rows of {@code features} values stored as bytes, value {@code = byte / 255}. */
    public static FeatureMoments ofBytes(byte[] values, int rows, int features) {
        TwoPass passes = new TwoPass(features, true);
        passes.sum(values, rows);
        passes.endFirstPass();
        passes.addDeviations(values, rows);
        return passes.result();
    }

    /**
     * The two passes over rows that come in several row-major parts (a partition's blocks), giving the
     * very moments one part holding them all would: call {@code sum} for every part, then
     * {@link #endFirstPass}, then {@code addDeviations} for every part in the same order, then
     * {@link #result}. In byte mode every part must be bytes; the sums are exact. Otherwise byte parts
     * count as the floats {@code byte / 255f}, the values a part turned from bytes to floats holds.
     */
    public static final class TwoPass {
        private final FeatureMoments moments;
        /** Byte mode's exact sums; null otherwise. */
        private final long[] byteSums;
        private boolean firstPassEnded;

        public TwoPass(int features, boolean bytes) {
            moments = new FeatureMoments(features);
            moments.bytes = bytes;
            byteSums = bytes ? new long[features] : null;
        }

        /** First pass over a part of {@code rows} float rows. */
        public void sum(float[] values, int rows) {
            int features = startPart(values.length, rows, false, true);
            double[] mean = moments.mean;
            for (int r = 0; r < rows; r++) {
                int from = r * features;
                for (int k = 0; k < features; k++) {
                    // s_k = Σ_r x_rk
                    mean[k] += values[from + k];
                }
            }
        }

        /** First pass over a part of {@code rows} byte rows. */
        public void sum(byte[] values, int rows) {
            int features = startPart(values.length, rows, true, true);
            for (int r = 0; r < rows; r++) {
                int from = r * features;
                if (byteSums != null) {
                    for (int k = 0; k < features; k++) {
                        // s_k = Σ_r b_rk, exact in a long
                        byteSums[k] += values[from + k] & 0xff;
                    }
                } else {
                    for (int k = 0; k < features; k++) {
                        // s_k = Σ_r x_rk with x = b / 255f
                        moments.mean[k] += (values[from + k] & 0xff) / 255f;
                    }
                }
            }
        }

        /** Turns the sums into means. */
        public void endFirstPass() {
            if (firstPassEnded) {
                throw new IllegalStateException("the first pass has ended already");
            }
            firstPassEnded = true;
            long n = moments.count;
            if (n == 0) {
                return;
            }
            double[] mean = moments.mean;
            for (int k = 0; k < mean.length; k++) {
                // mean_k = s_k / (255 n) for bytes, s_k / n for floats
                mean[k] = byteSums != null ? byteSums[k] / (255.0 * n) : mean[k] / n;
            }
        }

        /** Second pass over a part of {@code rows} float rows. */
        public void addDeviations(float[] values, int rows) {
            int features = startPart(values.length, rows, false, false);
            double[] mean = moments.mean;
            double[] m2 = moments.m2;
            for (int r = 0; r < rows; r++) {
                int from = r * features;
                for (int k = 0; k < features; k++) {
                    // M2_k = Σ_r (x_rk - mean_k)²
                    double d = values[from + k] - mean[k];
                    m2[k] += d * d;
                }
            }
        }

        /** Second pass over a part of {@code rows} byte rows. */
        public void addDeviations(byte[] values, int rows) {
            int features = startPart(values.length, rows, true, false);
            double[] mean = moments.mean;
            double[] m2 = moments.m2;
            for (int r = 0; r < rows; r++) {
                int from = r * features;
                for (int k = 0; k < features; k++) {
                    // M2_k = Σ_r (b_rk / 255 - mean_k)², the float b / 255f outside byte mode
                    double x = byteSums != null ? (values[from + k] & 0xff) / 255.0 : (values[from + k] & 0xff) / 255f;
                    double d = x - mean[k];
                    m2[k] += d * d;
                }
            }
        }

        /** The moments, once both passes are done. */
        public FeatureMoments result() {
            if (!firstPassEnded) {
                throw new IllegalStateException("the first pass has not ended");
            }
            return moments;
        }

        /** Checks a part; counts its rows in the first pass. Returns the feature count. */
        private int startPart(int length, int rows, boolean bytes, boolean firstPass) {
            checkLength(length, rows, moments.mean.length);
            if (!bytes && byteSums != null) {
                throw new IllegalArgumentException("a part of floats in moments drawn in byte mode");
            }
            if (firstPass == firstPassEnded) {
                throw new IllegalStateException(firstPass ? "the first pass has ended: add deviations now"
                        : "the first pass has not ended: sum every part first");
            }
            if (firstPass) {
                moments.count += rows;
            }
            return moments.mean.length;
        }
    }

    private static void checkLength(int length, int rows, int features) {
        if (rows < 0 || (long) rows * features != length) {
            throw new IllegalArgumentException(rows + " rows of " + features + " features need " + (long) rows * features
                    + " values, got " + length);
        }
    }

    /** Adds {@code other}'s rows into these moments (Chan et al.'s parallel update) and returns this. */
    public FeatureMoments merge(FeatureMoments other) {
        if (other.mean.length != mean.length) {
            throw new IllegalArgumentException("cannot merge moments of " + other.mean.length + " features into moments"
                    + " of " + mean.length);
        }
        bytes &= other.bytes;
        if (other.count == 0) {
            return this;
        }
        long n = count + other.count;
        double na = count;
        double nb = other.count;
        for (int k = 0; k < mean.length; k++) {
            // δ = mean_b - mean_a;  mean = mean_a + δ · n_b / n;  M2 = M2_a + M2_b + δ² · n_a · n_b / n
            double delta = other.mean[k] - mean[k];
            mean[k] += delta * (nb / n);
            m2[k] += other.m2[k] + delta * delta * (na * nb / n);
        }
        count = n;
        return this;
    }

    public long count() {
        return count;
    }

    public int features() {
        return mean.length;
    }

    /** Whether every value counted was stored as a byte: a multiple of 1/255 in [0, 1], as image pixels are. */
    public boolean imageLike() {
        return bytes;
    }

    /** Feature {@code k}'s mean. */
    public double mean(int k) {
        return mean[k];
    }

    /** Feature {@code k}'s sum of squared deviations from its mean. */
    public double m2(int k) {
        return m2[k];
    }

    /** Feature {@code k}'s (population) variance, {@code M2_k / n}; 0 with no rows. */
    public double variance(int k) {
        return count == 0 ? 0 : m2[k] / count;
    }

    /** Every feature's mean (a copy). */
    public double[] means() {
        return mean.clone();
    }

    /** Every feature's (population) standard deviation. */
    public double[] standardDeviations() {
        double[] std = new double[mean.length];
        for (int k = 0; k < std.length; k++) {
            // σ_k = sqrt(M2_k / n)
            std[k] = Math.sqrt(variance(k));
        }
        return std;
    }

    /**
     * The mean and (population) standard deviation of all values, every feature of every row together: the
     * features are groups of {@code n} values each, so {@code mean = Σ_k mean_k / K} and
     * {@code M2 = Σ_k M2_k + n Σ_k (mean_k - mean)²}.
     */
    public double[] global() {
        if (count == 0) {
            return new double[] {0, 0};
        }
        int features = mean.length;
        double sum = 0;
        for (double m : mean) {
            sum += m;
        }
        double all = sum / features;
        double within = 0;
        double between = 0;
        for (int k = 0; k < features; k++) {
            within += m2[k];
            double d = mean[k] - all;
            between += d * d;
        }
        // σ² = (Σ_k M2_k + n Σ_k (mean_k - mean)²) / (n K)
        double variance = (within + count * between) / ((double) count * features);
        return new double[] {all, Math.sqrt(variance)};
    }
}
