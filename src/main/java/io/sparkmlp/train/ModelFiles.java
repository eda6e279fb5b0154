package io.sparkmlp.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A model on any Hadoop file system as two files: {@code metadata.json} (format, layers, activation,
 * input scaling, parameter count, checksum) and {@code weights.bin} (the flat float32 weights,
 * little-endian). No Java serialization: the files outlive the classes.
 *
 * <p>Version 2 writes the input scaling as {@code input_scaling}: {@code {"scale": [...], "shift": [...]}},
 * one value for every feature or one per feature; version 1 files, with one {@code input_scale} and
 * {@code input_shift}, still load.
 */
public final class ModelFiles {

    public static final String FORMAT = "sparkmlp-mlp";
    public static final int VERSION = 2;
    /** The first version, with one global input scale and shift; still read. */
    static final int VERSION_GLOBAL_SCALING = 1;
    static final String METADATA = "metadata.json";
    static final String WEIGHTS = "weights.bin";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelFiles() {
    }

    /** The folder of a Spark ML model folder that holds these files; beside it, {@code metadata/} holds the Params. */
    public static final String SPARK_ML_DATA = "data";
    /** The folder of a Spark ML model folder that holds Spark's own metadata (the Params, as JSON). */
    public static final String SPARK_ML_METADATA = "metadata";

    /** Whether {@code dir} holds this class's files directly ({@code metadata.json}), as old CLI model folders do. */
    public static boolean isModelFilesFolder(String dir, Configuration conf) {
        return exists(new Path(dir, METADATA), conf);
    }

    /** Whether {@code dir} is a Spark ML model folder: {@code metadata/} (Spark's Params) beside {@code data/}. */
    public static boolean isSparkMlFolder(String dir, Configuration conf) {
        return exists(new Path(dir, SPARK_ML_METADATA), conf);
    }

