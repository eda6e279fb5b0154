package io.sparkmlp.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * One matrix product {@code C = op(A) · op(B)}: op(A) is m x k, op(B) is k x n, C is m x n, all
 * column-major. {@link #ofKernel} lists the products {@link Network#lossAndGradient} makes, so a
 * BLAS can be checked and timed on exactly the work the training does.
 */
public record GemmShape(String role, String transA, String transB, int m, int n, int k) {

    public GemmShape {
        if (!("N".equals(transA) || "T".equals(transA)) || !("N".equals(transB) || "T".equals(transB))) {
            throw new IllegalArgumentException("transposes must be N or T, got " + transA + " and " + transB);
        }
        if (m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException("a product needs m, n, k >= 1, got " + m + ", " + n + ", " + k);
        }
    }

    /** Floating-point operations of the product: 2mnk. */
    public long flops() {
        return 2L * m * n * k;
    }

    /** Leading dimension of A as stored: m when A is used as it is, k when transposed. */
    public int rowsA() {
        return "N".equals(transA) ? m : k;
    }

    /** Leading dimension of B as stored: k when B is used as it is, n when transposed. */
    public int rowsB() {
        return "N".equals(transB) ? k : n;
    }

    public String describe() {
        return String.format("%s %s%s m=%d n=%d k=%d", role, transA, transB, m, n, k);
    }

    /** The products {@link Network#lossAndGradient} makes for {@code batch} columns, in the order it makes them. */
    public static List<GemmShape> ofKernel(Layout layout, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        List<GemmShape> shapes = new ArrayList<>();
        for (int l = 0; l < layout.numLayers(); l++) {
            shapes.add(new GemmShape("forward " + l, "N", "N", layout.size(l + 1), batch, layout.size(l)));
        }
        for (int l = layout.numLayers() - 1; l >= 0; l--) {
            shapes.add(new GemmShape("weight gradient " + l, "N", "T", layout.size(l + 1), layout.size(l), batch));
            if (l > 0) {
                shapes.add(new GemmShape("input gradient " + l, "T", "N", layout.size(l), batch, layout.size(l + 1)));
            }
        }
        return shapes;
    }
}
