package io.sparkmlp.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The names shown for classes: Fashion-MNIST's ten when the data is Fashion-MNIST, else the digits 0 to k - 1. */
public final class ClassNames {

    /** Fashion-MNIST's labels 0 to 9, as its authors name them. */
    public static final List<String> FASHION_MNIST = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private ClassNames() {
    }

    /** Fashion-MNIST's names when {@code dataFolder}'s name holds "fashion" and there are ten classes, else digits. */
    public static List<String> forData(String dataFolder, int classes) {
        String name = dataFolder == null ? "" : dataFolder.toLowerCase(Locale.ROOT);
        return name.contains("fashion") && classes == FASHION_MNIST.size() ? FASHION_MNIST : digits(classes);
    }

    /** "0", "1", ..., k - 1. */
    public static List<String> digits(int classes) {
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            names.add(String.valueOf(k));
        }
        return List.copyOf(names);
    }
}
