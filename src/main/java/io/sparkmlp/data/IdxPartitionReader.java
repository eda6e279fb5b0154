package io.sparkmlp.data;

import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.UserDefinedType;

/**
 * Reads one partition's rows straight from the files: the image file from byte
 * {@code headerBytes + start * rowBytes} and the label file from {@code headerBytes + start}.
 */
final class IdxPartitionReader implements PartitionReader<InternalRow> {

    @SuppressWarnings("unchecked")
    private static final UserDefinedType<Vector> VECTOR_UDT = (UserDefinedType<Vector>) SQLDataTypes.VectorType();

    private final IdxReadPlan plan;
    private final IdxInputPartition part;
    private final Configuration conf;
    private final double[] scale = new double[256];   // pixel byte (unsigned) -> feature value
    private final byte[] pixels;                       // one image, reused for every row
    private final double[] values;                     // one image's features, reused: serialize() copies them
    private InputStream images;
    private InputStream labels;
    private long row;
    private double label;

    IdxPartitionReader(IdxReadPlan plan, IdxInputPartition part, Configuration conf) {
        this.plan = plan;
        this.part = part;
        this.conf = conf;
        this.row = part.start();
        this.pixels = new byte[plan.rowBytes()];
        this.values = new double[plan.rowBytes()];
        for (int b = 0; b < 256; b++) {
            scale[b] = plan.unitScale() ? b / 255.0 : b;
        }
    }

    @Override
    public boolean next() throws IOException {
        if (images == null) {
            // opened lazily, so an empty partition that is not the last one opens nothing
            if (row == part.end() && !part.last()) {
                return false;
            }
            images = IdxFiles.openAt(plan.imagesPath(), conf, plan.images().headerBytes() + row * plan.rowBytes());
            labels = IdxFiles.openAt(plan.labelsPath(), conf, plan.labels().headerBytes() + row);
        }
        if (row == part.end()) {
            if (part.last()) {
                checkEnd(images, plan.imagesPath(), plan.images());
                checkEnd(labels, plan.labelsPath(), plan.labels());
            }
            return false;
        }
        if (images.readNBytes(pixels, 0, pixels.length) < pixels.length) {
            throw mismatch(plan.imagesPath(), plan.images());
        }
        int l = labels.read();
        if (l < 0) {
            throw mismatch(plan.labelsPath(), plan.labels());
        }
        label = l;
        for (int i = 0; i < pixels.length; i++) {
            values[i] = scale[pixels[i] & 0xFF];
        }
        row++;
        return true;
    }

    @Override
    public InternalRow get() {
        return new GenericInternalRow(new Object[] {label, VECTOR_UDT.serialize(new DenseVector(values))});
    }

    @Override
    public void close() throws IOException {
        try {
            if (images != null) {
                images.close();
            }
        } finally {
            if (labels != null) {
                labels.close();
            }
        }
    }

    private void checkEnd(InputStream in, String path, IdxHeader h) throws IOException {
        if (in.read() >= 0) {
            throw mismatch(path, h);
        }
    }

    /** The file changed since the driver checked it: count it again (error path only) to report exact figures. */
    private IdxFormatException mismatch(String path, IdxHeader h) throws IOException {
        return h.sizeMismatch(path, IdxFiles.decodedLength(path, conf, -1) - h.headerBytes());
    }
}
