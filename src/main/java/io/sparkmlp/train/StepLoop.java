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
 * An epoch's steps in one Spark job instead of one job each. The job's tasks (one per partition, all
 * running at once) stay up for the epoch; every step the driver hands them the weights, each
 * computes its partition's share of the step's mini-batch exactly as a step's own task would
 * ({@link StepTask#gradient}), hands its sum back, and waits for the next step, while the driver adds
 * the sums in partition order ({@link OrderedSum}) and takes the optimizer's step. The driver still
 * averages, steps and shares the weights every step; what goes is Spark's cost of a job per step
 * (scheduling, task launch and completion: about 2.5 ms under {@code local[2]} and 11 ms on the
 * loopback cluster here, more than the step's arithmetic at batch 128). Under a local master the
 * weights and the sums are handed over by reference, as {@link SharedWeights}' {@code in-process}
 * does; on a cluster they travel over a socket of the driver's ({@link StepServer}). Either way the
 * steps are bit-identical to one job a step.
 *
 * <p>Chosen by {@value #KEY}, a local property of the training thread or a Spark setting:
 * {@code auto} (the default) loops where it can, else one job a step; {@code per-epoch} insists (and
 * says why it cannot); {@code per-step} never loops. It can when every partition's task can run at
 * once (at most as many partitions as the master's task slots), the weights are not set to travel
 * by {@code task} or {@code broadcast} ({@value SharedWeights#TRANSPORT_KEY}) and, on a cluster,
 * executors are not added and removed on the fly (dynamic allocation) and Spark's network encryption
 * is off (the socket's floats are not encrypted). On a cluster the tasks must also reach the driver
 * on {@value #PORT_KEY} (any free port by default); where not every task has connected within
 * {@value #JOIN_TIMEOUT_KEY} seconds, or one cannot connect at all, the loop gives up with
 * {@link Unavailable} and the fit goes on a job a step, from the same step.
 *
 * <p>A task that fails is retried by Spark as any task is; the retry takes up the step the driver is
 * waiting on, which it computes as the failed attempt would have. Cancelling the job group ends the
 * job and the fit as it does between steps.
 */
final class StepLoop implements AutoCloseable {

    /** Spark setting or local property: auto, per-epoch or per-step. */
    static final String KEY = "spark.sparkmlp.stepJobs";
    /** The driver's port for an epoch's step tasks on a cluster; 0 (the default): any free one. */
    static final String PORT_KEY = "spark.sparkmlp.stepJobs.port";
    /** Seconds for every task of an epoch's step job to connect on a cluster before the fit goes on a job a step. */
    static final String JOIN_TIMEOUT_KEY = "spark.sparkmlp.stepJobs.joinTimeout";

    /** Test-only: "true" makes the loop use its socket under a local master too, as on a cluster. */
    static final String TEST_SOCKET_KEY = "spark.sparkmlp.test.stepSocket";
    /** Test-only: the host:port the tasks are told to connect to instead of the server's own. */
    static final String TEST_ADVERTISE_KEY = "spark.sparkmlp.test.stepAdvertise";

    /** The loop cannot go on (a task cannot reach the driver, or not every task got a slot); no step was taken by it. */
    static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }

    private static final ClassTag<String> END_TAG = ClassTag$.MODULE$.apply(String.class);
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
    /** The socket the tasks connect to on a cluster; null under a local master. */
    private StepServer server;
    private String jobTag;
    private org.apache.spark.SparkContext sc;
    private long startedNanos;
    private long joinTimeoutNanos;
    private final boolean[] connected;
    private int connectedCount;
    /** Why a task could not take part (it could not reach the driver); null while all can. */
    private String unavailable;
    /** The driver's time adding the last step's sums, for the step profile. */
    private long lastSumNanos;

    private StepLoop(long key, int partitions) {
        this.key = key;
        this.partitions = partitions;
        this.sums = new GradientSum[partitions];
        this.connected = new boolean[partitions];
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
        org.apache.spark.SparkConf conf = jsc.getConf();
        if (jsc.sc().isLocal()) {
            int threads = localThreads(master);
            if (transport != SharedWeights.Transport.IN_PROCESS) {
                return "the weights are shared by " + transport.id() + " (" + SharedWeights.TRANSPORT_KEY
                        + "), not in-process";
            }
            if (threads == 0 || partitions > threads) {
                return "the data has " + partitions + " partitions and the master " + master + " runs " + threads
                        + " tasks at once; every partition's task must run at once";
            }
            return null;
        }
        String weights = SharedWeights.setting(jsc);
        if (weights.equals("task") || weights.equals("broadcast")) {
            return "the weights are set to travel by " + weights + " (" + SharedWeights.TRANSPORT_KEY + "), a job a step";
        }
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            return "dynamic allocation is on (spark.dynamicAllocation.enabled): executors may come and go mid-epoch";
        }
        if (conf.getBoolean("spark.network.crypto.enabled", false) || conf.getBoolean("spark.ssl.enabled", false)) {
            return "Spark's network encryption is on, and the step socket's floats are not encrypted";
        }
        if (!conf.contains("spark.default.parallelism")) {
            // the cluster's cores (at least 2) when spark.default.parallelism is unset
            int slots = jsc.sc().defaultParallelism() / Math.max(1, conf.getInt("spark.task.cpus", 1));
            if (partitions > slots) {
                return "the data has " + partitions + " partitions and the executors run " + slots
                        + " tasks at once; every partition's task must run at once";
            }
        }
        return null;
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
        RDD<Block> blocks = data.blocks().rdd();
        org.apache.spark.SparkContext sc = blocks.sparkContext();
        loop.sc = sc;
        StepServer.Endpoint endpoint = null;
        if (!sc.isLocal() || Boolean.parseBoolean(setting(sc, TEST_SOCKET_KEY, "false"))) {
            org.apache.spark.SparkConf conf = sc.getConf();
            String host = conf.get("spark.driver.host", "localhost");
            loop.server = StepServer.open(loop, conf.get("spark.driver.bindAddress", host), conf.getInt(PORT_KEY, 0), host);
            endpoint = loop.server.endpoint();
            String advertised = setting(sc, TEST_ADVERTISE_KEY, "");
            if (!advertised.isEmpty()) {
                int colon = advertised.lastIndexOf(':');
                endpoint = new StepServer.Endpoint(advertised.substring(0, colon),
                        Integer.parseInt(advertised.substring(colon + 1)), endpoint.token());
            }
            String timeout = setting(sc, JOIN_TIMEOUT_KEY, "60");
            double seconds;
            try {
                seconds = Double.parseDouble(timeout);
            } catch (NumberFormatException e) {
                seconds = Double.NaN;
            }
            if (!(seconds > 0) || Double.isInfinite(seconds)) {
                loop.server.close();
                throw new IllegalArgumentException(JOIN_TIMEOUT_KEY + " must be a number of seconds > 0, got '"
                        + timeout + "'");
            }
            loop.joinTimeoutNanos = (long) (seconds * 1e9);
        }
        RUNNING.put(key, loop);
        loop.jobTag = "sparkmlp-epoch-steps-" + key;
        loop.startedNanos = System.nanoTime();
        EpochTasks tasks = new EpochTasks(data.checkingRows(new PartitionLoop(steps, key, endpoint)));
        scala.Function2<Object, String, BoxedUnit> ends = (partition, reason) -> {
            if (!reason.isEmpty()) {
                loop.cannotTakePart(reason);
            }
            return BoxedUnit.UNIT;
        };
        // a thread made here inherits this thread's Spark local properties: job group, description, settings
        loop.runner = new Thread(() -> {
            Throwable failure = null;
            try {
                sc.addJobTag(loop.jobTag);
                sc.runJob(blocks, tasks, ends, END_TAG);
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
                String giveUp = unavailable != null ? unavailable
                        : server != null && connectedCount < partitions
                        && System.nanoTime() - startedNanos > joinTimeoutNanos
                        ? connectedCount + " of " + partitions + " tasks connected to the driver within "
                        + joinTimeoutNanos / 1e9 + " s (" + JOIN_TIMEOUT_KEY + "); the others found no free slot"
                        + " or cannot reach it" : null;
                if (giveUp != null) {
                    throw new Unavailable("an epoch's steps cannot share one job: " + giveUp);
                }
                if (jobEnded) {
                    if (jobFailure != null) {
                        throw StepLoop.<RuntimeException>rethrow(jobFailure);
                    }
                    throw new IllegalStateException("the epoch's step job ended at step " + step + " with "
                            + delivered + " of " + partitions + " partitions' sums in");
                }
                if (server == null) {
                    sumArrived.awaitUninterruptibly();
                } else {
                    // wakes up to look at the join deadline
                    sumArrived.awaitNanos(100_000_000L);
                }
            }
            long summing = System.nanoTime();
            OrderedSum total = new OrderedSum(partitions);
            for (GradientSum sum : sums) {
                total.add(sum);
            }
            GradientSum result = total.total();
            lastSumNanos = System.nanoTime() - summing;
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for step " + step + "'s sums", e);
        } finally {
            lock.unlock();
        }
    }

    /** A local property of the calling thread, else the Spark setting, else {@code otherwise}. */
    private static String setting(org.apache.spark.SparkContext sc, String key, String otherwise) {
        String value = sc.getLocalProperty(key);
        return value != null ? value.trim() : sc.getConf().get(key, otherwise).trim();
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
        boolean giveUp;
        lock.lock();
        try {
            giveUp = unavailable != null || (server != null && connectedCount < partitions);
        } finally {
            lock.unlock();
        }
        if (giveUp) {
            // a task that never got a slot would keep the job waiting: end it
            sc.cancelJobsWithTag(jobTag);
        }
        try {
            runner.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            RUNNING.remove(key);
            if (server != null) {
                server.close();
            }
        }
    }

    /** A task connected to the step server (on a cluster). */
    void taskConnected(int partition) {
        lock.lock();
        try {
            if (!connected[partition]) {
                connected[partition] = true;
                connectedCount++;
            }
        } finally {
            lock.unlock();
        }
    }

    private void cannotTakePart(String reason) {
        lock.lock();
        try {
            if (unavailable == null) {
                unavailable = reason;
            }
            sumArrived.signalAll();
        } finally {
            lock.unlock();
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
    int awaitStep(int partition, int done, TaskContext context) {
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
    float[] weights(int step) {
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

    void deliver(int step, int partition, GradientSum sum) {
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
    private static final class PartitionLoop implements Function2<Integer, Iterator<Block>, Iterator<String>> {

        private static final long serialVersionUID = 1L;

        private final StepTask steps;
        private final long key;
        /** The driver's socket on a cluster; null under a local master (the loop is in this JVM). */
        private final StepServer.Endpoint endpoint;

        PartitionLoop(StepTask steps, long key, StepServer.Endpoint endpoint) {
            this.steps = steps;
            this.key = key;
            this.endpoint = endpoint;
        }

        /** The empty string when the loop ended; else why this task could not take part. */
        @Override
        public Iterator<String> call(Integer partition, Iterator<Block> blocksIn) throws java.io.IOException {
            TaskContext context = TaskContext.get();
            if (endpoint != null) {
                return List.of(overSocket(partition, blocksIn, context)).iterator();
            }
            StepLoop loop = RUNNING.get(key);
            if (loop == null) {
                throw new IllegalStateException("epoch step loop " + key + " is not in this JVM: either its epoch is"
                        + " over, or this task runs outside the driver (set " + KEY + "=per-step)");
            }
            List<Block> blocks = new ArrayList<>();
            blocksIn.forEachRemaining(blocks::add);
            float[] gradient = null;
            int done = -1;
            for (int step = loop.awaitStep(partition, done, context); step >= 0;
                 step = loop.awaitStep(partition, done, context)) {
                float[] weights = loop.weights(step);
                if (gradient == null) {
                    gradient = new float[weights.length];
                }
                loop.deliver(step, partition, steps.gradient(partition, blocks.iterator(), weights, steps.epoch(), step,
                        gradient));
                done = step;
            }
            return List.of("").iterator();
        }

        private String overSocket(int partition, Iterator<Block> blocksIn, TaskContext context)
                throws java.io.IOException {
            StepServer.Client client;
            try {
                client = StepServer.Client.connect(endpoint, partition);
            } catch (java.io.IOException e) {
                if (StepServer.unreachable(e)) {
                    return "the task of partition " + partition + " cannot reach the driver at " + endpoint.host() + ":"
                            + endpoint.port() + " (" + e.getMessage() + "); open that port to the executors or set "
                            + PORT_KEY;
                }
                throw e;
            }
            try (client) {
                List<Block> blocks = new ArrayList<>();
                blocksIn.forEachRemaining(blocks::add);
                float[] gradient = null;
                for (int step = client.awaitStep(context); step >= 0; step = client.awaitStep(context)) {
                    float[] weights = client.weights();
                    if (gradient == null) {
                        gradient = new float[weights.length];
                    }
                    client.send(step, steps.gradient(partition, blocks.iterator(), weights, steps.epoch(), step, gradient));
                }
                return "";
            }
        }
    }

    /** The partition loop as the function {@code SparkContext.runJob} takes. */
    private static final class EpochTasks
            implements scala.Function2<TaskContext, scala.collection.Iterator<Block>, String>, Serializable {

        private static final long serialVersionUID = 1L;

        private final Function2<Integer, Iterator<Block>, Iterator<String>> task;

        EpochTasks(Function2<Integer, Iterator<Block>, Iterator<String>> task) {
            this.task = task;
        }

        @Override
        public String apply(TaskContext context, scala.collection.Iterator<Block> blocks) {
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
