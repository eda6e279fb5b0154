package io.sparkmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class FeatureMomentsTest {

    /** rows x features, row-major: feature k around offset_k with spread spread_k. */
    private static float[] values(int rows, double[] offsets, double[] spreads, long seed) {
        Random rng = new Random(seed);
        int features = offsets.length;
        float[] v = new float[rows * features];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < features; k++) {
                v[r * features + k] = (float) (offsets[k] + spreads[k] * rng.nextGaussian());
            }
        }
        return v;
    }

    /** The reference: a mean, then the squared deviations from it, in double over all rows at once. */
    private static double[][] twoPass(float[] v, int rows, int features) {
        double[] mean = new double[features];
        double[] variance = new double[features];
        for (int k = 0; k < features; k++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                sum += v[r * features + k];
            }
            mean[k] = sum / rows;
            double m2 = 0;
            for (int r = 0; r < rows; r++) {
                double d = v[r * features + k] - mean[k];
                m2 += d * d;
            }
            variance[k] = m2 / rows;
        }
        return new double[][] {mean, variance};
    }

    private static float[] rows(float[] v, int from, int to, int features) {
        return java.util.Arrays.copyOfRange(v, from * features, to * features);
    }

    @Test
    void partsMergedInAnyCutEqualTheTwoPassMomentsOfAllRows() {
        int rows = 1001;
        int features = 3;
        float[] v = values(rows, new double[] {1e-3, 1e4, -7}, new double[] {1e-4, 3e3, 2}, 5);
        double[][] reference = twoPass(v, rows, features);
        // one part; two unequal parts; three parts, one of them empty
        int[][] cuts = {{0, rows}, {0, 17, rows}, {0, 400, 400, rows}};
        for (int[] cut : cuts) {
            FeatureMoments all = new FeatureMoments(features);
            for (int p = 0; p + 1 < cut.length; p++) {
                all.merge(FeatureMoments.of(rows(v, cut[p], cut[p + 1], features), cut[p + 1] - cut[p], features));
            }
            assertEquals(rows, all.count());
            for (int k = 0; k < features; k++) {
                assertEquals(reference[0][k], all.mean(k), 1e-14 * Math.abs(reference[0][k]), "mean of " + k);
                assertEquals(reference[1][k], all.variance(k), 1e-12 * reference[1][k], "variance of " + k);
            }
        }
    }

    @Test
    void aLargeOffsetKeepsItsSmallVarianceWhereSumsOfSquaresLoseIt() {
        // 1e8 plus noise of a few units: floats 8 apart there, so values 1e8 + 8j for small integers j
        int rows = 3000;
        float[] v = new float[rows];
        Random rng = new Random(3);
        for (int r = 0; r < rows; r++) {
            v[r] = 1e8f + 8 * (rng.nextInt(3) - 1);
        }
        double[][] reference = twoPass(v, rows, 1);
        FeatureMoments merged = FeatureMoments.of(rows(v, 0, 1000, 1), 1000, 1)
                .merge(FeatureMoments.of(rows(v, 1000, 1700, 1), 700, 1))
                .merge(FeatureMoments.of(rows(v, 1700, rows, 1), rows - 1700, 1));
        assertEquals(reference[1][0], merged.variance(0), 1e-9 * reference[1][0]);
        assertEquals(reference[0][0], merged.mean(0), 1e-15 * reference[0][0]);
        // the naive formula, E[x²] - E[x]², on the same values in double: visibly off
        double sum = 0;
        double sumSq = 0;
        for (float x : v) {
            sum += x;
            sumSq += (double) x * x;
        }
        double naive = sumSq / rows - (sum / rows) * (sum / rows);
        assertTrue(Math.abs(naive - reference[1][0]) > 0.01 * reference[1][0],
                "naive " + naive + " vs " + reference[1][0] + ": the data do not test stability");
    }

    @Test
    void bytesCountAsTheirValueOver255AndMarkTheDataImageLike() {
        byte[] b = {0, (byte) 255, 51, (byte) 255, (byte) 128, 0};
        FeatureMoments m = FeatureMoments.ofBytes(b, 3, 2);
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            f[i] = (float) ((b[i] & 0xff) / 255.0);
        }
        double[][] reference = twoPass(f, 3, 2);
        assertEquals(reference[0][0], m.mean(0), 1e-7);
        assertEquals(reference[1][1], m.variance(1), 1e-7);
        assertTrue(m.imageLike());
        FeatureMoments floats = FeatureMoments.of(f, 3, 2);
        assertFalse(floats.imageLike());
        assertFalse(m.merge(floats).imageLike(), "one float part makes the whole not image-like");
    }

    @Test
    void twoPassesOverRowsInSeveralPartsGiveBitForBitTheMomentsOfOnePartHoldingThemAll() {
        int features = 3;
        float[] v = values(40, new double[] {1e-3, 1e4, -7}, new double[] {1e-4, 3e3, 2}, 6);
        FeatureMoments whole = FeatureMoments.of(v, 40, features);
        FeatureMoments.TwoPass passes = new FeatureMoments.TwoPass(features, false);
        int[] cut = {0, 7, 7, 30, 40};
        for (int p = 0; p + 1 < cut.length; p++) {
            passes.sum(rows(v, cut[p], cut[p + 1], features), cut[p + 1] - cut[p]);
        }
        passes.endFirstPass();
        for (int p = 0; p + 1 < cut.length; p++) {
            passes.addDeviations(rows(v, cut[p], cut[p + 1], features), cut[p + 1] - cut[p]);
        }
        assertSameMoments(whole, passes.result());

        byte[] b = new byte[40 * features];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 37 % 256);
        }
        FeatureMoments.TwoPass bytePasses = new FeatureMoments.TwoPass(features, true);
        bytePasses.sum(java.util.Arrays.copyOfRange(b, 0, 21), 7);
        bytePasses.sum(java.util.Arrays.copyOfRange(b, 21, b.length), 33);
        bytePasses.endFirstPass();
        bytePasses.addDeviations(java.util.Arrays.copyOfRange(b, 0, 21), 7);
        bytePasses.addDeviations(java.util.Arrays.copyOfRange(b, 21, b.length), 33);
        assertSameMoments(FeatureMoments.ofBytes(b, 40, features), bytePasses.result());

        // bytes beside floats count as b / 255f: the values of a block that turned from bytes to floats
        float[] asFloats = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            asFloats[i] = (b[i] & 0xff) / 255f;
        }
        FeatureMoments.TwoPass mixed = new FeatureMoments.TwoPass(features, false);
        mixed.sum(java.util.Arrays.copyOfRange(b, 0, 21), 7);
        mixed.sum(java.util.Arrays.copyOfRange(asFloats, 21, b.length), 33);
        mixed.endFirstPass();
        mixed.addDeviations(java.util.Arrays.copyOfRange(b, 0, 21), 7);
        mixed.addDeviations(java.util.Arrays.copyOfRange(asFloats, 21, b.length), 33);
        FeatureMoments mixedResult = mixed.result();
        assertSameMoments(FeatureMoments.of(asFloats, 40, features), mixedResult);
        assertFalse(mixedResult.imageLike());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FeatureMoments.TwoPass(features, true).sum(new float[3], 1));
        assertEquals("a part of floats in moments drawn in byte mode", e.getMessage());
        assertThrows(IllegalStateException.class, () -> new FeatureMoments.TwoPass(features, false)
                .addDeviations(new float[3], 1));
    }

    private static void assertSameMoments(FeatureMoments expected, FeatureMoments actual) {
        assertEquals(expected.count(), actual.count());
        assertEquals(expected.imageLike(), actual.imageLike());
        for (int k = 0; k < expected.features(); k++) {
            assertEquals(expected.mean(k), actual.mean(k), 0.0, "mean " + k);
            assertEquals(expected.m2(k), actual.m2(k), 0.0, "M2 " + k);
        }
    }

    @Test
    void theGlobalMomentsAreThoseOfAllValuesTogether() {
        int rows = 50;
        float[] v = values(rows, new double[] {0, 10, 100}, new double[] {1, 2, 3}, 9);
        double[][] together = twoPass(v, rows * 3, 1);
        double[] global = FeatureMoments.of(rows(v, 0, 20, 3), 20, 3).merge(FeatureMoments.of(rows(v, 20, rows, 3), 30, 3))
                .global();
        assertEquals(together[0][0], global[0], 1e-12);
        assertEquals(Math.sqrt(together[1][0]), global[1], 1e-12);
    }

    @Test
    void badShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FeatureMoments.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("2 rows of 3 features need 6 values, got 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new FeatureMoments(2).merge(new FeatureMoments(3)));
        assertTrue(e.getMessage().contains("cannot merge moments of 3 features into moments of 2"), e.getMessage());
    }
}
