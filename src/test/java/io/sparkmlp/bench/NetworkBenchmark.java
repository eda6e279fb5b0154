package io.sparkmlp.bench;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Rng;
import io.sparkmlp.nn.Workspace;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Forward pass, and forward plus backward pass ({@code lossAndGradient}), of the 784-256-128-10 ReLU
 * network over one batch already in the workspace.
 *
 * <p>Work per example: the forward pass is 784·256 + 256·128 + 128·10 = 234,752 multiply-adds, so
 * 469,504 FLOP; {@code lossAndGradient} adds the weight gradients (as many again) and the input
 * gradients of the two upper layers (256·128 + 128·10 = 34,048; the first layer's is never needed),
 * 1,007,104 FLOP in all. Per operation that is 60.1 MFLOP (forward) and 128.9 MFLOP (forward and
 * backward) at batch 128, 480.8 and 1,031.3 MFLOP at batch 1024; GFLOP/s = MFLOP · 1000 / µs per op.
 * The bias, activation and softmax loops are not counted: they are O(batch · width), not O(batch · width²).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// a fixed heap; the Vector API for netlib's pure-Java BLAS, should the native one not load
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules=jdk.incubator.vector"})
public class NetworkBenchmark {

    /** Examples per pass: the Fashion-MNIST preset's batch, and the large-batch preset's. */
    @Param({"128", "1024"})
    public int batch;

    private Network network;
    private float[] parameters;
    private Workspace workspace;
    private float[] gradient;

    @Setup(Level.Trial)
    public void setUp() {
        network = new Network(new Layout(784, 256, 128, 10), Activation.RELU);
        parameters = network.initialParameters(1L, Initialization.HE);
        workspace = new Workspace(network.layout(), batch);
        gradient = new float[parameters.length];
        // standardised inputs are roughly zero-mean, unit-variance
        Rng rng = new Rng(2L);
        float[] input = workspace.input();
        for (int i = 0; i < network.layout().inputSize() * batch; i++) {
            input[i] = (float) rng.nextGaussian();
        }
        int[] labels = workspace.labels();
        for (int j = 0; j < batch; j++) {
            labels[j] = rng.nextInt(network.layout().outputSize());
        }
        // native OpenBLAS and the pure-Java fallback differ several-fold: say which one was measured
        System.out.println("BLAS: " + Network.blas().getClass().getName());
    }

    @Benchmark
    public float[] forward() {
        network.forward(parameters, workspace, batch);
        return workspace.output();
    }

    /**
     * Forward, loss and backward. The gradient is never zeroed: adding into it costs the same, and the
     * sums of a few million calls stay far from overflow.
     */
    @Benchmark
    public double lossAndGradient() {
        return network.lossAndGradient(parameters, workspace, batch, gradient);
    }
}
