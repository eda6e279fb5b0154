package io.sparkmlp.train;

import java.io.Serializable;

/** How the work is spread over the cluster; none of it changes what is computed beyond float summation order. */
public final class ClusterParams implements Serializable {

    private static final long serialVersionUID = 1L;

    private int partitions = 0;
    private int aggregationDepth = 2;

    /** Partitions to train on; 0 keeps the data's own partitioning. */
    public ClusterParams partitions(int partitions) {
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0 (0 keeps the data's own), got " + partitions);
        }
        this.partitions = partitions;
        return this;
    }

    /** Depth of {@code treeAggregate}'s tree; 2 suffices below a few hundred partitions. */
    public ClusterParams aggregationDepth(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("aggregation depth must be >= 1, got " + depth);
        }
        this.aggregationDepth = depth;
        return this;
    }

    public int partitions() {
        return partitions;
    }

    public int aggregationDepth() {
        return aggregationDepth;
    }
}
