package io.sparkmlp.bench;

import dev.ludovic.netlib.blas.BLAS;
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

    /** One matrix product: op(A) is m x k, op(B) is k x n, C is m x n. */
    record Shape(String role, String transA, String transB, int m, int n, int k) {
        long flops() {
            return 2L * m * n * k;
        }

        String describe() {
            return String.format("%s %s%s m=%d n=%d k=%d", role, transA, transB, m, n, k);
        }
    }

    /** A shape and its measured rates. */
    record Rate(Shape shape, double sgemmGflops, double dgemmGflops) {
    }

    private BlasProbe() {
    }

    /** The products {@link Network#lossAndGradient} makes for {@code batch} columns, in the order it makes them. */
    static List<Shape> kernelShapes(Layout layout, int batch) {
        List<Shape> shapes = new ArrayList<>();
        for (int l = 0; l < layout.numLayers(); l++) {
            shapes.add(new Shape("forward " + l, "N", "N", layout.size(l + 1), batch, layout.size(l)));
        }
        for (int l = layout.numLayers() - 1; l >= 0; l--) {
            shapes.add(new Shape("weight gradient " + l, "N", "T", layout.size(l + 1), layout.size(l), batch));
            if (l > 0) {
                shapes.add(new Shape("input gradient " + l, "T", "N", layout.size(l), batch, layout.size(l + 1)));
            }
        }
        return shapes;
    }

    /** Floating-point operations of one gradient kernel call: the sum of its products' 2mnk. */
    static long kernelFlops(Layout layout, int batch) {
        return kernelShapes(layout, batch).stream().mapToLong(Shape::flops).sum();
    }

    /** The sgemm rate of each distinct shape, and the dgemm rate of each (for the float-against-double comparison). */
    static List<Rate> measureShapes(Layout layout, int batch, double secondsEach) {
        Map<String, Shape> distinct = new LinkedHashMap<>();
        for (Shape s : kernelShapes(layout, batch)) {
            distinct.putIfAbsent(s.transA() + s.transB() + s.m() + "x" + s.n() + "x" + s.k(), s);
        }
        List<Rate> rates = new ArrayList<>();
        for (Shape s : distinct.values()) {
            rates.add(new Rate(s, sgemmGflops(s, secondsEach), dgemmGflops(s, secondsEach)));
        }
        return rates;
    }

    static double sgemmGflops(Shape s, double seconds) {
        BLAS blas = Network.blas();
        int rowsA = s.transA().equals("N") ? s.m() : s.k();
        int rowsB = s.transB().equals("N") ? s.k() : s.n();
        float[] a = randomFloats(s.m() * s.k(), 1);
        float[] b = randomFloats(s.k() * s.n(), 2);
        float[] c = new float[s.m() * s.n()];
        Runnable product = () -> blas.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, a, rowsA, b, rowsB, 0f, c, s.m());
        return s.flops() / timePerCall(product, seconds) / 1e9;
    }

    static double dgemmGflops(Shape s, double seconds) {
        BLAS blas = Network.blas();
        int rowsA = s.transA().equals("N") ? s.m() : s.k();
        int rowsB = s.transB().equals("N") ? s.k() : s.n();
        double[] a = randomDoubles(s.m() * s.k(), 1);
        double[] b = randomDoubles(s.k() * s.n(), 2);
        double[] c = new double[s.m() * s.n()];
        Runnable product = () -> blas.dgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1.0, a, rowsA, b, rowsB, 0.0, c, s.m());
        return s.flops() / timePerCall(product, seconds) / 1e9;
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
