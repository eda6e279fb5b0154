package io.sparkmlp.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class InputScalingTest {

    @Test
    void eachFeatureIsStandardisedWithItsOwnMomentsAndAConstantOneIsLeftAsItIs() {
        InputScaling s = InputScaling.standardizeEach(new double[] {2e-3, 5e3, 7}, new double[] {1e-3, 2e3, 0});
        // x' = (x - mean) / std
        assertEquals(1f, s.apply(0, 3e-3f), 1e-5f);
        assertEquals(-1f, s.apply(1, 3e3f), 1e-6f);
        // zero variance: x' = x, whatever the value
        assertEquals(7f, s.apply(2, 7f));
        assertEquals(-4.5f, s.apply(2, -4.5f));
        assertEquals(1f, s.scale(2));
        assertEquals(0f, s.shift(2));
        assertEquals(3, s.features());
    }

    @Test
    void theRowKernelsEqualTheScalarMap() {
        InputScaling per = InputScaling.perFeature(new float[] {2f, 0.5f, -3f}, new float[] {1f, -0.25f, 0.125f});
        InputScaling global = InputScaling.global(4f, -1f);
        float[] src = {9f, 0.1f, -2f, 3f, 77f};
        byte[] bytes = {0, 17, (byte) 200, (byte) 255, 3};
        float[] byteValues = new float[256];
        for (int v = 0; v < 256; v++) {
            byteValues[v] = v / 255f;
        }
        for (InputScaling s : new InputScaling[] {per, global}) {
            float[] dst = new float[5];
            s.apply(src, 2, dst, 1, 3);
            float[] fromBytes = new float[3];
            s.applyToBytes(bytes, 1, byteValues, fromBytes, 0, 3);
            float[] fromDoubles = new float[3];
            s.apply(new double[] {-2, 3, 77}, fromDoubles, 0, 3);
            for (int k = 0; k < 3; k++) {
                assertEquals(s.apply(k, src[2 + k]), dst[1 + k]);
                assertEquals(s.apply(k, (bytes[1 + k] & 0xff) / 255f), fromBytes[k]);
                assertEquals(dst[1 + k], fromDoubles[k]);
            }
            assertEquals(0f, dst[0], "nothing written before the offset");
        }
    }

    @Test
    void globalIsTheSpecialCaseWithOneScaleAndShift() {
        InputScaling g = InputScaling.standardize(0.25, 0.5);
        assertTrue(g.isGlobal());
        assertEquals(0, g.features());
        assertEquals(2f, g.scale());
        assertEquals(-0.5f, g.shift());
        assertEquals(g.apply(0, 0.75f), g.apply(700, 0.75f));
        g.requireFeatures(784);
        InputScaling per = InputScaling.perFeature(new float[] {2f, 2f}, new float[] {-0.5f, -0.5f});
        assertNotEquals(g, per, "one for all and one each differ even with equal values");
        assertNotEquals(g.crc32(), per.crc32());
        assertThrows(IllegalStateException.class, per::scale);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> per.requireFeatures(3));
        assertTrue(e.getMessage().contains("the input scaling has 2 features; the network's input layer has 3"),
                e.getMessage());
    }

    @Test
    void equalScalingsHaveEqualFingerprintsAndCopiesCannotChangeThem() {
        float[] scales = {1f, 3f};
        InputScaling a = InputScaling.perFeature(scales, new float[] {0f, 1f});
        scales[1] = 99f;
        assertEquals(3f, a.scale(1));
        a.scales()[0] = 42f;
        assertEquals(1f, a.scale(0));
        InputScaling b = InputScaling.perFeature(new float[] {1f, 3f}, new float[] {0f, 1f});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a.crc32(), b.crc32());
        assertArrayEquals(new float[] {0f, 1f}, b.shifts());
        assertNotEquals(a.crc32(), InputScaling.perFeature(new float[] {1f, 3f}, new float[] {0f, Math.nextUp(1f)}).crc32());
    }

    @Test
    void badScalesAreRefusedNamingTheFeature() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InputScaling.perFeature(new float[] {1f, 0f}, new float[] {0f, 0f}));
        assertTrue(e.getMessage().contains("got scale 0.0, shift 0.0 for feature 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> InputScaling.perFeature(new float[] {1f}, new float[] {0f, 0f}));
        assertTrue(e.getMessage().contains("got 1 scales and 2 shifts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> InputScaling.standardize(3, 0));
        assertTrue(e.getMessage().contains("are all inputs equal?"), e.getMessage());
    }
}
