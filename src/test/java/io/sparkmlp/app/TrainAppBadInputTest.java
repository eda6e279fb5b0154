package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.data.IdxFormatException;
import io.sparkmlp.data.IdxImages;
import io.sparkmlp.data.IdxWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad input to the command line: options out of range fail while parsing, files that do not fit the network
 * fail on the driver before a Spark job starts, each with one line naming the value and the limit.
 */
@Tag("spark")
class TrainAppBadInputTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "--{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "layers|16,0,4|--layers 16,0,4: layers must be at least 2 sizes, each >= 1, the last >= 2, got [16, 0, 4]: layer 1 has size 0; every layer needs at least one unit",
        "layers|16|--layers 16: layers must be at least 2 sizes, each >= 1, the last >= 2, got [16]: a network needs at least an input and an output layer",
        "layers|16,8,1|--layers 16,8,1: layers must be at least 2 sizes, each >= 1, the last >= 2, got [16, 8, 1]: the output layer has 1 unit; a classifier needs at least 2 classes",
        "activation|gelu|--activation gelu: ",
        "init|xavier|--init xavier: ",
        "epochs|0|--epochs 0: epochs must be >= 1, got 0",
        "epochs|1e3|--epochs needs an integer, got '1e3'",
        "batch-size|0|--batch-size 0: batch size must be >= 1, got 0",
        "learning-rate|0|--learning-rate 0: learning rate must be finite and > 0, got 0.0",
        "learning-rate|NaN|--learning-rate NaN: learning rate must be finite and > 0, got NaN",
        "learning-rate|Infinity|--learning-rate Infinity: learning rate must be finite and > 0, got Infinity",
        "lr-schedule|linear|--lr-schedule linear: learning-rate schedule must be one of constant, step, cosine, got linear",
        "lr-step-epochs|0|--lr-step-epochs 0: schedule step epochs must be >= 1, got 0",
        "lr-gamma|1.5|--lr-gamma 1.5: schedule decay factor gamma must be in (0, 1], got 1.5",
        "lr-min-fraction|1|--lr-min-fraction 1: schedule minimum learning-rate fraction must be in [0, 1), got 1.0",
        "warmup-epochs|-1|--warmup-epochs -1: warm-up epochs must be finite and >= 0, got -1.0",
        "reference-batch-size|-1|--reference-batch-size -1: reference batch size must be >= 0 (0: no scaling), got -1",
        "momentum|1|--momentum 1: momentum must be in [0, 1), got 1.0",
        "nesterov|maybe|--nesterov needs true or false, got 'maybe'",
        "weight-decay|-0.01|--weight-decay -0.01: weight decay must be finite and >= 0, got -0.01",
        "optimizer|lbfgs|--optimizer lbfgs: optimizer must be one of sgd, adam, adamw, rmsprop, got lbfgs",
        "beta1|1|--beta1 1: beta1 must be in [0, 1), got 1.0",
        "beta2|-0.1|--beta2 -0.1: beta2 must be in [0, 1), got -0.1",
        "epsilon|0|--epsilon 0: epsilon must be finite and > 0 (as a float), got 0.0",
        "rmsprop-alpha|1|--rmsprop-alpha 1: rmsprop alpha must be in [0, 1), got 1.0",
        "l1|-1|--l1 -1: l1 strength must be finite and >= 0, got -1.0",
        "elastic-net|1.5|--elastic-net 1.5: elastic-net mixing must be in [0, 1], got 1.5",
        "clip-value|-1|--clip-value -1: clip value must be finite and >= 0 (0: off), got -1.0",
        "clip-norm|Infinity|--clip-norm Infinity: clip norm must be finite and >= 0 (0: off), got Infinity",
        "standardize|2|--standardize 2: standardize must be one of none, global, feature, auto (or true: global, false: none), got 2",
        "validation-fraction|1|--validation-fraction 1: validation fraction must be in [0, 1), got 1.0",
        "patience|-1|--patience -1: patience must be >= 0, got -1",
        "seed|one|--seed needs an integer, got 'one'",
        "partitions|-1|--partitions -1: partitions must be >= 0 (0 keeps the data's own), got -1",
        "aggregation-depth|0|--aggregation-depth 0: aggregation depth must be >= 1, got 0"})
    void everyOptionOutOfRangeIsRefusedWhileParsingWithTheOptionTheValueAndTheLimit(String option, String value,
                                                                                   String message)
            throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainOptions.parse("--" + option, value));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "not one line: " + e.getMessage());
        // the same from a preset file
        Path preset = Files.writeString(dir.resolve("bad.properties"), option + " = " + value + "\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--preset", preset.toString()));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    private Path data(int train, int test) throws Exception {
        Path folder = dir.resolve("data");
        TinyMnist.write(folder, train, test);
        return folder;
    }

    private RuntimeException runFails(Path data, String... options) {
        List<String> args = new ArrayList<>(List.of("--data", data.toString(), "--out", dir.resolve("out").toString(),
                "--epochs", "1", "--batch-size", "16", "--partitions", "2"));
        args.addAll(Arrays.asList(options));
        TrainOptions parsed = TrainOptions.parse(args.toArray(new String[0]));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> TrainApp.run(SparkTestSession.get(), parsed, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e instanceof IllegalArgumentException || e instanceof IdxFormatException, "unexpected " + e);
        assertTrue(!e.getMessage().contains("\n"), "not one line: " + e.getMessage());
        return e;
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' is not in: " + message);
        }
    }

    @Test
    void layersWhoseInputDoesNotMatchTheImagesAreRefusedBeforeAnyJob() throws Exception {
        Path data = data(60, 20);
        assertContains(runFails(data, "--layers", "15,8,3").getMessage(), "--layers 15-8-3 takes 15 inputs, but the images in",
                "train-images-idx3-ubyte.gz have 4 x 4 = 16 pixels: the first layer size must be 16");
        // test images of another size are found now, not after training
        IdxWriter.writeImages(data.resolve("t10k-images-idx3-ubyte"), new IdxImages(20, 5, 5, new byte[500]), false);
        assertContains(runFails(data, "--layers", "16,8,3").getMessage(),
                "t10k-images-idx3-ubyte have 5 x 5 = 25 pixels");
    }

    @Test
    void aLabelBeyondTheOutputLayerIsRefusedBeforeAnyJobForTheTrainingAndTheTestFiles() throws Exception {
        Path data = data(60, 20);
        // TinyMnist's classes are 0, 1 and 2: an output layer of 2 cannot hold label 2
        assertContains(runFails(data, "--layers", "16,8,2").getMessage(), "label 2 in row ",
                "train-labels-idx1-ubyte.gz is not a class of --layers 16-8-2: expected an integer in [0, 2)");
        byte[] labels = new byte[20];
        labels[17] = 7;
        IdxWriter.writeLabels(data.resolve("t10k-labels-idx1-ubyte"), labels, false);
        assertContains(runFails(data, "--layers", "16,8,3").getMessage(), "label 7 in row 17 of",
                "t10k-labels-idx1-ubyte is not a class of --layers 16-8-3: expected an integer in [0, 3)");
    }

    @Test
    void anIdxFileWithNoImagesIsRefusedNamingTheFile() throws Exception {
        Path data = data(60, 20);
        Path images = data.resolve("train-images-idx3-ubyte.gz");
        Files.delete(images);
        // a header of 0 x 4 x 4 and no data
        Files.write(data.resolve("train-images-idx3-ubyte"), new byte[] {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4});
        assertContains(runFails(data, "--layers", "16,8,3").getMessage(), "train-images-idx3-ubyte: dimension 0 is 0");
    }

    @Test
    void aTruncatedImageFileIsRefusedWithTheMissingByteCount() throws Exception {
        Path data = data(60, 20);
        Path images = data.resolve("t10k-images-idx3-ubyte");
        byte[] bytes = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(bytes, bytes.length - 10));
        assertContains(runFails(data, "--layers", "16,8,3").getMessage(), "t10k-images-idx3-ubyte: the header promises",
                "(truncated, 10 bytes missing)");
    }

    @Test
    void aBatchLargerThanTheDataOrASplitThatLeavesNothingIsRefusedWithTheCounts() throws Exception {
        Path data = data(60, 20);
        assertContains(runFails(data, "--layers", "16,8,3", "--batch-size", "61").getMessage(),
                "batch size (61) must not exceed the number of training rows (60)");
        assertContains(runFails(data, "--layers", "16,8,3", "--validation-fraction", "0.5", "--batch-size", "40")
                .getMessage(), "batch size (40) must not exceed the number of training rows (",
                "left after the validation split of fraction 0.5");
        assertContains(runFails(data, "--layers", "16,8,3", "--patience", "2").getMessage(),
                "early stopping (patience 2) needs validation rows");
    }

    @Test
    void fiveRowsOnEightPartitionsTrainAndEvaluate() throws Exception {
        Path data = data(5, 5);
        Path out = dir.resolve("out");
        TrainOptions options = TrainOptions.parse("--data", data.toString(), "--out", out.toString(), "--layers", "16,4,3",
                "--epochs", "2", "--batch-size", "2", "--partitions", "8");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        TrainApp.run(SparkTestSession.get(), options, new PrintStream(console, true));
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals(5, summary.get("train_rows").asInt());
        assertEquals(5, summary.get("test_rows").asInt());
        assertEquals(8, summary.get("partitions").asInt());
        assertEquals(2, summary.get("history").size());
        assertTrue(console.toString().contains("8 partitions"), console.toString());
    }
}