    private static boolean exists(Path path, Configuration conf) {
        try {
            return path.getFileSystem(conf).exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look at " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes the model into folder {@code dir}, replacing what a previous save left there. */
    public static void save(MlpModel model, String dir, Configuration conf) {
        Path folder = new Path(dir);
        float[] weights = model.weights();
        ByteBuffer bytes = ByteBuffer.allocate(4 * weights.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(weights);
        CRC32 crc = new CRC32();
        crc.update(bytes.array());

        ObjectNode meta = JSON.createObjectNode();
        meta.put("format", FORMAT);
        meta.put("version", VERSION);
        var layers = meta.putArray("layers");
        for (int size : model.network().layout().sizes()) {
            layers.add(size);
        }
        meta.put("activation", model.network().hidden().id());
        ObjectNode scaling = meta.putObject("input_scaling");
        var scales = scaling.putArray("scale");
        for (float v : model.scaling().scales()) {
            scales.add((double) v); // the float's exact value, read back bit for bit
        }
        var shifts = scaling.putArray("shift");
        for (float v : model.scaling().shifts()) {
            shifts.add((double) v);
        }
        meta.put("parameters", weights.length);
        meta.put("weights_file", WEIGHTS);
        meta.put("weights_crc32", crc.getValue());
        try {
            FileSystem fs = folder.getFileSystem(conf);
            fs.mkdirs(folder);
            try (OutputStream out = fs.create(new Path(folder, WEIGHTS), true)) {
                out.write(bytes.array());
            }
            try (OutputStream out = fs.create(new Path(folder, METADATA), true)) {
                out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model to " + folder + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a model saved by {@link #save} into {@code dir}, or the model of a Spark ML model folder {@code dir}
     * (its {@code data/}, as {@code MlpClassificationModel.save} and submit/train write it), checking
     * format and version, that the layers, the parameter count and the weights file's length agree, and the weights' CRC32; any mismatch is an IllegalArgumentException
     * naming the file and both numbers.
     */
    public static MlpModel load(String dir, Configuration conf) {
        Path given = new Path(dir);
        // a Spark ML model folder (MlpClassificationModel.save, submit/train) holds these files in its data/
        Path folder = !isModelFilesFolder(dir, conf) && exists(new Path(new Path(given, SPARK_ML_DATA), METADATA), conf)
                ? new Path(given, SPARK_ML_DATA) : given;
        try {
            FileSystem fs = folder.getFileSystem(conf);
            Path metaPath = new Path(folder, METADATA);
            if (!fs.exists(metaPath)) {
                throw new IllegalArgumentException("no model at " + given + ": " + METADATA + " is missing (neither"
                        + " sparkmlp's model files nor a saved MlpClassificationModel, whose " + SPARK_ML_DATA + "/ holds"
                        + " them)");
            }
            JsonNode meta = readMetadata(fs, metaPath);
            String format = required(meta, "format", metaPath).asText();
            JsonNode version = required(meta, "version", metaPath);
            if (!FORMAT.equals(format) || !version.canConvertToInt()
                    || (version.asInt() != VERSION && version.asInt() != VERSION_GLOBAL_SCALING)) {
                throw new IllegalArgumentException(metaPath + " is format '" + format + "' version " + version
                        + "; this sparkmlp reads '" + FORMAT + "' version " + VERSION + " (and "
                        + VERSION_GLOBAL_SCALING + ")");
            }
            JsonNode layers = required(meta, "layers", metaPath);
            int[] sizes = new int[layers.size()];
            for (int i = 0; i < sizes.length; i++) {
                if (!layers.get(i).canConvertToInt()) {
                    throw new IllegalArgumentException(metaPath + ": layer size " + i + " is " + layers.get(i)
                            + ", not an integer (layers " + layers + ")");
                }
                sizes[i] = layers.get(i).asInt();
            }
            Network network;
            try {
                network = new Network(new Layout(sizes), Activation.parse(required(meta, "activation", metaPath).asText()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(metaPath + ": " + e.getMessage(), e);
            }
            JsonNode parameterCount = required(meta, "parameters", metaPath);
            int parameters = parameterCount.canConvertToInt() ? parameterCount.asInt() : -1;
            if (parameters != network.layout().numParameters()) {
                throw new IllegalArgumentException(metaPath + " says " + parameterCount + " parameters, but layers "
                        + network.layout() + " have " + network.layout().numParameters());
            }
            Path weightsPath = new Path(folder, meta.path("weights_file").asText(WEIGHTS));
            if (!fs.exists(weightsPath)) {
                throw new IllegalArgumentException("the model at " + folder + " is incomplete: " + weightsPath
                        + " (the weights " + METADATA + " names) is missing");
            }
            long length = fs.getFileStatus(weightsPath).getLen();
            if (length != 4L * parameters) {
                throw new IllegalArgumentException(weightsPath + " holds " + length + " bytes; " + parameters
                        + " float32 parameters need " + 4L * parameters
                        + (length < 4L * parameters ? " (truncated)" : " (too long)"));
            }
            long expected = required(meta, "weights_crc32", metaPath).asLong();
            byte[] raw = new byte[4 * parameters]; // numParameters < 2^31 - 8, and the length matched 4x that
            try (DataInputStream in = new DataInputStream(fs.open(weightsPath))) {
                in.readFully(raw);
            } catch (EOFException e) {
                throw new IllegalArgumentException(weightsPath + " ended early while reading " + raw.length + " bytes", e);
            } catch (ChecksumException e) {
                // Hadoop's local file system keeps its own .crc beside the file and found a change first
                throw new IllegalArgumentException(weightsPath + " is corrupt: the file system's checksum does not"
                        + " match (" + e.getMessage() + ")", e);
            }
            CRC32 crc = new CRC32();
            crc.update(raw);
            if (crc.getValue() != expected) {
                throw new IllegalArgumentException(weightsPath + " is corrupt: CRC32 " + crc.getValue()
                        + " differs from " + expected + " recorded in " + METADATA);
            }
            float[] weights = new float[parameters];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(weights);
            InputScaling scaling = version.asInt() == VERSION_GLOBAL_SCALING
                    ? scaling(() -> InputScaling.global((float) required(meta, "input_scale", metaPath).asDouble(),
                            (float) required(meta, "input_shift", metaPath).asDouble()), metaPath)
                    : scaling(required(meta, "input_scaling", metaPath), network.layout().inputSize(), metaPath);
            return new MlpModel(network, scaling, weights);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model at " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Version 2's {@code input_scaling}: one scale and shift for all features, or one per feature. */
    private static InputScaling scaling(JsonNode node, int features, Path metaPath) {
        float[] scales = floats(node.get("scale"), "input_scaling.scale", metaPath);
        float[] shifts = floats(node.get("shift"), "input_scaling.shift", metaPath);
        if (scales.length != shifts.length || (scales.length != 1 && scales.length != features)) {
            throw new IllegalArgumentException(metaPath + ": input_scaling has " + scales.length + " scales and "
                    + shifts.length + " shifts; expected 1 of each (one for all features) or " + features
                    + " (the input layer's size)");
        }
        return scaling(() -> scales.length == 1 ? InputScaling.global(scales[0], shifts[0])
                : InputScaling.perFeature(scales, shifts), metaPath);
    }

    private static InputScaling scaling(java.util.function.Supplier<InputScaling> build, Path metaPath) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(metaPath + ": " + e.getMessage(), e);
        }
    }

    private static float[] floats(JsonNode array, String field, Path metaPath) {
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException(metaPath + ": " + field + " is " + array + ", not an array of numbers");
        }
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            if (!array.get(i).isNumber()) {
                throw new IllegalArgumentException(metaPath + ": " + field + "[" + i + "] is " + array.get(i)
                        + ", not a number");
            }
            // written from a float: the double read back rounds to the same float
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }

    private static JsonNode readMetadata(FileSystem fs, Path metaPath) throws IOException {
        try (InputStream in = fs.open(metaPath)) {
            JsonNode meta = JSON.readTree(in);
            if (meta == null || !meta.isObject()) {
                throw new IllegalArgumentException(metaPath + " is not a JSON object (" + (meta == null ? "empty" : meta.getNodeType()) + ")");
            }
            return meta;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(metaPath + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (ChecksumException e) {
            throw new IllegalArgumentException(metaPath + " is corrupt: the file system's checksum does not match ("
                    + e.getMessage() + ")", e);
        }
    }

    private static JsonNode required(JsonNode meta, String field, Path metaPath) {
        JsonNode value = meta.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException(metaPath + " has no '" + field + "'; a model's " + METADATA
                    + " records format, version, layers, activation, input_scaling (version 1: input_scale and"
                    + " input_shift), parameters and weights_crc32");
        }
        return value;
    }
}
