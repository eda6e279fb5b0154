package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real standalone cluster on loopback, through the scripts a user runs: submit/cluster-up 2,
 * submit/submit in client mode on Fashion-MNIST, submit/cluster-down. While the job runs, a
 * sampler records the JVMs of the master, the workers, their executors and the driver, and what
 * each of them listens on; the application's event log says which executor ran each task.
 * Runs in Maven's integration-test phase (Failsafe), after the application jar is packaged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("cluster")
class ClusterIT {

    private static final String PRESET = "conf/fashion-mnist-quick.properties";
    private static final int PARTITIONS = 2;
    // Not the defaults of submit/cluster-up and submit/submit, so a user's own cluster does not collide.
    private static final int MASTER_PORT = 17077;
    private static final int DRIVER_PORT = 17070;
    private static final long RUN_MINUTES = 8;

    private final Path home = Path.of("").toAbsolutePath();
    private final Path work = home.resolve("target/cluster-it");
    private final Path clusterDir = work.resolve("cluster");
    private final Path events = work.resolve("events");
    private final ObjectMapper json = new ObjectMapper();

    private int submitExit = -1;
    private long masterPid = -1;
    private double submitSeconds;
    private final Map<Long, String> commandLines = new ConcurrentHashMap<>();
    private final Set<Long> clusterPids = ConcurrentHashMap.newKeySet();
    private final Set<Long> executorPids = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> executorPidById = new ConcurrentHashMap<>();
    private final Map<Long, Long> executorWorker = new ConcurrentHashMap<>();
    private final Set<Long> driverPids = ConcurrentHashMap.newKeySet();
    /** "pid address" for every listening TCP socket of the JVMs we started. */
    private final Set<String> listeners = ConcurrentHashMap.newKeySet();
    private volatile int samples;

    @BeforeAll
    void trainOnATwoWorkerCluster() throws Exception {
        assertTrue(Files.isDirectory(Path.of(TrainOptions.DEFAULT_DATA)),
                "Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (.ci/run does this)");
        deleteTree(work);
        Files.createDirectories(events);
        int assembled = run(List.of("submit/spark-home", sparkHome()), work.resolve("spark-home.log"), 5);
        assertEquals(0, assembled, "submit/spark-home failed: see " + work.resolve("spark-home.log"));
        long start = System.nanoTime();
        try {
            int up = run(List.of("submit/cluster-up", "2"), work.resolve("cluster-up.log"), 3);
            assertEquals(0, up, "submit/cluster-up 2 failed: see " + work.resolve("cluster-up.log"));
            System.out.printf("ClusterIT: cluster up in %.1f s%n", (System.nanoTime() - start) / 1e9);
            for (String name : List.of("master", "worker-1", "worker-2")) {
                clusterPids.add(Long.parseLong(Files.readString(clusterDir.resolve(name + ".pid")).trim()));
            }
            masterPid = Long.parseLong(Files.readString(clusterDir.resolve("master.pid")).trim());
            long submitStart = System.nanoTime();
            submitExit = runSampled(List.of("submit/submit", "--master", "spark://127.0.0.1:" + MASTER_PORT,
                    "--deploy-mode", "client",
                    "--conf", "spark.eventLog.enabled=true",
                    "--conf", "spark.eventLog.dir=file:" + events,
                    // one plain JSON file, so that the test can read it
                    "--conf", "spark.eventLog.compress=false",
                    "--conf", "spark.eventLog.rolling.enabled=false",
                    // both executors registered before the first job, so that both get partitions
                    "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                    "--preset", PRESET, "--partitions", String.valueOf(PARTITIONS),
                    "--out", work.resolve("cluster-run").toString()), work.resolve("submit-cluster.log"));
            submitSeconds = (System.nanoTime() - submitStart) / 1e9;
            System.out.printf("ClusterIT: cluster submission took %.1f s (%d samples)%n", submitSeconds, samples);
        } finally {
            long down = System.nanoTime();
            run(List.of("submit/cluster-down"), work.resolve("cluster-down.log"), 2);
            System.out.printf("ClusterIT: cluster down in %.1f s%n", (System.nanoTime() - down) / 1e9);
        }
    }

    @AfterAll
    void clusterDownAgain() throws Exception {
        // does nothing when the cluster is already down; here for a failure between up and down
        run(List.of("submit/cluster-down"), work.resolve("cluster-down-again.log"), 2);
    }

