package io.sparkmlp.nn;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The OpenBLAS that ships inside sparkmlp's jar (a DYNAMIC_ARCH pthread build from
 * {@code org.bytedeco:openblas}, which knows current CPUs): extracted once per machine and user
 * into the temporary folder, loaded by path, and asked through its own C API (JNA) for its
 * version and core type and told to use one thread, since Spark already runs one task per core.
 */
final class BundledOpenBlas {

    /** What was loaded: the library file, {@code openblas_get_config()}, the core type and the thread count. */
    record Loaded(Path library, String config, String coreType, int threads) {
    }

    private static final String RESOURCES = "/io/sparkmlp/nn/";

    private BundledOpenBlas() {
    }

    /** The platform folder of the bundled libraries for this JVM, e.g. {@code linux-x86_64}, or null where none is bundled. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            return null;
        }
        return switch (arch) {
            case "amd64", "x86_64" -> "linux-x86_64";
            case "aarch64", "arm64" -> "linux-arm64";
            default -> null;
        };
    }

    /** Extracts (if needed) and loads the bundled OpenBLAS, with one thread; throws with the reason where it cannot. */
    static Loaded load() {
        String platform = platform();
        if (platform == null) {
            throw new UnsupportedOperationException("no OpenBLAS is bundled for " + System.getProperty("os.name") + " on "
                    + System.getProperty("os.arch") + " (bundled: linux-x86_64, linux-arm64)");
        }
        Properties manifest = new Properties();
        try (InputStream in = BundledOpenBlas.class.getResourceAsStream(RESOURCES + "openblas.properties")) {
            if (in == null) {
                throw new IllegalStateException("openblas.properties is missing from the class path: the jar was not built by"
                        + " sparkmlp's pom (mvn package unpacks the OpenBLAS libraries)");
            }
            manifest.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read openblas.properties", e);
        }
        String version = manifest.getProperty("version");
        List<String> files = List.of(manifest.getProperty(platform, "").split(","));
        Path folder = extract(platform, version, files);
        NativeLibrary openblas = null;
        for (String file : files) {
            // dependencies first, by path: the libraries that need them then find them loaded by their names
            openblas = NativeLibrary.getInstance(folder.resolve(file).toString());
        }
        Function setThreads = openblas.getFunction("openblas_set_num_threads");
        setThreads.invokeVoid(new Object[] {1});
        String config = openblas.getFunction("openblas_get_config").invokeString(new Object[0], false);
        String core = openblas.getFunction("openblas_get_corename").invokeString(new Object[0], false);
        int threads = openblas.getFunction("openblas_get_num_threads").invokeInt(new Object[0]);
        return new Loaded(folder.resolve(files.get(files.size() - 1)), config, core, threads);
    }

    /**
     * The folder holding the platform's libraries: {@code <tmp>/sparkmlp-openblas-<version>-<platform>-<user>},
     * made complete in a private folder first and then renamed, so that JVMs starting together on
     * one machine (executors) never load a half-written library.
     */
    private static Path extract(String platform, String version, List<String> files) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        Path target = tmp.resolve("sparkmlp-openblas-" + version + "-" + platform + "-" + user);
        if (isComplete(target, files)) {
            return target;
        }
        try {
            Path staging = Files.createTempDirectory(tmp, "sparkmlp-openblas-");
            for (String file : files) {
                try (InputStream in = BundledOpenBlas.class.getResourceAsStream(RESOURCES + "openblas/" + platform + "/" + file)) {
                    if (in == null) {
                        throw new IllegalStateException("the jar lacks " + RESOURCES + "openblas/" + platform + "/" + file);
                    }
                    Files.copy(in, staging.resolve(file));
                }
            }
            Files.writeString(staging.resolve(".complete"), version + "\n");
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                return target;
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException | java.nio.file.DirectoryNotEmptyException e) {
                // another JVM won the race (or left an incomplete folder): use theirs if complete, else ours
                if (isComplete(target, files)) {
                    deleteQuietly(staging);
                    return target;
                }
                staging.toFile().deleteOnExit();
                return staging;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the bundled OpenBLAS into " + tmp + ": " + e.getMessage(), e);
        }
    }

    /** The folder is ours (not planted by another user of a shared temporary folder) and has every file and the marker. */
    private static boolean isComplete(Path folder, List<String> files) {
        try {
            if (!Files.isDirectory(folder) || !Files.exists(folder.resolve(".complete"))
                    || !Files.getOwner(folder).getName().equals(System.getProperty("user.name"))) {
                return false;
            }
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
        return files.stream().allMatch(f -> Files.isRegularFile(folder.resolve(f)));
    }

    private static void deleteQuietly(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a stray temporary folder is harmless
        }
    }
}
