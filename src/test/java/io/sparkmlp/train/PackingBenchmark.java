package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Rng;
import io.sparkmlp.nn.Workspace;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Packing: unpacking a batch of scattered rows from a 60,000-row block into the batch matrix with
 * standardisation (every step's input), and building a block from rows (once per partition).
 *
 * <p>{@code storage=bytes} is the image path (one unsigned byte per value, scaled through a
 * 256-entry table); {@code storage=floats} the path for any other data (float32, scale and shift).
 * Both unpack {@code batch} · 784 values; the bytes block is 47 MB and the floats block 188 MB,
 * more than the caches hold, so the rows come from memory as they do in training.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// a fixed heap, room for the 188 MB float block; the Vector API for netlib's pure-Java BLAS
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules=jdk.incubator.vector"})
public class PackingBenchmark {

    /** Rows per unpacked batch, and rows per built block. */
    @Param({"128", "1024"})
    public int batch;

    /** How the block stores its values: the image path or the general one. */
    @Param({"bytes", "floats"})
    public String storage;

    private Block block;
    private InputScaling scaling;
    private final float[] byteTable = new float[256];
    private Workspace workspace;
    /** The rows in the order the batches visit them: a shuffle, as an epoch's order is. */
    private int[] order;
    private int cursor;
    /** The rows that {@link #buildBlock} packs, as {@code PackedData} receives them from a DataFrame. */
    private double[][] sourceRows;
    private int[] sourceLabels;

    @Setup(Level.Trial)
    public void setUp() {
        boolean asFloats = switch (storage) {
            case "bytes" -> false;
            case "floats" -> true;
            default -> throw new IllegalArgumentException("storage is bytes or floats, got " + storage);
        };
        block = SyntheticImages.block(SyntheticImages.TRAINING_ROWS, asFloats, 1L);
        scaling = SyntheticImages.standardization(block);
        Block.fillByteTable(scaling, byteTable);
        workspace = new Workspace(new Layout(SyntheticImages.FEATURES, 256, 128, SyntheticImages.CLASSES), batch);
        order = new int[block.rows()];
        new Rng(2L).permutation(order);
        Rng rng = new Rng(3L);
        sourceRows = new double[batch][SyntheticImages.FEATURES];
        sourceLabels = new int[batch];
        for (int r = 0; r < batch; r++) {
            if (asFloats) {
                SyntheticImages.nonImage(rng, sourceRows[r]);
            } else {
                SyntheticImages.image(rng, sourceRows[r]);
            }
            sourceLabels[r] = rng.nextInt(SyntheticImages.CLASSES);
        }
    }

    /** The next {@code batch} rows of the shuffled order into the workspace's input and labels, as StepTask does. */
    @Benchmark
    public float[] unpackBatch() {
        float[] input = workspace.input();
        int[] labels = workspace.labels();
        int features = block.features();
        for (int n = 0; n < batch; n++) {
            int row = order[cursor];
            cursor = cursor + 1 == order.length ? 0 : cursor + 1;
            block.unpack(row, input, n * features, scaling, byteTable);
            labels[n] = block.label(row);
        }
        return input;
    }

    /** A block built from {@code batch} rows of doubles, growing from the builder's initial 64 rows. */
    @Benchmark
    // The heap touched at start-up (about 9 s on the 2-core machine): page faults on the first use of
    // fresh heap made this allocating benchmark's iterations vary more than ten-fold without it.
    @Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch", "--add-modules=jdk.incubator.vector"})
    public Block buildBlock() {
        Block.Builder builder = new Block.Builder(SyntheticImages.FEATURES);
        for (int r = 0; r < batch; r++) {
            builder.add(sourceLabels[r], sourceRows[r]);
        }
        return builder.build();
    }
}