    @Test
    void theSubmittedJobSucceededAndWroteItsSummary() throws Exception {
        assertEquals(0, submitExit, "submit/submit exited with " + submitExit + ": see " + work.resolve("submit-cluster.log"));
        JsonNode summary = summary("cluster-run");
        assertEquals("spark://127.0.0.1:" + MASTER_PORT, summary.get("master").asText());
        assertEquals(PARTITIONS, summary.get("partitions").asInt());
        List<JsonNode> jobEnds = events("SparkListenerJobEnd");
        assertFalse(jobEnds.isEmpty(), "the event log has no finished job");
        for (JsonNode end : jobEnds) {
            assertEquals("JobSucceeded", end.path("Job Result").path("Result").asText(), "job " + end.path("Job ID"));
        }
    }

    @Test
    void tasksRanInTwoDifferentExecutorJvmsOnTwoWorkersAndNotInTheDriver() throws Exception {
        Map<String, Integer> tasksByExecutor = new TreeMap<>();
        for (JsonNode end : events("SparkListenerTaskEnd")) {
            tasksByExecutor.merge(end.path("Task Info").path("Executor ID").asText(), 1, Integer::sum);
        }
        assertFalse(tasksByExecutor.containsKey("driver"), "tasks ran in the driver: " + tasksByExecutor);
        assertEquals(2, tasksByExecutor.size(), "tasks per executor: " + tasksByExecutor);
        assertEquals(1, driverPids.size(), "driver JVMs seen: " + driverPids);
        Set<Long> jvms = new TreeSet<>();
        Set<Long> workers = new TreeSet<>();
        for (String id : tasksByExecutor.keySet()) {
            Long pid = executorPidById.get(id);
            assertNotNull(pid, "no executor JVM with --executor-id " + id + " was seen under a worker; seen: " + executorPidById);
            assertFalse(driverPids.contains(pid), "executor " + id + " is the driver's JVM " + pid);
            jvms.add(pid);
            workers.add(executorWorker.get(pid));
        }
        assertEquals(2, jvms.size(), "executor JVMs that ran tasks: " + jvms);
        assertEquals(2, workers.size(), "workers whose executors ran tasks: " + workers);
        System.out.println("ClusterIT: tasks per executor " + tasksByExecutor + ", executor JVMs " + executorPidById
                + ", driver JVM " + driverPids);
    }

    @Test
    void theModelReachesTheAccuracyItsPresetPromises() throws Exception {
        double promised = promisedAccuracy(home.resolve(PRESET));
        double accuracy = summary("cluster-run").get("test_accuracy").asDouble();
        System.out.printf("ClusterIT: test accuracy %.4f, %s promises >= %s%n", accuracy, PRESET, promised);
        assertTrue(accuracy >= promised, "test accuracy " + accuracy + " is below the " + promised + " that " + PRESET + " promises");
    }

    @Test
    void aLocalRunWithTheSameSeedAndPartitionsGivesIdenticalWeights() throws Exception {
        long start = System.nanoTime();
        int exit = run(List.of("submit/submit", "--master", "local[" + PARTITIONS + "]", "--preset", PRESET,
                "--partitions", String.valueOf(PARTITIONS), "--out", work.resolve("local-run").toString()),
                work.resolve("submit-local.log"), RUN_MINUTES);
        System.out.printf("ClusterIT: local[%d] run took %.1f s%n", PARTITIONS, (System.nanoTime() - start) / 1e9);
        assertEquals(0, exit, "the local[" + PARTITIONS + "] run failed: see " + work.resolve("submit-local.log"));
        float[] cluster = weights("cluster-run");
        float[] local = weights("local-run");
        assertEquals(local.length, cluster.length, "parameter count");
        int differing = 0;
        double maxDiff = 0;
        for (int i = 0; i < local.length; i++) {
            if (Float.floatToRawIntBits(local[i]) != Float.floatToRawIntBits(cluster[i])) {
                differing++;
                maxDiff = Math.max(maxDiff, Math.abs((double) local[i] - cluster[i]));
            }
        }
        System.out.printf("ClusterIT: %d of %d weights differ between cluster and local[%d], max abs difference %s%n",
                differing, local.length, PARTITIONS, maxDiff);
        // the gradient is summed along a fixed tree over partition indices: no summation-order freedom
        assertEquals(0, differing, "weights differ: " + differing + " of " + local.length + ", max abs difference " + maxDiff);
        assertEquals(summary("local-run").get("test_accuracy").asDouble(), summary("cluster-run").get("test_accuracy").asDouble(),
                "test accuracy, local vs cluster");
    }

