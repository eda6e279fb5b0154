package io.sparkmlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What submit/train and submit/submit hand to spark-submit: a stand-in spark-submit under
 * {@code SPARK_HOME} prints its arguments one a line, and {@code SPARKMLP_MVN=true} skips the build.
 */
@Tag("unit")
class ScriptArgumentsTest {

    /** Under target/, not the temporary folder, which may be mounted noexec. */
    private final Path sparkHome = Path.of("target/script-arguments-spark").toAbsolutePath();

    @BeforeEach
    void standInSparkSubmit() throws IOException {
        Path bin = Files.createDirectories(sparkHome.resolve("bin"));
        for (String name : List.of("spark-submit", "spark-class")) {
            Path script = bin.resolve(name);
            Files.writeString(script, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private List<String> submitted(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sh", "submit/" + script));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(Map.of("SPARK_HOME", sparkHome.toString(), "SPARKMLP_MVN", "true"));
        // what the caller's environment may set, and these scripts read
        for (String name : List.of("SPARKMLP_DRIVER_MEMORY", "SPARKMLP_EXECUTOR_MEMORY", "SPARKMLP_MAIN")) {
            builder.environment().remove(name);
        }
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), script + " did not finish");
        assertEquals(0, process.exitValue(), output);
        return output.lines().toList();
    }

    /** The value after {@code option}, or null when the option is not there. */
    private static String valueOf(List<String> arguments, String option) {
        int at = arguments.indexOf(option);
        return at < 0 ? null : arguments.get(at + 1);
    }

    @Test
    void submitTrainGivesIdxRunsTheFashionPresetAndTablesNone() throws Exception {
        String preset = "fashion-mnist";
        assertEquals(preset, valueOf(submitted("train"), "--preset"));
        assertEquals(preset, valueOf(submitted("train", "--format=idx", "--epochs", "1"), "--preset"));
        // the application reads the format in any case, and so do the scripts
        assertEquals(preset, valueOf(submitted("train", "--format", "IDX"), "--preset"));
        List<String> table = submitted("train", "--format", "csv", "--train", "a.csv", "--test", "b.csv");
        assertFalse(table.contains("--preset"), table.toString());
        assertEquals("csv", valueOf(table, "--format"));
        assertEquals("fashion-mnist-fast", valueOf(submitted("train", "--preset", "fashion-mnist-fast"), "--preset"));
    }

    @Test
    void aDriverMemoryConfSizesTheDriverInsteadOfBeingOverruled() throws Exception {
        assertEquals("6g", valueOf(submitted("train"), "--driver-memory"));
        assertEquals("9g", valueOf(submitted("train", "--conf", "spark.driver.memory=9g"), "--driver-memory"));
        assertEquals("2g", valueOf(submitted("submit"), "--driver-memory"));
        assertEquals("3g", valueOf(submitted("submit", "--conf=spark.driver.memory=3g"), "--driver-memory"));
    }

    @Test
    void everyDeployModeReadsTheDefaultPresetFromTheJarByName() throws Exception {
        List<String> client = submitted("submit");
        assertEquals("fashion-mnist", valueOf(client, "--preset"));
        List<String> cluster = submitted("submit", "--deploy-mode", "cluster");
        assertEquals("cluster", valueOf(cluster, "--deploy-mode"));
        assertEquals("fashion-mnist", valueOf(cluster, "--preset"));
        assertEquals("fashion-mnist", valueOf(submitted("submit", "--conf", "spark.submit.deployMode=cluster"), "--preset"));
        List<String> table = submitted("submit", "--deploy-mode=cluster", "--format", "parquet", "--train", "t");
        assertEquals("cluster", valueOf(table, "--deploy-mode"));
        assertFalse(table.contains("--preset"), table.toString());
    }

    @Test
    void everyDriverGetsConfsModuleOptionsWhichAreThePomsTestOptionsToo() throws Exception {
        String line = Files.readString(Path.of("conf/spark-defaults.conf")).lines()
                .filter(l -> l.startsWith("spark.driver.extraJavaOptions")).findFirst().orElseThrow();
        // submit/common.sh reads the one line: a continued one would be cut short
        assertFalse(line.endsWith("\\"), line);
        String conf = line.substring("spark.driver.extraJavaOptions".length()).trim();
        java.util.regex.Matcher pom = java.util.regex.Pattern.compile("<spark.jvm.options>(.*)</spark.jvm.options>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(pom.find(), "pom.xml has no spark.jvm.options");
        assertEquals(conf, pom.group(1));
        assertTrue(conf.contains("--add-opens=java.base/java.nio=ALL-UNNAMED"), conf);
        String log4j = " -Dlog4j2.configurationFile=" + Path.of("conf/log4j2.properties").toAbsolutePath();
        // --driver-java-options replaces conf's line, so the scripts put the module options back in it
        assertEquals(conf + log4j, valueOf(submitted("submit", "--deploy-mode", "cluster"), "--driver-java-options"));
        assertEquals(conf + log4j, valueOf(submitted("train"), "--driver-java-options"));
    }
}
