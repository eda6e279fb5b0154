package io.sparkmlp.bench;

import dev.ludovic.netlib.blas.BLAS;
import io.sparkmlp.nn.GemmShape;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Workspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures, on this thread (as one Spark task runs), the {@code sgemm} GFLOP/s of every matrix
 * product the network's gradient kernel makes at a given batch, the {@code dgemm} GFLOP/s of the
 * largest, and the kernel's own GFLOP/s ({@link Network#lossAndGradient}: forward, softmax,
 * backward), so the kernel can be stated as a fraction of the BLAS it is built on.
 */
final class BlasProbe {

    /** A shape and its measured rates. */
    record Rate(GemmShape shape, double sgemmGflops, double dgemmGflops) {
    }

    private BlasProbe() {
    }

    /** The products {@link Network#lossAndGradient} makes for {@code batch} columns, in the order it makes them. */
    static List<GemmShape> kernelShapes(Layout layout, int batch) {
        return GemmShape.ofKernel(layout, batch);
    }

    /** Floating-point operations of one gradient kernel call: the sum of its products' 2mnk. */
    static long kernelFlops(Layout layout, int batch) {
        return kernelShapes(layout, batch).stream().mapToLong(GemmShape::flops).sum();
    }

    /** The sgemm rate of each distinct shape, and the dgemm rate of each (for the float-against-double comparison). */
    static List<Rate> measureShapes(Layout layout, int batch, double secondsEach) {
        Map<String, GemmShape> distinct = new LinkedHashMap<>();
        for (GemmShape s : kernelShapes(layout, batch)) {
            distinct.putIfAbsent(s.transA() + s.transB() + s.m() + "x" + s.n() + "x" + s.k(), s);
        }
        List<Rate> rates = new ArrayList<>();
        for (GemmShape s : distinct.values()) {
            rates.add(new Rate(s, sgemmGflops(s, secondsEach), dgemmGflops(s, secondsEach)));
        }
        return rates;
    }

    static double sgemmGflops(GemmShape s, double seconds) {
        // GFLOP/s = flops / seconds a call / 1e9
        return s.flops() / sgemmSeconds(s, seconds) / 1e9;
    }

    static double dgemmGflops(GemmShape s, double seconds) {
        // GFLOP/s = flops / seconds a call / 1e9
        return s.flops() / dgemmSeconds(s, seconds) / 1e9;
    }

    /** Seconds of one {@code sgemm} of {@code s} on one thread. */
    private static double sgemmSeconds(GemmShape s, double seconds) {
        BLAS blas = Network.blas();
        int rowsA = s.rowsA();
        int rowsB = s.rowsB();
        float[] a = randomFloats(s.m() * s.k(), 1);
        float[] b = randomFloats(s.k() * s.n(), 2);
        float[] c = new float[s.m() * s.n()];
        // c = op(a) op(b)
        return timePerCall(() -> blas.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, a, rowsA, b, rowsB, 0f, c,
                s.m()), seconds);
    }

    /** Seconds of one {@code dgemm} of {@code s} on one thread. */
    private static double dgemmSeconds(GemmShape s, double seconds) {
        BLAS blas = Network.blas();
        int rowsA = s.rowsA();
        int rowsB = s.rowsB();
        double[] a = randomDoubles(s.m() * s.k(), 1);
        double[] b = randomDoubles(s.k() * s.n(), 2);
        double[] c = new double[s.m() * s.n()];
        // c = op(a) op(b)
        return timePerCall(() -> blas.dgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1.0, a, rowsA, b, rowsB, 0.0, c,
                s.m()), seconds);
    }

    /** Microseconds per column of one {@code sgemm} of {@code s} (its n columns in one call). */
    static double sgemmMicrosPerColumn(GemmShape s, double seconds) {
        // us per column = seconds a call * 1e6 / n
        return sgemmSeconds(s, seconds) * 1e6 / s.n();
    }

    /** Microseconds of one {@code dgemm} of {@code s}, as MLlib multiplies one row ({@code n = 1}). */
    static double dgemmMicros(GemmShape s, double seconds) {
        // us = seconds a call * 1e6
        return dgemmSeconds(s, seconds) * 1e6;
    }

    /** Microseconds of one {@code sgemv} {@code y = A x} with A {@code m x k}, as a one-row forward pass multiplies. */
    static double sgemvMicros(int m, int k, double seconds) {
        BLAS blas = Network.blas();
        float[] a = randomFloats(m * k, 1);
        float[] x = randomFloats(k, 2);
        float[] y = new float[m];
        // y = A x, timed in seconds a call, times 1e6 for microseconds
        return timePerCall(() -> blas.sgemv("N", m, k, 1f, a, m, x, 1, 0f, y, 1), seconds) * 1e6;
    }

    /** GFLOP/s of the whole gradient kernel at {@code batch}: every product plus the element-wise work around them. */
    static double kernelGflops(Network network, int batch, double seconds) {
        Layout layout = network.layout();
        float[] params = network.initialParameters(3, io.sparkmlp.nn.Initialization.HE);
        Workspace ws = new Workspace(layout, batch);
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < layout.inputSize() * batch; i++) {
            ws.input()[i] = (float) random.nextGaussian();
        }
        for (int j = 0; j < batch; j++) {
            ws.labels()[j] = random.nextInt(layout.outputSize());
        }
        float[] gradient = new float[params.length];
        Runnable kernel = () -> network.lossAndGradient(params, ws, batch, gradient);
        return kernelFlops(layout, batch) / timePerCall(kernel, seconds) / 1e9;
    }

    /** Median seconds per call over about {@code seconds} of calls, after a warm-up of a quarter of that. */
    private static double timePerCall(Runnable call, double seconds) {
        long warmUntil = System.nanoTime() + (long) (seconds * 0.25e9);
        while (System.nanoTime() < warmUntil) {
            call.run();
        }
        // rounds of at least 2 ms, so the clock's resolution does not matter; the median round resists interference
        int perRound = 1;
        while (true) {
            long start = System.nanoTime();
            for (int i = 0; i < perRound; i++) {
                call.run();
            }
            if (System.nanoTime() - start >= 2_000_000L) {
                break;
            }
            perRound *= 2;
        }
        List<Double> rounds = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end || rounds.size() < 5) {
            long start = System.nanoTime();
            for (int i = 0; i < perRound; i++) {
                call.run();
            }
            rounds.add((System.nanoTime() - start) / 1e9 / perRound);
        }
        rounds.sort(null);
        return rounds.get(rounds.size() / 2);
    }

    private static float[] randomFloats(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static double[] randomDoubles(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextGaussian();
        }
        return values;
    }
}
