package io.sparkmlp.data;

/** Images with one label byte (0..255, read unsigned) per image; the counts agree. */
public record LabeledImages(IdxImages images, byte[] labels) {

    public LabeledImages {
        if (images == null || labels == null) {
            throw new IllegalArgumentException("images and labels must not be null");
        }
        if (labels.length != images.count()) {
            throw new IllegalArgumentException("labels (" + labels.length + ") and images (" + images.count()
                    + ") must agree in count");
        }
    }

    public int count() {
        return labels.length;
    }

    public int label(int i) {
        return labels[i] & 0xFF;
    }
}
