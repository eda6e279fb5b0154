package io.sparkmlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The README promises that every script in submit/ has --help: one that only explains, and changes nothing. */
@Tag("unit")
class ScriptHelpTest {

    /** Their --help is the Java application's (picocli's or the benchmark's), which needs the built jar. */
    private static final Set<String> ANSWERED_BY_THE_JVM = Set.of("train", "predict", "evaluate", "bench");

    @Test
    void everyScriptAnswersHelpWithItsUsageAndExitsZeroWithoutTouchingTheReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<Path> scripts;
        try (Stream<Path> files = Files.list(Path.of("submit"))) {
            scripts = files.filter(p -> !p.getFileName().toString().endsWith(".sh")).sorted().toList();
        }
        assertTrue(scripts.size() >= 15, "scripts found: " + scripts);
        for (Path script : scripts) {
            String name = script.getFileName().toString();
            if (ANSWERED_BY_THE_JVM.contains(name)) {
                continue;
            }
            for (String flag : List.of("--help", "-h")) {
                if (name.equals("jmh") && flag.equals("-h")) {
                    continue; // JMH's own -h lists JMH's options
                }
                Result result = run(script, flag);
                assertEquals(0, result.status(), name + " " + flag + ": " + result.output());
                assertTrue(result.output().lines().count() >= 3, name + " " + flag + " says too little: " + result.output());
            }
        }
        assertEquals(readme, Files.readString(Path.of("README.md")), "a script's --help changed the README");
    }

    @Test
    void scriptsThatTakeNoArgumentsRefuseOneByName() throws Exception {
        for (String name : List.of("options-table", "readme-tables", "bench-checkpoint", "cluster-down", "setup")) {
            Result result = run(Path.of("submit", name), "--dry-run");
            assertEquals(2, result.status(), name + ": " + result.output());
            assertTrue(result.output().contains("'--dry-run'"), name + ": " + result.output());
        }
    }

    private record Result(int status, String output) {
    }

    private static Result run(Path script, String argument) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("sh", script.toString(), argument).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), script + " did not finish");
        return new Result(process.exitValue(), output);
    }
}
