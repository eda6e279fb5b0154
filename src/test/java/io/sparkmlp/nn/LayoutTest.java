package io.sparkmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class LayoutTest {

    @Test
    void layersAreConsecutiveWeightThenBiasBlocks() {
        Layout layout = Layout.parse("784,256,128,10");
        assertEquals(3, layout.numLayers());
        assertEquals(0, layout.weightOffset(0));
        assertEquals(784 * 256, layout.biasOffset(0));
        assertEquals(784 * 256 + 256, layout.weightOffset(1));
        assertEquals(235_146, layout.numParameters());
        assertEquals("784-256-128-10", layout.toString());
    }

    @Test
    void impossibleLayersAreRejectedWithTheOffendingSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Layout(784, 0, 10));
        assertTrue(e.getMessage().contains("layer 1 has size 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Layout(784));
        assertTrue(e.getMessage().contains("[784]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Layout(784, 1));
        assertTrue(e.getMessage().contains("2 classes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Layout.parse("784,ten"));
        assertTrue(e.getMessage().contains("'ten'"), e.getMessage());
    }

    @Test
    void activationsParseFromTheirOptionNames() {
        assertEquals(Activation.LEAKY_RELU, Activation.parse("leaky-relu"));
        assertEquals(Activation.LEAKY_RELU, Activation.parse("leaky"));
        assertEquals(Activation.TANH, Activation.parse("TANH"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("gelu"));
        assertTrue(e.getMessage().contains("'gelu'"), e.getMessage());
    }

    @Test
    void derivedSeedsDependOnEveryPartOfThePosition() {
        long a = Rng.derive(1, 2, 3, 4);
        assertEquals(a, Rng.derive(1, 2, 3, 4));
        assertTrue(a != Rng.derive(1, 2, 3, 5) && a != Rng.derive(1, 3, 2, 4) && a != Rng.derive(2, 2, 3, 4));
        int[] order = new int[1000];
        new Rng(9).permutation(order);
        boolean[] seen = new boolean[1000];
        for (int v : order) {
            assertTrue(!seen[v], "value " + v + " twice");
            seen[v] = true;
        }
    }
}
