package io.sparkmlp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the outside reference, {@code shared/baselines/torch_mlp.py} (PyTorch on the CPU), as a child
 * process on the same data and the same number of cores, when a Python with {@code torch} is found.
 */
final class TorchBaseline {

    /** Debian's OpenMP build of OpenBLAS: torch's own threads are OpenMP, and the pthread build fights them. */
    private static final Path OPENMP_OPENBLAS = Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp");

    private TorchBaseline() {
    }

    /** The first of {@code candidates} that imports torch, or null. */
    static String findPython(List<String> candidates) {
        for (String python : candidates) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) { // the output is read to its end first, so the child has exited
                    return python;
                }
            } catch (IOException e) {
                // not installed under this name: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /**
     * Runs the script and returns its JSON ({@code summary}: {@code time_to} per target with
     * {@code train_s}, {@code median_s_per_epoch}, …; {@code hist}), echoing its lines to {@code console}.
     */
    static JsonNode run(String python, Path script, String data, String arch, double learningRate, double momentum,
                        int batch, int epochs, int threads, Path json, PrintStream console)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, script.toString(), "--data", data, "--arch", arch,
                "--act", "relu", "--lr", Double.toString(learningRate), "--momentum", Double.toString(momentum),
                "--batch", Integer.toString(batch), "--epochs", Integer.toString(epochs), "--input", "std",
                "--threads", Integer.toString(threads), "--targets", "0.85,0.88,0.89", "--json", json.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.remove("OPENBLAS_NUM_THREADS"); // that is the Spark tasks' setting; torch sizes its own pool
        env.put("OMP_NUM_THREADS", Integer.toString(threads));
        if (Files.isDirectory(OPENMP_OPENBLAS)) {
            env.put("LD_LIBRARY_PATH", OPENMP_OPENBLAS + (env.containsKey("LD_LIBRARY_PATH")
                    ? ":" + env.get("LD_LIBRARY_PATH") : ""));
        }
        console.println("torch: " + String.join(" ", command));
        Process process = builder.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                console.println("torch: " + line);
            }
        }
        int status = process.waitFor();
        if (status != 0) {
            throw new IOException("the PyTorch reference exited with status " + status + ": " + String.join(" ", command));
        }
        return new ObjectMapper().readTree(json.toFile());
    }
}
