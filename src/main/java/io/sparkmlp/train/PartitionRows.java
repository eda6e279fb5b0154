package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Workspace;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One partition's rows as one sequence, whatever the blocks they are packed in: row {@code r} of the
 * partition is found in its block by the blocks' first rows. Tasks read rows through it, so that a
 * mini-batch or an evaluation chunk is the same matrix however a partition was cut into blocks.
 */
final class PartitionRows {

    private final Block[] blocks;
    /** {@code firstRows[b]}: the partition row of block b's row 0; {@code firstRows[blocks.length]}: the row count. */
    private final int[] firstRows;
    private final boolean weighted;

    private PartitionRows(Block[] blocks, int[] firstRows, boolean weighted) {
        this.blocks = blocks;
        this.firstRows = firstRows;
        this.weighted = weighted;
    }

    /** The rows of every block {@code blocksIn} yields, in order; blocks without rows are left out. */
    static PartitionRows of(Iterator<Block> blocksIn) {
        List<Block> kept = new ArrayList<>(1);
        boolean weighted = false;
        long rows = 0;
        while (blocksIn.hasNext()) {
            Block block = blocksIn.next();
            weighted |= block.weighted();
            if (block.rows() > 0) {
                kept.add(block);
                rows += block.rows();
            }
        }
        if (rows > Integer.MAX_VALUE) {
            throw new IllegalStateException("a partition holds " + rows + " rows; at most " + Integer.MAX_VALUE
                    + " can be indexed");
        }
        int[] firstRows = new int[kept.size() + 1];
        for (int b = 0; b < kept.size(); b++) {
            firstRows[b + 1] = firstRows[b] + kept.get(b).rows();
        }
        return new PartitionRows(kept.toArray(new Block[0]), firstRows, weighted);
    }

    int rows() {
        return firstRows[blocks.length];
    }

    /** Whether the rows carry weights. */
    boolean weighted() {
        return weighted;
    }

    int label(int row) {
        int b = blockOf(row);
        return blocks[b].label(row - firstRows[b]);
    }

    /** Row {@code row}'s weight; 1 when the rows are not weighted. */
    float weight(int row) {
        int b = blockOf(row);
        return blocks[b].weight(row - firstRows[b]);
    }

    /** Writes row {@code row}, scaled, into {@code dst[offset, offset + features)}, as {@link Block#unpack} does. */
    void unpack(int row, float[] dst, int offset, InputScaling scaling, float[] byteTable) {
        int b = blockOf(row);
        blocks[b].unpack(row - firstRows[b], dst, offset, scaling, byteTable);
    }

    /** Writes rows {@code [first, first + n)}, scaled, as the workspace's first n batch rows, and their labels. */
    void unpackChunk(int first, int n, Workspace ws, InputScaling scaling, float[] byteTable) {
        int features = ws.layout().inputSize();
        for (int j = 0; j < n; j++) {
            unpack(first + j, ws.input(), j * features, scaling, byteTable);
            ws.labels()[j] = label(first + j);
        }
    }

    /** The block holding {@code row}: the last whose first row is at most {@code row}. */
    private int blockOf(int row) {
        if (row < 0 || row >= rows()) {
            throw new IndexOutOfBoundsException("row " + row + " of a partition of " + rows() + " rows");
        }
        if (blocks.length == 1) {
            return 0;
        }
        int low = 0;
        int high = blocks.length - 1;
        while (low < high) {
            int middle = (low + high + 1) >>> 1;
            if (firstRows[middle] <= row) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        return low;
    }
}
