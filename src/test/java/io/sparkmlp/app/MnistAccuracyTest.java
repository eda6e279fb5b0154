package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accuracy on the real digits MNIST (LeCun's four IDX files, which submit/setup puts into
 * /usr/share/datasets/mnist), in local[2], through the application and conf/mnist.properties as
 * a user runs it: the preset reaches the accuracy its comment promises.
 */
@Tag("real-data")
class MnistAccuracyTest {

    private static final Path PRESET = Path.of("conf/mnist.properties");

    @TempDir
    Path dir;

    @Test
    void theDigitsPresetReachesTheAccuracyItsCommentPromises() throws Exception {
        Double promised = TrainOptions.promisedAccuracy(PRESET);
        assertNotNull(promised, PRESET + " promises no accuracy: its comment needs 'reaches >= X test accuracy'");
        assertTrue(promised >= 0.97, PRESET + " promises only " + promised);
        TrainOptions options = TrainOptions.parse("--preset", PRESET.toString(), "--out", dir.toString(),
                "--partitions", "2");
        assertTrue(Files.isDirectory(Path.of(options.data())),
                "digits MNIST is missing from " + options.data() + ": run submit/setup (.ci/run does)");
        TrainApp.run(SparkTestSession.get(), options, new PrintStream(System.out, true));
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertEquals(10000, summary.get("test_rows").asInt(), "test rows of " + summary);
        double accuracy = summary.get("test_accuracy").asDouble();
        assertTrue(accuracy >= promised, "test accuracy " + accuracy + " is below the " + promised + " that " + PRESET
                + " promises");
    }
}
