package io.sparkmlp.train;

import io.sparkmlp.nn.FeatureMoments;
import io.sparkmlp.nn.InputScaling;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Consecutive rows of one partition (all of them, unless it is large), packed once and cached: the
 * features row-major with one row contiguous, as one unsigned byte per value when every value is a
 * multiple of 1/255 (images), else as float32; the class labels; and, only when a weight column was
 * given, each row's weight. Rows are unpacked into the batch matrix inside the task.
 */
final class Block implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The most values one Java array holds on common JVMs. */
    static final int MAX_VALUES = Integer.MAX_VALUE - 8;
    /**
     * The values a packed block holds at most (16 MiB as bytes, 64 MiB as floats): a larger partition
     * is packed into several blocks, so that its size is not bounded by one array, packing holds one
     * growing block at a time, and Spark's cache, which weighs an unrolling partition every
     * {@code spark.storage.unrollMemoryCheckPeriod} (16) values, weighs it every 256 MiB of bytes.
     */
    static final int DEFAULT_BLOCK_VALUES = 1 << 24;

    private final int rows;
    private final int features;
    /** rows x features, row-major; value = (byte & 0xff) / 255. Null when {@link #floats} holds the values. */
    private final byte[] bytes;
    /** rows x features, row-major. Null when {@link #bytes} holds the values. */
    private final float[] floats;
    private final int[] labels;
    /** One weight per row, finite and >= 0; null when the rows are not weighted. */
    private final float[] weights;

    Block(int rows, int features, byte[] bytes, float[] floats, int[] labels) {
        this(rows, features, bytes, floats, labels, null);
    }

    Block(int rows, int features, byte[] bytes, float[] floats, int[] labels, float[] weights) {
        this.rows = rows;
        this.features = features;
        this.bytes = bytes;
        this.floats = floats;
        this.labels = labels;
        this.weights = weights;
    }

    /** The rows of {@code features} values each that a block of at most {@code maxValues} values takes; at least 1. */
    static int rowsPerBlock(int features, int maxValues) {
        if (features < 1 || maxValues < 1) {
            throw new IllegalArgumentException("features and maxValues must be >= 1, got " + features + ", " + maxValues);
        }
        return Math.max(1, Math.min(maxValues, MAX_VALUES) / features);
    }

    /** Whether the rows carry weights. */
    boolean weighted() {
        return weights != null;
    }

    /** Row {@code row}'s weight; 1 when the rows are not weighted. */
    float weight(int row) {
        return weights == null ? 1f : weights[row];
    }

    /**
     * Adds, per class c, this block's rows of class c into {@code totals[c]} and their summed weight
     * into {@code totals[classes + c]}.
     */
    void addClassTotals(double[] totals, int classes) {
        for (int r = 0; r < rows; r++) {
            totals[labels[r]]++;
            totals[classes + labels[r]] += weight(r);
        }
    }

    int rows() {
        return rows;
    }

    int features() {
        return features;
    }

    int label(int row) {
        return labels[row];
    }

    /** A stored byte's value, {@code v / 255f}, for scalings with a scale and shift per feature. */
    private static final float[] BYTE_VALUES = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            // x = v / 255
            BYTE_VALUES[v] = v / 255f;
        }
    }

    /** The lookup table from a stored byte to the scaled network input of a global scaling, filled into {@code table[256]}. */
    static void fillByteTable(InputScaling scaling, float[] table) {
        for (int v = 0; v < 256; v++) {
            // x' = scale * (v / 255) + shift
            table[v] = scaling.apply(0, BYTE_VALUES[v]);
        }
    }

    /**
     * Writes row {@code row}, scaled, into {@code dst[offset, offset + features)}; {@code byteTable} is
     * {@link #fillByteTable}'s for {@code scaling} when that is global (the fast path for images).
     */
    void unpack(int row, float[] dst, int offset, InputScaling scaling, float[] byteTable) {
        int from = row * features;
        if (bytes != null && scaling.isGlobal()) {
            for (int k = 0; k < features; k++) {
                // x' = table[b] = scale * (b / 255) + shift
                dst[offset + k] = byteTable[bytes[from + k] & 0xff];
            }
        } else if (bytes != null) {
            // x'_k = scale_k * (b_k / 255) + shift_k
            scaling.applyToBytes(bytes, from, BYTE_VALUES, dst, offset, features);
        } else {
            // x'_k = scale_k * x_k + shift_k
            scaling.apply(floats, from, dst, offset, features);
        }
    }

    /** Whether the values are stored as bytes (else as floats). */
    boolean storedAsBytes() {
        return bytes != null;
    }

    /** This block's part of the first pass of a partition's moments ({@link FeatureMoments.TwoPass}). */
    void sumInto(FeatureMoments.TwoPass passes) {
        if (bytes != null) {
            passes.sum(bytes, rows);
        } else {
            passes.sum(floats, rows);
        }
    }

    /** This block's part of the second pass of a partition's moments. */
    void addDeviationsInto(FeatureMoments.TwoPass passes) {
        if (bytes != null) {
            passes.addDeviations(bytes, rows);
        } else {
            passes.addDeviations(floats, rows);
        }
    }

    /** The rows whose {@code keep} flag is set, in order. */
    Block select(boolean[] keep) {
        int kept = 0;
        for (boolean k : keep) {
            kept += k ? 1 : 0;
        }
        byte[] b = bytes == null ? null : new byte[kept * features];
        float[] f = floats == null ? null : new float[kept * features];
        int[] l = new int[kept];
        float[] w = weights == null ? null : new float[kept];
        int to = 0;
        for (int r = 0; r < rows; r++) {
            if (keep[r]) {
                if (b != null) {
                    System.arraycopy(bytes, r * features, b, to * features, features);
                } else {
                    System.arraycopy(floats, r * features, f, to * features, features);
                }
                if (w != null) {
                    w[to] = weights[r];
                }
                l[to++] = labels[r];
            }
        }
        return new Block(kept, features, b, f, l, w);
    }

    /** Accumulates rows one at a time, as bytes while every value allows it, then as floats, up to a row limit. */
    static final class Builder {
        private final int features;
        private final int maxRows;
        private int rows;
        private byte[] bytes;
        private float[] floats;
        private int[] labels;
        private float[] weights;

        /** A builder whose block may take as many rows as one Java array of the values holds. */
        Builder(int features) {
            this(features, rowsPerBlock(features, Integer.MAX_VALUE), 64, false);
        }

        /**
         * A builder of at most {@code maxRows} rows, with room for {@code initialRows} of them at first
         * (it grows by doubling, up to {@code maxRows}); {@code asFloats} stores floats from the start,
         * as a partition's later blocks do once one has turned to floats.
         */
        Builder(int features, int maxRows, int initialRows, boolean asFloats) {
            if (features < 1 || maxRows < 1 || initialRows < 1) {
                throw new IllegalArgumentException("a block needs features, maxRows and initialRows >= 1, got "
                        + features + ", " + maxRows + ", " + initialRows);
            }
            if ((long) maxRows * features > MAX_VALUES) {
                throw new IllegalArgumentException(maxRows + " rows of " + features + " features exceed one Java array ("
                        + MAX_VALUES + " values)");
            }
            this.features = features;
            this.maxRows = maxRows;
            int initial = Math.min(initialRows, maxRows);
            if (asFloats) {
                this.floats = new float[features * initial];
            } else {
                this.bytes = new byte[features * initial];
            }
            this.labels = new int[initial];
        }

        int rows() {
            return rows;
        }

        /** Whether the block has its most rows; the next row goes into another block. */
        boolean full() {
            return rows == maxRows;
        }

        /** Adds a dense row; the caller has checked the values are finite. */
        void add(int label, double[] values) {
            ensureCapacity(rows + 1);
            int from = rows * features;
            if (bytes != null && !appendAsBytes(values, from)) {
                switchToFloats();
            }
            if (floats != null) {
                for (int k = 0; k < features; k++) {
                    floats[from + k] = (float) values[k];
                }
            }
            labels[rows++] = label;
        }

        /** Adds a dense row with its weight; the caller has checked the weight is finite and >= 0. */
        void add(int label, double[] values, float weight) {
            if (weights == null) {
                if (rows > 0) {
                    throw new IllegalStateException("a block's rows are either all weighted or none");
                }
                weights = new float[labels.length];
            }
            add(label, values);
            if (weights.length < labels.length) {
                weights = Arrays.copyOf(weights, labels.length);
            }
            weights[rows - 1] = weight;
        }

        private boolean appendAsBytes(double[] values, int from) {
            for (int k = 0; k < features; k++) {
                double scaled = values[k] * 255.0;
                long v = Math.round(scaled);
                if (v < 0 || v > 255 || v / 255.0 != values[k]) {
                    return false;
                }
                bytes[from + k] = (byte) v;
            }
            return true;
        }

        private void switchToFloats() {
            floats = new float[bytes.length];
            for (int i = 0; i < rows * features; i++) {
                floats[i] = (bytes[i] & 0xff) / 255f;
            }
            bytes = null;
        }

        private void ensureCapacity(int needed) {
            if (needed <= labels.length) {
                return;
            }
            if (needed > maxRows) {
                throw new IllegalStateException("a block of at most " + maxRows + " rows is full; start another");
            }
            long grown = Math.min(maxRows, Math.max(needed, (long) labels.length * 2));
            labels = Arrays.copyOf(labels, (int) grown);
            if (bytes != null) {
                bytes = Arrays.copyOf(bytes, (int) grown * features);
            } else {
                floats = Arrays.copyOf(floats, (int) grown * features);
            }
        }

        /** The rows added so far, in arrays of their exact size (a full block's own arrays, not copies). */
        Block build() {
            int n = rows * features;
            return new Block(rows, features, bytes == null ? null : exact(bytes, n),
                    floats == null ? null : exact(floats, n), exact(labels, rows),
                    weights == null ? null : exact(weights, rows));
        }

        private static byte[] exact(byte[] a, int n) {
            return a.length == n ? a : Arrays.copyOf(a, n);
        }

        private static float[] exact(float[] a, int n) {
            return a.length == n ? a : Arrays.copyOf(a, n);
        }

        private static int[] exact(int[] a, int n) {
            return a.length == n ? a : Arrays.copyOf(a, n);
        }
    }
}
