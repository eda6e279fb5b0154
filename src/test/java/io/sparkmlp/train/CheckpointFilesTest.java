package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.optim.OptimizerState;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class CheckpointFilesTest {

    @TempDir
    Path dir;

    private final Configuration conf = new Configuration();

    @AfterEach
    void healTheDisk() {
        FailingFileSystem.failAfterBytes = Long.MAX_VALUE;
    }

    /** A small checkpoint at (epoch, step) whose fields are all distinct, NaN and infinity among them. */
    static Checkpoint sample(int epoch, int step, boolean withBest) {
        float[] weights = new float[23];
        float[] velocity = new float[23];
        float[] best = new float[23];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) Math.sin(i + epoch * 31 + step) / 3;
            velocity[i] = -weights[i] / 7;
            best[i] = weights[i] * 2;
        }
        List<EpochMetrics> history = new java.util.ArrayList<>();
        for (int e = 1; e <= epoch; e++) {
            history.add(new EpochMetrics(e, 1.0 / e + 1e-17 * e, 0.1 * e, e == 1 ? Double.NaN : 0.7 / e, Double.NaN,
                    0.05 / 3, 0.123456789 * e, 0.2 * e, 0.3 * e));
        }
        return new Checkpoint(new TrainingParams().layers(3, 4, 2).asMap(),
                new DataFingerprint(300, 2, 0xCAFEBABEL, 60, 2, 12345, 3.5f, -0.25f), 10, epoch, step, 0.1 / 3,
                Math.PI * 100, 77, 90, 1.5, epoch == 0 ? Double.POSITIVE_INFINITY : 0.4, epoch, 1, false, 4.25, 9.75,
                900, history, weights, new OptimizerState("momentum-sgd", Map.of("t", 7.0), Map.of("velocity", velocity)),
                withBest ? best : null);
    }

    @Test
    void aCheckpointReadsBackWithEveryFieldBitForBit() {
        for (boolean withBest : new boolean[] {false, true}) {
            Checkpoint written = sample(3, 7, withBest);
            org.apache.hadoop.fs.Path file = CheckpointFiles.write(written, dir.toString(), conf);
            assertEquals("checkpoint-000003-00000007.ckpt", file.getName());
            Checkpoint read = CheckpointFiles.read(file.toString(), conf);
            assertEquals(written.settings(), read.settings());
            assertEquals(written.data(), read.data());
            assertEquals(List.of(written.stepsPerEpoch(), written.epoch(), written.step(), written.epochCorrect(),
                            written.epochCount(), written.bestEpoch(), written.epochsWithoutGain(), written.samplesSeen()),
                    List.of(read.stepsPerEpoch(), read.epoch(), read.step(), read.epochCorrect(), read.epochCount(),
                            read.bestEpoch(), read.epochsWithoutGain(), read.samplesSeen()));
            for (double[] pair : new double[][] {{written.learningRate(), read.learningRate()},
                    {written.epochLossSum(), read.epochLossSum()}, {written.epochTrainSeconds(), read.epochTrainSeconds()},
                    {written.bestLoss(), read.bestLoss()}, {written.cumulativeTrainSeconds(), read.cumulativeTrainSeconds()},
                    {written.elapsedSeconds(), read.elapsedSeconds()}}) {
                assertEquals(Double.doubleToRawLongBits(pair[0]), Double.doubleToRawLongBits(pair[1]), pair[0] + " vs " + pair[1]);
            }
            assertEquals(written.history(), read.history()); // records compare doubles bit for bit, NaN included
            assertArrayEquals(written.weights(), read.weights());
            assertEquals("momentum-sgd", read.optimizer().optimizer());
            assertEquals(Map.of("t", 7.0), read.optimizer().scalars());
            assertArrayEquals(written.optimizer().vectors().get("velocity"), read.optimizer().vectors().get("velocity"));
            if (withBest) {
                assertArrayEquals(written.bestWeights(), read.bestWeights());
            } else {
                assertNull(read.bestWeights());
            }
        }
    }

    @Test
    void theFinalNameNeverHoldsAPartialFile() throws Exception {
        Configuration failing = FailingFileSystem.configuration();
        String folder = "failing://" + dir.toAbsolutePath();
        org.apache.hadoop.fs.Path good = CheckpointFiles.write(sample(1, 0, false), folder, failing);
        long size = Files.size(dir.resolve(good.getName()));
        for (long failAt : new long[] {0, 10, 200, size - 5}) {
            FailingFileSystem.failAfterBytes = failAt;
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> CheckpointFiles.write(sample(1, 4, true), folder, failing));
            assertTrue(e.getMessage().contains("checkpoint-000001-00000004.ckpt")
                    && e.getMessage().contains("injected failure"), e.getMessage());
            // at the moment of the failure: the old checkpoint and a temporary file, nothing under the new name
            List<String> names = List.copyOf(FailingFileSystem.namesAtFailure);
            assertTrue(names.contains(good.getName()), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.startsWith(".tmp-checkpoint-000001-00000004.ckpt-")), names.toString());
            assertFalse(names.contains("checkpoint-000001-00000004.ckpt"), names.toString());
            // afterwards: the temporary file is gone and the latest checkpoint is the whole old one
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(good.getName()), files.map(p -> p.getFileName().toString()).toList());
            }
            FailingFileSystem.failAfterBytes = Long.MAX_VALUE;
            org.apache.hadoop.fs.Path latest = CheckpointFiles.latest(folder, failing).orElseThrow();
            assertEquals(good.getName(), latest.getName());
            assertArrayEquals(sample(1, 0, false).weights(), CheckpointFiles.read(latest.toString(), failing).weights());
        }
    }

    @Test
    void aTamperedTruncatedOrForeignFileIsAClearError() throws Exception {
        org.apache.hadoop.fs.Path file = CheckpointFiles.write(sample(2, 3, true), dir.toString(), conf);
        Path local = dir.resolve(file.getName());
        byte[] original = Files.readAllBytes(local);

        byte[] flipped = original.clone();
        flipped[flipped.length - 100] ^= 0x01; // one bit of the velocity
        Files.write(local, flipped);
        // the local file system's .crc file sees it first
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.read(file.toString(), conf));
        assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains("Checksum error"), e.getMessage());
        // without it (a file system that keeps none, or a tool that rewrote both), the checkpoint's own CRC32 does
        Files.delete(dir.resolve("." + file.getName() + ".crc"));
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointFiles.read(file.toString(), conf));
        assertTrue(e.getMessage().contains("corrupt: its CRC32 is"), e.getMessage());

        byte[] header = original.clone();
        int at = new String(original, StandardCharsets.ISO_8859_1).indexOf("\"epochs\" : \"15\"");
        assertTrue(at > 0);
        header[at + 13] = '6'; // 15 epochs become 16: a plausible edit, caught by the checksum
        Files.write(local, header);
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointFiles.read(file.toString(), conf));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());

        Files.write(local, java.util.Arrays.copyOf(original, original.length - 37));
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointFiles.read(file.toString(), conf));
        assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains("truncated"), e.getMessage());

        byte[] future = original.clone();
        future[8] = 2; // format version 2, little-endian
        Files.write(local, future);
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointFiles.read(file.toString(), conf));
        assertTrue(e.getMessage().contains("format version 2") && e.getMessage().contains("reads version 1"),
                e.getMessage());

        Files.writeString(local, "{\"weights\": [1, 2, 3]} and some more text");
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointFiles.read(file.toString(), conf));
        assertTrue(e.getMessage().contains("not a sparkmlp checkpoint"), e.getMessage());

        Files.write(local, new byte[5]);
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointFiles.read(file.toString(), conf));
        assertTrue(e.getMessage().contains("holds 5 bytes"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.read(dir.resolve("absent.ckpt").toString(), conf));
        assertTrue(e.getMessage().contains("no checkpoint at"), e.getMessage());
    }

    @Test
    void onlyTheNewestKCheckpointsAreKeptAndTheLatestIsFoundByPosition() throws Exception {
        int[][] positions = {{0, 5}, {0, 10}, {1, 0}, {1, 5}, {1, 10}, {2, 0}, {10, 3}};
        for (int[] p : positions) {
            CheckpointFiles.write(sample(p[0], p[1], false), dir.toString(), conf);
            CheckpointFiles.prune(dir.toString(), 3, conf);
        }
        Files.writeString(dir.resolve(".tmp-checkpoint-000011-00000000.ckpt-left-by-a-killed-writer"), "partial");
        Files.writeString(dir.resolve("notes.txt"), "not a checkpoint");
        assertEquals(List.of("checkpoint-000001-00000010.ckpt", "checkpoint-000002-00000000.ckpt",
                "checkpoint-000010-00000003.ckpt"), names(CheckpointFiles.list(dir.toString(), conf)));
        assertEquals("checkpoint-000010-00000003.ckpt", CheckpointFiles.latest(dir.toString(), conf).orElseThrow().getName());
        assertEquals("checkpoint-000010-00000003.ckpt", CheckpointFiles.resolve(dir.toString(), conf).getName());
        CheckpointFiles.prune(dir.toString(), 1, conf);
        assertEquals(List.of("checkpoint-000010-00000003.ckpt"), names(CheckpointFiles.list(dir.toString(), conf)));
        assertFalse(Files.exists(dir.resolve(".tmp-checkpoint-000011-00000000.ckpt-left-by-a-killed-writer")));
        assertTrue(Files.exists(dir.resolve("notes.txt")));
    }

    @Test
    void aRunNextToAnotherRunsLaterCheckpointsPrunesThoseBeforeItsOwn() throws Exception {
        // an earlier run got further; this one (started afresh, or resumed from an older file) is behind it
        for (int epoch : new int[] {5, 6, 7}) {
            CheckpointFiles.write(sample(epoch, 0, false), dir.toString(), conf);
        }
        List<org.apache.hadoop.fs.Path> own = new java.util.ArrayList<>();
        List<List<String>> left = new java.util.ArrayList<>();
        for (int[] p : new int[][] {{1, 0}, {1, 5}, {2, 0}, {2, 5}}) {
            own.add(CheckpointFiles.write(sample(p[0], p[1], false), dir.toString(), conf));
            CheckpointFiles.prune(dir.toString(), 3, own, conf);
            left.add(names(CheckpointFiles.list(dir.toString(), conf)));
        }
        assertEquals(List.of(
                List.of("checkpoint-000001-00000000.ckpt", "checkpoint-000006-00000000.ckpt", "checkpoint-000007-00000000.ckpt"),
                List.of("checkpoint-000001-00000000.ckpt", "checkpoint-000001-00000005.ckpt", "checkpoint-000007-00000000.ckpt"),
                List.of("checkpoint-000001-00000000.ckpt", "checkpoint-000001-00000005.ckpt", "checkpoint-000002-00000000.ckpt"),
                List.of("checkpoint-000001-00000005.ckpt", "checkpoint-000002-00000000.ckpt", "checkpoint-000002-00000005.ckpt")),
                left);
        // by position alone, the other run's later files would have outlived this run's newest one
        CheckpointFiles.write(sample(9, 0, false), dir.toString(), conf);
        org.apache.hadoop.fs.Path newest = CheckpointFiles.write(sample(3, 0, false), dir.toString(), conf);
        CheckpointFiles.prune(dir.toString(), 1, conf);
        assertFalse(Files.exists(dir.resolve(newest.getName())));
        assertEquals(List.of("checkpoint-000009-00000000.ckpt"), names(CheckpointFiles.list(dir.toString(), conf)));
    }

    private static List<String> names(List<org.apache.hadoop.fs.Path> paths) {
        return paths.stream().map(org.apache.hadoop.fs.Path::getName).toList();
    }

    @Test
    void aFolderWithoutCheckpointsOrAMissingPathIsNamedWhenResuming() throws Exception {
        Files.createDirectories(dir.resolve("empty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.resolve(dir.resolve("empty").toString(), conf));
        assertTrue(e.getMessage().contains("empty") && e.getMessage().contains("no checkpoint"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.resolve(dir.resolve("nowhere").toString(), conf));
        assertTrue(e.getMessage().contains("nowhere") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void nonFiniteWeightsOrStateAreNeverWritten() throws Exception {
        Checkpoint good = sample(1, 2, false);
        float[] weights = good.weights().clone();
        weights[5] = Float.NaN;
        Checkpoint nan = new Checkpoint(good.settings(), good.data(), good.stepsPerEpoch(), good.epoch(), good.step(),
                good.learningRate(), good.epochLossSum(), good.epochCorrect(), good.epochCount(),
                good.epochTrainSeconds(), good.bestLoss(), good.bestEpoch(), good.epochsWithoutGain(),
                good.stoppedEarly(), good.cumulativeTrainSeconds(), good.elapsedSeconds(), good.samplesSeen(),
                good.history(), weights, good.optimizer(), null);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CheckpointFiles.write(nan, dir.toString(), conf));
        assertTrue(e.getMessage().contains("weights [5] is NaN"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }
}
