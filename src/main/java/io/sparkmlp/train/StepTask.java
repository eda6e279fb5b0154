package io.sparkmlp.train;

import io.sparkmlp.nn.Dropout;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Workspace;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.Function2;

/**
 * One partition's part of one SGD step. The step's global mini-batch is the window
 * {@code [step · batch, (step + 1) · batch)} of the epoch's row order, which depends on (seed, epoch)
 * only; this partition takes the rows of that window that it holds, so the mini-batch is the same
 * whatever the partition count, and a retried task computes the very same gradient. Dropout masks
 * are drawn from (seed, epoch, step, global row), so they too are the same on any partitioning. With
 * row weights (a weight column, class weights) the task returns the weighted gradient sum and the
 * weight sum, which the driver divides by.
 */
final class StepTask implements Function2<Integer, Iterator<Block>, Iterator<GradientSum>> {

    private static final long serialVersionUID = 1L;

    private final SharedWeights weights;
    private final Network network;
    private final InputScaling scaling;
    private final long seed;
    private final int epoch;
    private final int step;
    private final int batchSize;
    private final int trainRows;
    private final long[] partitionStarts;
    /** Test-only injected failures; null (off) but in tests that ask for them. */
    private final TaskFaults faults;
    /** Null when no hidden unit is dropped. */
    private final Dropout dropout;
    /** One weight per class, multiplying each row's sample weight; null for none. */
    private final float[] classWeights;

    StepTask(SharedWeights weights, Network network, InputScaling scaling, long seed, int epoch, int step,
             int batchSize, int trainRows, long[] partitionStarts) {
        this(weights, network, scaling, seed, epoch, step, batchSize, trainRows, partitionStarts, null, null, null);
    }

    StepTask(SharedWeights weights, Network network, InputScaling scaling, long seed, int epoch, int step,
             int batchSize, int trainRows, long[] partitionStarts, TaskFaults faults, Dropout dropout,
             float[] classWeights) {
        this.weights = weights;
        this.network = network;
        this.scaling = scaling;
        this.seed = seed;
        this.epoch = epoch;
        this.step = step;
        this.batchSize = batchSize;
        this.trainRows = trainRows;
        this.partitionStarts = partitionStarts;
        this.faults = faults;
        this.dropout = dropout != null && dropout.active() ? dropout : null;
        this.classWeights = classWeights;
    }

    @Override
    public Iterator<GradientSum> call(Integer partition, Iterator<Block> blocks) {
        long started = System.nanoTime();
        float[] w = weights.value();
        long fetched = System.nanoTime();
        GradientSum sum = gradient(partition, PartitionRows.of(blocks), w, epoch, step, null);
        sum.maxFetchNanos = fetched - started;
        return Collections.singletonList(sum).iterator();
    }

    /** This task's settings, for any step of any epoch: what a loop over an epoch's steps runs ({@link StepLoop}). */
    int epoch() {
        return epoch;
    }

    /** The test-only injected faults; null (the usual case) when none are set. */
    TaskFaults faults() {
        return faults;
    }

    /**
     * This partition's summed gradient for step {@code step} of epoch {@code epoch} at weights
     * {@code w}. {@code into} (null, or the layout's parameter count) receives the gradient when
     * given, so that a loop over steps reuses one array; the driver must be done with it before the
     * next step's call. The result's fetch time is 0: the caller measures how the weights came.
     */
    GradientSum gradient(int partition, PartitionRows rows, float[] w, int epoch, int step, float[] into) {
        if (into != null && into.length != w.length) {
            throw new IllegalArgumentException("the gradient array has " + into.length + " values, the weights "
                    + w.length);
        }
        BlasLog.logOnce(); // an executor's first task says which BLAS it runs on
        if (faults != null) {
            faults.failIfChosen(epoch, step, partition);
        }
        long started = System.nanoTime();
        if (faults != null) {
            faults.delayComputation();
        }
        int[] order = TaskBuffers.epochOrder(seed, epoch, trainRows);
        int from = step * batchSize;
        int to = Math.min(from + batchSize, trainRows);
        long start = partitionStarts[partition];
        long end = start + rows.rows();
        float[] gradient = null;
        double lossSum = 0;
        long count = 0;
        long correct = 0;
        double weightSum = 0;
        double weightedLossSum = 0;
        TaskBuffers buffers = TaskBuffers.get();
        Workspace ws = buffers.workspace(network.layout(), Math.max(1, Math.min(batchSize, rows.rows())));
        float[] table = buffers.byteTable(scaling);
        float[] input = ws.input();
        int[] labels = ws.labels();
        long[] rowIds = ws.rowIds();
        float[] rowWeights = ws.weights();
        boolean weighted = rows.weighted() || classWeights != null;
        int features = network.layout().inputSize();
        // this partition's rows of the step's window, in the window's order: one batch matrix, however the rows are blocked
        int n = 0;
        for (int position = from; position < to; position++) {
            int row = order[position];
            if (row >= start && row < end) {
                int local = (int) (row - start);
                rows.unpack(local, input, n * features, scaling, table);
                int label = rows.label(local);
                labels[n] = label;
                rowIds[n] = row;
                if (weighted) {
                    // w = sample weight * class weight of the label
                    rowWeights[n] = classWeights == null ? rows.weight(local) : rows.weight(local) * classWeights[label];
                }
                n++;
            }
        }
        if (n > 0) {
            if (into == null) {
                gradient = new float[w.length]; // the task's result, sent to the driver
            } else {
                gradient = into;
                Arrays.fill(gradient, 0f); // the kernel adds into it
            }
            long maskSeed = dropout == null ? 0 : Dropout.maskSeed(seed, epoch, step);
            weightedLossSum = network.lossAndGradient(w, ws, n, gradient, dropout, maskSeed, weighted);
            lossSum = ws.unweightedLossSum();
            weightSum = ws.weightSum();
            correct = ws.correct();
            count = n;
        }
        return new GradientSum(partition, gradient, lossSum, count, correct, weightSum, weightedLossSum, 0,
                System.nanoTime() - started);
    }
}
