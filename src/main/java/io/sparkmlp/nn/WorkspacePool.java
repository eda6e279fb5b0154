package io.sparkmlp.nn;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Workspaces of one layout and capacity, lent and given back, so that work which comes in many short
 * pieces (a Spark task a partition, each scoring a few blocks) reuses the same buffers instead of
 * allocating them each time. A scoring workspace of 512 rows of 784 inputs is 1.6 MB for its input
 * alone: an array that size is allocated straight into the old generation ("humongous" in G1), and a
 * stream of them sets off a concurrent collection per handful of tasks, which takes cores from the
 * tasks. A workspace is lent to one holder at a time; the pool keeps at most {@code maxIdle} idle
 * ones, softly held, so that memory pressure can still take them.
 */
public final class WorkspacePool {

    private final Layout layout;
    private final int capacity;
    private final int maxIdle;
    private final ArrayDeque<SoftReference<Workspace>> idle = new ArrayDeque<>();
    /** Workspaces this pool has made; guarded by {@code idle}. */
    private long made;

    public WorkspacePool(Layout layout, int capacity, int maxIdle) {
        this.layout = Objects.requireNonNull(layout, "layout");
        if (capacity < 1) {
            throw new IllegalArgumentException("workspace capacity must be at least 1 example, got " + capacity);
        }
        if (maxIdle < 0) {
            throw new IllegalArgumentException("idle workspaces kept must be >= 0, got " + maxIdle);
        }
        this.capacity = capacity;
        this.maxIdle = maxIdle;
    }

    public Layout layout() {
        return layout;
    }

    public int capacity() {
        return capacity;
    }

    /** An idle workspace if one is left, else a new one; it is the caller's until {@link #giveBack}. */
    public Workspace borrow() {
        synchronized (idle) {
            while (!idle.isEmpty()) {
                Workspace kept = idle.pop().get();
                if (kept != null) {
                    return kept;
                }
            }
            made++;
        }
        return new Workspace(layout, capacity);
    }

    /** Takes back a workspace from {@link #borrow}; the caller must not use it afterwards. */
    public void giveBack(Workspace workspace) {
        if (!workspace.layout().equals(layout) || workspace.capacity() != capacity) {
            throw new IllegalArgumentException("a workspace for layers " + workspace.layout() + " and "
                    + workspace.capacity() + " examples given back to the pool of layers " + layout + " and "
                    + capacity + " examples");
        }
        synchronized (idle) {
            // cleared references count until they are popped; drop them here so that they do not fill the pool
            idle.removeIf(reference -> reference.get() == null);
            if (idle.size() < maxIdle) {
                idle.push(new SoftReference<>(workspace));
            }
        }
    }

    /** Workspaces this pool has made so far: borrows that found none idle. */
    public long madeCount() {
        synchronized (idle) {
            return made;
        }
    }

    /** Idle workspaces held now, counting any the collector has cleared but the pool not yet dropped. */
    public int idleCount() {
        synchronized (idle) {
            return idle.size();
        }
    }
}
