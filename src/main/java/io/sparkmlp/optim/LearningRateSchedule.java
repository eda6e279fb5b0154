package io.sparkmlp.optim;

import java.io.Serializable;
import java.util.Locale;

/**
 * The learning rate as a function of training progress. {@code epoch} counts from 0, {@code step}
 * is the global step from 0, and {@code totalSteps} is the number of steps the run plans.
 */
public interface LearningRateSchedule extends Serializable {

    double rate(int epoch, long step, long totalSteps);

    /** The same rate throughout. */
    static LearningRateSchedule constant(double rate) {
        checkRate(rate);
        return (epoch, step, total) -> rate;
    }

    /** {@code rate · gamma^floor(epoch / everyEpochs)}. */
    static LearningRateSchedule step(double rate, int everyEpochs, double gamma) {
        checkRate(rate);
        if (everyEpochs < 1) {
            throw new IllegalArgumentException("step schedule: epochs between decays must be >= 1, got " + everyEpochs);
        }
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("step schedule: decay factor gamma must be in (0, 1], got " + gamma);
        }
        return (epoch, step, total) -> rate * Math.pow(gamma, epoch / everyEpochs);
    }

    /** Cosine annealing (Loshchilov and Hutter 2017): {@code min + (rate − min)·(1 + cos(π·step / total)) / 2}. */
    static LearningRateSchedule cosine(double rate, double minRate) {
        checkRate(rate);
        if (!(minRate >= 0 && minRate < rate)) {
            throw new IllegalArgumentException("cosine schedule: minimum rate must be in [0, " + rate + "), got " + minRate);
        }
        return (epoch, step, total) -> {
            double progress = total <= 1 ? 0 : Math.min(1.0, step / (double) total);
            return minRate + (rate - minRate) * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }

    /**
     * Linear warm-up (Goyal et al. 2017, "Accurate, Large Minibatch SGD"): over the first
     * {@code warmupSteps} steps the rate grows linearly to this schedule's,
     * {@code rate(step) · min(1, (step + 1) / warmupSteps)}, so that a large batch's large rate does
     * not throw the fresh weights off at the start. 0 steps: no warm-up.
     */
    default LearningRateSchedule withWarmup(long warmupSteps) {
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }
        if (warmupSteps == 0) {
            return this;
        }
        LearningRateSchedule inner = this;
        return (epoch, step, total) -> inner.rate(epoch, step, total) * Math.min(1.0, (step + 1) / (double) warmupSteps);
    }

    /**
     * Builds a schedule by name: {@code constant}, {@code step} (decay by {@code gamma} every
     * {@code everyEpochs}) or {@code cosine} (down to {@code rate · minFraction}).
     */
    static LearningRateSchedule named(String name, double rate, int everyEpochs, double gamma, double minFraction) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "constant" -> constant(rate);
            case "step" -> step(rate, everyEpochs, gamma);
            case "cosine" -> cosine(rate, rate * minFraction);
            default -> throw new IllegalArgumentException("unknown learning-rate schedule '" + name
                    + "'; expected constant, step or cosine");
        };
    }

    private static void checkRate(double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + rate);
        }
    }
}
