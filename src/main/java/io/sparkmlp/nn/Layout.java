package io.sparkmlp.nn;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Where each layer's parameters live in the network's one flat array. Layer {@code l} maps
 * {@code sizes[l]} inputs to {@code sizes[l + 1]} outputs; its weights are a column-major
 * {@code sizes[l + 1] x sizes[l]} matrix at {@link #weightOffset(int)}, followed by its bias at
 * {@link #biasOffset(int)}. Gradients and momentum use the same layout.
 */
public final class Layout implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int[] sizes;
    private final int[] weightOffsets;
    private final int[] biasOffsets;
    private final int numParameters;

    public Layout(int... sizes) {
        if (sizes == null || sizes.length < 2) {
            throw new IllegalArgumentException("a network needs at least an input and an output layer, got "
                    + Arrays.toString(sizes));
        }
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 1) {
                throw new IllegalArgumentException("layer " + i + " has size " + sizes[i]
                        + "; every layer needs at least one unit (layers " + Arrays.toString(sizes) + ")");
            }
        }
        if (sizes[sizes.length - 1] < 2) {
            throw new IllegalArgumentException("the output layer has " + sizes[sizes.length - 1]
                    + " unit; a classifier needs at least 2 classes (layers " + Arrays.toString(sizes) + ")");
        }
        this.sizes = sizes.clone();
        int layers = sizes.length - 1;
        this.weightOffsets = new int[layers];
        this.biasOffsets = new int[layers];
        long offset = 0;
        for (int l = 0; l < layers; l++) {
            weightOffsets[l] = (int) offset;
            offset += (long) sizes[l] * sizes[l + 1];
            biasOffsets[l] = (int) offset;
            offset += sizes[l + 1];
            if (offset > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("layers " + Arrays.toString(sizes) + " need " + offset
                        + " parameters; one array holds at most " + (Integer.MAX_VALUE - 8));
            }
        }
        this.numParameters = (int) offset;
    }

    /** Parses "784,256,128,10" (commas or dashes). */
    public static Layout parse(String spec) {
        String[] parts = spec.trim().split("[,\\-x ]+");
        int[] sizes = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                sizes[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("layer sizes must be integers, got '" + parts[i] + "' in '" + spec + "'");
            }
        }
        return new Layout(sizes);
    }

    /** Number of weight layers (one less than the number of sizes). */
    public int numLayers() {
        return sizes.length - 1;
    }

    public int size(int index) {
        return sizes[index];
    }

    public int[] sizes() {
        return sizes.clone();
    }

    public int inputSize() {
        return sizes[0];
    }

    public int outputSize() {
        return sizes[sizes.length - 1];
    }

    public int numParameters() {
        return numParameters;
    }

    public int weightOffset(int layer) {
        return weightOffsets[layer];
    }

    public int biasOffset(int layer) {
        return biasOffsets[layer];
    }

    /** The largest layer width, which bounds every activation column. */
    public int maxWidth() {
        return Arrays.stream(sizes).max().orElseThrow();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Layout other && Arrays.equals(sizes, other.sizes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sizes);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < sizes.length; i++) {
            b.append(i == 0 ? "" : "-").append(sizes[i]);
        }
        return b.toString();
    }
}
