package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import io.sparkmlp.optim.ElasticNet;
import io.sparkmlp.optim.GradientClipping;
import io.sparkmlp.optim.Optimizer;
import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

/**
 * Measures where a training step's time goes, against the latency of an empty Spark job over the
 * same partitions measured in the same run. Empty jobs and steps alternate, so both see the same
 * background load. A step is split into:
 * <ul>
 * <li>broadcast: creating and destroying the weights' broadcast on the driver, plus the slowest
 * task's fetch of it;</li>
 * <li>compute: the slowest task's unpacking of its rows and its gradient kernel;</li>
 * <li>aggregation: merging the partial sums (in the tasks and on the driver);</li>
 * <li>update: averaging the gradient and the momentum step on the driver;</li>
 * <li>scheduling: the rest of the step's wall time: submitting the job, shipping and deserialising
 * the task closures, launching the tasks and bringing their results back.</li>
 * </ul>
 * The overhead is the step's wall time minus the slowest task's compute. Beside that split, Spark's
 * own per-task metrics of the same jobs ({@link TaskTimes}: the executors' deserialisation, run and
 * result serialisation, and the transit of launch and result) show where "scheduling" goes.
 */
public final class StepProfiler {

    /** The setting that chooses how the weights reach the tasks: auto, in-process, task or broadcast. */
    public static final String TRANSPORT_KEY = SharedWeights.TRANSPORT_KEY;

    /** The setting that chooses whether an epoch's steps share one Spark job: auto, per-epoch or per-step. */
    public static final String STEP_JOBS_KEY = StepLoop.KEY;

    /** What {@code auto} of {@link #STEP_JOBS_KEY} takes on this context for {@code partitions} partitions: per-epoch or per-step. */
    public static String autoStepJobs(JavaSparkContext jsc, int partitions) {
        return StepLoop.refusal(jsc, SharedWeights.auto(Objects.requireNonNull(jsc, "jsc")), partitions) == null
                ? "per-epoch" : "per-step";
    }

    /** What {@code auto} takes on this context. */
    public static String autoTransport(JavaSparkContext jsc) {
        return SharedWeights.auto(Objects.requireNonNull(jsc, "jsc")).id();
    }

    private static final ClassTag<BoxedUnit> UNIT_TAG = ClassTag$.MODULE$.apply(BoxedUnit.class);

    private StepProfiler() {
    }

