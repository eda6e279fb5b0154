package io.sparkmlp.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.rdd.RDD;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

/**
 * An epoch's steps in one Spark job instead of one job each, under a local master. The job's
 * tasks (one per partition, all running at once) stay up for the epoch; every step the driver hands
 * them the weights, each computes its partition's share of the step's mini-batch exactly as a
 * step's own task would ({@link StepTask#gradient}), hands its sum back, and waits for the next
 * step, while the driver adds the sums in partition order ({@link OrderedSum}) and takes the
 * optimizer's step. The driver still averages, steps and shares the weights every step; what goes is
 * Spark's cost of a job per step (scheduling, task launch and completion, about 2.5 ms under
 * {@code local[2]} here, more than the step's arithmetic at batch 128). The weights and the
 * gradients are handed over by reference, as {@link SharedWeights}' {@code in-process} does, so the
 * steps are bit-identical to one job a step.
 *
 * <p>Chosen by {@value #KEY}, a local property of the training thread or a Spark setting:
 * {@code auto} (the default) loops when the master is local, the weights are shared in-process and
 * every partition's task can run at once ({@code partitions <= threads} of the master), else one job
 * a step; {@code per-epoch} insists (and says why it cannot); {@code per-step} never loops. A task
 * that fails is retried by Spark as any task is ({@code local[N,F]}); the retry takes up the step the
 * driver is waiting on, which it computes as the failed attempt would have. Cancelling the job group
 * ends the job and the fit as it does between steps.
 */
final class StepLoop implements AutoCloseable {

    /** Spark setting or local property: auto, per-epoch or per-step. */
    static final String KEY = "spark.sparkmlp.stepJobs";

    private static final ClassTag<Integer> COUNT_TAG = ClassTag$.MODULE$.apply(Integer.class);
    private static final Pattern LOCAL_MASTER = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");
    /** The loops of this JVM's running fits, by key; a task finds its own through the key it carries. */
    private static final Map<Long, StepLoop> RUNNING = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT_KEY = new AtomicLong();
    /** How often a waiting task looks whether Spark killed it (a cancelled job group). */
    private static final long KILL_CHECK_MILLIS = 100;

    private final long key;
    private final int partitions;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a step's weights are published or the loop ends. */
    private final Condition stepPublished = lock.newCondition();
    /** Signalled when a partition's sum arrives or the job ends. */
    private final Condition sumArrived = lock.newCondition();
    private final GradientSum[] sums;
    private int delivered;
    private int currentStep = -1;
    private float[] currentWeights;
    private boolean ended;
    private boolean jobEnded;
    private Throwable jobFailure;
    private Thread runner;
    /** The driver's time adding the last step's sums, for the step profile. */
    private long lastSumNanos;

    private StepLoop(long key, int partitions) {
        this.key = key;
        this.partitions = partitions;
        this.sums = new GradientSum[partitions];
    }

    /** Whether to loop over whole epochs: what {@value #KEY} resolves to for this fit. */
    static boolean perEpoch(JavaSparkContext jsc, SharedWeights.Transport transport, int partitions) {
        String value = jsc.getLocalProperty(KEY);
        if (value == null) {
            value = jsc.getConf().get(KEY, "auto");
        }
        String mode = value.trim().toLowerCase(Locale.ROOT);
        if (mode.equals("per-step")) {
            return false;
        }
        if (!mode.equals("auto") && !mode.equals("per-epoch")) {
            throw new IllegalArgumentException(KEY + " must be auto, per-epoch or per-step, got '" + value + "'");
        }
        String refusal = refusal(jsc, transport, partitions);
        if (refusal != null && mode.equals("per-epoch")) {
            throw new IllegalArgumentException(KEY + "=per-epoch cannot loop: " + refusal + "; use auto or per-step");
        }
        return refusal == null;
    }

