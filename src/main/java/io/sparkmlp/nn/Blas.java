package io.sparkmlp.nn;

import com.sun.jna.NativeLibrary;
import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Which BLAS the kernels run on, chosen once per JVM before the first product:
 * <ul>
 *   <li>{@code bundled} (the default): the OpenBLAS inside sparkmlp's jar ({@link BundledOpenBlas}),
 *       loaded through {@code dev.ludovic.netlib}'s native-library path, one thread;</li>
 *   <li>{@code system}: whatever {@code libblas.so.3} is (Debian's reference BLAS, or OpenBLAS in its
 *       pthread or OpenMP build), as {@code dev.ludovic.netlib} finds it;</li>
 *   <li>{@code java}: {@code dev.ludovic.netlib}'s pure-Java BLAS (the Vector API where available).</li>
 * </ul>
 * The choice is the system property {@value #PROPERTY}, else the environment variable {@value #ENV}.
 * A native BLAS must agree with the Java BLAS on the kernel's own products ({@link #selfCheck}); one
 * that fails to load or to agree is replaced by the next (bundled, system, java) and the report says why.
 */
public final class Blas {

    public static final String PROPERTY = "sparkmlp.blas";
    public static final String ENV = "SPARKMLP_BLAS";
    /** The netlib setting that names the native library to load in place of {@code libblas.so.3}. */
    static final String NETLIB_LIBRARY_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
    /** Largest relative difference from the Java BLAS a native BLAS may show on the self-check's products. */
    static final double SELF_CHECK_TOLERANCE = 1e-4;

    /** The three BLAS a user can ask for. */
    public enum Choice {
        BUNDLED, SYSTEM, JAVA;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The choice named {@code value} (bundled, system or java); {@code source} names where the value came from. */
        public static Choice parse(String value, String source) {
            for (Choice c : values()) {
                if (c.id().equalsIgnoreCase(value.trim())) {
                    return c;
                }
            }
            throw new IllegalArgumentException(source + " is '" + value + "'; it must be bundled, system or java");
        }
    }

    /**
     * What runs: the choice asked for and the one used, the implementation class, the native library
     * and its version and core type where known, its threads, the measured {@code sgemm} rate on one
     * thread, the self-check's largest relative difference, and why another choice was used, if one was.
     */
    public record Report(Choice requested, Choice used, String implementation, String library, String version,
                         String coreType, int threads, double sgemmGflops, double selfCheckError, List<String> warnings) {

        public String describe() {
            StringBuilder s = new StringBuilder("BLAS ").append(used.id());
            if (used != Choice.JAVA) {
                s.append(" (").append(library).append(version.isEmpty() ? "" : ", " + version)
                        .append(coreType.isEmpty() ? "" : ", core " + coreType)
                        .append(threads > 0 ? ", " + threads + (threads == 1 ? " thread" : " threads") : "").append(')');
            }
            s.append(", ").append(implementation).append(String.format(Locale.ROOT,
                    ": sgemm %.1f GFLOP/s on one thread; agrees with the Java BLAS to %.1e", sgemmGflops, selfCheckError));
            return s.toString();
        }
    }

    private static volatile BLAS instance;
    private static Report report;

    private Blas() {
    }

    /** The BLAS in use, chosen on the first call. */
    public static BLAS get() {
        BLAS blas = instance;
        return blas != null ? blas : choose();
    }

    /** dev.ludovic.netlib's pure-Java BLAS, after the choice is made (asking netlib for it first would settle its native BLAS). */
    public static BLAS javaBlas() {
        get();
        return JavaBLAS.getInstance();
    }

    /** How the BLAS in use was chosen and how fast it runs (chooses it if no product ran yet). */
    public static synchronized Report report() {
        get();
        return report;
    }

    /** The choice asked for by {@value #PROPERTY} or {@value #ENV}; bundled when neither is set. */
    static Choice requested() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return Choice.parse(property, "the system property " + PROPERTY);
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return Choice.parse(env, "the environment variable " + ENV);
        }
        return Choice.BUNDLED;
    }

    private static synchronized BLAS choose() {
        if (instance != null) {
            return instance;
        }
        Choice requested = requested();
        List<String> warnings = new ArrayList<>();
        String library = "";
        String version = "";
        String core = "";
        int threads = 0;
        BLAS chosen = null;
        Choice used = requested;
        if (requested == Choice.BUNDLED) {
            String preset = System.getProperty(NETLIB_LIBRARY_PATH);
            try {
                BundledOpenBlas.Loaded loaded = BundledOpenBlas.load();
                if (preset != null && !preset.equals(loaded.library().toString())) {
                    warnings.add(NETLIB_LIBRARY_PATH + " is set to " + preset + ": dev.ludovic.netlib loads that library,"
                            + " not the bundled OpenBLAS");
                } else {
                    System.setProperty(NETLIB_LIBRARY_PATH, loaded.library().toString());
                }
                BLAS candidate = BLAS.getInstance();
                if (!(candidate instanceof NativeBLAS)) {
                    warnings.add("dev.ludovic.netlib did not load the bundled OpenBLAS (" + loaded.library() + "): its"
                            + " native BLAS failed to load, or something in this JVM used dev.ludovic.netlib before sparkmlp");
                } else {
                    library = loaded.library().toString();
                    version = versionOf(loaded.config());
                    core = loaded.coreType();
                    threads = loaded.threads();
                    chosen = candidate;
                }
            } catch (RuntimeException | LinkageError e) {
                warnings.add("the bundled OpenBLAS did not load: " + e.getMessage());
            }
            if (chosen == null) {
                used = Choice.SYSTEM;
            }
        }
        if (chosen == null && used == Choice.SYSTEM) {
            BLAS candidate = BLAS.getInstance();
            if (candidate instanceof NativeBLAS) {
                chosen = candidate;
                library = "libblas.so.3";
                String[] info = systemOpenBlasInfo(warnings);
                version = versionOf(info[0]);
                core = info[1];
                threads = info[2].isEmpty() ? 0 : Integer.parseInt(info[2]);
            } else {
                warnings.add("no native system BLAS loaded (libblas.so.3)");
                used = Choice.JAVA;
            }
        }
        // only now: asking netlib for its Java BLAS first would make it settle its native one without our library
        BLAS reference = JavaBLAS.getInstance();
        double error = 0;
        if (chosen != null) {
            error = selfCheck(chosen, reference);
            if (!(error <= SELF_CHECK_TOLERANCE)) {
                warnings.add(String.format(Locale.ROOT, "%s BLAS (%s) differs from the Java BLAS by %.3g (relative) on the"
                        + " kernel's products, more than %.0e: using the Java BLAS", used.id(), library, error,
                        SELF_CHECK_TOLERANCE));
                chosen = null;
            }
        }
        if (chosen == null) {
            used = Choice.JAVA;
            chosen = reference;
            library = "";
            version = "";
            core = "";
            threads = 0;
            error = 0;
        }
        report = new Report(requested, used, chosen.getClass().getSimpleName(), library, version, core, threads,
                sgemmGflops(chosen), error, List.copyOf(warnings));
        instance = chosen;
        return chosen;
    }

    /**
     * The system library's {@code openblas_get_config()}, core name and threads, where it is OpenBLAS
     * (set to one thread); empty strings for another BLAS. Under OpenBLAS's OpenMP build each calling
     * thread's OpenMP team size rules, so only {@code OMP_NUM_THREADS=1} in the JVM's environment keeps
     * Spark's tasks from each opening a team of all cores: warn where it is not so.
     */
    private static String[] systemOpenBlasInfo(List<String> warnings) {
        try {
            NativeLibrary lib = NativeLibrary.getInstance("libblas.so.3");
            lib.getFunction("openblas_set_num_threads").invokeVoid(new Object[] {1});
            String config = lib.getFunction("openblas_get_config").invokeString(new Object[0], false);
            String core = lib.getFunction("openblas_get_corename").invokeString(new Object[0], false);
            int threads = lib.getFunction("openblas_get_num_threads").invokeInt(new Object[0]);
            if (config.contains("USE_OPENMP") && !"1".equals(System.getenv("OMP_NUM_THREADS"))) {
                warnings.add("the system OpenBLAS is the OpenMP build and OMP_NUM_THREADS is "
                        + (System.getenv("OMP_NUM_THREADS") == null ? "unset" : System.getenv("OMP_NUM_THREADS"))
                        + ", not 1: every task's products open a team of all cores (measured 2x slower here, and different bits);"
                        + " export OMP_NUM_THREADS=1 for the driver and set spark.executorEnv.OMP_NUM_THREADS=1");
            }
            return new String[] {config, core, String.valueOf(threads)};
        } catch (RuntimeException | LinkageError e) {
            // not OpenBLAS (e.g. the reference BLAS): nothing to ask it
            return new String[] {"", "", ""};
        }
    }

    /** "OpenBLAS 0.3.31" from {@code openblas_get_config()}'s "OpenBLAS 0.3.31 DYNAMIC_ARCH NO_AFFINITY ..."; empty when unknown. */
    static String versionOf(String config) {
        String[] words = config.trim().split("\\s+");
        return words.length >= 2 && words[0].equals("OpenBLAS") ? words[0] + " " + words[1] : config.trim();
    }

    /**
     * The largest difference between {@code candidate} and {@code reference} over the products of the
     * gradient kernel of a 784-103-37-10 network at a batch of 67 (odd sizes reach every remainder
     * loop) and its one-row forward products ({@code sgemv}), relative to the largest magnitude of the
     * reference result.
     */
    static double selfCheck(BLAS candidate, BLAS reference) {
        double worst = 0;
        SplittableRandom random = new SplittableRandom(0x5e1fc43c);
        Layout layout = new Layout(784, 103, 37, 10);
        for (GemmShape s : GemmShape.ofKernel(layout, 67)) {
            float[] a = uniform(random, s.m() * s.k());
            float[] b = uniform(random, s.k() * s.n());
            float[] expected = uniform(random, s.m() * s.n());
            float[] actual = expected.clone();
            // c = 1 * op(a) * op(b) + 0.5 * c
            reference.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, a, s.rowsA(), b, s.rowsB(), 0.5f, expected, s.m());
            candidate.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, a, s.rowsA(), b, s.rowsB(), 0.5f, actual, s.m());
            // Math.max keeps a NaN, so one NaN result fails the whole check
            worst = Math.max(worst, relativeError(expected, actual));
        }
        // a one-row forward pass (Network's batch of 1) multiplies by gemv instead, W (out x in) by x
        for (int l = 0; l < layout.numLayers(); l++) {
            int out = layout.size(l + 1);
            int in = layout.size(l);
            float[] a = uniform(random, out * in);
            float[] x = uniform(random, in);
            float[] expected = uniform(random, out);
            float[] actual = expected.clone();
            // y = 1 * a * x + 0.5 * y
            reference.sgemv("N", out, in, 1f, a, out, x, 1, 0.5f, expected, 1);
            candidate.sgemv("N", out, in, 1f, a, out, x, 1, 0.5f, actual, 1);
            worst = Math.max(worst, relativeError(expected, actual));
        }
        return worst;
    }

    /** The largest difference over the largest magnitude of {@code expected}; NaN where {@code actual} has a NaN. */
    private static double relativeError(float[] expected, float[] actual) {
        // error = max_i |e_i - a_i| / max_i |e_i|
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i])) {
                return Double.NaN;
            }
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        return diff / Math.max(scale, Float.MIN_NORMAL);
    }

    /** One-thread {@code sgemm} GFLOP/s of the default network's largest product (256 x 128 x 784), the median of 5 rounds. */
    static double sgemmGflops(BLAS blas) {
        GemmShape s = new GemmShape("forward 0", "N", "N", 256, 128, 784);
        SplittableRandom random = new SplittableRandom(7);
        float[] a = uniform(random, s.m() * s.k());
        float[] b = uniform(random, s.k() * s.n());
        float[] c = new float[s.m() * s.n()];
        double[] rounds = new double[5];
        for (int r = -1; r < rounds.length; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                blas.sgemm("N", "N", s.m(), s.n(), s.k(), 1f, a, s.m(), b, s.k(), 0f, c, s.m());
            }
            if (r >= 0) { // round -1 warms up
                rounds[r] = 4 * s.flops() / ((System.nanoTime() - start) / 1e9) / 1e9;
            }
        }
        Arrays.sort(rounds);
        return rounds[rounds.length / 2];
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }
}
