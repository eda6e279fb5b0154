package io.sparkmlp.train;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * How one step's weights reach the tasks, chosen by {@value #TRANSPORT_KEY} (a local property of
 * the training thread, else the Spark conf):
 * <ul>
 *   <li>{@code in-process}: when the tasks run in the driver's own JVM (a {@code local} master), a
 *       reference to the driver's array itself. A broadcast's tasks there read the driver's very array
 *       anyway, so a broadcast only adds work: serialising the weights into pieces nobody reads,
 *       registering and destroying them (about 2.5 ms of a step here);</li>
 *   <li>{@code task}: the weights travel inside the step's task binary, which Spark already ships
 *       to every executor once per job (itself a broadcast): no second broadcast, but the weights go
 *       through Java serialisation with the task and the executors deserialise them with it;</li>
 *   <li>{@code broadcast}: a Spark broadcast of its own (Kryo, uncompressed), destroyed after the step.</li>
 * </ul>
 * {@code auto} (the default) takes {@code in-process} under a local master and {@code broadcast} on
 * a cluster: on the loopback cluster, the transports taken in turn, a step with its own broadcast
 * took less than one with the weights in the task binary in every run
 * ({@code bench/results/*-step-standalone.json}). All share one contract: the driver leaves the array alone until the step's job has
 * finished, and closes the handle after.
 */
abstract class SharedWeights implements Serializable, AutoCloseable {

    /** Spark setting or local property: auto, in-process, task or broadcast. */
    static final String TRANSPORT_KEY = "spark.sparkmlp.weights";

    private static final long serialVersionUID = 1L;

    /** The ways weights can reach the tasks. */
    enum Transport {
        IN_PROCESS("in-process"), TASK("task"), BROADCAST("broadcast");

        private final String id;

        Transport(String id) {
            this.id = id;
        }

        String id() {
            return id;
        }
    }

    /** Shares {@code weights} for one job, as {@link #transport} says. */
    static SharedWeights share(JavaSparkContext jsc, float[] weights) {
        return share(weights, transport(jsc), jsc);
    }

    /** What {@code auto} takes on this context: in-process under a local master, else a broadcast. */
    static Transport auto(JavaSparkContext jsc) {
        return jsc.sc().isLocal() ? Transport.IN_PROCESS : Transport.BROADCAST;
    }

    /**
     * The {@value #TRANSPORT_KEY} setting resolved for this context: a local property of this thread
     * first, else the Spark conf; {@code auto} when unset. Read it once per fit: getConf() copies the conf.
     */
    static Transport transport(JavaSparkContext jsc) {
        String value = setting(jsc);
        boolean local = jsc.sc().isLocal();
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> auto(jsc);
            case "in-process" -> {
                if (!local) {
                    throw new IllegalArgumentException(TRANSPORT_KEY + "=in-process needs a local master, the tasks"
                            + " run elsewhere on " + jsc.sc().master() + "; use auto, task or broadcast");
                }
                yield Transport.IN_PROCESS;
            }
            case "task" -> Transport.TASK;
            case "broadcast" -> Transport.BROADCAST;
            default -> throw new IllegalArgumentException(TRANSPORT_KEY + " must be auto, in-process, task or broadcast,"
                    + " got '" + value + "'");
        };
    }

    /** The {@value #TRANSPORT_KEY} setting as given, trimmed and in lower case: a local property of this thread, else the conf; "auto" when unset. */
    static String setting(JavaSparkContext jsc) {
        return SparkJobs.setting(jsc.sc(), TRANSPORT_KEY, "auto").toLowerCase(Locale.ROOT);
    }

    /** Shares {@code weights} for one job by {@code transport}. */
    static SharedWeights share(float[] weights, Transport transport, JavaSparkContext jsc) {
        return switch (transport) {
            case IN_PROCESS -> InProcess.register(weights);
            case TASK -> new InTask(weights);
            case BROADCAST -> new Broadcasted(jsc.broadcast(weights));
        };
    }

    /** The weights, as the task reads them. */
    abstract float[] value();

    /** Releases the weights once the job is done. */
    @Override
    public abstract void close();

    /** The weights themselves, serialised with the task that holds this handle. */
    private static final class InTask extends SharedWeights {
        private static final long serialVersionUID = 1L;

        private final float[] weights;

        InTask(float[] weights) {
            this.weights = weights;
        }

        @Override
        float[] value() {
            return weights;
        }

        @Override
        public void close() {
            // nothing was registered anywhere: the job's task binary goes with the job
        }
    }

    /** A Spark broadcast, destroyed when closed. */
    private static final class Broadcasted extends SharedWeights {
        private static final long serialVersionUID = 1L;

        private final Broadcast<float[]> broadcast;

        Broadcasted(Broadcast<float[]> broadcast) {
            this.broadcast = broadcast;
        }

        @Override
        float[] value() {
            return broadcast.value();
        }

        @Override
        public void close() {
            broadcast.destroy();
        }
    }

    /** A key into this JVM's table of shared arrays; only meaningful where the driver runs. */
    private static final class InProcess extends SharedWeights {
        private static final long serialVersionUID = 1L;
        private static final Map<Long, float[]> SHARED = new ConcurrentHashMap<>();
        private static final AtomicLong NEXT_KEY = new AtomicLong();

        private final long key;

        private InProcess(long key) {
            this.key = key;
        }

        static InProcess register(float[] weights) {
            long key = NEXT_KEY.incrementAndGet();
            SHARED.put(key, weights);
            return new InProcess(key);
        }

        @Override
        float[] value() {
            float[] weights = SHARED.get(key);
            if (weights == null) {
                throw new IllegalStateException("in-process weights " + key + " are not in this JVM: either the step"
                        + " is over, or this task runs outside the driver (set " + TRANSPORT_KEY + "=task)");
            }
            return weights;
        }

        @Override
        public void close() {
            SHARED.remove(key);
        }
    }
}