    /** Why an epoch's steps cannot share one job on this context; null when they can. */
    static String refusal(JavaSparkContext jsc, SharedWeights.Transport transport, int partitions) {
        String master = jsc.sc().master();
        int threads = jsc.sc().isLocal() ? localThreads(master) : 0;
        String refusal = null;
        if (threads == 0) {
            refusal = "the master " + master + " runs the tasks outside the driver's JVM";
        } else if (transport != SharedWeights.Transport.IN_PROCESS) {
            refusal = "the weights are shared by " + transport.id() + " (" + SharedWeights.TRANSPORT_KEY
                    + "), not in-process";
        } else if (partitions > threads) {
            refusal = "the data has " + partitions + " partitions and the master " + master + " runs " + threads
                    + " tasks at once; every partition's task must run at once";
        }
        return refusal;
    }

    /** The tasks a local master runs at once ({@code local}, {@code local[N]}, {@code local[*]}, {@code local[N,F]}); 0 for others. */
    static int localThreads(String master) {
        Matcher m = LOCAL_MASTER.matcher(master.trim());
        if (!m.matches()) {
            return 0;
        }
        String threads = m.group(1);
        if (threads == null) {
            return 1;
        }
        return threads.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
    }

    /**
     * Starts the epoch's job: one task per partition of {@code data}, each computing {@code steps}'
     * gradients (its epoch) for the steps {@link #step} publishes, until {@link #close}.
     */
    static StepLoop start(PackedData data, StepTask steps) {
        long key = NEXT_KEY.incrementAndGet();
        StepLoop loop = new StepLoop(key, data.numPartitions());
        RUNNING.put(key, loop);
        RDD<Block> blocks = data.blocks().rdd();
        EpochTasks tasks = new EpochTasks(data.checkingRows(new PartitionLoop(steps, key)));
        scala.Function2<Object, Integer, BoxedUnit> ignoreCounts = (partition, count) -> BoxedUnit.UNIT;
        // a thread made here inherits this thread's Spark local properties: job group, description, settings
        loop.runner = new Thread(() -> {
            Throwable failure = null;
            try {
                blocks.sparkContext().runJob(blocks, tasks, ignoreCounts, COUNT_TAG);
            } catch (Throwable e) {
                failure = e;
            }
            loop.jobEnded(failure);
        }, "sparkmlp-epoch-" + steps.epoch() + "-steps");
        loop.runner.setDaemon(true);
        loop.runner.start();
        return loop;
    }

    /**
     * Publishes step {@code step}'s weights, waits for every partition's sum and returns their total,
     * added in partition order. The driver must leave {@code weights} alone until this returns, and
     * be done with the returned gradient before the next call: the tasks reuse their arrays.
     */
    GradientSum step(int step, float[] weights) {
        lock.lock();
        try {
            if (step <= currentStep) {
                throw new IllegalArgumentException("step " + step + " published after step " + currentStep
                        + "; steps go forward");
            }
            currentStep = step;
            currentWeights = weights;
            java.util.Arrays.fill(sums, null);
            delivered = 0;
            stepPublished.signalAll();
            while (delivered < partitions) {
                if (jobEnded) {
                    if (jobFailure != null) {
                        throw StepLoop.<RuntimeException>rethrow(jobFailure);
                    }
                    throw new IllegalStateException("the epoch's step job ended at step " + step + " with "
                            + delivered + " of " + partitions + " partitions' sums in");
                }
                sumArrived.awaitUninterruptibly();
            }
            long summing = System.nanoTime();
            OrderedSum total = new OrderedSum(partitions);
            for (GradientSum sum : sums) {
                total.add(sum);
            }
            GradientSum result = total.total();
            lastSumNanos = System.nanoTime() - summing;
            return result;
        } finally {
            lock.unlock();
        }
    }

    /** The driver's time adding the last step's partition sums. */
    long lastSumNanos() {
        return lastSumNanos;
    }

    /** Ends the epoch: the tasks return, and this waits for the job to finish. */
    @Override
    public void close() {
        lock.lock();
        try {
            ended = true;
            stepPublished.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            runner.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            RUNNING.remove(key);
        }
    }

