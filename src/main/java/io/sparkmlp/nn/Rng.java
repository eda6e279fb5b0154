package io.sparkmlp.nn;

/**
 * SplitMix64 random numbers (Steele, Lea and Flood 2014). Written out here rather than taken from the
 * JDK so that every stream is fixed by its seed alone, on every JVM, forever.
 */
public final class Rng {

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    /** A seed that is a pure function of a base seed and a position, e.g. (seed, epoch, step, partition). */
    public static long derive(long seed, long... position) {
        long h = mix(seed + GOLDEN_GAMMA);
        for (long p : position) {
            h = mix(h ^ mix(p + GOLDEN_GAMMA));
        }
        return h;
    }

    /** The SplitMix64 finaliser: a bijective 64-bit mix. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), by rejection so that no value is favoured. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long range = bound;
        long limit = (1L << 32) - ((1L << 32) % range);
        long r;
        do {
            r = nextLong() >>> 32;
        } while (r >= limit);
        return (int) (r % range);
    }

    /** Standard normal, by the Box-Muller transform (one of the pair is dropped to keep the state simple). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // in (0, 1], so the log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fills {@code order} with a uniformly random permutation of 0..length-1 (Fisher-Yates). */
    public void permutation(int[] order) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
