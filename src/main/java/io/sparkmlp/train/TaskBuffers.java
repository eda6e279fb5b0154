package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Rng;
import io.sparkmlp.nn.Workspace;

/**
 * Per-thread buffers reused by every task an executor thread runs, so that a step allocates
 * nothing but its result: the network workspace, the byte-to-input table and the epoch's row order.
 */
final class TaskBuffers {

    private static final ThreadLocal<TaskBuffers> LOCAL = ThreadLocal.withInitial(TaskBuffers::new);

    /** The epoch's row order is the same for every partition; one copy per JVM is enough. */
    private static final java.util.ArrayDeque<EpochOrder> RECENT_ORDERS = new java.util.ArrayDeque<>();
    private static final int KEPT_ORDERS = 4;

    /** Keeps the shuffle's random stream apart from the others drawn from the same seed. */
    static final long SHUFFLE_STREAM = 0x5F1E;

    private Workspace workspace;
    private final float[] byteTable = new float[256];
    private InputScaling tableScaling;

    static TaskBuffers get() {
        return LOCAL.get();
    }

    /** A workspace for the layout that holds at least {@code capacity} examples. */
    Workspace workspace(Layout layout, int capacity) {
        if (workspace == null || !workspace.layout().equals(layout) || workspace.capacity() < capacity) {
            workspace = new Workspace(layout, capacity);
        }
        return workspace;
    }

    float[] byteTable(InputScaling scaling) {
        if (!scaling.equals(tableScaling)) {
            Block.fillByteTable(scaling, byteTable);
            tableScaling = scaling;
        }
        return byteTable;
    }

    /**
     * The order in which epoch {@code epoch} visits the {@code rows} training rows: a permutation of
     * global row indices that depends on (seed, epoch) only, so every partition count sees the same
     * mini-batches. The last few orders are kept per JVM, so concurrent trainings (a parallel
     * model search, say) do not evict each other's.
     */
    static int[] epochOrder(long seed, int epoch, int rows) {
        synchronized (RECENT_ORDERS) {
            for (EpochOrder cached : RECENT_ORDERS) {
                if (cached.matches(seed, epoch, rows)) {
                    return cached.order;
                }
            }
        }
        int[] order = new int[rows]; // computed outside the lock: two threads may both compute it, harmlessly
        new Rng(Rng.derive(seed, SHUFFLE_STREAM, epoch)).permutation(order);
        synchronized (RECENT_ORDERS) {
            RECENT_ORDERS.addFirst(new EpochOrder(seed, epoch, order));
            while (RECENT_ORDERS.size() > KEPT_ORDERS) {
                RECENT_ORDERS.removeLast();
            }
        }
        return order;
    }

    private record EpochOrder(long seed, int epoch, int[] order) {
        boolean matches(long s, int e, int rows) {
            return seed == s && epoch == e && order.length == rows;
        }
    }
}
