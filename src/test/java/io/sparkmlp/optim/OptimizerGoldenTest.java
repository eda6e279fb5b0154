package io.sparkmlp.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.nn.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each optimizer against {@code torch.optim} on the same tiny problem: a 3-2-2 network's
 * parameters, five steps with fixed gradients. The expected weights and states come from
 * {@code src/test/python/optim_golden.py} (its header says how to run it), never typed in.
 */
@Tag("unit")
class OptimizerGoldenTest {

    // Both sides compute in float32 with the same operations in the same order, except that torch's CPU
    // kernels round a + α·b once (a fused multiply-add: emulating that reproduces torch's first moments
    // bit for bit) and this code twice. Measured over the 10 cases: 85-94% of the values are equal,
    // the rest within 8 ulp (6e-7 relative), except moments that are small differences of larger
    // terms, up to 36 ulp (4e-6 relative) but under 6e-8 absolute: hence 1e-6 relative plus 1e-7
    // absolute. A wrong formula is far outside (checked by breaking the code: decay on the biases,
    // no second bias correction, a decay not scaled by the step's rate, ε inside the root, the rate
    // inside RMSProp's momentum buffer, one step too many in the bias correction: each fails here).
    private static final double RELATIVE = 1e-6;
    private static final double ABSOLUTE = 1e-7;

    private static final JsonNode GOLDEN = load();

    static Stream<String> caseNames() {
        List<String> names = new ArrayList<>();
        GOLDEN.get("cases").forEach(c -> names.add(c.get("name").asText()));
        return names.stream();
    }

    @Test
    void theGoldenFileCoversEveryOptimizerWithAndWithoutDecay() {
        assertEquals("src/test/python/optim_golden.py", GOLDEN.get("generator").asText());
        assertEquals("3-2-2", layout().toString());
        assertEquals(layout().numParameters(), GOLDEN.get("initialWeights").size());
        Set<String> covered = new HashSet<>();
        for (JsonNode c : GOLDEN.get("cases")) {
            assertEquals(5, c.get("steps").size(), c.get("name").asText());
            JsonNode settings = c.get("settings");
            String kind = c.get("optimizer").asText();
            covered.add(kind + (settings.get("weightDecay").asDouble() > 0 ? " with decay" : " without decay"));
            if (kind.equals("sgd")) {
                covered.add(kind + (settings.get("nesterov").asBoolean() ? " nesterov" : " classical"));
            }
            if (kind.equals("rmsprop")) {
                covered.add(kind + (settings.get("momentum").asDouble() > 0 ? " with momentum" : " without momentum"));
            }
        }
        assertEquals(Set.of("sgd with decay", "sgd without decay", "sgd classical", "sgd nesterov",
                "adam with decay", "adam without decay", "adamw with decay", "adamw without decay",
                "rmsprop with decay", "rmsprop without decay", "rmsprop with momentum", "rmsprop without momentum"),
                covered);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseNames")
    void everyStepMatchesTorch(String name) {
        JsonNode c = goldenCase(name);
        Layout layout = layout();
        Optimizer optimizer = build(c, layout);
        float[] w = floats(GOLDEN.get("initialWeights"));
        JsonNode gradients = GOLDEN.get("gradients");
        JsonNode rates = c.get("learningRates");
        JsonNode steps = c.get("steps");
        for (int step = 0; step < steps.size(); step++) {
            optimizer.step(w, floats(gradients.get(step)), rates.get(step).asDouble());
            JsonNode expected = steps.get(step);
            String where = name + ", step " + (step + 1);
            assertClose(floats(expected.get("weights")), w, where + ", weights");
            OptimizerState state = optimizer.exportState();
            List<String> expectedScalars = new ArrayList<>();
            expected.get("scalars").fieldNames().forEachRemaining(expectedScalars::add);
            assertEquals(expectedScalars, List.copyOf(state.scalars().keySet()), where + ": scalars");
            for (String scalar : expectedScalars) {
                assertEquals(expected.get("scalars").get(scalar).asDouble(), state.scalars().get(scalar),
                        where + ": " + scalar);
            }
            List<String> expectedVectors = new ArrayList<>();
            expected.get("vectors").fieldNames().forEachRemaining(expectedVectors::add);
            assertEquals(expectedVectors, List.copyOf(state.vectors().keySet()), where + ": vectors");
            for (String vector : expectedVectors) {
                assertClose(floats(expected.get("vectors").get(vector)), state.vectors().get(vector),
                        where + ", " + vector);
            }
        }
    }

    private static Optimizer build(JsonNode c, Layout layout) {
        JsonNode s = c.get("settings");
        double decay = s.get("weightDecay").asDouble();
        return switch (c.get("optimizer").asText()) {
            case "sgd" -> new MomentumSgd(layout, s.get("momentum").asDouble(), s.get("nesterov").asBoolean(), decay);
            case "adam" -> new Adam(layout, s.get("beta1").asDouble(), s.get("beta2").asDouble(),
                    s.get("epsilon").asDouble(), decay);
            case "adamw" -> new AdamW(layout, s.get("beta1").asDouble(), s.get("beta2").asDouble(),
                    s.get("epsilon").asDouble(), decay);
            case "rmsprop" -> new RmsProp(layout, s.get("alpha").asDouble(), s.get("epsilon").asDouble(),
                    s.get("momentum").asDouble(), decay);
            default -> throw new IllegalStateException("golden.json names an unknown optimizer " + c.get("optimizer"));
        };
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double allowed = ABSOLUTE + RELATIVE * Math.abs(expected[i]);
            if (!(Math.abs(actual[i] - (double) expected[i]) <= allowed)) {
                fail(what + "[" + i + "]: torch " + expected[i] + ", sparkmlp " + actual[i] + " (difference "
                        + Math.abs(actual[i] - (double) expected[i]) + ", allowed " + allowed + ")");
            }
        }
    }

    private static Layout layout() {
        JsonNode sizes = GOLDEN.get("layout");
        int[] s = new int[sizes.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = sizes.get(i).asInt();
        }
        return new Layout(s);
    }

    private static JsonNode goldenCase(String name) {
        for (JsonNode c : GOLDEN.get("cases")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no case " + name + " in golden.json");
    }

    // JSON holds each float32 as the double it equals exactly, so the cast loses nothing
    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static JsonNode load() {
        try (InputStream in = OptimizerGoldenTest.class.getResourceAsStream("golden.json")) {
            assertTrue(in != null, "golden.json is missing; run src/test/python/optim_golden.py");
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