    /**
     * The empty job's task: does nothing. The job goes through the same {@code runJob} path as a step
     * (a named function, a driver-side handler), so the two differ only in what a step does.
     */
    private static final class NoTask
            implements scala.Function2<TaskContext, scala.collection.Iterator<Integer>, BoxedUnit>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public BoxedUnit apply(TaskContext context, scala.collection.Iterator<Integer> rows) {
            return BoxedUnit.UNIT;
        }
    }

    /** The driver's part of a step as a run takes it: the named optimizer, the elastic net, clipping, at the preset's rate. */
    private record DriverUpdate(Optimizer optimizer, ElasticNet elasticNet, GradientClipping clipping, double rate) {
        static DriverUpdate of(TrainingParams params, Network network) {
            return new DriverUpdate(Trainer.optimizer(params), new ElasticNet(network.layout(),
                    params.get(HyperParameters.L1), params.get(HyperParameters.ELASTIC_NET)),
                    new GradientClipping(params.get(HyperParameters.CLIP_VALUE), params.get(HyperParameters.CLIP_NORM)),
                    params.scaledLearningRate());
        }

        void apply(float[] weights, GradientSum total) {
            Trainer.update(optimizer, elasticNet, clipping, weights, total, rate);
        }
    }

    /** An empty job over as many partitions as the data's, the latency a step is compared with. */
    private static final class EmptyJob {
        private final JavaSparkContext jsc;
        private final RDD<Integer> rdd;
        private final scala.Function2<Object, BoxedUnit, BoxedUnit> ignore = (partition, nothing) -> BoxedUnit.UNIT;

        EmptyJob(JavaSparkContext jsc, int partitions) {
            this.jsc = jsc;
            this.rdd = jsc.parallelize(List.<Integer>of(), partitions).rdd();
        }

        /** Runs it, its tasks counted as {@code empty_job} by {@link TaskTimes} when {@code measured}; its wall time in ns. */
        long run(boolean measured) {
            jsc.setLocalProperty(TaskTimes.KIND_KEY, measured ? "empty_job" : null);
            long start = System.nanoTime();
            rdd.sparkContext().runJob(rdd, new NoTask(), ignore, UNIT_TAG);
            return System.nanoTime() - start;
        }
    }

    /** Median, 90th percentile and mean of one quantity, in milliseconds. */
    public record Stats(double medianMs, double p90Ms, double meanMs) {
        static Stats of(long[] nanos) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            double mean = Arrays.stream(sorted).average().orElse(Double.NaN);
            return new Stats(percentile(sorted, 0.5) / 1e6, percentile(sorted, 0.9) / 1e6, mean / 1e6);
        }

        /** The {@code q}-quantile of {@code sorted} (nearest rank); NaN for none. */
        static double percentile(long[] sorted, double q) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            return sorted[(int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
        }

        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("median_ms", medianMs);
            map.put("p90_ms", p90Ms);
            map.put("mean_ms", meanMs);
            return map;
        }
    }

    /** What {@link #profile} measured; every figure over the same {@code steps} alternating rounds. */
    public record Profile(String transport, String stepJobs, int steps, int partitions, int batchSize, Stats emptyJob,
                          Stats step, Stats broadcast,
                          Stats compute, Stats aggregation, Stats update, Stats scheduling, Stats overhead,
                          Map<String, Object> tasks) {

        /** Median step overhead over median empty-job latency. */
        public double overheadRatio() {
            return overhead.medianMs() / emptyJob.medianMs();
        }

        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("weights_transport", transport);
            map.put("step_jobs", stepJobs);
            map.put("steps", steps);
            map.put("partitions", partitions);
            map.put("batch_size", batchSize);
            map.put("empty_job", emptyJob.toMap());
            map.put("step", step.toMap());
            map.put("broadcast", broadcast.toMap());
            map.put("compute", compute.toMap());
            map.put("aggregation", aggregation.toMap());
            map.put("update", update.toMap());
            map.put("scheduling", scheduling.toMap());
            map.put("overhead", overhead.toMap());
            map.put("overhead_over_empty_job", overheadRatio());
            map.put("tasks", tasks);
            return map;
        }
    }

    /**
     * Packs {@code train} as the trainer does and profiles {@code steps} steps of {@code params}
     * (after {@code warmup} unmeasured ones, for the JIT), each preceded by an empty job.
     *
     * The weights go as {@value #TRANSPORT_KEY} (a local property of this thread, or the Spark conf) says, and
     * the steps run in jobs as {@link StepLoop#KEY} says, {@code auto} resolved as a fit resolves it.
     */
    public static Profile profile(Dataset<Row> train, String labelCol, String featuresCol, TrainingParams params,
                                  ClusterParams cluster, int warmup, int steps) {
        Objects.requireNonNull(train, "train");
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("need warmup >= 0 and steps >= 1, got warmup " + warmup + ", steps " + steps);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
        Network network = new Network(params.layout(), params.activation());
        PackedData data = PackedData.pack(train, labelCol, featuresCol, params.layout().inputSize(),
                params.layout().outputSize(), cluster.partitions());
        try {
            return run(jsc, data, network, Trainer.inputScaling(data, params), params, cluster, warmup, steps);
        } catch (Exception e) {
            throw Trainer.unwrap(e);
        } finally {
            data.unpersist();
        }
    }

    private static Profile run(JavaSparkContext jsc, PackedData data, Network network, InputScaling scaling,
                               TrainingParams params, ClusterParams cluster, int warmup, int steps) {
        Trainer trainer = new Trainer(params, cluster).faults(TaskFaults.fromSettings(jsc));
        float[] weights = network.initialParameters(params.seed(), params.initialization());
        DriverUpdate driver = DriverUpdate.of(params, network);
        int rows = (int) data.rows();
        int stepsPerEpoch = (rows + params.batchSize() - 1) / params.batchSize();
        EmptyJob empty = new EmptyJob(jsc, data.numPartitions());
        LongAdder mergeNanos = new LongAdder();
        long[] emptyJob = new long[steps];
        long[] wall = new long[steps];
        long[] broadcast = new long[steps];
        long[] compute = new long[steps];
        long[] aggregation = new long[steps];
        long[] update = new long[steps];
        long[] scheduling = new long[steps];
        long[] overhead = new long[steps];
        SharedWeights.Transport transport = SharedWeights.transport(jsc);
        if (StepLoop.perEpoch(jsc, transport, data.numPartitions())) {
            return runLoop(jsc, data, network, scaling, params, trainer, warmup, steps);
        }
        String previousKind = jsc.getLocalProperty(TaskTimes.KIND_KEY);
        TaskTimes tasks = TaskTimes.listen(jsc.sc());
        try {
            for (int round = -warmup; round < steps; round++) {
                long emptyNanos = empty.run(round >= 0);
                jsc.setLocalProperty(TaskTimes.KIND_KEY, round < 0 ? null : "step");

                int globalStep = round + warmup;
                int epoch = globalStep / stepsPerEpoch;
                int step = globalStep % stepsPerEpoch;
                mergeNanos.reset();
                long t0 = System.nanoTime();
                SharedWeights shared = SharedWeights.share(weights, transport, jsc);
                long t1 = System.nanoTime();
                long t2;
                GradientSum total;
                try {
                    total = PartitionSums.sum(data, trainer.stepTask(shared, data, network, scaling, epoch, step),
                            cluster.aggregationDepth(), mergeNanos);
                } finally {
                    t2 = System.nanoTime();
                    shared.close();
                }
                long t3 = System.nanoTime();
                driver.apply(weights, total);
                long t4 = System.nanoTime();
                if (round < 0) {
                    continue;
                }
                emptyJob[round] = emptyNanos;
                wall[round] = t4 - t0;
                broadcast[round] = (t1 - t0) + (t3 - t2) + total.maxFetchNanos();
                compute[round] = total.maxComputeNanos();
                aggregation[round] = mergeNanos.sum();
                update[round] = t4 - t3;
                scheduling[round] = wall[round] - broadcast[round] - compute[round] - aggregation[round] - update[round];
                overhead[round] = wall[round] - compute[round];
            }
            tasks.await("empty_job", steps * data.numPartitions(), 5_000);
            tasks.await("step", steps * data.numPartitions(), 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the profiled tasks' metrics", e);
        } finally {
            tasks.close();
            jsc.setLocalProperty(TaskTimes.KIND_KEY, previousKind);
        }
        return new Profile(transport.id(), "per-step", steps, data.numPartitions(), params.batchSize(), Stats.of(emptyJob), Stats.of(wall),
                Stats.of(broadcast), Stats.of(compute), Stats.of(aggregation), Stats.of(update), Stats.of(scheduling),
                Stats.of(overhead), tasks.toMap());
    }

    /**
     * The steps as {@link StepLoop} runs them, an epoch's in one job. Its tasks hold every slot for the
     * epoch, so an empty job cannot run beside each step: the empty jobs are measured first, as many as
     * the steps, then the steps. Broadcast is 0 (the weights are handed over by reference), aggregation
     * the driver's partition-order sum, scheduling the hand-off: publishing, waking the tasks and their
     * sums reaching the driver. Spark's task metrics cover the empty jobs only: one loop task serves a
     * whole epoch. On a cluster the weights and the sums cross the driver's socket, so the hand-off
     * includes their transfer ("broadcast" stays 0: it is not measured apart).
     */
    private static Profile runLoop(JavaSparkContext jsc, PackedData data, Network network, InputScaling scaling,
                                   TrainingParams params, Trainer trainer, int warmup, int steps) {
        EmptyJob empty = new EmptyJob(jsc, data.numPartitions());
        long[] emptyJob = new long[steps];
        String previousKind = jsc.getLocalProperty(TaskTimes.KIND_KEY);
        TaskTimes tasks = TaskTimes.listen(jsc.sc());
        try {
            for (int round = -warmup; round < steps; round++) {
                long emptyNanos = empty.run(round >= 0);
                if (round >= 0) {
                    emptyJob[round] = emptyNanos;
                }
            }
            tasks.await("empty_job", steps * data.numPartitions(), 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the profiled tasks' metrics", e);
        } finally {
            tasks.close();
            jsc.setLocalProperty(TaskTimes.KIND_KEY, previousKind);
        }
        float[] weights = network.initialParameters(params.seed(), params.initialization());
        DriverUpdate driver = DriverUpdate.of(params, network);
        int stepsPerEpoch = (int) ((data.rows() + params.batchSize() - 1) / params.batchSize());
        long[] wall = new long[steps];
        long[] compute = new long[steps];
        long[] aggregation = new long[steps];
        long[] update = new long[steps];
        long[] scheduling = new long[steps];
        long[] overhead = new long[steps];
        StepLoop loop = null;
        int loopEpoch = -1;
        try {
            for (int round = -warmup; round < steps; round++) {
                int globalStep = round + warmup;
                int epoch = globalStep / stepsPerEpoch;
                int step = globalStep % stepsPerEpoch;
                if (epoch != loopEpoch) {
                    if (loop != null) {
                        loop.close();
                    }
                    loop = StepLoop.start(data, trainer.stepTask(null, data, network, scaling, epoch, 0));
                    loopEpoch = epoch;
                }
                long t0 = System.nanoTime();
                GradientSum total = loop.step(step, weights);
                long t1 = System.nanoTime();
                driver.apply(weights, total);
                long t2 = System.nanoTime();
                if (round < 0) {
                    continue;
                }
                wall[round] = t2 - t0;
                compute[round] = total.maxComputeNanos();
                aggregation[round] = loop.lastSumNanos();
                update[round] = t2 - t1;
                scheduling[round] = wall[round] - compute[round] - aggregation[round] - update[round];
                overhead[round] = wall[round] - compute[round];
            }
        } finally {
            if (loop != null) {
                loop.close();
            }
        }
        return new Profile(jsc.sc().isLocal() ? SharedWeights.Transport.IN_PROCESS.id() : "socket", "per-epoch", steps, data.numPartitions(),
                params.batchSize(), Stats.of(emptyJob), Stats.of(wall), Stats.of(new long[steps]), Stats.of(compute),
                Stats.of(aggregation), Stats.of(update), Stats.of(scheduling), Stats.of(overhead), tasks.toMap());
    }
}
