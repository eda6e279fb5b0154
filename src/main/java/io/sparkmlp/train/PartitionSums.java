package io.sparkmlp.train;

import java.io.Serializable;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.rdd.RDD;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

/**
 * Runs one task per partition of the packed data and sums their results in partition order
 * ({@link OrderedSum}): the one Spark job of a training step or an evaluation.
 *
 * <p>Under a local master, and on a cluster when a tree of partial sums would not add a level
 * (Spark's {@code treeAggregate} rule for the given depth: at most about {@code 2·depth√P}
 * partitions, so always with a handful of partitions), the job is a single {@code runJob} over the cached blocks with a named function and a driver-side
 * result handler. That skips what {@code mapPartitions} plus {@code treeAggregate} plus {@code fold}
 * cost on every step: three more closures, each read back from its class file by Spark's closure
 * cleaner (the largest driver cost of a small step, measured with JFR), and two more RDDs in every
 * task binary. On a cluster with more partitions the sums travel up Spark's {@code treeAggregate}
 * tree, so the driver receives {@code depth√P} of them instead of {@code P}; in local mode that tree
 * only added a shuffle stage per step (measured on 16 partitions: a second stage of 4 tasks writing
 * and reading 16 gradients through shuffle files every step).
 *
 * <p>Under a local master the tasks run in the driver's JVM, so their results are handed over by
 * reference, as the weights are ({@link SharedWeights}): each task leaves its sum in a slot of this
 * job and returns only a marker. Spark would otherwise serialise every 0.9 MB gradient twice in the
 * task (Kryo, then Java around it) and read it back on the driver, every step.
 */
final class PartitionSums {

    private static final ClassTag<GradientSum> RESULT_TAG = ClassTag$.MODULE$.apply(GradientSum.class);
    /** The slots of the jobs whose results are handed over in this JVM, by job key. */
    private static final Map<Long, AtomicReferenceArray<GradientSum>> HANDED_OVER = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT_KEY = new AtomicLong();

    private PartitionSums() {
    }

    /**
     * Sums {@code task}'s single result per partition.
     *
     * @param mergeNanos when not null, receives the time the driver spends merging results
     */
    static GradientSum sum(PackedData data, Function2<Integer, Iterator<Block>, Iterator<GradientSum>> task, int depth,
                           LongAdder mergeNanos) {
        // under a local master every result is already in the driver's JVM: a tree level would only add a shuffle
        boolean tree = !data.blocks().context().isLocal() && treeAddsLevels(data.numPartitions(), depth);
        return sum(data, task, depth, mergeNanos, tree);
    }

    /** As above, through {@code treeAggregate} when {@code tree}, else one direct job. */
    static GradientSum sum(PackedData data, Function2<Integer, Iterator<Block>, Iterator<GradientSum>> task, int depth,
                           LongAdder mergeNanos, boolean tree) {
        int partitions = data.numPartitions();
        Function2<Integer, Iterator<Block>, Iterator<GradientSum>> checked = data.checkingRows(task);
        if (tree) {
            return data.blocks()
                    .mapPartitionsWithIndex(checked, true)
                    .treeAggregate(new OrderedSum(partitions), OrderedSum::add, (a, b) -> {
                        long started = System.nanoTime();
                        OrderedSum merged = a.merge(b);
                        if (mergeNanos != null) {
                            mergeNanos.add(System.nanoTime() - started);
                        }
                        return merged;
                    }, depth)
                    .total();
        }
        OrderedSum sums = new OrderedSum(partitions);
        RDD<Block> blocks = data.blocks().rdd();
        long key = blocks.sparkContext().isLocal() ? NEXT_KEY.incrementAndGet() : 0;
        AtomicReferenceArray<GradientSum> slots = key == 0 ? null : new AtomicReferenceArray<>(partitions);
        if (slots != null) {
            HANDED_OVER.put(key, slots);
        }
        // the handler runs on the scheduler's thread, one result at a time
        scala.Function2<Object, GradientSum, BoxedUnit> handler = (partition, result) -> {
            long started = System.nanoTime();
            sums.add(result.handedOver ? slots.get((Integer) partition) : result);
            if (mergeNanos != null) {
                mergeNanos.add(System.nanoTime() - started);
            }
            return BoxedUnit.UNIT;
        };
        try {
            blocks.sparkContext().runJob(blocks, new OnePartition(checked, key), handler, RESULT_TAG);
        } finally {
            if (slots != null) {
                HANDED_OVER.remove(key);
            }
        }
        return sums.total();
    }

    /** Whether Spark's {@code treeAggregate} at this depth would add a level of partial sums before the driver. */
    static boolean treeAddsLevels(int partitions, int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("aggregation depth must be >= 1, got " + depth);
        }
        // Spark: scale = max(ceil(P^(1/depth)), 2); a level is added while P > scale + ceil(P / scale)
        int scale = Math.max((int) Math.ceil(Math.pow(partitions, 1.0 / depth)), 2);
        return partitions > scale + Math.ceil(partitions / (double) scale);
    }

    /** A partition task as the function {@code SparkContext.runJob} takes: its one result. */
    private static final class OnePartition
            implements scala.Function2<TaskContext, scala.collection.Iterator<Block>, GradientSum>, Serializable {

        private static final long serialVersionUID = 1L;

        private final Function2<Integer, Iterator<Block>, Iterator<GradientSum>> task;
        /** Non-zero: leave the result in this job's slot in this JVM (a local master) and return a marker. */
        private final long handOverKey;

        OnePartition(Function2<Integer, Iterator<Block>, Iterator<GradientSum>> task, long handOverKey) {
            this.task = task;
            this.handOverKey = handOverKey;
        }

        @Override
        public GradientSum apply(TaskContext context, scala.collection.Iterator<Block> blocks) {
            try {
                Iterator<GradientSum> results = task.call(context.partitionId(), CollectionConverters.asJava(blocks));
                GradientSum result = results.next();
                if (handOverKey == 0) {
                    return result;
                }
                AtomicReferenceArray<GradientSum> slots = HANDED_OVER.get(handOverKey);
                if (slots == null) {
                    throw new IllegalStateException("job " + handOverKey + " hands its results over in the driver's JVM,"
                            + " but this task runs elsewhere or after the job ended");
                }
                slots.set(context.partitionId(), result);
                return GradientSum.handedOver(context.partitionId());
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
