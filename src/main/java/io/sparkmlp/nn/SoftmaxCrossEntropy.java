package io.sparkmlp.nn;

/** Softmax output with cross-entropy loss, computed stably by subtracting each column's maximum. */
public final class SoftmaxCrossEntropy {

    private SoftmaxCrossEntropy() {
    }

    /**
     * Turns the scores {@code z[offset, offset + classes)} into probabilities in place and returns the
     * index of the largest score (the first one on ties).
     */
    public static int softmaxInPlace(float[] z, int offset, int classes) {
        checkRange(z, offset, classes);
        int best = 0;
        float max = z[offset];
        for (int i = 1; i < classes; i++) {
            if (z[offset + i] > max) {
                max = z[offset + i];
                best = i;
            }
        }
        // p_i = exp(z_i - max) / sum_k exp(z_k - max)
        double sum = 0;
        for (int i = 0; i < classes; i++) {
            float e = (float) Math.exp(z[offset + i] - max);
            z[offset + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < classes; i++) {
            z[offset + i] *= inv;
        }
        return best;
    }

    /**
     * The cross-entropy of the scores {@code z[offset, offset + classes)} against {@code label}:
     * {@code -log softmax(z)_label = log(sum_k exp(z_k - max)) + max - z_label}. Reads the scores
     * only; call before {@link #softmaxInPlace}.
     */
    public static double loss(float[] z, int offset, int classes, int label) {
        checkRange(z, offset, classes);
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " is outside [0, " + classes + ")");
        }
        float max = z[offset];
        for (int i = 1; i < classes; i++) {
            max = Math.max(max, z[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < classes; i++) {
            sum += Math.exp(z[offset + i] - max);
        }
        return Math.log(sum) + max - z[offset + label];
    }

    private static void checkRange(float[] z, int offset, int classes) {
        if (classes < 1 || offset < 0 || offset + classes > z.length) {
            throw new IllegalArgumentException("scores [" + offset + ", " + (offset + classes) + ") are outside an array of "
                    + z.length + " (classes " + classes + ")");
        }
    }
}
