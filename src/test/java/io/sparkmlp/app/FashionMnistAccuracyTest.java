package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accuracy on the real Fashion-MNIST (Debian's dataset-fashion-mnist), in local[2], through the
 * application and the presets in conf/, exactly as a user runs them.
 */
@Tag("real-data")
class FashionMnistAccuracyTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void fashionMnistIsInstalled() {
        assertTrue(Files.isDirectory(Path.of(TrainOptions.DEFAULT_DATA)),
                "Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (.ci/run does this)");
    }

    private JsonNode train(String preset) throws Exception {
        Path out = dir.resolve(preset);
        TrainOptions options = TrainOptions.parse("--preset", "conf/" + preset + ".properties", "--out", out.toString(),
                "--partitions", "2");
        TrainApp.run(SparkTestSession.get(), options, new PrintStream(System.out, true));
        return new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    }

    @Test
    void theDefaultPresetReachesAtLeast089TestAccuracyWithin15Epochs() throws Exception {
        JsonNode summary = train("fashion-mnist");
        assertEquals("local[2]", summary.get("master").asText());
        assertTrue(summary.get("epochs").asInt() <= 15);
        double accuracy = summary.get("test_accuracy").asDouble();
        assertTrue(accuracy >= 0.89, "test accuracy " + accuracy);
    }

    @Test
    void theBestPresetReachesAtLeast090TestAccuracy() throws Exception {
        JsonNode summary = train("fashion-mnist-best");
        assertEquals(30, summary.get("epochs").asInt());
        double accuracy = summary.get("test_accuracy").asDouble();
        assertTrue(accuracy >= 0.90, "test accuracy " + accuracy);
    }

    @Test
    void theNotebookSettingReproducesItsNumPyAccuracy() throws Exception {
        JsonNode summary = train("notebook");
        assertEquals(20, summary.get("epochs").asInt());
        double accuracy = summary.get("test_accuracy").asDouble();
        assertEquals(0.8163, accuracy, 0.015, "test accuracy " + accuracy);
    }
}
