package io.sparkmlp.nn;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Inverted dropout on the hidden layers (Srivastava et al. 2014): in training each hidden unit's
 * activation is kept with probability {@code 1 - p} and scaled by {@code 1 / (1 - p)}, so that
 * inference uses the network as it is, without masks. A unit's mask is a pure function of
 * (mask seed, global row, hidden layer, unit) — the mask seed fixed by (seed, epoch, step) — so an
 * example gets the same mask whatever batch, partition or position it is computed in.
 */
public final class Dropout implements Serializable {

    private static final long serialVersionUID = 1L;

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    /** One rate per hidden layer, each in [0, 1). */
    private final float[] rates;
    /** 1 / (1 - p) per hidden layer: the kept units' scale. */
    private final float[] scales;
    private final boolean active;

    private Dropout(float[] rates) {
        this.rates = rates;
        this.scales = new float[rates.length];
        boolean any = false;
        for (int h = 0; h < rates.length; h++) {
            // s = 1 / (1 - p)
            scales[h] = (float) (1.0 / (1.0 - rates[h]));
            any |= rates[h] > 0;
        }
        this.active = any;
    }

    /**
     * Rates for the hidden layers of {@code layout}: one rate for every hidden layer, or one per
     * hidden layer; each in [0, 1).
     */
    public static Dropout of(Layout layout, double... rates) {
        int hidden = layout.numLayers() - 1;
        if (rates.length != 1 && rates.length != hidden) {
            throw new IllegalArgumentException("dropout has " + rates.length + " rates " + Arrays.toString(rates)
                    + ", but layers " + layout + " have " + hidden + " hidden layer" + (hidden == 1 ? "" : "s")
                    + ": give one rate for every hidden layer or one per hidden layer");
        }
        float[] perLayer = new float[hidden];
        for (int h = 0; h < hidden; h++) {
            double p = rates.length == 1 ? rates[0] : rates[h];
            if (!(p >= 0 && p < 1)) {
                throw new IllegalArgumentException("dropout rate " + p + " of hidden layer " + h + " must be in [0, 1)");
            }
            perLayer[h] = (float) p;
        }
        if (hidden == 0 && rates[0] > 0) {
            throw new IllegalArgumentException("dropout " + rates[0] + " needs a hidden layer; layers " + layout
                    + " have none");
        }
        return new Dropout(perLayer);
    }

    /** Whether any hidden layer drops units; with all rates 0 training runs the plain kernel. */
    public boolean active() {
        return active;
    }

    /** The rate of hidden layer {@code hidden} (0: the first hidden layer). */
    public float rate(int hidden) {
        return rates[hidden];
    }

    public int hiddenLayers() {
        return rates.length;
    }

    /** The mask seed of one step: a pure function of (seed, epoch, step). */
    public static long maskSeed(long seed, int epoch, int step) {
        return Rng.derive(seed, 0xD20B, epoch, step);
    }

    /**
     * Whether unit {@code unit} of hidden layer {@code hidden} is kept for global row {@code row}: the
     * (unit + 1)-th value of the SplitMix64 stream seeded by {@code Rng.derive(maskSeed, row, hidden)},
     * as a uniform in [0, 1), is at least the rate.
     */
    public static boolean kept(long maskSeed, long row, int hidden, int unit, float rate) {
        return uniform(Rng.mix(layerKey(maskSeed, row, hidden) + (unit + 1L) * GOLDEN_GAMMA)) >= rate;
    }

    /** {@code Rng.derive(maskSeed, row, hidden)}, written out so that the step allocates no varargs array. */
    private static long layerKey(long maskSeed, long row, int hidden) {
        long h = Rng.mix(maskSeed + GOLDEN_GAMMA);
        h = Rng.mix(h ^ Rng.mix(row + GOLDEN_GAMMA));
        return Rng.mix(h ^ Rng.mix(hidden + GOLDEN_GAMMA));
    }

    /** The top 24 bits as a float in [0, 1). */
    private static float uniform(long bits) {
        return (bits >>> 40) * 0x1.0p-24f;
    }

    /**
     * Fills the masks of the first {@code batch} examples of {@code ws} from their global rows
     * ({@link Workspace#rowIds()}): {@code m = 0} for a dropped unit, {@code 1 / (1 - p)} for a kept one.
     */
    void fillMasks(Workspace ws, int batch, long maskSeed) {
        Layout layout = ws.layout();
        long[] rows = ws.rowIds;
        for (int h = 0; h < rates.length; h++) {
            float rate = rates[h];
            if (rate == 0) {
                continue;
            }
            float scale = scales[h];
            // u >= p for u = k / 2^24 is k >= ceil(p · 2^24), exactly (p is a float, so p · 2^24 is exact)
            long threshold = (long) Math.ceil(rate * 0x1.0p24);
            int width = layout.size(h + 1);
            float[] mask = ws.mask(h + 1);
            for (int j = 0; j < batch; j++) {
                long key = layerKey(maskSeed, rows[j], h);
                int column = j * width;
                for (int i = 0; i < width; i++) {
                    long k = Rng.mix(key + (i + 1L) * GOLDEN_GAMMA) >>> 40;
                    // m = 1[k >= threshold] / (1 - p), without a branch: the sign bit of threshold - 1 - k
                    mask[column + i] = scale * (int) ((threshold - 1 - k) >>> 63);
                }
            }
        }
    }

    /** Whether hidden activation {@code l} (activations index: 1 is the first hidden layer) is masked. */
    boolean masks(int l) {
        return l >= 1 && l <= rates.length && rates[l - 1] > 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dropout other && Arrays.equals(rates, other.rates);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(rates);
    }

    @Override
    public String toString() {
        return "dropout " + Arrays.toString(rates);
    }
}
