package io.sparkmlp.nn;

import java.util.Locale;

/** How the weights are drawn; biases always start at zero. */
public enum Initialization {
    /** He et al. 2015: N(0, 2 / fanIn), suited to (leaky) ReLU. */
    HE("he"),
    /** Glorot and Bengio 2010: U(-sqrt(6 / (fanIn + fanOut)), +sqrt(6 / (fanIn + fanOut))), suited to sigmoid and tanh. */
    GLOROT("glorot"),
    /** LeCun 1998: N(0, 1 / fanIn); what the original NumPy notebook used. */
    LECUN("lecun");

    private final String id;

    Initialization(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The usual choice for a hidden activation: He for the ReLU family, Glorot for the saturating ones. */
    public static Initialization defaultFor(Activation activation) {
        return activation == Activation.RELU || activation == Activation.LEAKY_RELU ? HE : GLOROT;
    }

    public static Initialization parse(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        for (Initialization i : values()) {
            if (i.id.equals(key)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown initialization '" + name + "'; expected one of he, glorot, lecun");
    }

    /** One weight drawn for a layer with the given fan-in and fan-out. */
    double draw(Rng rng, int fanIn, int fanOut) {
        return switch (this) {
            case HE -> rng.nextGaussian() * Math.sqrt(2.0 / fanIn);
            case LECUN -> rng.nextGaussian() / Math.sqrt(fanIn);
            case GLOROT -> (2.0 * rng.nextDouble() - 1.0) * Math.sqrt(6.0 / (fanIn + fanOut));
        };
    }
}
