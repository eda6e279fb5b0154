package io.sparkmlp.data;

/**
 * Images held in memory: {@code count} images of {@code rows x cols} unsigned bytes.
 * {@code pixels} is image-major then row-major: pixel (i, r, c) is at {@code i * rows * cols + r * cols + c}.
 */
public record IdxImages(int count, int rows, int cols, byte[] pixels) {

    public IdxImages {
        if (count < 1 || rows < 1 || cols < 1) {
            throw new IllegalArgumentException("count, rows and cols must be >= 1, got " + count + ", " + rows + ", " + cols);
        }
        if (pixels == null || pixels.length != (long) count * rows * cols) {
            throw new IllegalArgumentException("pixels must hold count x rows x cols = " + count + " x " + rows + " x " + cols
                    + " = " + (long) count * rows * cols + " bytes, got " + (pixels == null ? "null" : pixels.length));
        }
    }

    /** Bytes of one image: rows * cols. */
    public int imageBytes() {
        return rows * cols;
    }

    /** Pixel value 0..255. */
    public int pixel(int image, int row, int col) {
        if (image < 0 || image >= count || row < 0 || row >= rows || col < 0 || col >= cols) {
            throw new IndexOutOfBoundsException("pixel (" + image + ", " + row + ", " + col + ") is outside "
                    + count + " x " + rows + " x " + cols);
        }
        return pixels[image * imageBytes() + row * cols + col] & 0xFF;
    }
}
