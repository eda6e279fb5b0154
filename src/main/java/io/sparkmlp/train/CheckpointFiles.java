package io.sparkmlp.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkmlp.optim.OptimizerState;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints on any Hadoop file system, one file each, named by position
 * ({@code checkpoint-EEEEEE-SSSSSSSS.ckpt}: epoch index and steps done in it). The layout, all
 * little-endian, no Java serialization:
 * <pre>
 *   8 bytes   magic "SPMLPCKP"
 *   int32     format version ({@value #VERSION})
 *   int32     header length H
 *   H bytes   header, UTF-8 JSON: settings, data fingerprint, position, running sums, best epoch,
 *             history, optimizer name and scalars, and the list of arrays that follow (name, length)
 *   arrays    float32 each, in the header's order: weights, the optimizer's vectors, best weights
 *   int32     CRC32 of every byte before it
 * </pre>
 * A checkpoint is written under a temporary name in the same folder and renamed once complete, so
 * the final name only ever holds a whole file; reading checks magic, version, length and checksum
 * before it trusts a byte.
 */
public final class CheckpointFiles {

    public static final String FORMAT = "sparkmlp-checkpoint";
    public static final int VERSION = 1;
    static final byte[] MAGIC = "SPMLPCKP".getBytes(StandardCharsets.US_ASCII);
    static final Pattern NAME = Pattern.compile("checkpoint-(\\d{6})-(\\d{8})\\.ckpt");
    private static final String TEMPORARY_PREFIX = ".tmp-";
    private static final int PREFIX_BYTES = MAGIC.length + 8;
    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointFiles() {
    }

    /** The file name of a checkpoint at this position. */
    static String fileName(int epoch, int step) {
        return String.format("checkpoint-%06d-%08d.ckpt", epoch, step);
    }

    /**
     * Writes {@code checkpoint} into folder {@code dir} atomically and returns its path. Refuses
     * weights that are not finite: a diverged state is never stored.
     */
    public static Path write(Checkpoint checkpoint, String dir, Configuration conf) {
        requireFinite(checkpoint.weights(), "weights", checkpoint);
        if (checkpoint.bestWeights() != null) {
            requireFinite(checkpoint.bestWeights(), "best weights", checkpoint);
        }
        for (Map.Entry<String, float[]> v : checkpoint.optimizer().vectors().entrySet()) {
            requireFinite(v.getValue(), "optimizer state '" + v.getKey() + "'", checkpoint);
        }
        Path folder = new Path(dir);
        Path target = new Path(folder, fileName(checkpoint.epoch(), checkpoint.step()));
        Path temporary = new Path(folder, TEMPORARY_PREFIX + target.getName() + "-" + UUID.randomUUID());
        List<Map.Entry<String, float[]>> arrays = arrays(checkpoint);
        byte[] header = header(checkpoint, arrays);
        FileSystem fs = null;
        try {
            fs = folder.getFileSystem(conf);
            fs.mkdirs(folder);
            CRC32 crc = new CRC32();
            try (OutputStream out = new BufferedOutputStream(fs.create(temporary, false), 1 << 16)) {
                ByteBuffer prefix = ByteBuffer.allocate(PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                prefix.put(MAGIC).putInt(VERSION).putInt(header.length);
                write(out, crc, prefix.array(), prefix.position());
                write(out, crc, header, header.length);
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Map.Entry<String, float[]> array : arrays) {
                    float[] values = array.getValue();
                    for (int from = 0; from < values.length; ) {
                        int n = Math.min(chunk.capacity() / 4, values.length - from);
                        chunk.clear();
                        chunk.asFloatBuffer().put(values, from, n);
                        write(out, crc, chunk.array(), 4 * n);
                        from += n;
                    }
                }
                ByteBuffer trailer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                trailer.putInt((int) crc.getValue());
                out.write(trailer.array());
            }
            if (fs.exists(target)) {
                // the same position written again (a resume from an earlier checkpoint): the same bytes
                fs.delete(target, false);
            }
            if (!fs.rename(temporary, target)) {
                throw new IOException("could not rename " + temporary + " to " + target);
            }
            return target;
        } catch (IOException e) {
            deleteQuietly(fs, temporary);
            throw new UncheckedIOException("cannot write the checkpoint " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(fs, temporary);
            throw e;
        }
    }

    private static void write(OutputStream out, CRC32 crc, byte[] bytes, int length) throws IOException {
        crc.update(bytes, 0, length);
        out.write(bytes, 0, length);
    }

    private static void deleteQuietly(FileSystem fs, Path path) {
        if (fs == null) {
            return;
        }
        try {
            fs.delete(path, false);
        } catch (IOException | RuntimeException ignored) {
            // best effort: a stray temporary file is never mistaken for a checkpoint
        }
    }

    private static void requireFinite(float[] values, String what, Checkpoint checkpoint) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalStateException("refusing to checkpoint at " + checkpoint.position() + ": " + what
                        + " [" + i + "] is " + values[i]);
            }
        }
    }

    private static List<Map.Entry<String, float[]>> arrays(Checkpoint checkpoint) {
        List<Map.Entry<String, float[]>> arrays = new ArrayList<>();
        arrays.add(Map.entry("weights", checkpoint.weights()));
        for (Map.Entry<String, float[]> v : checkpoint.optimizer().vectors().entrySet()) {
            arrays.add(Map.entry("optimizer." + v.getKey(), v.getValue()));
        }
        if (checkpoint.bestWeights() != null) {
            arrays.add(Map.entry("best_weights", checkpoint.bestWeights()));
        }
        return arrays;
    }

    private static byte[] header(Checkpoint c, List<Map.Entry<String, float[]>> arrays) {
        ObjectNode h = JSON.createObjectNode();
        h.put("format", FORMAT);
        h.put("version", VERSION);
        ObjectNode settings = h.putObject("settings");
        c.settings().forEach(settings::put);
        DataFingerprint d = c.data();
        ObjectNode data = h.putObject("data");
        data.put("train_rows", d.trainRows());
        data.put("train_partitions", d.trainPartitions());
        data.put("train_labels_crc32", d.trainLabelsCrc());
        data.put("validation_rows", d.validationRows());
        data.put("validation_partitions", d.validationPartitions());
        data.put("validation_labels_crc32", d.validationLabelsCrc());
        data.put("input_scaling_crc32", d.inputScalingCrc());
        ObjectNode position = h.putObject("position");
        position.put("steps_per_epoch", c.stepsPerEpoch());
        position.put("epoch", c.epoch());
        position.put("step", c.step());
        position.put("global_step", c.globalStep());
        putDouble(position, "learning_rate", c.learningRate());
        ObjectNode epoch = h.putObject("epoch_sums");
        putDouble(epoch, "loss_sum", c.epochLossSum());
        epoch.put("correct", c.epochCorrect());
        epoch.put("count", c.epochCount());
        putDouble(epoch, "train_seconds", c.epochTrainSeconds());
        ObjectNode best = h.putObject("best");
        putDouble(best, "loss", c.bestLoss());
        best.put("epoch", c.bestEpoch());
        best.put("epochs_without_gain", c.epochsWithoutGain());
        best.put("stopped_early", c.stoppedEarly());
        ObjectNode totals = h.putObject("totals");
        putDouble(totals, "train_seconds", c.cumulativeTrainSeconds());
        putDouble(totals, "elapsed_seconds", c.elapsedSeconds());
        totals.put("samples_seen", c.samplesSeen());
        ArrayNode history = h.putArray("history");
        for (EpochMetrics m : c.history()) {
            ObjectNode e = history.addObject();
            e.put("epoch", m.epoch());
            putDouble(e, "train_loss", m.trainLoss());
            putDouble(e, "train_accuracy", m.trainAccuracy());
            putDouble(e, "validation_loss", m.validationLoss());
            putDouble(e, "validation_accuracy", m.validationAccuracy());
            putDouble(e, "learning_rate", m.learningRate());
            putDouble(e, "train_seconds", m.trainSeconds());
            putDouble(e, "cumulative_train_seconds", m.cumulativeTrainSeconds());
            putDouble(e, "elapsed_seconds", m.elapsedSeconds());
        }
        ObjectNode optimizer = h.putObject("optimizer");
        optimizer.put("name", c.optimizer().optimizer());
        ObjectNode scalars = optimizer.putObject("scalars");
        c.optimizer().scalars().forEach((k, v) -> putDouble(scalars, k, v));
        ArrayNode list = h.putArray("arrays");
        for (Map.Entry<String, float[]> array : arrays) {
            list.addObject().put("name", array.getKey()).put("length", array.getValue().length);
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(h);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Doubles exactly: a finite value as its shortest decimal (which reads back to the same bits),
     * anything else as its name; JSON has no NaN or infinity.
     */
    private static void putDouble(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) {
            node.put(key, value);
        } else {
            node.put(key, String.valueOf(value));
        }
    }

    private static double getDouble(JsonNode node, String key, Path file) {
        JsonNode value = node.get(key);
        if (value == null) {
            throw new IllegalArgumentException(file + ": the checkpoint header lacks '" + key + "'");
        }
        try {
            return Double.parseDouble(value.asText()); // a number's text, or NaN / Infinity / -Infinity
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": '" + key + "' in the checkpoint header is not a number: "
                    + value, e);
        }
    }

    /** Reads a checkpoint written by {@link #write}, checking magic, version, length and checksum first. */
    public static Checkpoint read(String file, Configuration conf) {
        Path path = new Path(file);
        byte[] bytes;
        try {
            FileSystem fs = path.getFileSystem(conf);
            if (!fs.exists(path)) {
                throw new IllegalArgumentException("no checkpoint at " + path);
            }
            long length = fs.getFileStatus(path).getLen();
            if (length > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(path + " holds " + length + " bytes; checkpoints of at most "
                        + (Integer.MAX_VALUE - 8) + " bytes can be read");
            }
            if (length < PREFIX_BYTES + 4) {
                throw new IllegalArgumentException(path + " is not a sparkmlp checkpoint: it holds " + length
                        + " bytes, fewer than the " + (PREFIX_BYTES + 4) + " of an empty one");
            }
            bytes = new byte[(int) length];
            try (DataInputStream in = new DataInputStream(fs.open(path))) {
                in.readFully(bytes);
            } catch (EOFException e) {
                throw new IllegalArgumentException(path + " ended early while reading " + length + " bytes", e);
            } catch (ChecksumException e) {
                // the file system's own checksum (the local one keeps .crc files) found it first
                throw new IllegalArgumentException(path + " is corrupt: " + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the checkpoint " + path + ": " + e.getMessage(), e);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        buffer.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException(path + " is not a sparkmlp checkpoint: it starts with "
                    + new String(magic, StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", "?") + ", not "
                    + new String(MAGIC, StandardCharsets.US_ASCII));
        }
        int version = buffer.getInt();
        if (version != VERSION) {
            throw new IllegalArgumentException(path + " is checkpoint format version " + version + "; this sparkmlp"
                    + " reads version " + VERSION);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        long recorded = Integer.toUnsignedLong(ByteBuffer.wrap(bytes, bytes.length - 4, 4)
                .order(ByteOrder.LITTLE_ENDIAN).getInt());
        if (crc.getValue() != recorded) {
            throw new IllegalArgumentException(path + " is corrupt: its CRC32 is " + crc.getValue() + ", the file records "
                    + recorded + " (" + bytes.length + " bytes; a truncated or altered file)");
        }
        int headerLength = buffer.getInt();
        if (headerLength < 0 || headerLength > bytes.length - PREFIX_BYTES - 4) {
            throw new IllegalArgumentException(path + " has a header of " + headerLength + " bytes in a file of "
                    + bytes.length);
        }
        JsonNode h;
        try {
            h = JSON.readTree(new String(bytes, PREFIX_BYTES, headerLength, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException(path + " has an unreadable header: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(h.path("format").asText())) {
            throw new IllegalArgumentException(path + " is format '" + h.path("format").asText() + "', expected '"
                    + FORMAT + "'");
        }
        buffer.position(PREFIX_BYTES + headerLength);
        Map<String, float[]> arrays = new LinkedHashMap<>();
        long expectedBytes = PREFIX_BYTES + (long) headerLength + 4;
        for (JsonNode a : h.path("arrays")) {
            expectedBytes += 4L * a.path("length").asLong();
        }
        if (expectedBytes != bytes.length) {
            throw new IllegalArgumentException(path + " holds " + bytes.length + " bytes; its header describes "
                    + expectedBytes);
        }
        for (JsonNode a : h.path("arrays")) {
            float[] values = new float[a.path("length").asInt()];
            buffer.asFloatBuffer().get(values);
            buffer.position(buffer.position() + 4 * values.length);
            arrays.put(a.path("name").asText(), values);
        }
        return checkpoint(h, arrays, path);
    }

    private static Checkpoint checkpoint(JsonNode h, Map<String, float[]> arrays, Path file) {
        Map<String, String> settings = new LinkedHashMap<>();
        h.path("settings").fields().forEachRemaining(e -> settings.put(e.getKey(), e.getValue().asText()));
        // in today's spelling, so a checkpoint that recorded an older one (standardize = true) still resumes
        settings.replaceAll((option, text) -> {
            HyperParameter<?> definition = HyperParameters.forOption(option);
            return definition == null ? text : definition.canonicalText(text);
        });
        JsonNode d = h.path("data");
        DataFingerprint data = new DataFingerprint(d.path("train_rows").asLong(), d.path("train_partitions").asInt(),
                d.path("train_labels_crc32").asLong(), d.path("validation_rows").asLong(),
                d.path("validation_partitions").asInt(), d.path("validation_labels_crc32").asLong(),
                d.has("input_scaling_crc32") ? d.path("input_scaling_crc32").asLong()
                        // written before per-feature scaling: one global scale and shift, as float bits
                        : io.sparkmlp.nn.InputScaling.global(Float.intBitsToFloat(d.path("input_scale_bits").asInt()),
                                Float.intBitsToFloat(d.path("input_shift_bits").asInt())).crc32());
        JsonNode p = h.path("position");
        JsonNode e = h.path("epoch_sums");
        JsonNode b = h.path("best");
        JsonNode t = h.path("totals");
        List<EpochMetrics> history = new ArrayList<>();
        for (JsonNode m : h.path("history")) {
            history.add(new EpochMetrics(m.path("epoch").asInt(), getDouble(m, "train_loss", file),
                    getDouble(m, "train_accuracy", file), getDouble(m, "validation_loss", file),
                    getDouble(m, "validation_accuracy", file), getDouble(m, "learning_rate", file),
                    getDouble(m, "train_seconds", file), getDouble(m, "cumulative_train_seconds", file),
                    getDouble(m, "elapsed_seconds", file)));
        }
        JsonNode o = h.path("optimizer");
        Map<String, Double> scalars = new LinkedHashMap<>();
        o.path("scalars").fields().forEachRemaining(s -> scalars.put(s.getKey(), getDouble(o.path("scalars"), s.getKey(), file)));
        Map<String, float[]> vectors = new LinkedHashMap<>();
        arrays.forEach((name, values) -> {
            if (name.startsWith("optimizer.")) {
                vectors.put(name.substring("optimizer.".length()), values);
            }
        });
        float[] weights = arrays.get("weights");
        if (weights == null) {
            throw new IllegalArgumentException(file + " holds no weights; arrays " + arrays.keySet());
        }
        return new Checkpoint(settings, data, p.path("steps_per_epoch").asInt(), p.path("epoch").asInt(),
                p.path("step").asInt(), getDouble(p, "learning_rate", file), getDouble(e, "loss_sum", file),
                e.path("correct").asLong(), e.path("count").asLong(), getDouble(e, "train_seconds", file),
                getDouble(b, "loss", file), b.path("epoch").asInt(), b.path("epochs_without_gain").asInt(),
                b.path("stopped_early").asBoolean(), getDouble(t, "train_seconds", file),
                getDouble(t, "elapsed_seconds", file), t.path("samples_seen").asLong(), history, weights,
                new OptimizerState(o.path("name").asText(), scalars, vectors), arrays.get("best_weights"));
    }

    /** The checkpoints in folder {@code dir}, oldest position first; none when the folder does not exist. */
    public static List<Path> list(String dir, Configuration conf) {
        Path folder = new Path(dir);
        try {
            FileSystem fs = folder.getFileSystem(conf);
            if (!fs.exists(folder)) {
                return List.of();
            }
            List<Path> found = new ArrayList<>();
            for (FileStatus status : fs.listStatus(folder)) {
                if (status.isFile() && NAME.matcher(status.getPath().getName()).matches()) {
                    found.add(status.getPath());
                }
            }
            found.sort(Comparator.comparing(CheckpointFiles::order));
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the checkpoints in " + folder + ": " + e.getMessage(), e);
        }
    }

    private static String order(Path path) {
        Matcher m = NAME.matcher(path.getName());
        if (!m.matches()) {
            throw new IllegalArgumentException(path + " is not a checkpoint name");
        }
        return m.group(1) + "-" + m.group(2); // fixed widths: text order is position order
    }

    /** The checkpoint furthest along in folder {@code dir}. */
    public static Optional<Path> latest(String dir, Configuration conf) {
        List<Path> all = list(dir, conf);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * The checkpoint file {@code where} names: the file itself, or the latest checkpoint of a folder.
     */
    public static Path resolve(String where, Configuration conf) {
        Path path = new Path(where);
        try {
            FileSystem fs = path.getFileSystem(conf);
            if (!fs.exists(path)) {
                throw new IllegalArgumentException("no checkpoint to resume from: " + path + " does not exist");
            }
            if (fs.getFileStatus(path).isFile()) {
                return path;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look at " + path + ": " + e.getMessage(), e);
        }
        return latest(where, conf).orElseThrow(() -> new IllegalArgumentException("no checkpoint to resume from in "
                + path + ": it holds no checkpoint-*.ckpt file"));
    }

    /** Deletes all but the newest {@code keep} checkpoints in {@code dir}, and temporary files of interrupted writes. */
    static void prune(String dir, int keep, Configuration conf) {
        prune(dir, keep, List.of(), conf);
    }

    /**
     * As above, where the newest are {@code ownWrites} (this run's, in the order written) after the folder's
     * other checkpoints (by position): a run that resumed from an earlier position, or started afresh, next
     * to another run's later checkpoints prunes those first, never its own newest ones.
     */
    static void prune(String dir, int keep, List<Path> ownWrites, Configuration conf) {
        Path folder = new Path(dir);
        try {
            FileSystem fs = folder.getFileSystem(conf);
            List<Path> own = ownWrites.stream().map(p -> fs.makeQualified(p)).toList();
            List<Path> oldestFirst = new ArrayList<>();
            for (Path p : list(dir, conf)) {
                if (!own.contains(fs.makeQualified(p))) {
                    oldestFirst.add(p);
                }
            }
            oldestFirst.addAll(ownWrites);
            for (int i = 0; i < oldestFirst.size() - keep; i++) {
                fs.delete(oldestFirst.get(i), false);
            }
            for (FileStatus status : fs.listStatus(folder)) {
                String name = status.getPath().getName();
                if (name.startsWith(TEMPORARY_PREFIX) && name.contains(".ckpt-")) {
                    fs.delete(status.getPath(), false);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete old checkpoints in " + folder + ": " + e.getMessage(), e);
        }
    }
}
