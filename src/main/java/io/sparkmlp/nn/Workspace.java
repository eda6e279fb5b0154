package io.sparkmlp.nn;

/**
 * The buffers of one forward/backward pass over up to {@code capacity} examples, allocated once and
 * reused for every batch of that size or smaller. All matrices are column-major with one column
 * per example, so the batch is simply the first {@code batch} columns.
 */
public final class Workspace {

    private final Layout layout;
    private final int capacity;
    /** activations[0]: the input, inputSize x capacity; activations[l]: output of layer l - 1, size(l) x capacity. */
    final float[][] activations;
    /** deltas[l]: loss gradient with respect to layer l - 1's pre-activation, size(l) x capacity (deltas[0] unused). */
    final float[][] deltas;
    final int[] labels;
    /** Global row index of each example: what its dropout masks are drawn from. */
    final long[] rowIds;
    /** Weight of each example in a weighted loss. */
    final float[] weights;
    /** masks[l]: dropout mask of hidden activation l, size(l) x capacity; allocated on first use with dropout. */
    private final float[][] masks;
    /** dropped[l]: activations[l] times masks[l], the next layer's input when layer l is masked. */
    final float[][] dropped;
    int correct;
    double weightSum;
    double unweightedLossSum;

    public Workspace(Layout layout, int capacity) {
        java.util.Objects.requireNonNull(layout, "layout");
        if (capacity < 1) {
            throw new IllegalArgumentException("workspace capacity must be at least 1 example, got " + capacity);
        }
        long largest = (long) layout.maxWidth() * capacity;
        if (largest > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a batch of " + capacity + " examples of width " + layout.maxWidth()
                    + " does not fit in one array; use a smaller batch");
        }
        this.layout = layout;
        this.capacity = capacity;
        int layers = layout.numLayers();
        this.activations = new float[layers + 1][];
        this.deltas = new float[layers + 1][];
        for (int l = 0; l <= layers; l++) {
            activations[l] = new float[layout.size(l) * capacity];
            if (l > 0) {
                deltas[l] = new float[layout.size(l) * capacity];
            }
        }
        this.labels = new int[capacity];
        this.rowIds = new long[capacity];
        this.weights = new float[capacity];
        this.masks = new float[layers + 1][];
        this.dropped = new float[layers + 1][];
    }

    /** The dropout mask of hidden activation {@code l}, allocated once for this workspace. */
    float[] mask(int l) {
        if (masks[l] == null) {
            masks[l] = new float[layout.size(l) * capacity];
            dropped[l] = new float[layout.size(l) * capacity];
        }
        return masks[l];
    }

    public Layout layout() {
        return layout;
    }

    public int capacity() {
        return capacity;
    }

    /** The input matrix to fill: example j occupies {@code [j * inputSize, (j + 1) * inputSize)}. */
    public float[] input() {
        return activations[0];
    }

    /** Class labels of the batch's examples, to fill before computing the loss. */
    public int[] labels() {
        return labels;
    }

    /** Global row indices of the batch's examples, to fill before a pass with dropout. */
    public long[] rowIds() {
        return rowIds;
    }

    /** Weights of the batch's examples, to fill before a weighted pass. */
    public float[] weights() {
        return weights;
    }

    /** The examples' summed weight in the last training pass (the batch size when it was not weighted). */
    public double weightSum() {
        return weightSum;
    }

    /** The summed cross-entropy of the last training pass without the weights. */
    public double unweightedLossSum() {
        return unweightedLossSum;
    }

    /** Class probabilities after a forward pass: example j occupies {@code [j * outputSize, (j + 1) * outputSize)}. */
    public float[] output() {
        return activations[layout.numLayers()];
    }

    /** Number of examples whose most probable class equalled the label, in the last loss computation. */
    public int correct() {
        return correct;
    }
}
