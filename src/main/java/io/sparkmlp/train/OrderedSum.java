package io.sparkmlp.train;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Sums per-partition results along a fixed binary tree over the partition indices, whatever order
 * they arrive in. Spark's {@code treeAggregate} merges results in completion order, and float
 * addition is not associative, so a plain running sum would differ in its last bits from run to
 * run; this sum is bit-for-bit reproducible, and pairwise (so also more accurate).
 * Each node covers an aligned range {@code [first, first + 2^k)} of a tree over the next power of two
 * at or above the partition count; a node whose sibling is present is merged into its parent.
 */
public final class OrderedSum implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int partitions;
    private final int treeSize;
    private GradientSum[] pending = new GradientSum[4];
    private int size;

    public OrderedSum(int partitions) {
        if (partitions < 0) {
            throw new IllegalArgumentException("partition count must be >= 0, got " + partitions);
        }
        this.partitions = partitions;
        this.treeSize = partitions <= 1 ? 1 : Integer.highestOneBit(partitions - 1) << 1;
    }

    /** Adds one partition's result (or an already merged node). */
    public OrderedSum add(GradientSum node) {
        if (node.first < 0 || node.first >= partitions || node.end <= node.first || node.end > treeSize) {
            throw new IllegalArgumentException("result for partitions [" + node.first + ", " + node.end
                    + ") is outside the " + partitions + " partitions");
        }
        GradientSum current = node;
        while (current.end - current.first < treeSize) {
            int width = current.end - current.first;
            int parentFirst = current.first - current.first % (2 * width);
            boolean isLeft = current.first == parentFirst;
            int siblingFirst = isLeft ? current.first + width : parentFirst;
            if (siblingFirst >= partitions) {
                // the sibling covers no partition at all: the parent is this node alone
                current.end = parentFirst + 2 * width;
                continue;
            }
            int index = indexOf(siblingFirst, width);
            if (index < 0) {
                push(current);
                return this;
            }
            GradientSum sibling = pending[index];
            pending[index] = pending[--size];
            pending[size] = null;
            GradientSum left = isLeft ? current : sibling;
            left.add(isLeft ? sibling : current);
            left.first = parentFirst;
            left.end = parentFirst + 2 * width;
            current = left;
        }
        push(current);
        return this;
    }

    /** Empties this sum for the next step's partitions, keeping its storage. */
    public OrderedSum reset() {
        Arrays.fill(pending, 0, size, null);
        size = 0;
        return this;
    }

    /** Adds everything another partial sum holds. */
    public OrderedSum merge(OrderedSum other) {
        if (other.partitions != partitions) {
            throw new IllegalArgumentException("cannot merge sums over " + other.partitions + " and " + partitions + " partitions");
        }
        for (int i = 0; i < other.size; i++) {
            add(other.pending[i]);
        }
        return this;
    }

    /** The sum over every partition; fails if some partition's result is missing. */
    public GradientSum total() {
        if (partitions == 0) {
            return new GradientSum(0, null, 0, 0, 0, 0, 0);
        }
        if (size != 1 || pending[0].first != 0) {
            throw new IllegalStateException("results for some of the " + partitions + " partitions are missing: holding "
                    + size + " partial sums");
        }
        return pending[0];
    }

    private int indexOf(int first, int width) {
        for (int i = 0; i < size; i++) {
            if (pending[i].first == first && pending[i].end - pending[i].first == width) {
                return i;
            }
        }
        return -1;
    }

    private void push(GradientSum node) {
        if (indexOf(node.first, node.end - node.first) >= 0) {
            throw new IllegalStateException("partitions [" + node.first + ", " + node.end + ") were summed twice");
        }
        if (size == pending.length) {
            pending = Arrays.copyOf(pending, size * 2);
        }
        pending[size++] = node;
    }
}
