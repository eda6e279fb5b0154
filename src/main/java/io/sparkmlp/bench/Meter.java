package io.sparkmlp.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import org.apache.spark.SparkContext;
import org.apache.spark.storage.RDDInfo;

/**
 * Samples, every few milliseconds while a phase runs, the driver's used heap and the bytes that RDDs
 * created during the phase hold in Spark's cache (memory plus disk, as the block manager reports
 * them), and keeps the peaks. Sampling catches a trainer's cache however briefly it lives inside
 * {@code fit}; the used heap includes garbage not yet collected, so its peak is an upper bound.
 */
final class Meter implements AutoCloseable {

    private final SparkContext sc;
    private final int firstRddId;
    private final Thread sampler;
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private volatile boolean running = true;
    private volatile long peakHeapBytes;
    private volatile long peakCachedBytes;
    private volatile long peakCachedPartitions;

    private Meter(SparkContext sc, long periodMillis) {
        this.sc = sc;
        // RDD ids only grow: a throwaway RDD's id marks where this phase's RDDs begin
        this.firstRddId = sc.emptyRDD(scala.reflect.ClassTag$.MODULE$.apply(Object.class)).id() + 1;
        this.sampler = new Thread(() -> {
            while (running) {
                sample();
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "sparkmlp-bench-meter");
        sampler.setDaemon(true);
    }

    /** Starts sampling; RDDs created from now on count as this phase's. */
    static Meter start(SparkContext sc) {
        Meter meter = new Meter(sc, 20);
        meter.sampler.start();
        return meter;
    }

    /** Takes one sample now, on the caller's thread: the moment a phase knows its cache is full. */
    synchronized void sample() {
        long heap = memory.getHeapMemoryUsage().getUsed();
        if (heap > peakHeapBytes) {
            peakHeapBytes = heap;
        }
        long cached = 0;
        long partitions = 0;
        for (RDDInfo info : sc.getRDDStorageInfo()) {
            if (info.id() >= firstRddId) {
                cached += info.memSize() + info.diskSize();
                partitions += info.numCachedPartitions();
            }
        }
        if (cached > peakCachedBytes) {
            peakCachedBytes = cached;
            peakCachedPartitions = partitions;
        }
    }

    long peakHeapBytes() {
        return peakHeapBytes;
    }

    long peakCachedBytes() {
        return peakCachedBytes;
    }

    long peakCachedPartitions() {
        return peakCachedPartitions;
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
    }
}
