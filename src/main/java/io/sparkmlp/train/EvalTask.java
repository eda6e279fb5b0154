package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Workspace;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.Function2;

/** Loss and correct predictions of the shared weights over every row of a partition, in chunks. */
final class EvalTask implements Function2<Integer, Iterator<Block>, Iterator<GradientSum>> {

    private static final long serialVersionUID = 1L;
    private static final int CHUNK = 256;

    private final SharedWeights weights;
    private final Network network;
    private final InputScaling scaling;

    EvalTask(SharedWeights weights, Network network, InputScaling scaling) {
        this.weights = weights;
        this.network = network;
        this.scaling = scaling;
    }

    @Override
    public Iterator<GradientSum> call(Integer partition, Iterator<Block> blocks) {
        long started = System.nanoTime();
        float[] w = weights.value();
        long fetched = System.nanoTime();
        TaskBuffers buffers = TaskBuffers.get();
        double lossSum = 0;
        long count = 0;
        long correct = 0;
        PartitionRows rows = PartitionRows.of(blocks);
        Workspace ws = buffers.workspace(network.layout(), CHUNK);
        float[] table = buffers.byteTable(scaling);
        for (int first = 0; first < rows.rows(); first += CHUNK) {
            int n = Math.min(CHUNK, rows.rows() - first);
            rows.unpackChunk(first, n, ws, scaling, table);
            lossSum += network.loss(w, ws, n);
            correct += ws.correct();
            count += n;
        }
        return Collections.singletonList(
                new GradientSum(partition, null, lossSum, count, correct, fetched - started,
                        System.nanoTime() - fetched)).iterator();
    }
}
