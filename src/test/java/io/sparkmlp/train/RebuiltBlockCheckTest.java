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
 * A block rebuilt from lineage (after a lost executor) must hold the rows that packing counted in
 * its partition; one that does not stops the job with the partition and both counts, instead of
 * training on rows whose global indices have shifted.
 */
@Tag("spark")
class RebuiltBlockCheckTest {

    private final SparkSession spark = SparkTestSession.get();

    @Test
    void aBlockWithThePackedRowCountPassesAndOneWithAnotherCountIsRefusedWithBothCounts() {
        Block.Builder builder = new Block.Builder(2);
        for (int r = 0; r < 3; r++) {
            builder.add(r % 2, new double[] {r, -r});
        }
        Block block = builder.build();
        assertSame(block, PackedData.checkRows(1, block, 3));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PackedData.checkRows(1, block, 4));
        assertTrue(e.getMessage().startsWith("partition 1's block has 3 rows but had 4 when the data was packed"),
                e.getMessage());
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

            // partition 1's block as a rebuild from a changed input would give it: its last row gone
            JavaRDD<Block> rebuilt = data.blocks().mapPartitionsWithIndex((p, blocks) -> {
                Block block = blocks.next();
                if (p != 1) {
                    return Collections.singletonList(block).iterator();
                }
                boolean[] keep = new boolean[block.rows()];
                java.util.Arrays.fill(keep, 0, keep.length - 1, true);
                return Collections.singletonList(block.select(keep)).iterator();
            }, true);
            SparkException e = assertThrows(SparkException.class,
                    () -> rebuilt.mapPartitionsWithIndex(data.checkingRows(countRows), true).collect());
            String expected = "partition 1's block has " + (packedRowsOfPartition1 - 1) + " rows but had "
                    + packedRowsOfPartition1 + " when the data was packed";
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        } finally {
            data.unpersist();
        }
    }
}
