package io.sparkmlp.train;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import io.sparkmlp.optim.MomentumSgd;
import java.util.List;
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
 * One SGD step of the training loop without Spark: the real {@link StepTask} over one partition
 * holding all 60,000 rows (unpack the step's rows, loss and gradient), then the driver's
 * {@link Trainer#update} (average, momentum step), on the 784-256-128-10 ReLU network.
 *
 * <p>This is the floor under a step of {@code local[1]} training: what Spark adds on top (job
 * scheduling, task launch, the weights hand-off) is the difference. Steps walk the epochs in
 * order, as in training, so the epoch's last, shorter step counts too; every measurement iteration
 * starts training afresh, so that all iterations do the same work. The compute is {@code NetworkBenchmark.lossAndGradient}'s, 128.9 MFLOP per step
 * at batch 128 and 1,031.3 MFLOP at batch 1024, plus about 6 FLOP per parameter (235,146) for the
 * averaging and the update.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// a fixed heap, room for the 47 MB block; the Vector API for netlib's pure-Java BLAS
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules=jdk.incubator.vector"})
public class StepLoopBenchmark {

    private static final long SEED = 1L;
    /** The Fashion-MNIST preset's rate and momentum (conf/fashion-mnist.properties), without its schedule. */
    private static final double LEARNING_RATE = 0.05;
    private static final double MOMENTUM = 0.9;

    /** The global mini-batch. */
    @Param({"128", "1024"})
    public int batch;

    private Network network;
    private Block block;
    private InputScaling scaling;
    private final long[] partitionStarts = {0L};
    private float[] weights;
    private SharedWeights sharedWeights;
    private MomentumSgd sgd;
    private int stepsPerEpoch;
    private int epoch;
    private int step;

    @Setup(Level.Trial)
    public void setUp() {
        network = new Network(new Layout(SyntheticImages.FEATURES, 256, 128, SyntheticImages.CLASSES), Activation.RELU);
        block = SyntheticImages.block(SyntheticImages.TRAINING_ROWS, false, SEED);
        scaling = SyntheticImages.standardization(block);
        stepsPerEpoch = (block.rows() + batch - 1) / batch;
    }

    /** Every iteration trains from the same start, so every iteration does the same work. */
    @Setup(Level.Iteration)
    public void startTraining() {
        weights = network.initialParameters(SEED, Initialization.HE);
        sharedWeights = SharedWeights.share(weights, SharedWeights.Transport.TASK, null);
        sgd = new MomentumSgd(network.layout(), MOMENTUM, false, 0.0);
        epoch = 0;
        step = 0;
    }

    @Benchmark
    // The heap touched at start-up (about 9 s on the 2-core machine): page faults on the first use of
    // fresh heap made the allocating benchmarks noisy (buildBlock's iterations varied ten-fold).
    @Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch", "--add-modules=jdk.incubator.vector"})
    public float[] step() {
        StepTask task = new StepTask(sharedWeights, network, scaling, SEED, epoch, step, batch, block.rows(),
                partitionStarts);
        GradientSum total = task.call(0, List.of(block).iterator()).next();
        Trainer.update(sgd, weights, total, LEARNING_RATE);
        if (++step == stepsPerEpoch) {
            step = 0;
            epoch++;
        }
        return weights;
    }
}