    private void jobEnded(Throwable failure) {
        lock.lock();
        try {
            jobEnded = true;
            jobFailure = failure;
            sumArrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next step for {@code partition} after {@code done}: its number, or -1 once the loop ended.
     * Waits until the driver publishes one whose sum this partition has not handed in yet (a retried
     * task starts at the step the driver waits on), looking every so often whether Spark killed the task.
     */
    private int awaitStep(int partition, int done, TaskContext context) {
        lock.lock();
        try {
            while (!ended && (currentStep <= done || sums[partition] != null)) {
                stepPublished.await(KILL_CHECK_MILLIS, TimeUnit.MILLISECONDS);
                if (context != null && context.isInterrupted()) {
                    throw new TaskKilledException("the epoch's step job of partition " + partition
                            + " was killed while it waited for step " + (done + 1));
                }
            }
            return ended ? -1 : currentStep;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the step task of partition " + partition + " was interrupted", e);
        } finally {
            lock.unlock();
        }
    }

    /** The weights of the published step {@code step}; only read between its publication and its last sum. */
    private float[] weights(int step) {
        lock.lock();
        try {
            if (step != currentStep) {
                throw new IllegalStateException("weights of step " + step + " asked while step " + currentStep
                        + " is published");
            }
            return currentWeights;
        } finally {
            lock.unlock();
        }
    }

    private void deliver(int step, int partition, GradientSum sum) {
        lock.lock();
        try {
            // a sum of a step already summed (a retried task's predecessor) is dropped
            if (step == currentStep && sums[partition] == null) {
                sums[partition] = sum;
                delivered++;
                if (delivered == partitions) {
                    sumArrived.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E rethrow(Throwable failure) throws E {
        // the job's own exception, as runJob throws it from one job a step, so the fit handles it the same way
        throw (E) failure;
    }

    /** One partition's task: its blocks held for the epoch, one gradient per published step. */
    private static final class PartitionLoop implements Function2<Integer, Iterator<Block>, Iterator<Integer>> {

        private static final long serialVersionUID = 1L;

        private final StepTask steps;
        private final long key;

        PartitionLoop(StepTask steps, long key) {
            this.steps = steps;
            this.key = key;
        }

        @Override
        public Iterator<Integer> call(Integer partition, Iterator<Block> blocksIn) {
            StepLoop loop = RUNNING.get(key);
            if (loop == null) {
                throw new IllegalStateException("epoch step loop " + key + " is not in this JVM: either its epoch is"
                        + " over, or this task runs outside the driver (set " + KEY + "=per-step)");
            }
            List<Block> blocks = new ArrayList<>();
            blocksIn.forEachRemaining(blocks::add);
            TaskContext context = TaskContext.get();
            float[] gradient = null;
            int done = -1;
            int count = 0;
            for (int step = loop.awaitStep(partition, done, context); step >= 0;
                 step = loop.awaitStep(partition, done, context)) {
                float[] weights = loop.weights(step);
                if (gradient == null) {
                    gradient = new float[weights.length];
                }
                loop.deliver(step, partition, steps.gradient(partition, blocks.iterator(), weights, steps.epoch(), step,
                        gradient));
                done = step;
                count++;
            }
            return List.of(count).iterator();
        }
    }

    /** The partition loop as the function {@code SparkContext.runJob} takes. */
    private static final class EpochTasks
            implements scala.Function2<TaskContext, scala.collection.Iterator<Block>, Integer>, Serializable {

        private static final long serialVersionUID = 1L;

        private final Function2<Integer, Iterator<Block>, Iterator<Integer>> task;

        EpochTasks(Function2<Integer, Iterator<Block>, Iterator<Integer>> task) {
            this.task = task;
        }

        @Override
        public Integer apply(TaskContext context, scala.collection.Iterator<Block> blocks) {
            try {
                return task.call(context.partitionId(), CollectionConverters.asJava(blocks)).next();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
