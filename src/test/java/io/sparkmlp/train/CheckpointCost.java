package io.sparkmlp.train;

import io.sparkmlp.nn.Network;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;

/**
 * Prints what one checkpoint of the default 784-256-128-10 network costs: bytes on disk and the
 * seconds to take the snapshot, write it atomically and prune, on the local file system, with and
 * without best weights (early stopping keeps a third array). Not a test: timings are printed, not
 * asserted. Run: {@code submit/bench-checkpoint}, or {@code java -cp target/test-classes:target/classes:$(cat
 * target/classpath.txt) io.sparkmlp.train.CheckpointCost [folder [results folder]]}; with a results folder it
 * writes {@code <date>-<machine>-checkpoint.json} there.
 */
public final class CheckpointCost {

    private CheckpointCost() {
    }

    public static void main(String[] args) throws Exception {
        Path folder = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("sparkmlp-checkpoint-cost");
        TrainingParams params = new TrainingParams(); // 784-256-128-10, the defaults
        Configuration conf = new Configuration();
        Network network = new Network(params.layout(), params.activation());
        java.util.Map<String, Object> report = new java.util.LinkedHashMap<>();
        report.put("layers", params.layout().toString());
        report.put("parameters", params.layout().numParameters());
        report.put("file_system", "local, " + folder);
        java.util.List<java.util.Map<String, Object>> rows = new java.util.ArrayList<>();
        for (int patience : new int[] {0, 3}) {
            TrainingParams p = new TrainingParams().patience(patience).validationFraction(patience > 0 ? 0.1 : 0);
            TrainingState state = TrainingState.start(p, new DataFingerprint(54000, 2, 1, 6000, 2, 2, 1f, 0f), 422,
                    network.initialParameters(1, p.initialization()), Trainer.optimizer(p));
            float[] gradient = new float[state.weights().length];
            Arrays.fill(gradient, 1e-3f);
            state.optimizer().step(state.weights(), gradient, 0.05);
            if (patience > 0) {
                state.improved(0.5, true);
            }
            Checkpointing checkpoints = new Checkpointing(new CheckpointParams().dir(folder.resolve("p" + patience)
                    .toString()).everySteps(1).keep(3), conf);
            int rounds = 60;
            long[] nanos = new long[rounds];
            long bytes = 0;
            for (int r = 0; r < rounds; r++) {
                state.stepDone(new GradientSum(0, null, 1.0, 128, 64, 0, 0), 0.05, 0.01);
                long started = System.nanoTime();
                org.apache.hadoop.fs.Path written = checkpoints.write(state);
                nanos[r] = System.nanoTime() - started;
                bytes = Files.size(Path.of(written.toUri().getPath()));
            }
            long[] steady = Arrays.copyOfRange(nanos, 10, rounds); // after JIT warm-up
            Arrays.sort(steady);
            System.out.printf(Locale.ROOT, "checkpoint of %s (%d parameters, %s): %d bytes; write %.1f ms median,"
                            + " %.1f ms p90, %.1f ms first (of %d, local file system, %s)%n", params.layout(),
                    params.layout().numParameters(), patience > 0 ? "with best weights" : "weights and momentum buffer",
                    bytes, steady[steady.length / 2] / 1e6, steady[steady.length * 9 / 10] / 1e6, nanos[0] / 1e6, rounds,
                    folder);
            java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
            row.put("contents", patience > 0 ? "weights, momentum buffer and best weights" : "weights and momentum buffer");
            row.put("bytes", bytes);
            row.put("median_ms", steady[steady.length / 2] / 1e6);
            row.put("p90_ms", steady[steady.length * 9 / 10] / 1e6);
            row.put("first_ms", nanos[0] / 1e6);
            row.put("timed_writes", steady.length);
            rows.add(row);
        }
        report.put("checkpoints", rows);
        if (args.length > 1) {
            System.out.println("wrote " + io.sparkmlp.bench.BenchResults.write(Path.of(args[1]), "checkpoint", report));
        }
    }
}