    @Test
    void everyJvmWeStartedListenedOnLoopbackOnly() {
        assertTrue(samples > 0, "the sampler never ran");
        Set<Long> ours = new TreeSet<>(clusterPids);
        ours.addAll(executorPids);
        ours.addAll(driverPids);
        Set<Long> listening = new TreeSet<>();
        List<String> outside = new ArrayList<>();
        for (String entry : listeners) {
            String[] parts = entry.split(" ", 2);
            listening.add(Long.parseLong(parts[0]));
            if (!isLoopback(parts[1])) {
                outside.add(entry + " (" + commandLines.getOrDefault(Long.parseLong(parts[0]), "?") + ")");
            }
        }
        System.out.println("ClusterIT: listening sockets (pid address): " + new TreeSet<>(listeners));
        assertTrue(outside.isEmpty(), "non-loopback listeners: " + outside);
        // the check must have seen the sockets it vouches for: every master, worker, executor and driver JVM
        assertEquals(ours, listening, "JVMs seen listening vs JVMs started");
        assertTrue(listeners.contains(masterPid + " 127.0.0.1:" + MASTER_PORT),
                "the master (pid " + masterPid + ") was not seen on 127.0.0.1:" + MASTER_PORT + ": " + listeners);
        assertTrue(listeners.contains(driverPids.iterator().next() + " 127.0.0.1:" + DRIVER_PORT),
                "the driver was not seen on its pinned port 127.0.0.1:" + DRIVER_PORT + ": " + listeners);
    }

    @Test
    void theClusterIsDownAndNoJvmItStartedIsLeft() throws Exception {
        Set<Long> all = new TreeSet<>(clusterPids);
        all.addAll(executorPids);
        all.addAll(driverPids);
        assertTrue(all.size() >= 6, "master, 2 workers, 2 executors and a driver expected; seen " + all);
        List<String> alive = new ArrayList<>();
        for (long pid : all) {
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .ifPresent(p -> alive.add(pid + " " + commandLines.getOrDefault(pid, "?")));
        }
        assertTrue(alive.isEmpty(), "still running after submit/cluster-down: " + alive);
        try (Stream<Path> files = Files.list(clusterDir)) {
            List<String> pidFiles = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pid")).toList();
            assertTrue(pidFiles.isEmpty(), "PID files left in " + clusterDir + ": " + pidFiles);
        }
    }

    // ---- helpers

    private String sparkHome() {
        return System.getProperty("sparkmlp.sparkHome", home.resolve("target/spark-home").toString());
    }

