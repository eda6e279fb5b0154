package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.train.Checkpoint;
import io.sparkmlp.train.CheckpointFiles;
import io.sparkmlp.train.ModelFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training app as a real child JVM, killed mid-run: with SIGKILL (nothing runs after it) and
 * with SIGTERM (the shutdown hook writes a last checkpoint). Either way a run resumed from the
 * folder ends with the weights and history of a run that was never stopped.
 */
@Tag("faults")
class KilledTrainingTest {

    @TempDir
    Path dir;

    private final Configuration hadoop = new Configuration();

    @BeforeEach
    void writeData() throws Exception {
        TinyMnist.write(dir.resolve("data"), 300, 60);
    }

    /** 300 rows, a fifth held out, batch 4: 60 steps an epoch, 180 in all; long enough to kill mid-run. */
    private String[] options(String out, String... extra) {
        return TrainAppTest.tinyRun(dir.resolve("data"), dir.resolve(out), concat(new String[] {"--batch-size", "4",
                "--learning-rate", "0.02"}, extra));
    }

    private static String[] concat(String[] a, String[] b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    /** {@code java -cp <this classpath> TrainApp args} with the JVM options the tests run under, on local[2]. */
    private Process startChild(Path log, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // Spark's module options from the surefire argLine (pom.xml spark.jvm.options)
            if (option.startsWith("--add-") || option.startsWith("-Djdk.reflect")) {
                command.add(option);
            }
        }
        String logConfig = System.getProperty("log4j2.configurationFile");
        if (logConfig != null) {
            command.add("-Dlog4j2.configurationFile=" + logConfig);
        }
        for (String setting : new String[] {"spark.master=local[2]", "spark.ui.enabled=false",
                "spark.driver.host=127.0.0.1", "spark.driver.bindAddress=127.0.0.1"}) {
            command.add("-D" + setting);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(TrainApp.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("OPENBLAS_NUM_THREADS", "1");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return builder.start();
    }

    /** Waits until the first checkpoint file exists (or the child ends); true when it exists. */
    private boolean awaitFirstCheckpoint(Process child, Path checkpoints, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && child.isAlive()) {
            if (!CheckpointFiles.list(checkpoints.toString(), hadoop).isEmpty()) {
                return true;
            }
            Thread.sleep(5);
        }
        child.destroyForcibly().waitFor();
        throw new AssertionError("no checkpoint appeared; the child " + (child.isAlive() ? "hung" : "ended with "
                + child.exitValue()) + ":\n" + Files.readString(log));
    }

    /** The uninterrupted run's weights and history figures, trained once for both tests (the data is the same). */
    private static float[] wholeWeights;
    private static List<String> wholeFigures;

    private void trainUninterruptedOnce() throws Exception {
        if (wholeWeights == null) {
            TrainApp.run(SparkTestSession.get(), TrainOptions.parse(options("whole")), new PrintStream(
                    new ByteArrayOutputStream(), true));
            wholeWeights = ModelFiles.load(dir.resolve("whole").resolve("model").toString(), hadoop).weights();
            wholeFigures = TrainAppTest.figures(dir.resolve("whole").resolve("summary.json"));
        }
    }

    private void assertResumedRunEqualsUninterrupted(Path checkpoints, String out) throws Exception {
        trainUninterruptedOnce();
        TrainApp.run(SparkTestSession.get(), TrainOptions.parse(options(out, "--checkpoint-dir", checkpoints.toString(),
                "--resume")), new PrintStream(new ByteArrayOutputStream(), true));
        assertArrayEquals(wholeWeights, ModelFiles.load(dir.resolve(out).resolve("model").toString(), hadoop).weights());
        // losses, accuracies and rates equal; the timings differ
        assertEquals(wholeFigures, TrainAppTest.figures(dir.resolve(out).resolve("summary.json")));
    }

    @Test
    void aRunKilledWithSigkillAndResumedEndsWithTheUninterruptedRunsWeights() throws Exception {
        Path checkpoints = dir.resolve("checkpoints-kill");
        Path log = dir.resolve("killed.log");
        Process child = startChild(log, options("killed", "--checkpoint-dir", checkpoints.toString(),
                "--checkpoint-every", "3", "--checkpoint-keep", "2"));
        assertTrue(awaitFirstCheckpoint(child, checkpoints, log));
        child.destroyForcibly(); // SIGKILL: no hook, no last checkpoint, maybe a write cut short
        assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        assertEquals(137, child.exitValue(), Files.readString(log));
        assertFalse(Files.exists(dir.resolve("killed").resolve("model")), "the child finished before the kill");
        Checkpoint latest = CheckpointFiles.read(CheckpointFiles.latest(checkpoints.toString(), hadoop).orElseThrow()
                .toString(), hadoop);
        assertTrue(latest.globalStep() < 180, "killed at step " + latest.globalStep());

        assertResumedRunEqualsUninterrupted(checkpoints, "killed");
    }

    @Test
    void aRunStoppedWithSigtermWritesALastCheckpointExitsWith143AndResumesToTheSameWeights() throws Exception {
        Path checkpoints = dir.resolve("checkpoints-term");
        Path log = dir.resolve("terminated.log");
        Process child = startChild(log, options("terminated", "--checkpoint-dir", checkpoints.toString(),
                "--checkpoint-every", "7", "--checkpoint-epoch-end", "false"));
        assertTrue(awaitFirstCheckpoint(child, checkpoints, log));
        child.destroy(); // SIGTERM
        assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        String printed = Files.readString(log);
        assertEquals(143, child.exitValue(), printed);
        assertTrue(printed.contains("stop requested") && printed.contains("written; continue with --resume"), printed);
        assertFalse(Files.exists(dir.resolve("terminated").resolve("model")), "the child finished before SIGTERM");
        // the hook's checkpoint is whole and is the one the message names
        org.apache.hadoop.fs.Path last = CheckpointFiles.latest(checkpoints.toString(), hadoop).orElseThrow();
        assertTrue(printed.contains(last.getName()), last + " not in\n" + printed);
        Checkpoint atStop = CheckpointFiles.read(last.toString(), hadoop);
        assertTrue(atStop.globalStep() >= 7 && atStop.globalStep() < 180, "stopped at step " + atStop.globalStep());

        assertResumedRunEqualsUninterrupted(checkpoints, "terminated");
    }
}
