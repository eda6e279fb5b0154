package io.sparkmlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The fast profile ({@code mvn -Pfast verify}) selects tests by tag, so a test class without one would be run by chance. */
@Tag("unit")
class TestTagsTest {

    private static final Pattern CLASS_TAG = Pattern.compile("^@Tag\\(\"(unit|spark|faults|real-data|cluster)\"\\)\\n"
            + "(public |final |abstract )*class ", Pattern.MULTILINE);

    @Test
    void everyTestClassCarriesExactlyOneOfTheFiveTags() throws IOException {
        List<Path> untagged;
        try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
            untagged = files.filter(p -> p.toString().endsWith(".java")).filter(TestTagsTest::hasTests)
                    .filter(p -> tags(p) != 1).collect(Collectors.toList());
        }
        assertEquals(List.of(), untagged, "test classes without exactly one of @Tag(unit|spark|faults|real-data|cluster)");
    }

    @Test
    void theRealDataTestsAreTaggedSoTheFastProfileLeavesThemOut() throws IOException {
        for (String file : List.of("app/FashionMnistAccuracyTest.java", "app/MnistAccuracyTest.java",
                "ml/FashionMnistPipelineTest.java")) {
            assertTrue(Files.readString(Path.of("src/test/java/io/sparkmlp", file)).contains("@Tag(\"real-data\")"), file);
        }
    }

    private static boolean hasTests(Path file) {
        try {
            String source = Files.readString(file);
            return source.contains("@Test") || source.contains("@ParameterizedTest");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int tags(Path file) {
        try {
            Matcher m = CLASS_TAG.matcher(Files.readString(file));
            int count = 0;
            while (m.find()) {
                count++;
            }
            return count;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
