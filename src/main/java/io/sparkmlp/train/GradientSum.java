package io.sparkmlp.train;

import java.io.Serializable;

/**
 * What partitions {@code [first, end)} contributed to one step or one evaluation: the summed
 * gradient (null for evaluation, or when no rows took part), summed loss, row count, correct
 * predictions, and the slowest task's broadcast-fetch and compute times. With row weights the
 * gradient is the weighted sum {@code Σ w_i ∇ℓ_i}, {@link #weightSum} is {@code Σ w_i} and
 * {@link #weightedLossSum} {@code Σ w_i ℓ_i}; the loss sum, count and correct stay unweighted, for
 * the metrics. Without weights the weight sum is the count.
 */
public final class GradientSum implements Serializable {

    private static final long serialVersionUID = 1L;

    int first;
    int end;
    float[] gradient;
    double lossSum;
    long count;
    long correct;
    double weightSum;
    double weightedLossSum;
    long maxComputeNanos;
    long maxFetchNanos;
    /** A marker of a result left in the driver's JVM ({@link PartitionSums}, local master); carries nothing else. */
    boolean handedOver;

    GradientSum(int partition, float[] gradient, double lossSum, long count, long correct, long fetchNanos,
                long computeNanos) {
        this.first = partition;
        this.end = partition + 1;
        this.gradient = gradient;
        this.lossSum = lossSum;
        this.count = count;
        this.correct = correct;
        this.weightSum = count;
        this.weightedLossSum = lossSum;
        this.maxFetchNanos = fetchNanos;
        this.maxComputeNanos = computeNanos;
    }

    /** A weighted step's sums: the gradient is {@code Σ w_i ∇ℓ_i}. */
    GradientSum(int partition, float[] gradient, double lossSum, long count, long correct, double weightSum,
                double weightedLossSum, long fetchNanos, long computeNanos) {
        this(partition, gradient, lossSum, count, correct, fetchNanos, computeNanos);
        this.weightSum = weightSum;
        this.weightedLossSum = weightedLossSum;
    }

    /** The marker a task returns when it left its sum for partition {@code partition} in the driver's JVM. */
    static GradientSum handedOver(int partition) {
        GradientSum marker = new GradientSum(partition, null, 0, 0, 0, 0, 0);
        marker.handedOver = true;
        return marker;
    }

    /** Adds {@code other} into this one. Elementwise float addition is commutative, so only the tree shape fixes the result. */
    void add(GradientSum other) {
        if (gradient == null) {
            gradient = other.gradient;
        } else if (other.gradient != null) {
            float[] g = gradient;
            float[] o = other.gradient;
            for (int i = 0; i < g.length; i++) {
                g[i] += o[i];
            }
        }
        lossSum += other.lossSum;
        count += other.count;
        correct += other.correct;
        weightSum += other.weightSum;
        weightedLossSum += other.weightedLossSum;
        maxComputeNanos = Math.max(maxComputeNanos, other.maxComputeNanos);
        maxFetchNanos = Math.max(maxFetchNanos, other.maxFetchNanos);
    }

    public float[] gradient() {
        return gradient;
    }

    public double lossSum() {
        return lossSum;
    }

    public long count() {
        return count;
    }

    public long correct() {
        return correct;
    }

    /** {@code Σ w_i} over the rows; their count when the rows are not weighted. What the gradient is divided by. */
    public double weightSum() {
        return weightSum;
    }

    /** {@code Σ w_i ℓ_i}; the loss sum when the rows are not weighted. */
    public double weightedLossSum() {
        return weightedLossSum;
    }

    /** The slowest task's time in the kernel and the unpacking of its rows, once the weights are in hand. */
    public long maxComputeNanos() {
        return maxComputeNanos;
    }

    /** The slowest task's time to get the broadcast weights. */
    public long maxFetchNanos() {
        return maxFetchNanos;
    }
}
