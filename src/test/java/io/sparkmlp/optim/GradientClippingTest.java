package io.sparkmlp.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Clipping against {@code torch.nn.utils.clip_grad_value_} and {@code clip_grad_norm_} on the five
 * golden gradients: the expected values come from {@code src/test/python/optim_golden.py}
 * ({@code clipping} in golden.json), never typed in.
 */
@Tag("unit")
class GradientClippingTest {

    // clamping is exact; the norm's scale differs from torch's by torch's float32 norm (this one sums in
    // double): a few ulp of the scale, so 1e-6 relative plus 1e-8 absolute
    private static final double RELATIVE = 1e-6;
    private static final double ABSOLUTE = 1e-8;

    private static final JsonNode GOLDEN = load();

    static Stream<String> caseNames() {
        List<String> names = new ArrayList<>();
        GOLDEN.get("clipping").forEach(c -> names.add(c.get("name").asText()));
        return names.stream();
    }

    @Test
    void theGoldenCasesClipSomeGradientsAndLeaveOthers() {
        int changed = 0;
        int kept = 0;
        for (JsonNode c : GOLDEN.get("clipping")) {
            for (int k = 0; k < GOLDEN.get("gradients").size(); k++) {
                boolean same = java.util.Arrays.equals(floats(GOLDEN.get("gradients").get(k)),
                        floats(c.get("gradients").get(k)));
                changed += same ? 0 : 1;
                kept += same ? 1 : 0;
            }
        }
        // both paths (a scale below 1, and none) are exercised, not only one
        assertTrue(changed > 0 && kept > 0, changed + " clipped, " + kept + " kept");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseNames")
    void clippingMatchesTorch(String name) {
        JsonNode c = goldenCase(name);
        GradientClipping clipping = new GradientClipping(c.get("clipValue").asDouble(), c.get("clipNorm").asDouble());
        JsonNode gradients = GOLDEN.get("gradients");
        for (int k = 0; k < gradients.size(); k++) {
            float[] g = floats(gradients.get(k));
            clipping.clip(g);
            float[] expected = floats(c.get("gradients").get(k));
            for (int i = 0; i < g.length; i++) {
                double allowed = ABSOLUTE + RELATIVE * Math.abs(expected[i]);
                if (!(Math.abs(g[i] - (double) expected[i]) <= allowed)) {
                    fail(name + ", gradient " + k + "[" + i + "]: torch " + expected[i] + ", sparkmlp " + g[i]);
                }
            }
        }
    }

    @Test
    void clipNormReturnsTheNormBeforeClippingAndLeavesASmallGradientAlone() {
        float[] g = {3f, -4f};
        assertEquals(5.0, GradientClipping.clipNorm(g, 10), 0);
        assertArrayEquals(new float[] {3f, -4f}, g);
        assertEquals(5.0, GradientClipping.clipNorm(g, 1), 0);
        // scaled by 1 / (5 + 1e-6)
        assertEquals(0.6f, g[0], 1e-6);
        assertEquals(-0.8f, g[1], 1e-6);
        float[] zero = new float[3];
        assertEquals(0.0, GradientClipping.clipNorm(zero, 1));
        assertArrayEquals(new float[3], zero);
    }

    @Test
    void zeroLimitsAreOffAndBadLimitsAreRejectedWithTheValue() {
        float[] g = {100f, -100f};
        new GradientClipping(0, 0).clip(g);
        assertArrayEquals(new float[] {100f, -100f}, g);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GradientClipping(-1, 0));
        assertTrue(e.getMessage().contains("clip value must be finite and >= 0 (0: off), got -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GradientClipping(0, Double.NaN));
        assertTrue(e.getMessage().contains("clip norm must be finite and >= 0 (0: off), got NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipValue(g, 0f));
        assertTrue(e.getMessage().contains("got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipNorm(g, Double.POSITIVE_INFINITY));
        assertTrue(e.getMessage().contains("got Infinity"), e.getMessage());
    }

    @Test
    void clippingAndTheElasticNetAllocateNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        io.sparkmlp.nn.Layout net = new io.sparkmlp.nn.Layout(50, 30, 10);
        GradientClipping clipping = new GradientClipping(0.5, 1.0);
        ElasticNet elasticNet = new ElasticNet(net, 1e-3, 0.5);
        float[] w = new float[net.numParameters()];
        float[] g = new float[net.numParameters()];
        java.util.Arrays.fill(w, 0.5f);
        for (int i = 0; i < 200; i++) { // warm up: the JIT, not the kernels, allocates in the first calls
            java.util.Arrays.fill(g, 0.25f);
            elasticNet.addGradient(w, g);
            clipping.clip(g);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100; i++) {
            java.util.Arrays.fill(g, 0.25f);
            elasticNet.addGradient(w, g);
            clipping.clip(g);
        }
        long bytes = threads.getCurrentThreadAllocatedBytes() - before;
        // one array of the layout's 1,840 floats per call would be 736,000 bytes over 100 calls
        assertTrue(bytes < 16_384, "100 calls allocated " + bytes + " bytes");
    }

    private static JsonNode goldenCase(String name) {
        for (JsonNode c : GOLDEN.get("clipping")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no clipping case " + name + " in golden.json");
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static JsonNode load() {
        try (InputStream in = GradientClippingTest.class.getResourceAsStream("golden.json")) {
            assertTrue(in != null, "golden.json is missing; run src/test/python/optim_golden.py");
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
