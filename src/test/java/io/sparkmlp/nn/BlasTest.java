package io.sparkmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class BlasTest {

    @Test
    void theBundledOpenBlasIsChosenByDefaultWithOneThreadAndAgreesWithTheJavaBlas() {
        assumeTrue(BundledOpenBlas.platform() != null, "no OpenBLAS is bundled for this platform");
        assumeTrue(System.getProperty(Blas.PROPERTY) == null && System.getenv(Blas.ENV) == null, "a BLAS was asked for");
        Blas.Report report = Blas.report();
        assertEquals(Blas.Choice.BUNDLED, report.used(), () -> "warnings: " + report.warnings());
        assertInstanceOf(NativeBLAS.class, Network.blas());
        assertTrue(report.version().startsWith("OpenBLAS 0.3.31"), report.version());
        assertTrue(report.library().contains("sparkmlp-openblas-0.3.31"), report.library());
        assertTrue(!report.coreType().isBlank(), "core type");
        assertEquals(1, report.threads());
        assertTrue(report.selfCheckError() <= Blas.SELF_CHECK_TOLERANCE, "self-check " + report.selfCheckError());
        assertTrue(report.sgemmGflops() > 0, "rate");
        assertTrue(report.warnings().isEmpty(), () -> "warnings: " + report.warnings());
    }

    @Test
    void theSelfCheckPassesTheJavaBlasAgainstItselfAndCatchesAWrongProduct() {
        BLAS java = Blas.javaBlas();
        assertEquals(0.0, Blas.selfCheck(java, java));
        // a BLAS whose sgemm is off by 1 in 10^3: c = 1.001 * op(a) * op(b) + beta * c
        BLAS wrong = (BLAS) Proxy.newProxyInstance(BLAS.class.getClassLoader(), new Class<?>[] {BLAS.class},
                scaledSgemm(java, 1.001f));
        double error = Blas.selfCheck(wrong, java);
        assertTrue(error > Blas.SELF_CHECK_TOLERANCE, "error " + error);
        assertTrue(error < 1e-2, "error " + error);
    }

    @Test
    void theSelfCheckCatchesAWrongMatrixVectorProductAsUsedForOneRow() {
        BLAS java = Blas.javaBlas();
        // y = 1.001 * a * x + beta * y; alpha is the fourth argument of both overloads
        BLAS wrong = (BLAS) Proxy.newProxyInstance(BLAS.class.getClassLoader(), new Class<?>[] {BLAS.class},
                scaledAlpha(java, "sgemv", 3, 1.001f));
        double error = Blas.selfCheck(wrong, java);
        assertTrue(error > Blas.SELF_CHECK_TOLERANCE, "error " + error);
        assertTrue(error < 1e-2, "error " + error);
    }

    @Test
    void theSelfCheckTreatsNanAsAFailure() {
        BLAS java = Blas.javaBlas();
        BLAS nan = (BLAS) Proxy.newProxyInstance(BLAS.class.getClassLoader(), new Class<?>[] {BLAS.class},
                scaledSgemm(java, Float.NaN));
        assertTrue(Double.isNaN(Blas.selfCheck(nan, java)));
        assertTrue(!(Blas.selfCheck(nan, java) <= Blas.SELF_CHECK_TOLERANCE), "NaN must not pass the tolerance test");
    }

    @Test
    void anUnknownChoiceIsRefusedWithTheValueAndWhereItCameFrom() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Blas.Choice.parse("mkl", "the system property sparkmlp.blas"));
        assertEquals("the system property sparkmlp.blas is 'mkl'; it must be bundled, system or java", e.getMessage());
        assertEquals(Blas.Choice.SYSTEM, Blas.Choice.parse(" System ", "x"));
    }

    @Test
    void aJvmAskedForTheJavaBlasRunsItAndOneAskedForTheSystemBlasNeverLoadsTheBundledOne() throws Exception {
        Map<String, String> java = reportOfChildJvm("java");
        assertEquals("java", java.get("used"), java.toString());
        assertEquals("", java.get("library"), java.toString());
        Map<String, String> system = reportOfChildJvm("system");
        assertEquals("system", system.get("requested"), system.toString());
        assertTrue(!system.get("library").contains("sparkmlp-openblas"), system.toString());
        assertTrue(system.get("used").equals("system") || system.get("used").equals("java"), system.toString());
    }

    /** Runs {@link BlasReportMain} in a fresh JVM with {@code -Dsparkmlp.blas=choice} and reads its key=value lines. */
    private static Map<String, String> reportOfChildJvm(String choice) throws IOException, InterruptedException {
        String javaBin = System.getProperty("java.home") + "/bin/java";
        Process p = new ProcessBuilder(javaBin, "--add-modules=jdk.incubator.vector", "-D" + Blas.PROPERTY + "=" + choice,
                "-cp", System.getProperty("java.class.path"), BlasReportMain.class.getName())
                .redirectErrorStream(true).start();
        List<String> lines;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            lines = out.lines().collect(Collectors.toList());
        }
        assertEquals(0, p.waitFor(), () -> String.join("\n", lines));
        return lines.stream().filter(l -> l.matches("[a-z]+=.*"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
    }

    /** Delegates every call to {@code real}, with sgemm's result scaled by {@code factor}. */
    private static InvocationHandler scaledSgemm(BLAS real, float factor) {
        // alpha is the sixth argument of both overloads
        return scaledAlpha(real, "sgemm", 5, factor);
    }

    private static InvocationHandler scaledAlpha(BLAS real, String routine, int alphaIndex, float factor) {
        return (proxy, method, args) -> {
            if (method.getName().equals(routine)) {
                args[alphaIndex] = (Float) args[alphaIndex] * factor;
            }
            return method.invoke(real, args);
        };
    }
}
