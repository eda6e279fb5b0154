package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.train.MlpModel;
import io.sparkmlp.train.CheckpointFiles;
import io.sparkmlp.train.CheckpointParams;
import io.sparkmlp.train.ModelFiles;
import io.sparkmlp.train.StopRequest;
import io.sparkmlp.train.TrainingDivergedException;
import io.sparkmlp.train.TrainingStoppedException;
import io.sparkmlp.train.TrainingResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        // a minus sign of its own is a negative size, not a separator as in 784-256-10
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--layers", "784,-256,10"));
        assertTrue(e.getMessage().startsWith("--layers needs integers separated by commas, got '784,-256,10'"),
                e.getMessage());
        assertArrayEquals(new int[] {784, 256, 10}, TrainOptions.parse("--layers", "784-256-10").training().layout().sizes());
        assertArrayEquals(new int[] {784, 256, 10}, TrainOptions.parse("--layers", "784x256, 10").training().layout().sizes());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--checkpoint-dir", "c",
                "--checkpoint-every", "-5"));
        assertTrue(e.getMessage().startsWith("--checkpoint-every -5: "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--checkpoint-dir", "c",
                "--checkpoint-keep", "0"));
        assertTrue(e.getMessage().startsWith("--checkpoint-keep 0: "), e.getMessage());
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

    @Test
    void everyPresetInConfIsInTheJarAndReadByNameAsFromItsFile() throws Exception {
        List<String> inConf;
        try (java.util.stream.Stream<Path> files = Files.list(Path.of("conf"))) {
            inConf = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".properties"))
                    .filter(n -> !n.equals("log4j2.properties")).map(n -> n.substring(0, n.length() - ".properties".length()))
                    .sorted().toList();
        }
        assertEquals(inConf, TrainOptions.BUNDLED_PRESETS.stream().sorted().toList());
        for (String name : inConf) {
            TrainOptions byName = TrainOptions.parse("--preset", name, "--out", "x");
            TrainOptions byFile = TrainOptions.parse("--preset", "conf/" + name + ".properties", "--out", "x");
            for (io.sparkmlp.train.HyperParameter<?> h : io.sparkmlp.train.HyperParameters.ALL) {
                assertEquals(h.format(byFile.training().get(h)), h.format(byName.training().get(h)), name + ": " + h.name());
            }
            assertEquals(byFile.cluster().partitions(), byName.cluster().partitions(), name);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainOptions.parse("--preset", "fashion"));
        assertEquals("--preset fashion: no bundled preset of that name (bundled: " + String.join(", ",
                TrainOptions.BUNDLED_PRESETS) + "); a file's name has a folder or an extension, e.g. ./fashion or"
                + " fashion.properties", e.getMessage());
    }

    /** The options of a small run on TinyMnist in {@code data}, plus {@code extra}. */
    static String[] tinyRun(Path data, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--data", data.toString(), "--out", out.toString(),
                "--layers", "16,8,3", "--epochs", "3", "--batch-size", "16", "--learning-rate", "0.1",
                "--partitions", "2", "--validation-fraction", "0.2", "--patience", "2", "--warmup-epochs", "0.5",
                "--seed", "9"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** The history of a summary.json without its timings. */
    static List<String> figures(Path summary) throws Exception {
        List<String> rows = new ArrayList<>();
        for (JsonNode e : new ObjectMapper().readTree(summary.toFile()).get("history")) {
            rows.add(e.get("epoch") + " " + e.get("train_loss") + " " + e.get("train_accuracy") + " "
                    + e.get("validation_loss") + " " + e.get("validation_accuracy") + " " + e.get("learning_rate"));
        }
        return rows;
    }

    @Test
    void aRunStoppedAtAnOddStepAndResumedWritesTheUninterruptedRunsModelAndHistory() throws Exception {
        writeTinyMnist(dir.resolve("data"), 300, 60);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
        Path checkpoints = dir.resolve("checkpoints");
        TrainApp.run(SparkTestSession.get(), TrainOptions.parse(tinyRun(dir.resolve("data"), dir.resolve("whole"))), quiet);

        String[] stopped = tinyRun(dir.resolve("data"), dir.resolve("parts"), "--checkpoint-dir", checkpoints.toString(),
                "--checkpoint-every", "5");
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> TrainApp.run(
                SparkTestSession.get(), TrainOptions.parse(stopped), quiet, new StopRequest().afterStep(7)));
        assertTrue(e.checkpoint().endsWith("checkpoint-000000-00000007.ckpt"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("parts").resolve("model")), "a stopped run writes no model");

        String[] resumed = tinyRun(dir.resolve("data"), dir.resolve("parts"), "--checkpoint-dir", checkpoints.toString(),
                "--checkpoint-every", "5", "--resume");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        TrainApp.run(SparkTestSession.get(), TrainOptions.parse(resumed), new PrintStream(console, true));
        assertTrue(console.toString().contains("resume from latest"), console.toString());

        Configuration hadoop = new Configuration();
        assertArrayEquals(ModelFiles.load(dir.resolve("whole").resolve("model").toString(), hadoop).weights(),
                ModelFiles.load(dir.resolve("parts").resolve("model").toString(), hadoop).weights());
        // losses, accuracies and rates equal; the timings (seconds) differ from run to run
        assertEquals(figures(dir.resolve("whole").resolve("summary.json")),
                figures(dir.resolve("parts").resolve("summary.json")));
        assertEquals(3, figures(dir.resolve("parts").resolve("summary.json")).size());
    }

    @Test
    void aDivergingRunSavesNoModelAndKeepsItsLastGoodCheckpoint() throws Exception {
        writeTinyMnist(dir.resolve("data"), 300, 60);
        Path checkpoints = dir.resolve("checkpoints");
        TrainOptions options = TrainOptions.parse(tinyRun(dir.resolve("data"), dir.resolve("out"), "--activation", "relu",
                "--learning-rate", "1e12", "--lr-schedule", "constant", "--warmup-epochs", "0", "--standardize", "false",
                "--checkpoint-dir", checkpoints.toString(), "--checkpoint-every", "1"));
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> TrainApp.run(
                SparkTestSession.get(), options, new PrintStream(new ByteArrayOutputStream(), true)));
        assertTrue(e.getMessage().contains("diverged") && e.getMessage().contains("last good checkpoint is kept"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("out").resolve("model")), "no model is saved from a diverged run");
        List<org.apache.hadoop.fs.Path> kept = CheckpointFiles.list(checkpoints.toString(), new Configuration());
        assertFalse(kept.isEmpty());
        for (org.apache.hadoop.fs.Path p : kept) {
            for (float w : CheckpointFiles.read(p.toString(), new Configuration()).weights()) {
                assertTrue(Float.isFinite(w), p + " holds " + w);
            }
        }
    }

    @Test
    void checkpointOptionsAreParsedAndCheckedBeforeAnyWorkStarts() {
        CheckpointParams c = TrainOptions.parse("--checkpoint-dir", "hdfs:///ck", "--checkpoint-every", "50",
                "--checkpoint-keep", "5", "--checkpoint-epoch-end", "false", "--resume").checkpoint();
        assertEquals("hdfs:///ck", c.dir());
        assertEquals(50, c.everySteps());
        assertEquals(5, c.keep());
        assertFalse(c.atEpochEnd());
        assertEquals(CheckpointParams.LATEST, c.resumeFrom());
        // a bare --resume before another option; --resume PATH
        assertEquals(CheckpointParams.LATEST,
                TrainOptions.parse("--checkpoint-dir", "ck", "--resume", "--epochs", "3").checkpoint().resumeFrom());
        assertEquals("ck/checkpoint-000001-00000000.ckpt",
                TrainOptions.parse("--resume", "ck/checkpoint-000001-00000000.ckpt").checkpoint().resumeFrom());
        assertEquals(3, TrainOptions.parse("--checkpoint-dir", "ck", "--resume", "--epochs", "3").training().epochs());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainOptions.parse("--checkpoint-every", "5"));
        assertEquals("--checkpoint-every needs --checkpoint-dir", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--resume"));
        assertTrue(e.getMessage().contains("--resume without a path"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainOptions.parse("--checkpoint-dir", "ck", "--checkpoint-keep", "0"));
        assertEquals("--checkpoint-keep 0: checkpoints to keep must be >= 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainOptions.parse("--checkpoint-dir", "ck", "--checkpoint-every", "-3"));
        assertTrue(e.getMessage().contains("-3"), e.getMessage());
        assertTrue(TrainOptions.USAGE.contains("--checkpoint-dir") && TrainOptions.USAGE.contains("--resume[=PATH]"));
    }

    @Test
    void aRunWithInitFromStartsFromTheSavedModelsWeightsAndAMismatchOrAResumeIsRefused() throws Exception {
        writeTinyMnist(dir.resolve("data"), 300, 60);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
        Path first = dir.resolve("first");
        // no validation split, so that both runs standardise with the same rows' mean and deviation
        TrainApp.run(SparkTestSession.get(), TrainOptions.parse(tinyRun(dir.resolve("data"), first,
                "--optimizer", "adam", "--learning-rate", "0.01", "--validation-fraction", "0", "--patience", "0")),
                quiet);
        String model = first.resolve("model").toString();
        MlpModel saved = ModelFiles.load(model, new Configuration());

        // one step an epoch (the 300 rows in one batch): the first epoch's loss is the loss at the first weights
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        TrainingResult warm = TrainApp.run(SparkTestSession.get(), TrainOptions.parse(tinyRun(dir.resolve("data"),
                dir.resolve("warm"), "--init-from", model, "--epochs", "1", "--batch-size", "300",
                "--validation-fraction", "0", "--patience", "0", "--warmup-epochs", "0")), new PrintStream(console, true));
        assertTrue(console.toString().contains("starting from the weights of " + model), console.toString());
        org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> train = TrainApp.read(SparkTestSession.get(),
                dir.resolve("data").resolve("train-images-idx3-ubyte.gz").toString(),
                dir.resolve("data").resolve("train-labels-idx1-ubyte.gz").toString(), 2);
        // the input scaling is each run's own, from its training rows: here the same rows, so the same scaling
        double savedLoss = saved.evaluate(train, "label", "features", new io.sparkmlp.train.ClusterParams()).loss();
        assertEquals(savedLoss, warm.history().get(0).trainLoss(), 1e-5 * savedLoss);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainApp.run(
                SparkTestSession.get(), TrainOptions.parse(tinyRun(dir.resolve("data"), dir.resolve("other"),
                        "--init-from", model, "--layers", "16,5,3")), quiet));
        assertEquals("--init-from " + model + " has layers 16-8-3, but --layers is 16-5-3: a warm start needs the same"
                + " layer sizes", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--init-from", model,
                "--checkpoint-dir", "ck", "--resume"));
        assertTrue(e.getMessage().startsWith("--init-from " + model + " and --resume cannot be combined"),
                e.getMessage());
    }
}
