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
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.train.TrainingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Runs the outside reference, the project's {@code bench/torch/torch_mlp.py} (PyTorch on the CPU), as a
 * child process on the same data, the same cores and sparkmlp's setting, when a Python with {@code torch} is found.
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

    /** The project's copy of the reference script, relative to the repository root. */
    static final Path SCRIPT = Path.of("bench", "torch", "torch_mlp.py");

    /**
     * The script's options that train {@code params}' setting: same layers, activation (ReLU,
     * leaky ReLU or sigmoid), He initialisation, epochs, batch, rate with the linear scaling rule,
     * cosine or constant schedule with per-step warm-up, momentum (Nesterov), weight decay on the
     * weights only, seed and standardised inputs; and the optimizer and dropout when the
     * parameters have them. Settings the script cannot mirror are refused, naming them.
     */
    static List<String> arguments(TrainingParams params, String data, int threads, double[] targets) {
        List<String> problems = new ArrayList<>();
        String act = switch (params.activation()) {
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky";
            case SIGMOID -> "sigmoid";
            default -> {
                problems.add("activation " + params.activation().id());
                yield "";
            }
        };
        if (params.initialization() != Initialization.HE) {
            problems.add("initialization " + params.initialization().id() + " (the script draws He or its own)");
        }
        if (!params.scheduleName().equals("cosine") && !params.scheduleName().equals("constant")) {
            problems.add("lr-schedule " + params.scheduleName());
        }
        // the script standardises with one global mean and deviation, as global (and auto on images) does
        if (!params.standardize().equals("global") && !params.standardize().equals("auto")) {
            problems.add("standardize " + params.standardize());
        }
        Map<String, String> all = params.asMap();
        for (String option : List.of("l1", "clip-value", "clip-norm")) {
            if (Double.parseDouble(all.get(option)) != 0) {
                problems.add(option + " " + all.get(option));
            }
        }
        String[] rates = all.getOrDefault("dropout", "0").split(",");
        if (Arrays.stream(rates).distinct().count() > 1) {
            problems.add("dropout " + all.get("dropout") + " (the script takes one rate for every hidden layer)");
        }
        String classWeights = all.getOrDefault("class-weights", "");
        if (!classWeights.isEmpty() && !classWeights.equals("none")) {
            problems.add("class-weights " + classWeights);
        }
        if (params.validationFraction() > 0) {
            problems.add("validation-fraction " + params.validationFraction() + " (the script trains on every row)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the PyTorch reference cannot mirror " + String.join(", ", problems));
        }
        String arch = Arrays.stream(params.layout().sizes()).mapToObj(Integer::toString).collect(Collectors.joining("-"));
        List<String> args = new ArrayList<>(List.of("--data", data, "--arch", arch, "--act", act, "--init", "he",
                "--epochs", Integer.toString(params.epochs()), "--batch", Integer.toString(params.batchSize()),
                "--lr", Double.toString(params.learningRate()),
                "--reference-batch", Integer.toString(params.referenceBatchSize()),
                "--schedule", params.scheduleName(), "--min-fraction", Double.toString(params.minLearningRateFraction()),
                "--warmup-epochs", Double.toString(params.warmupEpochs()),
                "--momentum", Double.toString(params.momentum()), "--weight-decay", Double.toString(params.weightDecay()),
                "--seed", Long.toString(params.seed()), "--input", "std", "--threads", Integer.toString(threads),
                "--targets", Arrays.stream(targets).mapToObj(Double::toString).collect(Collectors.joining(","))));
        if (params.nesterov()) {
            args.add("--nesterov");
        }
        args.addAll(List.of("--optimizer", all.get("optimizer"), "--beta1", all.get("beta1"), "--beta2",
                all.get("beta2"), "--eps", all.get("epsilon"), "--rmsprop-alpha", all.get("rmsprop-alpha"),
                "--dropout", rates[0]));
        return args;
    }

    /**
     * Runs the script with {@code args} and returns its JSON ({@code summary}: {@code time_to} per
     * target, {@code median_s_per_epoch}, ...; {@code hist}), echoing its lines to {@code console}.
     */
    static JsonNode run(String python, Path script, List<String> args, int threads, Path json, PrintStream console)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, script.toString()));
        command.addAll(args);
        command.addAll(List.of("--json", json.toString()));
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

    /** The BLAS libraries the script's process had mapped (its {@code summary.blas}); empty when it did not say. */
    static List<String> blas(JsonNode result) {
        List<String> libraries = new ArrayList<>();
        JsonNode blas = result.path("summary").path("blas");
        for (JsonNode library : blas) {
            libraries.add(library.asText());
        }
        return libraries;
    }

    /**
     * The first of {@code libraries} that is the reference BLAS (netlib's, as Debian installs it under
     * a {@code blas/} folder, or one named {@code librefblas}), or null when none is.
     */
    static String referenceBlas(List<String> libraries) {
        for (String library : libraries) {
            Path path = Path.of(library);
            String name = path.getFileName() == null ? "" : path.getFileName().toString();
            Path parent = path.getParent();
            String folder = parent == null || parent.getFileName() == null ? "" : parent.getFileName().toString();
            if (name.startsWith("librefblas") || (folder.equals("blas") && name.startsWith("libblas"))) {
                return library;
            }
        }
        return null;
    }

    /** The script's per-epoch history as a curve: {@code epoch}, {@code train_s}, {@code elapsed_s}, {@code test_accuracy}. */
    static List<Map<String, Object>> curve(JsonNode result) {
        List<Map<String, Object>> curve = new ArrayList<>();
        for (JsonNode h : result.get("hist")) {
            if (!h.has("epoch_train_s")) {
                continue; // an evaluation inside an epoch
            }
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("epoch", h.get("epoch").asDouble());
            point.put("train_s", h.get("cum_train_s").asDouble());
            point.put("elapsed_s", h.get("wall_s").asDouble());
            point.put("test_accuracy", h.get("test_acc").asDouble());
            curve.add(point);
        }
        return curve;
    }
}
