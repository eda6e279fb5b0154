package io.sparkmlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The README's Layout block and its table of environment variables name everything there is. */
@Tag("unit")
class ReadmeInventoryTest {

    private static List<String> names(Path folder, boolean directories, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> Files.isDirectory(p) == directories).map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(suffix)).map(n -> n.substring(0, n.length() - suffix.length())).sorted()
                    .toList();
        }
    }

    @Test
    void theLayoutBlockListsEveryPackagePresetAndScript() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("## Layout");
        assertTrue(start >= 0, "the README has no Layout section");
        String block = readme.substring(start, readme.indexOf("```", readme.indexOf("```", start) + 3));
        List<String> missing = new ArrayList<>();
        for (String pkg : names(Path.of("src/main/java/io/sparkmlp"), true, "")) {
            if (!block.matches("(?s).*io\\.sparkmlp\\.\\{[^}]*\\b" + pkg + "\\b[^}]*}.*")) {
                missing.add("package " + pkg);
            }
        }
        for (String preset : names(Path.of("conf"), false, ".properties")) {
            if (!preset.equals("log4j2") && !block.matches("(?s).*[ (]" + preset + "[,)].*")) {
                missing.add("preset " + preset);
            }
        }
        // the scripts' lines: from "submit/" to the next folder's line
        String scripts = block.substring(block.indexOf("\nsubmit/"), block.indexOf("\nbench/"));
        for (String script : names(Path.of("submit"), false, "")) {
            if (!scripts.matches("(?s).*[ (]" + java.util.regex.Pattern.quote(script) + "[,:) \\n].*")) {
                missing.add("script " + script);
            }
        }
        assertEquals(List.of(), missing, "the README's Layout block misses these:\n" + block);
    }

    @Test
    void everyEnvironmentVariableAScriptOrTheJvmReadsIsInTheReadmesTable() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("### Environment variables");
        assertTrue(start >= 0, "the README has no Environment variables section");
        String table = readme.substring(start, readme.indexOf("\n###", start + 1));
        java.util.Set<String> read = new java.util.TreeSet<>();
        // sparkmlp's own variables (Spark's and OpenBLAS's are documented where they matter)
        java.util.regex.Pattern withDefault = java.util.regex.Pattern.compile("\\$\\{(SPARKMLP_[A-Z_]+|RUNS|COPIES):?[-+=]");
        try (Stream<Path> scripts = Files.list(Path.of("submit"))) {
            for (Path script : scripts.toList()) {
                java.util.regex.Matcher m = withDefault.matcher(Files.readString(script));
                while (m.find()) {
                    read.add(m.group(1));
                }
            }
        }
        read.remove("SPARKMLP_LOOPBACK"); // set by common.sh for the scripts it runs, not by users
        read.add(io.sparkmlp.nn.Blas.ENV);
        List<String> missing = read.stream().filter(name -> !table.contains("`" + name + "`")).toList();
        assertEquals(List.of(), missing, "variables read but not in the README's table:\n" + table);
    }
}
