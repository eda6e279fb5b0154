package io.sparkmlp.train;

import io.sparkmlp.nn.FeatureMoments;
import io.sparkmlp.nn.Rng;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rows packed into cached {@link Block}s, one per partition unless a partition exceeds one block's
 * size ({@value Block#DEFAULT_BLOCK_VALUES} values), with each partition's first global row index.
 * Global indices give every row a fixed identity for shuffling and splitting.
 */
public final class PackedData {

    private static final Logger LOG = LoggerFactory.getLogger(PackedData.class);
    static final long SPLIT_STREAM = 0x5B117;
    /** Test-only: the most rows a block takes (a positive integer), so that small data spans several blocks. */
    static final String TEST_BLOCK_ROWS_KEY = "spark.sparkmlp.test.blockRows";
    private static final AtomicBoolean LINEAGE_HINT_GIVEN = new AtomicBoolean();

    private final JavaRDD<Block> blocks;
    private final long[] partitionRows;
    private final long[] partitionStarts;
    private final long rows;

    private PackedData(JavaRDD<Block> blocks, long[] partitionRows) {
        this.blocks = blocks;
        this.partitionRows = partitionRows;
        this.partitionStarts = new long[partitionRows.length];
        long total = 0;
        for (int p = 0; p < partitionRows.length; p++) {
            partitionStarts[p] = total;
            total += partitionRows[p];
        }
        this.rows = total;
    }

    /**
     * Packs a DataFrame's label and feature columns, checking every row: the label must be a class
     * index in {@code [0, classes)}, the vector must have {@code features} finite values.
     *
     * @param partitions the partition count to train with; 0 keeps the DataFrame's own
     */
    public static PackedData pack(Dataset<Row> data, String labelCol, String featuresCol, int features, int classes,
                                  int partitions) {
        return pack(data, labelCol, featuresCol, null, features, classes, partitions);
    }

    /**
     * As above, with each row's weight from {@code weightCol} (numeric, finite and >= 0) packed beside
     * it; null packs no weights, and costs nothing.
     */
    public static PackedData pack(Dataset<Row> data, String labelCol, String featuresCol, String weightCol,
                                  int features, int classes, int partitions) {
        checkColumns(data, labelCol, featuresCol);
        if (weightCol != null) {
            checkWeightColumn(data, weightCol);
        }
        checkMetadata(data, labelCol, featuresCol, features, classes);
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0 (0 keeps the data's own), got " + partitions);
        }
        Dataset<Row> selected = weightCol == null
                ? data.select(functions.col(labelCol).cast("double"), functions.col(featuresCol))
                : data.select(functions.col(labelCol).cast("double"), functions.col(featuresCol),
                        functions.col(weightCol).cast("double"));
        int current = selected.rdd().getNumPartitions();
        if (partitions > 0 && partitions < current) {
            selected = selected.coalesce(partitions);
        } else if (partitions > current) {
            // a round-robin shuffle: rows spread evenly, but their order inside a partition is not fixed
            LOG.warn("repartitioning {} input partitions into {}; for bit-for-bit reproducible runs give the data"
                    + " {} partitions when reading it", current, partitions, partitions);
            selected = selected.repartition(partitions);
        }
        boolean weighted = weightCol != null;
        int blockRows = blockRows(data.sparkSession().sparkContext(), features);
        JavaRDD<Block> blocks = selected.javaRDD()
                .mapPartitionsWithIndex((partition, rowsIn) -> new PartitionPacker(partition, rowsIn, features, classes,
                        weighted, blockRows), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        truncateLineage(blocks);
        try {
            long[] counts = rowCounts(blocks);
            spilledToDisk(blocks, counts).ifPresent(LOG::warn);
            return new PackedData(blocks, counts);
        } catch (RuntimeException e) {
            blocks.unpersist(false); // a bad row failed the packing job: drop what the other partitions cached
            throw e;
        }
    }

    /**
     * Marks cached blocks so that the job that first fills the cache also cuts their lineage. Every
     * step's task binary carries the RDD's lineage, and deserialising the SQL plan behind a DataFrame
     * took about 1 ms per task here, once per step. A local master keeps the blocks in its own block
     * manager, so a local checkpoint (the cached blocks themselves) loses nothing; on a cluster the
     * lineage is cut only by a reliable checkpoint, when the context has a checkpoint directory, so
     * that a lost executor's partitions can still be rebuilt.
     */
    private static void truncateLineage(JavaRDD<Block> blocks) {
        SparkContext sc = blocks.context();
        if (sc.isLocal()) {
            blocks.rdd().localCheckpoint();
        } else if (sc.getCheckpointDir().isDefined()) {
            blocks.checkpoint();
        } else if (!LINEAGE_HINT_GIVEN.getAndSet(true)) {
            LOG.info("no checkpoint directory set: the packed data keeps its lineage, which every step's tasks"
                    + " deserialise; SparkContext.setCheckpointDir(...) makes steps cheaper");
        }
    }

    /** The most rows a block of {@code features} values a row takes: the test setting's, else the default size's. */
    private static int blockRows(SparkContext sc, int features) {
        String setting = SparkJobs.setting(sc, TEST_BLOCK_ROWS_KEY, "");
        if (setting.isEmpty()) {
            return Block.rowsPerBlock(features, Block.DEFAULT_BLOCK_VALUES);
        }
        try {
            int rows = Integer.parseInt(setting);
            if (rows >= 1) {
                return Math.min(rows, Block.rowsPerBlock(features, Block.MAX_VALUES));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(TEST_BLOCK_ROWS_KEY + " must be a positive integer, got '" + setting + "'");
    }

    /**
     * When Spark could not keep every packed block in memory, what that means for training and what
     * to change; empty when all of them are in memory. A task takes its partition's blocks from the
     * cache by reference, but one read back from disk is a copy in that task's heap, held for the
     * epoch: with a few such tasks at once the heap can run out.
     */
    static java.util.Optional<String> spilledToDisk(JavaRDD<Block> blocks, long[] partitionRows) {
        for (org.apache.spark.storage.RDDInfo info : blocks.context().getRDDStorageInfo()) {
            if (info.id() != blocks.id() || info.diskSize() == 0) {
                continue;
            }
            long rows = 0;
            long largest = 0;
            for (long r : partitionRows) {
                rows += r;
                largest = Math.max(largest, r);
            }
            long bytes = info.memSize() + info.diskSize();
            double mib = 1024.0 * 1024.0;
            // a partition's share of the packed bytes, by its rows
            double largestMib = rows == 0 ? 0 : bytes * (double) largest / rows / mib;
            return java.util.Optional.of(String.format(java.util.Locale.ROOT, "the packed rows do not all fit in"
                    + " Spark's storage memory: %.1f MiB of %.1f MiB in %d partitions went to disk. A task reading its"
                    + " partition back from disk holds a copy of it (here up to %.1f MiB) for the epoch, so the heap"
                    + " may run out; give the executors more memory (spark.executor.memory; under a local master the"
                    + " driver's, spark.driver.memory or SPARKMLP_DRIVER_MEMORY) or add executors",
                    info.diskSize() / mib, bytes / mib, partitionRows.length, largestMib));
        }
        return java.util.Optional.empty();
    }

    private static long[] rowCounts(JavaRDD<Block> blocks) {
        // each partition's rows over its blocks, in partition order
        List<Long> counts = blocks.mapPartitions(it -> {
            long rows = 0;
            while (it.hasNext()) {
                rows += it.next().rows();
            }
            return Collections.singletonList(rows).iterator();
        }, true).collect();
        long[] result = new long[counts.size()];
        for (int p = 0; p < result.length; p++) {
            result[p] = counts.get(p);
        }
        return result;
    }

    private static void checkColumns(Dataset<Row> data, String labelCol, String featuresCol) {
        List<String> names = List.of(data.columns());
        if (!names.contains(labelCol)) {
            throw new IllegalArgumentException("label column '" + labelCol + "' is not in the data; columns: " + names);
        }
        if (!names.contains(featuresCol)) {
            throw new IllegalArgumentException("features column '" + featuresCol + "' is not in the data; columns: " + names);
        }
        StructField label = data.schema().apply(labelCol);
        if (!(label.dataType() instanceof NumericType)) {
            // Spark's own words for this (SchemaUtils.checkNumericType, as its classifiers say it)
            throw new IllegalArgumentException("Column " + labelCol + " must be of type numeric but was actually of type "
                    + label.dataType().catalogString() + ". The label holds class indices 0, 1, 2, ...");
        }
        StructField vector = data.schema().apply(featuresCol);
        if (!vector.dataType().equals(SQLDataTypes.VectorType())) {
            throw new IllegalArgumentException("features column '" + featuresCol + "' has type "
                    + vector.dataType().simpleString() + "; expected an ML Vector (e.g. from VectorAssembler)");
        }
    }

    private static void checkWeightColumn(Dataset<Row> data, String weightCol) {
        List<String> names = List.of(data.columns());
        if (!names.contains(weightCol)) {
            throw new IllegalArgumentException("weight column '" + weightCol + "' is not in the data; columns: " + names);
        }
        StructField weight = data.schema().apply(weightCol);
        if (!(weight.dataType() instanceof NumericType)) {
            throw new IllegalArgumentException("Column " + weightCol + " must be of type numeric but was actually of type "
                    + weight.dataType().catalogString() + ". The weight column holds each row's weight, finite and >= 0");
        }
    }

    /**
     * Where the columns' ML metadata knows the vector size (VectorAssembler) or the number of classes
     * (StringIndexer), checks them against the network before any job runs; rows are checked again when packed.
     */
    private static void checkMetadata(Dataset<Row> data, String labelCol, String featuresCol, int features,
                                      int classes) {
        int size = AttributeGroup.fromStructField(data.schema().apply(featuresCol)).size();
        if (size >= 0 && size != features) {
            throw new IllegalArgumentException("features column '" + featuresCol + "' holds vectors of size " + size
                    + " (its metadata says so); the network's input layer has " + features
                    + ": the first layer size must equal the vector size");
        }
        Attribute label = Attribute.fromStructField(data.schema().apply(labelCol));
        if (label instanceof NominalAttribute nominal && nominal.getNumValues().isDefined()
                && (Integer) nominal.getNumValues().get() > classes) {
            throw new IllegalArgumentException("label column '" + labelCol + "' has " + nominal.getNumValues().get()
                    + " classes (its metadata says so); the network's output layer has " + classes
                    + ": the last layer size must be at least the number of classes");
        }
    }

    /**
     * Packs one partition's rows, checking each, into blocks of at most {@code blockRows} rows, one
     * block at a time as Spark asks for them, so that packing holds one growing block besides those
     * already built; an empty partition gives one empty block. Once a block has turned to floats the
     * later ones store floats from the start, as one block of all the rows would.
     */
    private static final class PartitionPacker implements Iterator<Block> {

        private final int partition;
        private final Iterator<Row> rowsIn;
        private final int features;
        private final int classes;
        private final boolean weighted;
        private final int blockRows;
        private final double[] dense;
        /** The partition's rows packed so far, for the messages. */
        private long packed;
        private int blocks;
        private boolean floats;

        PartitionPacker(int partition, Iterator<Row> rowsIn, int features, int classes, boolean weighted,
                        int blockRows) {
            this.partition = partition;
            this.rowsIn = rowsIn;
            this.features = features;
            this.classes = classes;
            this.weighted = weighted;
            this.blockRows = blockRows;
            this.dense = new double[features];
        }

        @Override
        public boolean hasNext() {
            return blocks == 0 || rowsIn.hasNext();
        }

        @Override
        public Block next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException("partition " + partition + " is packed");
            }
            // the first block grows from a few rows (most partitions fit one); a later one starts at its full size
            Block.Builder builder = new Block.Builder(features, blockRows, blocks == 0 ? 64 : blockRows, floats);
            while (!builder.full() && rowsIn.hasNext()) {
                add(builder, rowsIn.next());
                packed++;
            }
            blocks++;
            Block block = builder.build();
            floats |= !block.storedAsBytes();
            return block;
        }

        private void add(Block.Builder builder, Row row) {
            if (row.isNullAt(0) || row.isNullAt(1)) {
                throw new IllegalArgumentException("row " + packed + " of partition " + partition + " has a null "
                        + (row.isNullAt(0) ? "label" : "features vector"));
            }
            double label = row.getDouble(0);
            if (!(label >= 0 && label < classes && label == Math.rint(label))) {
                throw new IllegalArgumentException("label " + label + " in row " + packed + " of partition " + partition
                        + " is not a class of the network: expected an integer in [0, " + classes
                        + "), the output layer's size");
            }
            Vector vector = row.getAs(1);
            if (vector.size() != features) {
                throw new IllegalArgumentException("row " + packed + " of partition " + partition + " has " + vector.size()
                        + " features; the network's input layer has " + features);
            }
            double[] values = toDense(vector, dense);
            for (int k = 0; k < features; k++) {
                if (!Double.isFinite(values[k])) {
                    throw new IllegalArgumentException("row " + packed + " of partition " + partition + " has feature " + k
                            + " = " + values[k] + "; every input must be a finite number");
                }
            }
            if (weighted) {
                if (row.isNullAt(2)) {
                    throw new IllegalArgumentException("row " + packed + " of partition " + partition + " has a null weight");
                }
                double weight = row.getDouble(2);
                // a float must hold it: a weight beyond float range would be infinite in the step
                if (!(weight >= 0 && (float) weight < Float.POSITIVE_INFINITY)) {
                    throw new IllegalArgumentException("weight " + weight + " in row " + packed + " of partition "
                            + partition + " must be finite and >= 0");
                }
                builder.add((int) label, values, (float) weight);
            } else {
                builder.add((int) label, values);
            }
        }
    }

    private static double[] toDense(Vector vector, double[] buffer) {
        if (vector instanceof DenseVector dense) {
            return dense.values();
        }
        SparseVector sparse = (SparseVector) vector;
        java.util.Arrays.fill(buffer, 0.0);
        int[] indices = sparse.indices();
        double[] values = sparse.values();
        for (int i = 0; i < indices.length; i++) {
            buffer[indices[i]] = values[i];
        }
        return buffer;
    }

    /** Whether global row {@code row} falls in the validation share of a split drawn from {@code seed}. */
    static boolean isValidationRow(long seed, long row, double fraction) {
        return (Rng.derive(seed, SPLIT_STREAM, row) >>> 11) * 0x1.0p-53 < fraction;
    }

    /**
     * Splits off a random {@code fraction} of the rows for validation, fixed by (seed, global row).
     * Returns {training, validation}; this data's cache is released once both are built.
     */
    public PackedData[] split(long seed, double fraction) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + fraction);
        }
        int partitions = partitionRows.length;
        long[] validationRows = new long[partitions];
        long[] trainRows = new long[partitions];
        for (int p = 0; p < partitions; p++) {
            for (long r = partitionStarts[p]; r < partitionStarts[p] + partitionRows[p]; r++) {
                validationRows[p] += isValidationRow(seed, r, fraction) ? 1 : 0;
            }
            trainRows[p] = partitionRows[p] - validationRows[p];
        }
        long[] starts = partitionStarts.clone();
        long[] packed = partitionRows.clone();
        JavaRDD<Block> train = blocks.mapPartitionsWithIndex(
                (p, it) -> select(it, p, packed[p], seed, starts[p], fraction, false), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        JavaRDD<Block> validation = blocks.mapPartitionsWithIndex(
                (p, it) -> select(it, p, packed[p], seed, starts[p], fraction, true), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        if (blocks.context().isLocal()) {
            // a reliable checkpoint of the blocks already keeps these lineages short
            train.rdd().localCheckpoint();
            validation.rdd().localCheckpoint();
        }
        PackedData[] result = {new PackedData(train, trainRows), new PackedData(validation, validationRows)};
        try {
            train.count();
            validation.count();
        } catch (RuntimeException e) {
            train.unpersist(false);
            validation.unpersist(false);
            throw e;
        }
        blocks.unpersist(false);
        return result;
    }

    /** Each of a partition's blocks with only the rows of one side of the split: as many blocks, in order. */
    private static Iterator<Block> select(Iterator<Block> it, int partition, long packedRows, long seed, long start,
                                          double fraction, boolean validation) {
        Iterator<Block> blocksIn = checkedRows(partition, it, packedRows);
        return new Iterator<>() {
            private long first = start;

            @Override
            public boolean hasNext() {
                return blocksIn.hasNext();
            }

            @Override
            public Block next() {
                Block block = blocksIn.next();
                boolean[] keep = new boolean[block.rows()];
                for (int r = 0; r < keep.length; r++) {
                    keep[r] = isValidationRow(seed, first + r, fraction) == validation;
                }
                first += block.rows();
                return block.select(keep);
            }
        };
    }

    /**
     * Each feature's count, mean and sum of squared deviations over every row, in one job over the
     * cached blocks: each partition's in two passes over its blocks, merged on the driver in partition
     * order (Chan et al.'s update), so the result does not depend on the order tasks finish in, nor on
     * how a partition is cut into blocks.
     */
    public FeatureMoments featureMoments() {
        // one per partition, in partition order
        List<FeatureMoments> parts = blocks.mapPartitions(PackedData::partitionMoments, true).collect();
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("cannot draw input moments from data with no partitions");
        }
        FeatureMoments all = new FeatureMoments(parts.get(0).features());
        for (FeatureMoments part : parts) {
            all.merge(part);
        }
        return all;
    }

    /**
     * One partition's moments, as one block of all its rows would give them: exact byte sums when every
     * block holds bytes, else every value as a float (one block turns wholly to floats).
     */
    static Iterator<FeatureMoments> partitionMoments(Iterator<Block> blocksIn) {
        List<Block> parts = new java.util.ArrayList<>(1);
        blocksIn.forEachRemaining(parts::add);
        if (parts.isEmpty()) {
            return Collections.emptyIterator();
        }
        boolean bytes = parts.stream().allMatch(Block::storedAsBytes);
        FeatureMoments.TwoPass passes = new FeatureMoments.TwoPass(parts.get(0).features(), bytes);
        parts.forEach(block -> block.sumInto(passes));
        passes.endFirstPass();
        parts.forEach(block -> block.addDeviationsInto(passes));
        return Collections.singletonList(passes.result()).iterator();
    }

    /** Mean and standard deviation over every value of every row. */
    public double[] meanAndStd() {
        return featureMoments().global();
    }

    /**
     * Per class c: {@code [c]} the rows of class c and {@code [classes + c]} their summed weight (the
     * rows, when not weighted), added in partition order.
     */
    public double[] classTotals(int classes) {
        // one per partition, its blocks' rows added in order
        List<double[]> parts = blocks.mapPartitions(it -> {
            double[] partition = new double[2 * classes];
            it.forEachRemaining(block -> block.addClassTotals(partition, classes));
            return Collections.singletonList(partition).iterator();
        }, true).collect();
        double[] totals = new double[2 * classes];
        for (double[] part : parts) {
            for (int i = 0; i < totals.length; i++) {
                totals[i] += part[i];
            }
        }
        return totals;
    }

    JavaRDD<Block> blocks() {
        return blocks;
    }

    /**
     * {@code task} reading each partition's blocks through {@link #checkedRows}: on a cluster a lost
     * executor's blocks are rebuilt from their lineage, and a rebuilt partition must hold the rows
     * that packing counted, or every global row index after it would be shifted.
     */
    <T> Function2<Integer, Iterator<Block>, Iterator<T>> checkingRows(Function2<Integer, Iterator<Block>, Iterator<T>> task) {
        return new RowCheckedTask<>(task, partitionRows.clone());
    }

    /** A partition task that gets its blocks through {@link #checkedRows}. */
    private static final class RowCheckedTask<T> implements Function2<Integer, Iterator<Block>, Iterator<T>> {

        private static final long serialVersionUID = 1L;

        private final Function2<Integer, Iterator<Block>, Iterator<T>> task;
        private final long[] packedRows;

        RowCheckedTask(Function2<Integer, Iterator<Block>, Iterator<T>> task, long[] packedRows) {
            this.task = task;
            this.packedRows = packedRows;
        }

        @Override
        public Iterator<T> call(Integer partition, Iterator<Block> blocksIn) throws Exception {
            return task.call(partition, checkedRows(partition, blocksIn, packedRows[partition]));
        }
    }

    /**
     * {@code partition}'s blocks as they come, failing as soon as they hold more than the
     * {@code packedRows} rows that packing counted, or fewer once the last has come, naming the
     * partition and both counts: a rebuilt block with other rows means the input changed or is read
     * non-deterministically.
     */
    static Iterator<Block> checkedRows(int partition, Iterator<Block> blocksIn, long packedRows) {
        return new Iterator<>() {
            private long rows;

            @Override
            public boolean hasNext() {
                boolean more = blocksIn.hasNext();
                if (!more && rows != packedRows) {
                    throw rebuiltWithOtherRows(partition, Long.toString(rows), packedRows);
                }
                return more;
            }

            @Override
            public Block next() {
                Block block = blocksIn.next();
                rows += block.rows();
                if (rows > packedRows) {
                    throw rebuiltWithOtherRows(partition, "at least " + rows, packedRows);
                }
                return block;
            }
        };
    }

    private static IllegalStateException rebuiltWithOtherRows(int partition, String rows, long packedRows) {
        return new IllegalStateException("partition " + partition + "'s blocks hold " + rows + " rows but held "
                + packedRows + " when the data was packed: blocks rebuilt after a lost executor must hold the"
                + " same rows (did the input change, or is it read in a non-deterministic order?); training on"
                + " them would shift every later row's index");
    }

    long[] partitionStarts() {
        return partitionStarts.clone();
    }

    public int numPartitions() {
        return partitionRows.length;
    }

    public long rows() {
        return rows;
    }

    /** Drops the cached blocks, and the files of a reliable checkpoint if one was written. */
    public void unpersist() {
        blocks.unpersist(false);
        scala.Option<String> checkpoint = blocks.rdd().getCheckpointFile();
        if (checkpoint.isDefined()) {
            // Spark keeps checkpoint files unless spark.cleaner.referenceTracking.cleanCheckpoints is set
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(checkpoint.get());
            try {
                path.getFileSystem(blocks.context().hadoopConfiguration()).delete(path, true);
            } catch (java.io.IOException e) {
                LOG.warn("could not delete the packed data's checkpoint {}: {}", path, e.toString());
            }
        }
    }
}
