package io.sparkmlp.train;

import java.io.Serializable;

/**
 * One partition's share of a {@link DetailedEvaluation}, in primitive arrays only (so Kryo needs one
 * registration): the confusion counts, the summed loss, and its first misclassified rows.
 */
final class ConfusionSum implements Serializable {

    private static final long serialVersionUID = 1L;

    final int classes;
    final int features;
    /** classes x classes, row-major: counts[label * classes + predicted]. */
    final long[] counts;
    final double lossSum;
    /** The kept misclassified rows' global indices, ascending; their labels, predictions, probabilities and raw values. */
    final long[] missRows;
    final int[] missLabels;
    final int[] missPredicted;
    /** kept x classes, row-major. */
    final float[] missProbabilities;
    /** kept x features, row-major, unscaled (pixels in [0, 1]). */
    final float[] missFeatures;

    ConfusionSum(int classes, int features, long[] counts, double lossSum, long[] missRows, int[] missLabels,
                 int[] missPredicted, float[] missProbabilities, float[] missFeatures) {
        this.classes = classes;
        this.features = features;
        this.counts = counts;
        this.lossSum = lossSum;
        this.missRows = missRows;
        this.missLabels = missLabels;
        this.missPredicted = missPredicted;
        this.missProbabilities = missProbabilities;
        this.missFeatures = missFeatures;
    }

    int kept() {
        return missRows.length;
    }
}
