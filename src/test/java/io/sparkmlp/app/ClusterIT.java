package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.train.ModelFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real standalone cluster on loopback, through the scripts a user runs: submit/cluster-up 2,
 * submit/submit in client mode on Fashion-MNIST, submit/cluster-down. While the job runs, a
 * sampler records the JVMs of the master, the workers, their executors and the driver, and what
 * each of them listens on; the application's event log says which executor ran each task. On the
 * same cluster, the faults: the same command with one executor JVM killed mid-run, and a run whose
 * driver JVM is killed after its first checkpoint, then resumed; both must end with the clean
 * run's weights, bit for bit.
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
    /** Executor and driver JVMs of every submission (the leftover and loopback checks cover them all). */
    private final Set<Long> executorPids = ConcurrentHashMap.newKeySet();
    private final Set<Long> driverPids = ConcurrentHashMap.newKeySet();
    /** The JVMs of each submission: the clean run, the executor-loss run, the driver-loss run and its resumption. */
    private final Jvms clean = new Jvms();
    private final Jvms executorLoss = new Jvms();
    private final Jvms driverLoss = new Jvms();
    private final Jvms resumed = new Jvms();

    private final Path lossEvents = work.resolve("events-executor-loss");
    private final Path checkpoints = work.resolve("driver-loss-checkpoints");
    private int executorLossExit = -1;
    private double executorLossSeconds;
    private volatile String killedExecutorId;
    private volatile long killedExecutorPid = -1;
    private int driverLossExit = -1;
    private volatile long killedDriverPid = -1;
    private volatile List<String> checkpointsAtKill = List.of();
    private boolean modelAfterDriverKill;
    /** Seconds from the driver's death until its executors were gone; -1 if they outlived the wait. */
    private double executorsGoneSeconds = -1;
    private int resumedExit = -1;
    private int clusterDeployExit = -1;
    private double driverLossSeconds;
    private double resumedSeconds;
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
            submitExit = runSampled(submitCommand("cluster-run", events), work.resolve("submit-cluster.log"), clean, null);
            submitSeconds = (System.nanoTime() - submitStart) / 1e9;
            System.out.printf("ClusterIT: cluster submission took %.1f s (%d samples)%n", submitSeconds, samples);
            loseAnExecutor();
            loseTheDriverAndResume();
            submitInClusterDeployMode();
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

    /** submit/submit in client mode to the test cluster, the preset and partitions of every run here. */
    private List<String> submitCommand(String out, Path eventLog, String... extra) {
        List<String> command = new ArrayList<>(List.of("submit/submit", "--master", "spark://127.0.0.1:" + MASTER_PORT,
                "--deploy-mode", "client",
                // both executors registered before the first job, so that both get partitions
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0"));
        if (eventLog != null) {
            command.addAll(List.of("--conf", "spark.eventLog.enabled=true",
                    "--conf", "spark.eventLog.dir=file:" + eventLog,
                    // one plain JSON file, so that the test can read it
                    "--conf", "spark.eventLog.compress=false",
                    "--conf", "spark.eventLog.rolling.enabled=false"));
        }
        command.addAll(List.of("--preset", PRESET, "--partitions", String.valueOf(PARTITIONS),
                "--out", work.resolve(out).toString()));
        command.addAll(List.of(extra));
        return command;
    }

    /**
     * Point 5: the clean run's command again; once the driver has printed the first epoch, one
     * executor JVM gets SIGKILL. The master starts a new executor on the freed worker and the lost
     * partition's blocks are rebuilt from their lineage (no checkpoint directory on the context).
     */
    private void loseAnExecutor() throws Exception {
        Files.createDirectories(lossEvents);
        Path log = work.resolve("submit-executor-loss.log");
        long start = System.nanoTime();
        executorLossExit = runSampled(submitCommand("executor-loss", lossEvents), log, executorLoss, () -> {
            if (killedExecutorId == null && Files.readString(log).contains("epoch 1/")) {
                Map.Entry<String, Long> victim = new TreeMap<>(executorLoss.executorById).firstEntry();
                if (victim != null && ProcessHandle.of(victim.getValue()).map(ProcessHandle::destroyForcibly).orElse(false)) {
                    killedExecutorId = victim.getKey();
                    killedExecutorPid = victim.getValue();
                    System.out.printf("ClusterIT: SIGKILL to executor %s (pid %d) after epoch 1%n", killedExecutorId,
                            killedExecutorPid);
                }
            }
        });
        executorLossSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("ClusterIT: the executor-loss run took %.1f s (the clean run %.1f s)%n", executorLossSeconds,
                submitSeconds);
    }

    /**
     * Point 6: a run with checkpoints whose driver JVM (SparkSubmit, not the scripts) gets SIGKILL
     * once the first checkpoint exists; then the same command with --resume.
     */
    private void loseTheDriverAndResume() throws Exception {
        String[] checkpointing = {"--checkpoint-dir", checkpoints.toString(), "--checkpoint-every", "150"};
        Path out = work.resolve("driver-loss");
        long start = System.nanoTime();
        driverLossExit = runSampled(submitCommand("driver-loss", null, checkpointing), work.resolve("submit-driver-loss.log"),
                driverLoss, () -> {
                    List<String> written = checkpointNames();
                    if (killedDriverPid < 0 && !written.isEmpty() && driverLoss.drivers.size() == 1) {
                        long pid = driverLoss.drivers.iterator().next();
                        if (ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false)) {
                            killedDriverPid = pid;
                            checkpointsAtKill = written;
                            System.out.printf("ClusterIT: SIGKILL to the driver (pid %d) after checkpoints %s%n", pid, written);
                        }
                    }
                });
        driverLossSeconds = (System.nanoTime() - start) / 1e9;
        modelAfterDriverKill = Files.exists(out.resolve("model"));
        long killed = System.nanoTime();
        long deadline = killed + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (driverLoss.executors.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))) {
                executorsGoneSeconds = (System.nanoTime() - killed) / 1e9;
                break;
            }
            Thread.sleep(200);
        }
        System.out.printf("ClusterIT: driver-loss run ended after %.1f s with %d; its executors gone %.1f s later%n",
                driverLossSeconds, driverLossExit, executorsGoneSeconds);
        start = System.nanoTime();
        List<String> resume = new ArrayList<>(List.of(checkpointing));
        resume.add("--resume");
        resumedExit = runSampled(submitCommand("driver-loss", null, resume.toArray(String[]::new)),
                work.resolve("submit-resumed.log"), resumed, null);
        resumedSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("ClusterIT: the resumed run took %.1f s%n", resumedSeconds);
    }

    /**
     * The driver on a worker (--deploy-mode cluster): started by the worker, not by Spark's launcher,
     * so with only conf's extraJavaOptions, and without the checkout's preset path (the default
     * preset is read from the jar by name). One epoch on one partition: the driver takes one of the
     * two cores.
     */
    private void submitInClusterDeployMode() throws Exception {
        long start = System.nanoTime();
        clusterDeployExit = run(List.of("submit/submit", "--master", "spark://127.0.0.1:" + MASTER_PORT,
                "--deploy-mode", "cluster", "--conf", "spark.standalone.submit.waitAppCompletion=true",
                "--epochs", "1", "--partitions", "1", "--out", work.resolve("cluster-deploy").toString()),
                work.resolve("submit-cluster-deploy.log"), RUN_MINUTES);
        System.out.printf("ClusterIT: the cluster deploy mode run took %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    private List<String> checkpointNames() throws IOException {
        if (!Files.isDirectory(checkpoints)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(checkpoints)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("checkpoint-") && n.endsWith(".ckpt"))
                    .sorted().toList();
        }
    }

    @Test
    void anExecutorKilledMidRunIsReplacedAndTheRunEndsWithTheCleanRunsWeightsBitForBit() throws Exception {
        assertNotNull(killedExecutorId, "no executor was killed: the run printed no first epoch; see "
                + work.resolve("submit-executor-loss.log"));
        assertEquals(0, executorLossExit, "the executor-loss run failed: see " + work.resolve("submit-executor-loss.log"));
        assertFalse(ProcessHandle.of(killedExecutorPid).map(ProcessHandle::isAlive).orElse(false),
                "the killed executor " + killedExecutorPid + " is alive");
        Set<String> removed = new TreeSet<>();
        for (JsonNode event : events(lossEvents, "SparkListenerExecutorRemoved")) {
            removed.add(event.path("Executor ID").asText());
        }
        assertTrue(removed.contains(killedExecutorId), "the event log removed executors " + removed + ", not " + killedExecutorId);
        Map<String, Integer> tasksByExecutor = new TreeMap<>();
        for (JsonNode end : events(lossEvents, "SparkListenerTaskEnd")) {
            tasksByExecutor.merge(end.path("Task Info").path("Executor ID").asText(), 1, Integer::sum);
        }
        // the replacement (a new executor id) ran tasks after the loss
        Set<String> replacements = new TreeSet<>(tasksByExecutor.keySet());
        replacements.removeAll(Set.of("0", "1", "driver"));
        assertFalse(replacements.isEmpty(), "no new executor ran tasks; tasks per executor " + tasksByExecutor);
        for (JsonNode end : events(lossEvents, "SparkListenerJobEnd")) {
            assertEquals("JobSucceeded", end.path("Job Result").path("Result").asText(), "job " + end.path("Job ID"));
        }
        System.out.println("ClusterIT: executor-loss run, tasks per executor " + tasksByExecutor + ", removed " + removed);
        // the IDX source and the packing are deterministic: the rebuilt blocks (two a partition) are the lost ones
        assertBitIdentical("cluster-run", "executor-loss");
    }

    @Test
    void aDriverKilledMidRunTakesItsExecutorsAlongAndTheResumedRunEndsWithTheUninterruptedRunsWeights() throws Exception {
        assertTrue(killedDriverPid > 0, "the driver was not killed: no checkpoint appeared; see "
                + work.resolve("submit-driver-loss.log"));
        assertEquals(137, driverLossExit, "submit/submit's status after SIGKILL to its driver; see "
                + work.resolve("submit-driver-loss.log"));
        assertFalse(modelAfterDriverKill, "the run wrote its model before the driver was killed");
        assertEquals(2, driverLoss.executors.size(), "the killed driver's executors: " + driverLoss.executors);
        assertTrue(executorsGoneSeconds >= 0, "the killed driver's executors " + driverLoss.executors
                + " still ran 60 s after it");
        assertEquals(0, resumedExit, "the resumed run failed: see " + work.resolve("submit-resumed.log"));
        // it went on from a checkpoint written before the kill, or one as late (names sort by epoch, step)
        Matcher from = RESUMED_FROM.matcher(Files.readString(work.resolve("submit-resumed.log")));
        assertTrue(from.find(), "the resumed run names no checkpoint it resumes from: see " + work.resolve("submit-resumed.log"));
        String lastBeforeKill = checkpointsAtKill.get(checkpointsAtKill.size() - 1);
        assertTrue(from.group(1).compareTo(lastBeforeKill) >= 0, "resumed from " + from.group(1) + ", but "
                + lastBeforeKill + " was written before the kill");
        System.out.println("ClusterIT: the driver was killed after " + checkpointsAtKill + "; resumed from " + from.group(1));
        assertBitIdentical("cluster-run", "driver-loss");
    }

    private static final Pattern RESUMED_FROM = Pattern.compile("resuming from \\S*(checkpoint-\\d+-\\d+\\.ckpt)");

    private void assertBitIdentical(String expectedRun, String run) throws IOException {
        float[] expected = weights(expectedRun);
        float[] actual = weights(run);
        assertEquals(expected.length, actual.length, "parameter count");
        int differing = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                differing++;
                maxDiff = Math.max(maxDiff, Math.abs((double) expected[i] - actual[i]));
            }
        }
        System.out.printf("ClusterIT: %d of %d weights differ between %s and %s, max abs difference %s%n",
                differing, expected.length, expectedRun, run, maxDiff);
        assertEquals(0, differing, "weights of " + run + " differ from " + expectedRun + ": " + differing + " of "
                + expected.length + ", max abs difference " + maxDiff);
        assertEquals(summary(expectedRun).get("test_accuracy").asDouble(), summary(run).get("test_accuracy").asDouble(),
                "test accuracy, " + expectedRun + " vs " + run);
    }

    @Test
    void inClusterDeployModeTheDriverRunsOnAWorkerWithTheJarsPresetAndWritesItsModel() throws Exception {
        assertEquals(0, clusterDeployExit, "see " + work.resolve("submit-cluster-deploy.log"));
        List<Path> driverLogs;
        try (Stream<Path> files = Files.find(clusterDir, 3, (p, a) -> p.getFileName().toString().equals("stdout")
                && p.getParent().getFileName().toString().startsWith("driver-"))) {
            driverLogs = files.toList();
        }
        assertEquals(1, driverLogs.size(), "driver folders on the workers: " + driverLogs);
        String driverOut = Files.readString(driverLogs.get(0));
        assertTrue(driverOut.contains("model, summary.json and history.csv written to " + work.resolve("cluster-deploy")),
                driverOut);
        JsonNode summary = summary("cluster-deploy");
        // the preset came with the jar: its standardize=global, where a run without one has auto
        assertEquals("global", summary.path("hyper_parameters").path("standardize").asText(), summary.toString());
        assertEquals(1, summary.get("epochs").asInt());
        assertTrue(summary.get("test_accuracy").asDouble() > 0.8, summary.toString());
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

    /**
     * On the cluster an epoch's steps are one job whose tasks reach the driver over its socket: one
     * such job per epoch, no job of a single step, and no fall-back to a job a step in the log.
     */
    @Test
    void theClusterRunTookEachEpochsStepsInOneJobOverTheDriversSocket() throws Exception {
        List<String> descriptions = new ArrayList<>();
        for (JsonNode start : events("SparkListenerJobStart")) {
            descriptions.add(start.path("Properties").path("spark.job.description").asText());
        }
        long epochJobs = descriptions.stream().filter(d -> d.startsWith("sparkmlp fit · epoch") && d.contains("· steps "))
                .count();
        long stepJobs = descriptions.stream().filter(d -> d.startsWith("sparkmlp fit · epoch") && d.contains("· step "))
                .count();
        int epochs = summary("cluster-run").get("history").size();
        assertEquals(epochs, epochJobs, "one step job an epoch: " + descriptions);
        assertEquals(0, stepJobs, "no job of a single step: " + descriptions);
        String log = Files.readString(work.resolve("submit-cluster.log"));
        assertFalse(log.contains("cannot share one job"), "the loop gave way to a job a step: see "
                + work.resolve("submit-cluster.log"));
    }

    @Test
    void tasksRanInTwoDifferentExecutorJvmsOnTwoWorkersAndNotInTheDriver() throws Exception {
        Map<String, Integer> tasksByExecutor = new TreeMap<>();
        for (JsonNode end : events("SparkListenerTaskEnd")) {
            tasksByExecutor.merge(end.path("Task Info").path("Executor ID").asText(), 1, Integer::sum);
        }
        assertFalse(tasksByExecutor.containsKey("driver"), "tasks ran in the driver: " + tasksByExecutor);
        assertEquals(2, tasksByExecutor.size(), "tasks per executor: " + tasksByExecutor);
        assertEquals(1, clean.drivers.size(), "driver JVMs seen: " + clean.drivers);
        Set<Long> jvms = new TreeSet<>();
        Set<Long> workers = new TreeSet<>();
        for (String id : tasksByExecutor.keySet()) {
            Long pid = clean.executorById.get(id);
            assertNotNull(pid, "no executor JVM with --executor-id " + id + " was seen under a worker; seen: " + clean.executorById);
            assertFalse(clean.drivers.contains(pid), "executor " + id + " is the driver's JVM " + pid);
            jvms.add(pid);
            workers.add(clean.executorWorker.get(pid));
        }
        assertEquals(2, jvms.size(), "executor JVMs that ran tasks: " + jvms);
        assertEquals(2, workers.size(), "workers whose executors ran tasks: " + workers);
        System.out.println("ClusterIT: tasks per executor " + tasksByExecutor + ", executor JVMs " + clean.executorById
                + ", driver JVM " + clean.drivers);
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
        assertTrue(listeners.contains(clean.drivers.iterator().next() + " 127.0.0.1:" + DRIVER_PORT),
                "the driver was not seen on its pinned port 127.0.0.1:" + DRIVER_PORT + ": " + listeners);
    }

    @Test
    void theClusterIsDownAndNoJvmItStartedIsLeft() throws Exception {
        Set<Long> all = new TreeSet<>(clusterPids);
        all.addAll(executorPids);
        all.addAll(driverPids);
        // master, 2 workers; per submission 2 executors and a driver; the executor-loss run's replacement
        assertTrue(all.size() >= 3 + 4 * 3 + 1, "master, 2 workers, 4 drivers and 9 executors expected; seen " + all);
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
        // the scripts' defaults (a 2 GB driver) fit the workers cluster-up starts; a caller's own might not
        env.remove("SPARKMLP_DRIVER_MEMORY");
        env.remove("SPARKMLP_EXECUTOR_MEMORY");
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

    /**
     * Runs a script while sampling, twice a second, the JVMs it and the cluster run (into {@code jvms})
     * and their listening sockets; {@code afterSample}, when given, runs after each sample.
     */
    private int runSampled(List<String> command, Path log, Jvms jvms, SampleAction afterSample) throws Exception {
        Process p = process(command, log).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(RUN_MINUTES);
        try {
            while (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
                sample(p, jvms);
                if (afterSample != null) {
                    afterSample.run();
                }
                if (System.nanoTime() > deadline) {
                    fail(String.join(" ", command) + " did not finish within " + RUN_MINUTES + " min: see " + log);
                }
            }
            return p.exitValue();
        } finally {
            kill(p);
        }
    }

    @FunctionalInterface
    private interface SampleAction {
        void run() throws Exception;
    }

    /** The executor and driver JVMs that one submission started. */
    private static final class Jvms {
        final Set<Long> executors = ConcurrentHashMap.newKeySet();
        final Map<String, Long> executorById = new ConcurrentHashMap<>();
        final Map<Long, Long> executorWorker = new ConcurrentHashMap<>();
        final Set<Long> drivers = ConcurrentHashMap.newKeySet();
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static final Pattern EXECUTOR_ID = Pattern.compile("--executor-id (\\S+)");

    private void sample(Process submit, Jvms jvms) throws IOException, InterruptedException {
        for (long pid : clusterPids) {
            commandLines.computeIfAbsent(pid, ClusterIT::commandLine);
            ProcessHandle.of(pid).ifPresent(worker -> worker.descendants().forEach(child -> {
                String cmd = commandLine(child.pid());
                if (isJava(cmd) && cmd.contains("CoarseGrainedExecutorBackend") && !isUnexecutedFork(child, cmd)) {
                    commandLines.put(child.pid(), cmd);
                    executorPids.add(child.pid());
                    jvms.executors.add(child.pid());
                    jvms.executorWorker.put(child.pid(), pid);
                    Matcher m = EXECUTOR_ID.matcher(cmd);
                    if (m.find()) {
                        jvms.executorById.put(m.group(1), child.pid());
                    }
                }
            }));
        }
        submit.descendants().forEach(child -> {
            String cmd = commandLine(child.pid());
            // the driver, not Spark's launcher JVM nor the scripts that start it
            if (isJava(cmd) && cmd.contains(" org.apache.spark.deploy.SparkSubmit ") && !cmd.contains("launcher.Main")
                    && !isUnexecutedFork(child, cmd)) {
                commandLines.put(child.pid(), cmd);
                driverPids.add(child.pid());
                jvms.drivers.add(child.pid());
            }
        });
        Set<Long> ours = new TreeSet<>(clusterPids);
        ours.addAll(executorPids);
        ours.addAll(driverPids);
        listeners.addAll(listeningSockets(ours));
        samples++;
    }

    /**
     * A child that a JVM forked to run a command (Hadoop's shell calls, ProcessBuilder) carries its
     * parent's command line until it execs: a sample taken in that window would count it as one more
     * driver or executor JVM, one that never listens.
     */
    private static boolean isUnexecutedFork(ProcessHandle child, String commandLine) {
        return child.parent().map(parent -> commandLine.equals(commandLine(parent.pid()))).orElse(false);
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
        return events(events, type);
    }

    private List<JsonNode> events(Path events, String type) throws IOException {
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

    /** The weights of a run's model folder, in whichever layout it was written (read as the CLI reads it). */
    private float[] weights(String run) throws IOException {
        Path model = work.resolve(run).resolve("model");
        assertTrue(Files.isDirectory(model), model + " is missing: see the logs in " + work);
        return ModelFiles.load(model.toString(), new Configuration()).weights();
    }

    /** The accuracy a preset's comment promises ("reaches >= 0.87 test accuracy"). */
    static double promisedAccuracy(Path preset) throws IOException {
        Double promised = TrainOptions.promisedAccuracy(preset);
        assertNotNull(promised, preset + " promises no accuracy: its comment needs 'reaches >= X test accuracy'");
        return promised;
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