    private ProcessBuilder process(List<String> command, Path log) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("SPARK_HOME", sparkHome());
        env.put("SPARKMLP_CLUSTER_DIR", clusterDir.toString());
        env.put("SPARKMLP_MASTER_PORT", String.valueOf(MASTER_PORT));
        env.put("SPARKMLP_DRIVER_PORT", String.valueOf(DRIVER_PORT));
        // not set here, nor inherited from Maven's environment: binding to loopback is the scripts' job
        env.remove("SPARK_LOCAL_IP");
        env.remove("SPARKMLP_LOOPBACK");
        return builder;
    }

    /** Runs a script to its end; kills it and its children after the time limit. */
    private int run(List<String> command, Path log, long minutes) throws Exception {
        Process p = process(command, log).start();
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            kill(p);
            fail(String.join(" ", command) + " did not finish within " + minutes + " min: see " + log);
        }
        return p.exitValue();
    }

    /** Runs a script while sampling, twice a second, the JVMs it and the cluster run and their listening sockets. */
    private int runSampled(List<String> command, Path log) throws Exception {
        Process p = process(command, log).start();
        try {
            while (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
                sample(p);
                if (samples > RUN_MINUTES * 120) {
                    fail(String.join(" ", command) + " did not finish within " + RUN_MINUTES + " min: see " + log);
                }
            }
            return p.exitValue();
        } finally {
            kill(p);
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static final Pattern EXECUTOR_ID = Pattern.compile("--executor-id (\\S+)");

    private void sample(Process submit) throws IOException, InterruptedException {
        for (long pid : clusterPids) {
            commandLines.computeIfAbsent(pid, ClusterIT::commandLine);
            ProcessHandle.of(pid).ifPresent(worker -> worker.descendants().forEach(child -> {
                String cmd = commandLine(child.pid());
                if (isJava(cmd) && cmd.contains("CoarseGrainedExecutorBackend")) {
                    commandLines.put(child.pid(), cmd);
                    executorPids.add(child.pid());
                    executorWorker.put(child.pid(), pid);
                    Matcher m = EXECUTOR_ID.matcher(cmd);
                    if (m.find()) {
                        executorPidById.put(m.group(1), child.pid());
                    }
                }
            }));
        }
        submit.descendants().forEach(child -> {
            String cmd = commandLine(child.pid());
            // the driver, not Spark's launcher JVM nor the scripts that start it
            if (isJava(cmd) && cmd.contains(" org.apache.spark.deploy.SparkSubmit ") && !cmd.contains("launcher.Main")) {
                commandLines.put(child.pid(), cmd);
                driverPids.add(child.pid());
            }
        });
        Set<Long> ours = new TreeSet<>(clusterPids);
        ours.addAll(executorPids);
        ours.addAll(driverPids);
        listeners.addAll(listeningSockets(ours));
        samples++;
    }

    private static boolean isJava(String commandLine) {
        String program = commandLine.split(" ", 2)[0];
        return program.equals("java") || program.endsWith("/java");
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static final Pattern SS_PID = Pattern.compile("pid=(\\d+)");

    /** "pid address" of the listening TCP sockets of the given processes, from ss -Htlnp. */
    private static Set<String> listeningSockets(Set<Long> pids) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-Htlnp").redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, ss.waitFor(), "ss -Htlnp failed: " + out);
        Set<String> found = new TreeSet<>();
        for (String line : out.split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length < 6) {
                continue;
            }
            Matcher m = SS_PID.matcher(line);
            while (m.find()) {
                long pid = Long.parseLong(m.group(1));
                if (pids.contains(pid)) {
                    found.add(pid + " " + normalise(columns[3]));
                }
            }
        }
        return found;
    }

    /** "[::ffff:127.0.0.1]:7077" → "127.0.0.1:7077"; other forms stay as ss prints them. */
    static String normalise(String address) {
        return address.replace("[::ffff:", "").replace("]:", ":").replaceFirst("^\\[", "");
    }

    static boolean isLoopback(String address) {
        String host = address.substring(0, address.lastIndexOf(':'));
        return host.startsWith("127.") || host.equals("::1");
    }

    private List<JsonNode> events(String type) throws IOException {
        List<Path> logs;
        try (Stream<Path> files = Files.list(events)) {
            logs = files.filter(Files::isRegularFile).toList();
        }
        assertEquals(1, logs.size(), "one event log expected in " + events + ": " + logs);
        List<JsonNode> found = new ArrayList<>();
        for (String line : Files.readAllLines(logs.get(0))) {
            JsonNode event = json.readTree(line);
            if (event.path("Event").asText().equals(type)) {
                found.add(event);
            }
        }
        return found;
    }

    private JsonNode summary(String run) throws IOException {
        Path file = work.resolve(run).resolve("summary.json");
        assertTrue(Files.isRegularFile(file), file + " is missing: see the logs in " + work);
        return json.readTree(file.toFile());
    }

    private float[] weights(String run) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(work.resolve(run).resolve("model/weights.bin")))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] w = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(w);
        return w;
    }

    private static final Pattern PROMISE = Pattern.compile("reaches >= (0\\.\\d+) test accuracy", Pattern.CASE_INSENSITIVE);

    /** The accuracy a preset's comment promises ("reaches >= 0.87 test accuracy"). */
    static double promisedAccuracy(Path preset) throws IOException {
        for (String line : Files.readAllLines(preset)) {
            Matcher m = PROMISE.matcher(line);
            if (line.startsWith("#") && m.find()) {
                return Double.parseDouble(m.group(1));
            }
        }
        throw new AssertionError(preset + " promises no accuracy: its comment needs 'reaches >= X test accuracy'");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
