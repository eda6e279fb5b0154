package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.train.MlpModel;
import io.sparkmlp.train.ModelFiles;
import io.sparkmlp.train.TrainingResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("spark")
class TrainAppTest {

    @TempDir
    Path dir;

    private static void writeTinyMnist(Path folder, int trainCount, int testCount) throws Exception {
        TinyMnist.write(folder, trainCount, testCount);
    }

    @Test
    void theJobTrainsOnAnIdxFolderAndWritesTheModelAndSummary() throws Exception {
        writeTinyMnist(dir.resolve("data"), 300, 60);
        Path out = dir.resolve("out");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        TrainOptions options = TrainOptions.parse("--data", dir.resolve("data").toString(), "--out", out.toString(),
                "--layers", "16,8,4", "--epochs", "3", "--batch-size", "32", "--learning-rate", "0.1",
                "--partitions", "2", "--validation-fraction", "0.2");
        TrainingResult result = TrainApp.run(SparkTestSession.get(), options, new PrintStream(console, true));

        String printed = console.toString();
        assertTrue(printed.contains("epoch 1/3") && printed.contains("epoch 3/3") && printed.contains("test loss"), printed);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        for (String field : new String[] {"test_accuracy", "test_loss", "epochs", "train_seconds", "samples_per_second"}) {
            assertTrue(summary.has(field), field + " missing from " + summary);
        }
        assertEquals(3, summary.get("epochs").asInt());
        assertEquals(3, summary.get("history").size());
        assertTrue(summary.get("history").get(2).get("validation_accuracy").isNumber());
        assertEquals(300, summary.get("train_rows").asInt() + summary.get("validation_rows").asInt());
        assertTrue(summary.get("test_accuracy").asDouble() > 0.9, summary.toString());

        MlpModel model = ModelFiles.load(out.resolve("model").toString(), new Configuration());
        assertEquals(result.model().network(), model.network());
    }

    @Test
    void thePipelineExampleFitsScoresAndSavesAPipeline() throws Exception {
        writeTinyMnist(dir.resolve("data"), 300, 60);
        Path out = dir.resolve("pipeline");
        double accuracy = PipelineExample.run(SparkTestSession.get(), dir.resolve("data").toString(), out.toString(), 4);
        assertTrue(accuracy > 0.9, "test accuracy " + accuracy);
        assertTrue(Files.isDirectory(out.resolve("stages")), "no saved stages in " + out);
    }

    @Test
    void aMissingDataFolderSaysWhatWasLookedFor() {
        TrainOptions options = TrainOptions.parse("--data", dir.resolve("absent").toString(), "--epochs", "1");
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> TrainApp.run(SparkTestSession.get(), options, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void badOptionsAreRejectedBeforeAnyWorkStarts() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--epoch", "3"));
        assertTrue(e.getMessage().startsWith("unknown option --epoch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--epochs", "three"));
        assertEquals("--epochs needs an integer, got 'three'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--learning-rate", "-0.1"));
        assertTrue(e.getMessage().contains("-0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--epochs"));
        assertTrue(e.getMessage().contains("needs a value"), e.getMessage());
        Path preset = dir.resolve("bad.properties");
        Files.writeString(preset, "epochs = 3\nbatchsize = 64\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--preset", preset.toString()));
        assertTrue(e.getMessage().contains("'batchsize'"), e.getMessage());
    }

    @Test
    void theCommandLineOverridesThePreset() throws Exception {
        Path preset = dir.resolve("p.properties");
        Files.writeString(preset, "epochs = 3\nbatch-size = 64\nactivation = tanh\n");
        TrainOptions options = TrainOptions.parse("--preset", preset.toString(), "--epochs", "5");
        assertEquals(5, options.training().epochs());
        assertEquals(64, options.training().batchSize());
        assertEquals("tanh", options.training().activation().id());
    }
}
