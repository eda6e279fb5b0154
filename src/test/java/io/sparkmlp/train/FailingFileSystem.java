package io.sparkmlp.train;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system under the scheme {@code failing:}, whose output streams fail with an
 * IOException once {@link #failAfterBytes} bytes are written: a disk that fills up, or a writer
 * that dies, mid-checkpoint. At the failure it records the folder's file names.
 */
public final class FailingFileSystem extends RawLocalFileSystem {

    static volatile long failAfterBytes = Long.MAX_VALUE;
    static final List<String> namesAtFailure = new ArrayList<>();

    /** A configuration that maps {@code failing:} to this file system, uncached. */
    static Configuration configuration() {
        Configuration conf = new Configuration();
        conf.set("fs.failing.impl", FailingFileSystem.class.getName());
        conf.setBoolean("fs.failing.impl.disable.cache", true);
        return conf;
    }

    @Override
    public URI getUri() {
        return URI.create("failing:///");
    }

    @Override
    public String getScheme() {
        return "failing";
    }

    @Override
    public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
                                     Progressable progress) throws IOException {
        return wrap(f, super.create(f, overwrite, bufferSize, replication, blockSize, progress));
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        return wrap(f, super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress));
    }

    private FSDataOutputStream wrap(Path f, FSDataOutputStream out) {
        File folder = pathToFile(f).getParentFile();
        return new FSDataOutputStream(new OutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                long room = failAfterBytes - written;
                if (len > room) {
                    out.write(b, off, (int) Math.max(0, room));
                    out.hflush();
                    synchronized (namesAtFailure) {
                        namesAtFailure.clear();
                        String[] names = folder.list();
                        namesAtFailure.addAll(names == null ? List.of() : Arrays.asList(names));
                    }
                    throw new IOException("injected failure after " + failAfterBytes + " bytes");
                }
                out.write(b, off, len);
                written += len;
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        }, null);
    }
}
