package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Workspace;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.Function2;

/**
 * The confusion counts and loss of the shared weights over every row of a partition, in chunks, and
 * the partition's first {@code keepMisclassified} misclassified rows (by row index) with their
 * unscaled values: what the driver needs for a confusion matrix and a picture of the mistakes,
 * without any other row leaving the executor.
 */
final class ConfusionTask implements Function2<Integer, Iterator<Block>, Iterator<ConfusionSum>> {

    private static final long serialVersionUID = 1L;

    private static final int CHUNK = 256;

    private final SharedWeights weights;
    private final Network network;
    private final InputScaling scaling;
    private final long[] partitionStarts;
    private final int keepMisclassified;

    ConfusionTask(SharedWeights weights, Network network, InputScaling scaling, long[] partitionStarts,
                  int keepMisclassified) {
        this.weights = weights;
        this.network = network;
        this.scaling = scaling;
        this.partitionStarts = partitionStarts;
        this.keepMisclassified = keepMisclassified;
    }

    @Override
    public Iterator<ConfusionSum> call(Integer partition, Iterator<Block> blocks) {
        return Collections.singletonList(sum(partition, blocks)).iterator();
    }

    private ConfusionSum sum(int partition, Iterator<Block> blocks) {
        float[] w = weights.value();
        TaskBuffers buffers = TaskBuffers.get();
        int classes = network.layout().outputSize();
        int features = network.layout().inputSize();
        long[] counts = new long[classes * classes];
        double lossSum = 0;
        int kept = 0;
        long[] missRows = new long[keepMisclassified];
        int[] missLabels = new int[keepMisclassified];
        int[] missPredicted = new int[keepMisclassified];
        float[] missProbabilities = new float[keepMisclassified * classes];
        float[] missFeatures = new float[keepMisclassified * features];
        float[] identityTable = new float[256];
        Block.fillByteTable(InputScaling.IDENTITY, identityTable);
        long row = partitionStarts[partition];
        PartitionRows rows = PartitionRows.of(blocks);
        Workspace ws = buffers.workspace(network.layout(), CHUNK);
        float[] table = buffers.byteTable(scaling);
        for (int first = 0; first < rows.rows(); first += CHUNK) {
            int n = Math.min(CHUNK, rows.rows() - first);
            rows.unpackChunk(first, n, ws, scaling, table);
            lossSum += network.loss(w, ws, n);
            float[] out = ws.output();
            for (int j = 0; j < n; j++, row++) {
                int label = ws.labels()[j];
                int predicted = argmax(out, j * classes, classes);
                counts[label * classes + predicted]++;
                if (predicted != label && kept < keepMisclassified) {
                    missRows[kept] = row;
                    missLabels[kept] = label;
                    missPredicted[kept] = predicted;
                    System.arraycopy(out, j * classes, missProbabilities, kept * classes, classes);
                    // the stored values, unscaled: what the image looks like
                    rows.unpack(first + j, missFeatures, kept * features, InputScaling.IDENTITY, identityTable);
                    kept++;
                }
            }
        }
        return new ConfusionSum(classes, features, counts, lossSum, Arrays.copyOf(missRows, kept),
                Arrays.copyOf(missLabels, kept), Arrays.copyOf(missPredicted, kept),
                Arrays.copyOf(missProbabilities, kept * classes), Arrays.copyOf(missFeatures, kept * features));
    }

    /** The most probable class of one column; the first on a tie. */
    static int argmax(float[] probabilities, int offset, int classes) {
        int best = 0;
        for (int k = 1; k < classes; k++) {
            if (probabilities[offset + k] > probabilities[offset + best]) {
                best = k;
            }
        }
        return best;
    }
}
