package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Blocks rebuilt from lineage (after a lost executor) must hold the rows that packing counted in
 * their partition; ones that do not stop the job with the partition and both counts, instead of
 * training on rows whose global indices have shifted.
 */
@Tag("spark")
class RebuiltBlockCheckTest {

    private final SparkSession spark = SparkTestSession.get();

    @Test
    void blocksHoldingThePackedRowCountPassAndFewerOrMoreAreRefusedWithBothCounts() {
        List<Block> blocks = List.of(block(3), block(2));
        List<Block> passed = new java.util.ArrayList<>();
        PackedData.checkedRows(1, blocks.iterator(), 5).forEachRemaining(passed::add);
        assertEquals(blocks, passed);

        // fewer: found once the last block has come
        Iterator<Block> fewer = PackedData.checkedRows(1, blocks.iterator(), 6);
        fewer.next();
        fewer.next();
        IllegalStateException e = assertThrows(IllegalStateException.class, fewer::hasNext);
        assertTrue(e.getMessage().startsWith("partition 1's blocks hold 5 rows but held 6 when the data was packed"),
                e.getMessage());

        // more: found at the block that passes the count, before a task trains on it
        Iterator<Block> more = PackedData.checkedRows(1, blocks.iterator(), 4);
        assertSame(blocks.get(0), more.next());
        e = assertThrows(IllegalStateException.class, more::next);
        assertTrue(e.getMessage().startsWith("partition 1's blocks hold at least 5 rows but held 4 when the data"
                + " was packed"), e.getMessage());
    }

    private static Block block(int rows) {
        Block.Builder builder = new Block.Builder(2);
        for (int r = 0; r < rows; r++) {
            builder.add(r % 2, new double[] {r, -r});
        }
        return builder.build();
    }

    @Test
    void aStepJobOverARebuiltBlockThatLostARowFailsNamingThePartitionAndTheCounts() {
        PackedData data = PackedData.pack(TestData.frame(spark, TestData.blobs(90, 6, 3, 1.0, 2), 3),
                "label", "features", 6, 3, 0);
        try {
            long[] starts = data.partitionStarts();
            long packedRowsOfPartition1 = starts[2] - starts[1];
            Function2<Integer, Iterator<Block>, Iterator<Integer>> countRows = (p, blocks) -> {
                int rows = 0;
                while (blocks.hasNext()) {
                    rows += blocks.next().rows();
                }
                return Collections.singletonList(rows).iterator();
            };
            // the packed blocks pass, as every step's and evaluation's tasks read them
            List<Integer> rows = data.blocks().mapPartitionsWithIndex(data.checkingRows(countRows), true).collect();
            assertEquals(data.rows(), rows.stream().mapToLong(Integer::longValue).sum());
            assertEquals(packedRowsOfPartition1, rows.get(1).longValue());

            // partition 1's blocks as a rebuild from a changed input would give them: its last row gone
            JavaRDD<Block> rebuilt = data.blocks().mapPartitionsWithIndex((p, blocks) -> {
                List<Block> all = new java.util.ArrayList<>();
                blocks.forEachRemaining(all::add);
                if (p == 1) {
                    Block last = all.get(all.size() - 1);
                    boolean[] keep = new boolean[last.rows()];
                    java.util.Arrays.fill(keep, 0, keep.length - 1, true);
                    all.set(all.size() - 1, last.select(keep));
                }
                return all.iterator();
            }, true);
            SparkException e = assertThrows(SparkException.class,
                    () -> rebuilt.mapPartitionsWithIndex(data.checkingRows(countRows), true).collect());
            String expected = "partition 1's blocks hold " + (packedRowsOfPartition1 - 1) + " rows but held "
                    + packedRowsOfPartition1 + " when the data was packed";
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        } finally {
            data.unpersist();
        }
    }
}
