package io.sparkmlp.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's end of an epoch's step job on a cluster ({@link StepLoop}): a socket the job's tasks
 * connect to, one connection a task. For each step the driver publishes, the connection's thread
 * sends the weights and reads back the partition's sums, which it hands to the loop as an in-JVM
 * task would. A task that dies drops its connection; Spark's retry of it connects again and takes up
 * the step the driver waits on. A connection proves itself with the loop's random token, which
 * reaches the executors only inside the task (over Spark's own channel); the floats themselves are
 * not encrypted, so the loop is not used where Spark's network encryption is on.
 *
 * <p>Wire format, one connection: the task sends {@code MAGIC, token[16], partition}; then, until
 * the driver sends {@code END}: driver {@code STEP, step, n, n floats}; task {@code step, count,
 * lossSum, correct, weightSum, weightedLossSum, computeNanos, n, n floats} (n = 0: no rows this
 * step). Headers are big-endian; the float arrays little-endian, in bulk.
 */
final class StepServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StepServer.class);
    private static final int MAGIC = 0x534D4C50; // "SMLP"
    private static final int STEP = 1;
    private static final int END = 2;
    private static final int TOKEN_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Where the tasks find the server, and what they prove themselves with; travels inside the task. */
    record Endpoint(String host, int port, byte[] token) implements Serializable {
    }

    private final StepLoop loop;
    private final ServerSocket server;
    private final Endpoint endpoint;
    private final Thread acceptor;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private StepServer(StepLoop loop, ServerSocket server, String advertisedHost, byte[] token) {
        this.loop = loop;
        this.server = server;
        this.endpoint = new Endpoint(advertisedHost, server.getLocalPort(), token);
        this.acceptor = new Thread(this::accept, "sparkmlp-step-server-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
    }

    /**
     * Listens on {@code bindHost:port} (port 0: any free one) and tells the tasks to connect to
     * {@code advertisedHost}.
     */
    static StepServer open(StepLoop loop, String bindHost, int port, String advertisedHost) {
        byte[] token = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(token);
        try {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getByName(bindHost), port), 64);
            StepServer server = new StepServer(loop, socket, advertisedHost, token);
            server.acceptor.start();
            return server;
        } catch (IOException e) {
            // a port taken by another fit, say: the fit can go on a job a step
            throw new StepLoop.Unavailable("cannot listen for the epoch's step tasks on " + bindHost + ":" + port
                    + " (" + StepLoop.PORT_KEY + "): " + e.getMessage());
        }
    }

    Endpoint endpoint() {
        return endpoint;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                connections.add(socket);
                Thread serving = new Thread(() -> serve(socket), "sparkmlp-step-connection-" + socket.getPort());
                serving.setDaemon(true);
                serving.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("the step server stopped accepting: {}", e.getMessage());
                }
                return;
            }
        }
    }

    /** One task's connection: its proof, then the steps' weights out and sums in, until the loop ends. */
    private void serve(Socket socket) {
        int partition = -1;
        boolean joined = false;
        try (socket) {
            socket.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
            socket.setSoTimeout(30_000); // a hello is a few bytes
            if (in.readInt() != MAGIC) {
                LOG.warn("a connection from {} to the step server is not a step task; closed", socket.getRemoteSocketAddress());
                return;
            }
            byte[] token = new byte[TOKEN_BYTES];
            in.readFully(token);
            if (!MessageDigest.isEqual(token, endpoint.token())) {
                LOG.warn("a connection from {} to the step server gave a wrong token; closed", socket.getRemoteSocketAddress());
                return;
            }
            partition = in.readInt();
            socket.setSoTimeout(0); // a step takes what its computation takes
            loop.taskJoined(partition);
            joined = true;
            Floats floats = null;
            int done = -1;
            while (true) {
                int step = loop.awaitStep(partition, done, null);
                if (step < 0) {
                    out.writeInt(END);
                    out.flush();
                    return;
                }
                // null: the driver moved on, this partition's sum came from another attempt
                float[] weights = loop.weights(step);
                if (weights != null) {
                    if (floats == null) {
                        floats = new Floats(weights.length);
                    }
                    out.writeInt(STEP);
                    out.writeInt(step);
                    floats.write(out, weights);
                    out.flush();
                    loop.deliver(step, partition, readSum(in, partition, step, floats));
                }
                done = step;
            }
        } catch (IOException e) {
            if (!closed) {
                LOG.info("the step task of partition {} dropped its connection ({}); a retry connects again", partition,
                        e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.warn("the step connection of partition {} failed; a retry connects again", partition, e);
        } finally {
            connections.remove(socket);
            if (joined) {
                loop.taskLeft(partition);
            }
        }
    }

    /** A connection's float arrays on the wire (little-endian, in bulk) through one reused buffer. */
    private static final class Floats {
        private final float[] values;
        private final byte[] bytes;
        private final FloatBuffer view;

        Floats(int n) {
            values = new float[n];
            bytes = new byte[4 * n];
            view = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }

        /** Writes the count and the values. */
        void write(DataOutputStream out, float[] from) throws IOException {
            if (from.length != values.length) {
                throw new IOException("a message of " + from.length + " floats on a connection of " + values.length);
            }
            out.writeInt(from.length);
            view.clear();
            view.put(from);
            out.write(bytes);
        }

        /** Reads {@code n} values (the count the caller read) into this connection's own array. */
        float[] read(DataInputStream in, int n) throws IOException {
            if (n != values.length) {
                throw new IOException("a message of " + n + " floats on a connection of " + values.length);
            }
            in.readFully(bytes);
            view.clear();
            view.get(values);
            return values;
        }
    }

    private static GradientSum readSum(DataInputStream in, int partition, int step, Floats floats) throws IOException {
        int sentStep = in.readInt();
        if (sentStep != step) {
            throw new IOException("partition " + partition + " sent the sums of step " + sentStep + " for step " + step);
        }
        long count = in.readLong();
        double lossSum = in.readDouble();
        long correct = in.readLong();
        double weightSum = in.readDouble();
        double weightedLossSum = in.readDouble();
        long computeNanos = in.readLong();
        int n = in.readInt();
        float[] gradient = n == 0 ? null : floats.read(in, n);
        return new GradientSum(partition, gradient, lossSum, count, correct, weightSum, weightedLossSum, 0, computeNanos);
    }

    /** Stops listening and drops every connection (their tasks have had their END, or are gone). */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the step server: {}", e.getMessage());
        }
        for (Socket socket : connections) {
            try {
                socket.close();
            } catch (IOException e) {
                LOG.debug("closing a step connection: {}", e.getMessage());
            }
        }
    }

    /** A task's end of the connection: the steps' weights in, its sums out. */
    static final class Client implements AutoCloseable {

        /** How often a task waiting for the next step looks whether Spark killed it. */
        private static final int KILL_CHECK_MILLIS = 100;
        private static final int CONNECT_MILLIS = 10_000;

        private final Socket socket;
        private final DataInputStream in;
        private final DataOutputStream out;
        private final int partition;
        /** The weights in, then the gradient out: the same length, one buffer each way. */
        private Floats weightsIn;
        private Floats gradientOut;

        private Client(Socket socket, int partition) throws IOException {
            this.socket = socket;
            this.partition = partition;
            socket.setTcpNoDelay(true);
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        }

        /** Connects to the driver's step server as the task of {@code partition}; IOException when it cannot. */
        static Client connect(Endpoint endpoint, int partition) throws IOException {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), CONNECT_MILLIS);
                Client client = new Client(socket, partition);
                client.out.writeInt(MAGIC);
                client.out.write(endpoint.token());
                client.out.writeInt(partition);
                client.out.flush();
                return client;
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        /**
         * The next step's number, its weights read into {@link #weights()}; -1 once the driver ended
         * the loop. Looks every so often whether Spark killed the task.
         */
        int awaitStep(TaskContext context) throws IOException {
            socket.setSoTimeout(KILL_CHECK_MILLIS);
            int kind;
            while (true) {
                try {
                    in.mark(1);
                    int first = in.read();
                    if (first < 0) {
                        throw new IOException("the driver closed the step connection of partition " + partition);
                    }
                    in.reset();
                    break;
                } catch (SocketTimeoutException e) {
                    if (context != null && context.isInterrupted()) {
                        throw new TaskKilledException("the epoch's step job of partition " + partition
                                + " was killed while it waited for its next step");
                    }
                }
            }
            socket.setSoTimeout(0);
            kind = in.readInt();
            if (kind == END) {
                return -1;
            }
            if (kind != STEP) {
                throw new IOException("the step server sent message " + kind + ", neither a step nor the end");
            }
            int step = in.readInt();
            int n = in.readInt();
            if (weightsIn == null) {
                weightsIn = new Floats(n);
                gradientOut = new Floats(n);
            }
            weightsIn.read(in, n);
            return step;
        }

        /** The weights of the step {@link #awaitStep} returned; the same array every step. */
        float[] weights() {
            return weightsIn.values;
        }

        /** Sends this partition's sums of {@code step}. */
        void send(int step, GradientSum sum) throws IOException {
            out.writeInt(step);
            out.writeLong(sum.count());
            out.writeDouble(sum.lossSum());
            out.writeLong(sum.correct());
            out.writeDouble(sum.weightSum());
            out.writeDouble(sum.weightedLossSum());
            out.writeLong(sum.maxComputeNanos());
            float[] gradient = sum.gradient();
            if (gradient == null) {
                out.writeInt(0);
            } else {
                gradientOut.write(out, gradient);
            }
            out.flush();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // the task is done with it either way
            }
        }
    }

    /** Whether {@code e} says the connection was refused or timed out (unreachable), not dropped midway. */
    static boolean unreachable(IOException e) {
        return e instanceof ConnectException || e instanceof NoRouteToHostException || e instanceof UnknownHostException
                || e instanceof SocketTimeoutException;
    }
}
