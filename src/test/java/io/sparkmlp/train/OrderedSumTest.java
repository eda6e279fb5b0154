package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Rng;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class OrderedSumTest {

    private static GradientSum leaf(int partition, long seed) {
        Rng rng = new Rng(seed + partition);
        float[] g = new float[50];
        for (int i = 0; i < g.length; i++) {
            // values of very different magnitudes, so that the order of addition matters
            g[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(8) - 4));
        }
        return new GradientSum(partition, g, rng.nextDouble(), 10 + partition, partition, partition * 7L, partition * 100L);
    }

    private static GradientSum sumInOrder(List<Integer> order, int partitions, boolean viaMerge) {
        OrderedSum left = new OrderedSum(partitions);
        OrderedSum right = new OrderedSum(partitions);
        for (int i = 0; i < order.size(); i++) {
            ((viaMerge && i % 2 == 1) ? right : left).add(leaf(order.get(i), 99));
        }
        return viaMerge ? left.merge(right).total() : left.total();
    }

    @Test
    void theSumIsBitIdenticalWhateverOrderThePartitionsArriveIn() {
        for (int partitions : new int[] {1, 2, 3, 5, 7, 8, 13}) {
            List<Integer> order = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                order.add(p);
            }
            GradientSum reference = sumInOrder(order, partitions, false);
            assertEquals(partitions * 10L + partitions * (partitions - 1) / 2, reference.count());
            assertEquals((partitions - 1) * 100L, reference.maxComputeNanos());
            assertEquals((partitions - 1) * 7L, reference.maxFetchNanos());
            Random shuffler = new Random(partitions);
            for (int trial = 0; trial < 20; trial++) {
                Collections.shuffle(order, shuffler);
                GradientSum other = sumInOrder(order, partitions, trial % 2 == 0);
                assertArrayEquals(reference.gradient(), other.gradient(), partitions + " partitions, order " + order);
                assertEquals(reference.lossSum(), other.lossSum(), 0.0);
            }
        }
    }

    @Test
    void aMissingOrRepeatedPartitionIsAnError() {
        OrderedSum sum = new OrderedSum(3);
        sum.add(leaf(0, 1));
        sum.add(leaf(2, 1));
        IllegalStateException missing = assertThrows(IllegalStateException.class, sum::total);
        assertTrue(missing.getMessage().contains("3 partitions"), missing.getMessage());
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> sum.add(leaf(2, 1)));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> sum.add(leaf(3, 1)));
        assertTrue(outside.getMessage().contains("[3, 4)"), outside.getMessage());
    }
}
