package io.sparkmlp.train;

import java.io.IOException;
import java.util.Arrays;
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
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.rdd.RDD;
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
 * is off (the socket's floats are not encrypted), and speculation is off (a loop task runs the whole
 * epoch). On a cluster the tasks must also reach the driver on {@value #PORT_KEY} (any free port by
 * default). Where a task cannot connect at all, or some partition has had no running task for
 * {@value #JOIN_TIMEOUT_KEY} seconds (at the start, or after a task was lost: its slot taken by
 * another job, say), the loop gives up with {@link Unavailable}: under {@code auto} the fit goes on a
 * job a step, from the same step; under {@code per-epoch} it fails.
 *
 * <p>A task that fails is retried by Spark as any task is; the retry takes up the step the driver is
 * waiting on, which it computes as the failed attempt would have. Cancelling the job group ends the
 * job and the fit as it does between steps. While the loop runs its tasks hold every slot, so the
 * driver must not run another Spark job between steps ({@link TrainingListener#afterStep}).
 */
final class StepLoop implements AutoCloseable {

    /** Spark setting or local property: auto, per-epoch or per-step. */
    static final String KEY = "spark.sparkmlp.stepJobs";
    /** The driver's port for an epoch's step tasks on a cluster; 0 (the default): any free one. */
    static final String PORT_KEY = "spark.sparkmlp.stepJobs.port";
    /**
     * Seconds every partition may go without a running task of the epoch's step job (at its start,
     * or after a task was lost) before the loop gives up; default 60 on a cluster, 10 under a local
     * master, where tasks start in milliseconds.
     */
    static final String JOIN_TIMEOUT_KEY = "spark.sparkmlp.stepJobs.joinTimeout";

    /** Test-only: "true" makes the loop use its socket under a local master too, as on a cluster. */
    static final String TEST_SOCKET_KEY = "spark.sparkmlp.test.stepSocket";
    /** Test-only: the host:port the tasks are told to connect to instead of the server's own. */
    static final String TEST_ADVERTISE_KEY = "spark.sparkmlp.test.stepAdvertise";

    /**
     * The loop cannot go on: a task cannot reach the driver, or not every partition has a running
     * task within the join timeout. The step in progress was not taken; under {@code auto} the fit
     * takes it again with a job of its own.
     */
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
    /** How often the waiting driver looks at the join deadline. */
    private static final long JOIN_CHECK_NANOS = 100_000_000L;
    /** How long a closing loop waits for its job to end before it cancels it. */
    private static final long END_WAIT_MILLIS = 10_000;
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
    /** Adds each step's sums in partition order; reused step after step. */
    private final OrderedSum stepSum;
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
    private SparkContext sc;
    private long joinTimeoutNanos;
    /** Running tasks (or their connections) of each partition; a partition is served while it has one. */
    private final int[] live;
    private int servedPartitions;
    /** When the served partitions last fell short: the start, or a task lost; the join timeout runs from here. */
    private long shortSinceNanos;
    /** Why a task could not take part (it could not reach the driver); null while all can. */
    private String unavailable;
    /** The driver's time adding the last step's sums, for the step profile. */
    private long lastSumNanos;

    private StepLoop(long key, int partitions) {
        this.key = key;
        this.partitions = partitions;
        this.sums = new GradientSum[partitions];
        this.stepSum = new OrderedSum(partitions);
        this.live = new int[partitions];
    }

    /** Whether to loop over whole epochs: what {@value #KEY} resolves to for this fit. */
    static boolean perEpoch(JavaSparkContext jsc, SharedWeights.Transport transport, int partitions) {
        String value = SparkJobs.setting(jsc.sc(), KEY, "auto");
        String mode = value.toLowerCase(Locale.ROOT);
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

    /** Whether {@value #KEY} is {@code per-epoch}: a loop that cannot go on fails the fit instead of giving way. */
    static boolean insisted(JavaSparkContext jsc) {
        return SparkJobs.setting(jsc.sc(), KEY, "auto").equalsIgnoreCase("per-epoch");
    }

    /** Why an epoch's steps cannot share one job on this context; null when they can. */
    static String refusal(JavaSparkContext jsc, SharedWeights.Transport transport, int partitions) {
        String master = jsc.sc().master();
        SparkConf conf = jsc.getConf();
        if (conf.getBoolean("spark.speculation", false)) {
            return "speculation is on (spark.speculation): a loop task runs the whole epoch and would be copied";
        }
        int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
        if (jsc.sc().isLocal()) {
            int threads = localThreads(master) / taskCpus;
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
            int slots = jsc.sc().defaultParallelism() / taskCpus;
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
        SparkContext sc = blocks.sparkContext();
        loop.sc = sc;
        boolean socket = !sc.isLocal() || Boolean.parseBoolean(SparkJobs.setting(sc, TEST_SOCKET_KEY, "false"));
        loop.joinTimeoutNanos = joinTimeoutNanos(SparkJobs.setting(sc, JOIN_TIMEOUT_KEY, sc.isLocal() ? "10" : "60"));
        StepServer.Endpoint endpoint = null;
        if (socket) {
            SparkConf conf = sc.getConf();
            String host = conf.get("spark.driver.host", "localhost");
            loop.server = StepServer.open(loop, conf.get("spark.driver.bindAddress", host), conf.getInt(PORT_KEY, 0), host);
            endpoint = loop.server.endpoint();
            String advertised = SparkJobs.setting(sc, TEST_ADVERTISE_KEY, "");
            if (!advertised.isEmpty()) {
                int colon = advertised.lastIndexOf(':');
                endpoint = new StepServer.Endpoint(advertised.substring(0, colon),
                        Integer.parseInt(advertised.substring(colon + 1)), endpoint.token());
            }
        }
        RUNNING.put(key, loop);
        loop.jobTag = "sparkmlp-epoch-steps-" + key;
        loop.shortSinceNanos = System.nanoTime();
        FirstResult<String> tasks = new FirstResult<>(data.checkingRows(new PartitionLoop(steps, key, endpoint)));
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
        if (weights == null) {
            throw new IllegalArgumentException("step " + step + " has no weights to publish");
        }
        lock.lock();
        try {
            if (step <= currentStep) {
                throw new IllegalArgumentException("step " + step + " published after step " + currentStep
                        + "; steps go forward");
            }
            if (currentWeights != null && weights.length != currentWeights.length) {
                throw new IllegalArgumentException("step " + step + " publishes " + weights.length
                        + " weights, the steps before " + currentWeights.length);
            }
            currentStep = step;
            currentWeights = weights;
            Arrays.fill(sums, null);
            delivered = 0;
            stepPublished.signalAll();
            while (delivered < partitions) {
                String giveUp = joinFailure();
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
                // wakes up now and then to look at the join deadline
                sumArrived.awaitNanos(JOIN_CHECK_NANOS);
            }
            long summing = System.nanoTime();
            OrderedSum total = stepSum.reset();
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

    private static long joinTimeoutNanos(String timeout) {
        double seconds;
        try {
            seconds = Double.parseDouble(timeout);
        } catch (NumberFormatException e) {
            seconds = Double.NaN;
        }
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException(JOIN_TIMEOUT_KEY + " must be a number of seconds > 0, got '" + timeout + "'");
        }
        return (long) (seconds * 1e9);
    }

    /** The driver's time adding the last step's partition sums. */
    long lastSumNanos() {
        return lastSumNanos;
    }

    /**
     * Ends the epoch: the tasks return, and this waits for the job to finish. A job that does not end
     * by itself (a task still waiting for a slot, a step abandoned midway) is cancelled.
     */
    @Override
    public void close() {
        boolean cancel;
        lock.lock();
        try {
            ended = true;
            stepPublished.signalAll();
            cancel = unavailable != null || servedPartitions < partitions;
        } finally {
            lock.unlock();
        }
        boolean interrupted = Thread.interrupted(); // the job must end even when this thread was interrupted
        try {
            if (!cancel) {
                runner.join(END_WAIT_MILLIS);
            }
            if (runner.isAlive()) {
                sc.cancelJobsWithTag(jobTag);
                runner.join();
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            RUNNING.remove(key);
            if (server != null) {
                server.close();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Why the loop should give up now (call with the lock held): a task could not reach the driver,
     * or some partition has had no running task for longer than the join timeout; null while neither.
     */
    private String joinFailure() {
        if (unavailable != null) {
            return unavailable;
        }
        if (servedPartitions < partitions && System.nanoTime() - shortSinceNanos > joinTimeoutNanos) {
            return servedPartitions + " of " + partitions + " partitions had a running task within "
                    + joinTimeoutNanos / 1e9 + " s (" + JOIN_TIMEOUT_KEY + "); the others found no free slot"
                    + (server != null ? " or cannot reach the driver" : "");
        }
        return null;
    }

    /** A task of {@code partition} started (under a local master) or connected (over the socket). */
    void taskJoined(int partition) {
        checkPartition(partition);
        lock.lock();
        try {
            if (live[partition]++ == 0) {
                servedPartitions++;
            }
        } finally {
            lock.unlock();
        }
    }

    /** A task of {@code partition} ended, failed or dropped its connection. */
    void taskLeft(int partition) {
        checkPartition(partition);
        lock.lock();
        try {
            if (--live[partition] == 0) {
                if (servedPartitions-- == partitions) {
                    shortSinceNanos = System.nanoTime(); // the join timeout runs again, for the retry
                }
                sumArrived.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void checkPartition(int partition) {
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition " + partition + " is outside the loop's " + partitions
                    + " partitions");
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

    /**
     * The weights of step {@code step} while it is the published one; null once the driver moved on
     * (a duplicate task of a partition whose sum already came in), which then waits for the next step.
     */
    float[] weights(int step) {
        lock.lock();
        try {
            return step == currentStep ? currentWeights : null;
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
        public Iterator<String> call(Integer partition, Iterator<Block> blocksIn) throws IOException {
            TaskContext context = TaskContext.get();
            if (steps.faults() != null) {
                steps.faults().delayRetry(context); // test-only: a retry that finds its slot late
            }
            if (endpoint != null) {
                return List.of(overSocket(partition, blocksIn, context)).iterator();
            }
            StepLoop loop = RUNNING.get(key);
            if (loop == null) {
                throw new IllegalStateException("epoch step loop " + key + " is not in this JVM: either its epoch is"
                        + " over, or this task runs outside the driver (set " + KEY + "=per-step)");
            }
            loop.taskJoined(partition);
            try {
                PartitionRows rows = PartitionRows.of(blocksIn);
                float[] gradient = null;
                int done = -1;
                for (int step = loop.awaitStep(partition, done, context); step >= 0;
                     step = loop.awaitStep(partition, done, context)) {
                    float[] weights = loop.weights(step);
                    if (weights != null) {
                        if (gradient == null) {
                            gradient = new float[weights.length];
                        }
                        loop.deliver(step, partition, steps.gradient(partition, rows, weights, steps.epoch(), step,
                                gradient));
                    }
                    done = step;
                }
                return List.of("").iterator();
            } finally {
                loop.taskLeft(partition);
            }
        }

        private String overSocket(int partition, Iterator<Block> blocksIn, TaskContext context)
                throws IOException {
            StepServer.Client client;
            try {
                client = StepServer.Client.connect(endpoint, partition);
            } catch (IOException e) {
                if (StepServer.unreachable(e)) {
                    return "the task of partition " + partition + " cannot reach the driver at " + endpoint.host() + ":"
                            + endpoint.port() + " (" + e.getMessage() + "); open that port to the executors or set "
                            + PORT_KEY;
                }
                throw e;
            }
            try (client) {
                PartitionRows rows = PartitionRows.of(blocksIn);
                float[] gradient = null;
                for (int step = client.awaitStep(context); step >= 0; step = client.awaitStep(context)) {
                    float[] weights = client.weights();
                    if (gradient == null) {
                        gradient = new float[weights.length];
                    }
                    client.send(step, steps.gradient(partition, rows, weights, steps.epoch(), step, gradient));
                }
                return "";
            }
        }
    }
}
