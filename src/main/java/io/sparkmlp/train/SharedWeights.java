package io.sparkmlp.train;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * How one step's weights reach the tasks: a Spark broadcast, or, when the tasks run in the driver's
 * own JVM (a {@code local} master), a reference to the driver's array itself.
 *
 * <p>In local mode a broadcast's tasks already read the driver's very array (the block manager
 * they share holds it as a value), so the broadcast only adds work: serialising the weights into
 * pieces nobody reads, registering them and destroying them, about 2.5 ms of a step on this
 * machine. The in-process handle gives the tasks the same array for nothing. Both share the same
 * contract: the driver leaves the array alone until the step's job has finished, and closes the
 * handle after. {@code spark.sparkmlp.inProcessWeights=false} (a Spark setting, or a local property of the
 * training thread) forces the broadcast in local mode too.
 */
abstract class SharedWeights implements Serializable, AutoCloseable {

    /** Spark setting that allows the in-process hand-off under a local master (default true). */
    static final String IN_PROCESS_KEY = "spark.sparkmlp.inProcessWeights";

    private static final long serialVersionUID = 1L;

    /** Shares {@code weights} for one job, by reference when every task runs in this JVM. */
    static SharedWeights share(JavaSparkContext jsc, float[] weights) {
        return share(jsc, weights, inProcessAllowed(jsc));
    }

    /** The {@value #IN_PROCESS_KEY} setting: a local property of this thread first, else the Spark conf; true if unset. */
    static boolean inProcessAllowed(JavaSparkContext jsc) {
        String value = jsc.getLocalProperty(IN_PROCESS_KEY);
        if (value == null) {
            value = jsc.getConf().get(IN_PROCESS_KEY, "true");
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(IN_PROCESS_KEY + " must be true or false, got '" + value + "'");
        };
    }

    /** As above; {@code inProcessAllowed} false forces a broadcast. */
    static SharedWeights share(JavaSparkContext jsc, float[] weights, boolean inProcessAllowed) {
        return inProcess(jsc, inProcessAllowed) ? InProcess.register(weights) : new Broadcasted(jsc.broadcast(weights));
    }

    /** Whether {@link #share} hands the weights over in-process: allowed, and every task runs in this JVM. */
    static boolean inProcess(JavaSparkContext jsc, boolean inProcessAllowed) {
        return inProcessAllowed && jsc.sc().isLocal();
    }

    /** The weights, as the task reads them. */
    abstract float[] value();

    /** Releases the weights once the job is done. */
    @Override
    public abstract void close();

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
                        + " is over, or this task runs outside the driver (set " + IN_PROCESS_KEY + "=false)");
            }
            return weights;
        }

        @Override
        public void close() {
            SHARED.remove(key);
        }
    }
}
