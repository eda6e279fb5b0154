package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32;

/**
 * What a run was trained on, as far as a resume must match it: the training and validation rows
 * and partitions (the partitioning fixes the summation order, so it fixes the bits), a CRC32 of
 * their labels in global row order (and of their weights, when the rows are weighted), and a CRC32
 * of the input scaling drawn from the training features (every scale and shift, {@link InputScaling#crc32}).
 */
public record DataFingerprint(long trainRows, int trainPartitions, long trainLabelsCrc, long validationRows,
                              int validationPartitions, long validationLabelsCrc, long inputScalingCrc) {

    /** A fingerprint with a global input scaling, as checkpoints before per-feature scaling recorded it. */
    public DataFingerprint(long trainRows, int trainPartitions, long trainLabelsCrc, long validationRows,
                           int validationPartitions, long validationLabelsCrc, float inputScale, float inputShift) {
        this(trainRows, trainPartitions, trainLabelsCrc, validationRows, validationPartitions, validationLabelsCrc,
                InputScaling.global(inputScale, inputShift).crc32());
    }

    /** One small job per data set over the cached blocks. */
    static DataFingerprint of(PackedData train, PackedData validation, InputScaling scaling) {
        return new DataFingerprint(train.rows(), train.numPartitions(), labelsCrc(train),
                validation == null ? 0 : validation.rows(), validation == null ? 0 : validation.numPartitions(),
                validation == null ? 0 : labelsCrc(validation), scaling.crc32());
    }

    /** The labels' CRC32 over all partitions: each partition's CRC, then a CRC of those in partition order. */
    static long labelsCrc(PackedData data) {
        List<Long> parts = data.blocks().mapPartitions(DataFingerprint::partitionLabelsCrc, true).collect();
        ByteBuffer bytes = ByteBuffer.allocate(8 * parts.size());
        for (long crc : parts) {
            bytes.putLong(crc);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes.array());
        return crc.getValue();
    }

    /** One partition's CRC over its rows in order, block after block: the same however the rows are blocked. */
    private static Iterator<Long> partitionLabelsCrc(Iterator<Block> blocks) {
        CRC32 crc = new CRC32();
        while (blocks.hasNext()) {
            Block block = blocks.next();
            // unweighted rows: the labels alone, as before weights existed, so older checkpoints still match
            ByteBuffer bytes = ByteBuffer.allocate((block.weighted() ? 8 : 4) * block.rows());
            for (int r = 0; r < block.rows(); r++) {
                bytes.putInt(block.label(r));
                if (block.weighted()) {
                    bytes.putFloat(block.weight(r));
                }
            }
            crc.update(bytes.array());
        }
        return Collections.singletonList(crc.getValue()).iterator();
    }

    /** What differs from {@code other} (this run's data), one phrase each; empty when nothing does. */
    public List<String> differences(DataFingerprint other) {
        List<String> d = new ArrayList<>();
        differ(d, "training rows", trainRows, other.trainRows);
        differ(d, "training partitions", trainPartitions, other.trainPartitions);
        if (trainRows == other.trainRows && trainLabelsCrc != other.trainLabelsCrc) {
            d.add("training labels (CRC32 " + trainLabelsCrc + " in the checkpoint, " + other.trainLabelsCrc
                    + " here; of the weights too, for weighted rows)");
        }
        differ(d, "validation rows", validationRows, other.validationRows);
        differ(d, "validation partitions", validationPartitions, other.validationPartitions);
        if (validationRows == other.validationRows && validationLabelsCrc != other.validationLabelsCrc) {
            d.add("validation labels (CRC32 " + validationLabelsCrc + " in the checkpoint, " + other.validationLabelsCrc
                    + " here)");
        }
        if (inputScalingCrc != other.inputScalingCrc) {
            d.add("input scaling drawn from the training features (CRC32 " + inputScalingCrc + " in the checkpoint, "
                    + other.inputScalingCrc + " here)");
        }
        return d;
    }

    private static void differ(List<String> d, String what, long saved, long here) {
        if (saved != here) {
            d.add(what + " (" + saved + " in the checkpoint, " + here + " here)");
        }
    }
}
