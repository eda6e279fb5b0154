package io.sparkmlp.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;

/**
 * Carries a Hadoop {@link Configuration} (not itself serializable) to the executors as the bytes of
 * its own Writable form; the executor rebuilds it from them once, on first use.
 */
final class SerializableHadoopConf implements Serializable {

    private static final long serialVersionUID = 2L;

    private final byte[] written;
    private transient volatile Configuration conf;

    SerializableHadoopConf(Configuration conf) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            conf.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Hadoop configuration: " + e.getMessage(), e);
        }
        this.written = bytes.toByteArray();
        this.conf = conf;
    }

    Configuration get() {
        Configuration result = conf;
        if (result == null) {
            result = new Configuration(false);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(written))) {
                result.readFields(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the Hadoop configuration: " + e.getMessage(), e);
            }
            conf = result;
        }
        return result;
    }
}
