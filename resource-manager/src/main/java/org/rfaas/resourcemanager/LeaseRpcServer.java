package org.rfaas.resourcemanager;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.rfaas.rmclient.ApiError;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.rpc.LeaseRpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The binary lease endpoint ({@link LeaseRpc}): lease grant and release over a kept-open TCP
 * connection, one round trip each, for clients that lease at a high rate. It serves the same
 * state, placement, authentication and durability as {@code POST /v1/leases} and
 * {@code DELETE /v1/leases/{id}}: an answer goes out only once its change is committed. A standby
 * answers every request with 503 like the HTTP API.
 *
 * <p>No thread per request or per connection: one selector thread reads the requests of every
 * connection and makes their changes in memory; the group-commit thread sends each answer right
 * after the commit that made it durable ({@link DurableLog#whenDurable}). A commit of many grants
 * thus costs the server one wake-up, not one per grant. A connection has one request in progress
 * at a time (its next frame waits in its buffer).
 *
 * <p>Bounded like the HTTP API: {@link #MAX_CONNECTIONS} in all and {@link #MAX_CONNECTIONS_PER_SOURCE}
 * per address, the HELLO within {@link #HELLO_TIMEOUT_MILLIS}, each later request within
 * {@link #IDLE_TIMEOUT_MILLIS} of the previous answer (also a frame trickled in byte by byte); a
 * malformed frame, or a client that does not read its answers, closes the connection.
 */
final class LeaseRpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseRpcServer.class);
    /** Open connections in all. */
    static final int MAX_CONNECTIONS = 8192;
    /** Open connections from one address (the ranks of one node connect together). */
    static final int MAX_CONNECTIONS_PER_SOURCE = 512;
    /** The HELLO must arrive this soon after the connection. */
    static final long HELLO_TIMEOUT_MILLIS = 2_000;
    /** A connection with no request for this long is closed (clients reconnect at their next call). */
    static final long IDLE_TIMEOUT_MILLIS = 30_000;
    private static final long WATCH_PERIOD_MILLIS = 250;

    private final Supplier<ClusterState> states;
    private final byte[] adminToken;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> perSource = new HashMap<>();
    private final Thread loop;
    private volatile boolean closed;

    LeaseRpcServer(Supplier<ClusterState> states, String adminToken, String host, int port) throws IOException {
        this.states = states;
        this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        try {
            server.bind(new InetSocketAddress(host, port), 1024);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            server.close();
            selector.close();
            throw e;
        }
        loop = Thread.ofPlatform().daemon().name("rm-lease-io").start(this::run);
    }

    /** The bound port. */
    int port() {
        try {
            return ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void run() {
        long nextWatch = System.nanoTime();
        try {
            while (!closed) {
                selector.select(WATCH_PERIOD_MILLIS);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.isReadable()) {
                        ((Session) key.attachment()).readable();
                    }
                }
                selector.selectedKeys().clear();
                long now = System.nanoTime();
                if (now - nextWatch >= 0) {
                    nextWatch = now + WATCH_PERIOD_MILLIS * 1_000_000L;
                    for (Session s : sessions) {
                        s.checkDeadline(now);
                    }
                }
            }
        } catch (ClosedSelectorException e) {
            // closing
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                LOG.error("lease endpoint: the selector loop failed; the endpoint stops", e);
            }
        }
    }

    private void accept() {
        while (true) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                LOG.warn("lease endpoint: accept failed: {}", e.getMessage());
                return;
            }
            if (c == null) {
                return;
            }
            String source = sourceOf(c);
            if (!admit(source)) {
                LOG.warn("lease endpoint: closing a connection from {}: too many connections from it (or in all)", source);
                closeQuietly(c);
                continue;
            }
            Session s = new Session(c, source);
            sessions.add(s);
            try {
                c.configureBlocking(false);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                s.key = c.register(selector, SelectionKey.OP_READ, s);
            } catch (IOException e) {
                s.close();
            }
        }
    }

    private synchronized boolean admit(String source) {
        int from = perSource.getOrDefault(source, 0);
        if (sessions.size() >= MAX_CONNECTIONS || from >= MAX_CONNECTIONS_PER_SOURCE) {
            return false;
        }
        perSource.put(source, from + 1);
        return true;
    }

    private synchronized void leave(Session s) {
        if (sessions.remove(s)) {
            perSource.computeIfPresent(s.source, (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    /**
     * One client connection: HELLO, then requests in turn. Its reads run on the selector thread,
     * its answers on the commit thread (or the selector thread for refusals); the session's
     * monitor orders them.
     */
    private final class Session {
        final SocketChannel channel;
        final String source;
        final ByteBuffer inbound = ByteBuffer.allocateDirect(4 + LeaseRpc.MAX_FRAME);
        final LeaseRpc.Reader in = new LeaseRpc.Reader();
        final LeaseRpc.Writer out = new LeaseRpc.Writer();
        SelectionKey key;
        /** When the next request must be whole (System.nanoTime); unbounded while one is served. */
        long deadline = System.nanoTime() + HELLO_TIMEOUT_MILLIS * 1_000_000L;
        boolean pending;
        /** {@link #takeRequests} is running (an answer given inside it must not start it again). */
        boolean taking;
        boolean closed;
        /** The HELLO's credential, authenticated again at each grant (a rotated key stops working at once). */
        String credential;
        String tenant;
        boolean admin;

        Session(SocketChannel channel, String source) {
            this.channel = channel;
            this.source = source;
        }

        synchronized void readable() {
            if (closed) {
                return;
            }
            try {
                int n = channel.read(inbound);
                if (n < 0) {
                    if (inbound.position() > 0) {
                        LOG.debug("lease endpoint: {} closed within a frame", source);
                    }
                    close();
                    return;
                }
                if (!inbound.hasRemaining() && pending) {
                    key.interestOps(0); // a whole frame waits; read on after the answer
                }
                takeRequests();
            } catch (LeaseRpc.MalformedFrameException e) {
                LOG.warn("lease endpoint: closing {} after a malformed message: {}", source, e.getMessage());
                close();
            } catch (IOException e) {
                LOG.debug("lease endpoint: connection from {} ended: {}", source, e.toString());
                close();
            } catch (RuntimeException e) {
                LOG.error("lease endpoint: connection from {} failed", source, e);
                close();
            }
        }

        /** Serves the whole frames in the buffer while no request is in progress. Monitor held. */
        private void takeRequests() throws IOException {
            if (taking) {
                return; // answered at once (a refusal): the running loop goes on with the next frame
            }
            taking = true;
            inbound.flip();
            try {
                while (!pending && !closed) {
                    byte type = in.take(inbound);
                    if (type < 0) {
                        break;
                    }
                    if (tenant == null) {
                        if (type != LeaseRpc.HELLO) {
                            throw new LeaseRpc.MalformedFrameException("the first message must be HELLO");
                        }
                        hello();
                        continue;
                    }
                    pending = true;
                    deadline = Long.MAX_VALUE;
                    switch (type) {
                        case LeaseRpc.GRANT -> grant();
                        case LeaseRpc.RELEASE -> release();
                        default -> throw new LeaseRpc.MalformedFrameException("a client does not send message type " + type);
                    }
                }
            } finally {
                inbound.compact();
                taking = false;
            }
        }

        void checkDeadline(long now) {
            synchronized (this) {
                if (!closed && !pending && now - deadline > 0) {
                    LOG.debug("lease endpoint: closing {}: no whole request in time", source);
                    close();
                }
            }
        }

        private void hello() throws IOException {
            LeaseRpc.Hello h = LeaseRpc.Hello.read(in);
            int version = h.version();
            String offered = h.credential();
            String named = h.tenant();
            if (version != LeaseRpc.VERSION) {
                refuse(400, ApiError.BAD_REQUEST, "lease protocol version " + version + " is not served (this is "
                        + LeaseRpc.VERSION + ")");
                return;
            }
            try {
                if (MessageDigest.isEqual(adminToken, offered.getBytes(StandardCharsets.UTF_8))) {
                    admin = true;
                    tenant = named;
                } else {
                    String owner = state().authenticateTenant(offered);
                    if (!named.isEmpty() && !named.equals(owner)) {
                        refuse(403, ApiError.FORBIDDEN, "the API key belongs to tenant '" + owner + "', the HELLO names '"
                                + named + "'");
                        return;
                    }
                    tenant = owner;
                }
            } catch (ApiException e) {
                refuse(e.status, e.code, e.getMessage());
                return;
            }
            credential = offered;
            deadline = System.nanoTime() + IDLE_TIMEOUT_MILLIS * 1_000_000L;
            out.begin(LeaseRpc.WELCOME).str(tenant);
            send();
        }

        /** An answer to a refused HELLO, then the connection ends. */
        private void refuse(int status, String code, String message) throws IOException {
            error(status, code, message);
            close();
        }

        private void grant() throws IOException {
            LeaseRpc.Grant req = LeaseRpc.Grant.read(in);
            long start = System.nanoTime();
            ClusterState.Deferred<LeaseLifecycle.Placed> placed;
            ClusterState s;
            try {
                s = state();
                if (!admin) {
                    s.authenticateTenant(credential);
                }
                placed = s.lifecycle().placeLease(new LeaseRequest(req.cores(), req.memoryMiB(), req.durationMillis(), tenant,
                        req.placement(), req.requestId()), System.currentTimeMillis());
            } catch (IllegalArgumentException e) {
                answerError(400, ApiError.BAD_REQUEST, e.getMessage());
                return;
            } catch (ApiException e) {
                answerError(e.status, e.code, e.getMessage());
                return;
            }
            s.log().whenDurable(placed.seq(), ok -> {
                if (!ok) {
                    answerError(500, ApiError.INTERNAL, "database failure: the change was not recorded");
                } else if (placed.refused() != null) {
                    answerRefusal(placed.refused());
                } else {
                    var g = s.lifecycle().grantPlaced(placed.result(), start);
                    answer(() -> LeaseRpc.writeGranted(out, g));
                }
            });
        }

        private void release() throws IOException {
            LeaseRpc.Release req = LeaseRpc.Release.read(in);
            long id = req.leaseId();
            String token = req.token();
            String reason = admin ? "released by an administrator" : "released by its client";
            long now = System.currentTimeMillis();
            ClusterState.Deferred<LiveState.Lease> ended;
            ClusterState s;
            try {
                s = state();
                if (!admin) {
                    s.authorizeLeaseToken(id, token);
                }
                ended = s.lifecycle().endLease(id, reason, now);
            } catch (ApiException e) {
                answerError(e.status, e.code, e.getMessage());
                return;
            }
            s.log().whenDurable(ended.seq(), ok -> {
                if (!ok) {
                    answerError(500, ApiError.INTERNAL, "database failure: the change was not recorded");
                } else if (ended.refused() != null) {
                    answerRefusal(ended.refused());
                } else if (ended.result() != null) {
                    answerReleased(s.lifecycle().released(ended.result(), reason, now));
                } else {
                    // ended before: its record is a database read, which the commit thread must not wait for
                    Thread.ofVirtual().name("rm-lease-ended").start(() -> {
                        try {
                            answerReleased(s.storedLease(id));
                        } catch (RuntimeException e) {
                            answerRefusal(e);
                        }
                    });
                }
            });
        }

        private void answerReleased(LeaseInfo info) {
            answer(() -> new LeaseRpc.Released(info.leaseId(), info.state()).write(out));
        }

        private void answerRefusal(RuntimeException e) {
            if (e instanceof ApiException a) {
                answerError(a.status, a.code, a.getMessage());
            } else if (e instanceof IllegalArgumentException) {
                answerError(400, ApiError.BAD_REQUEST, e.getMessage());
            } else {
                LOG.error("lease endpoint: a request from {} failed", source, e);
                answerError(500, ApiError.INTERNAL, e.getMessage());
            }
        }

        private void answerError(int status, String code, String message) {
            answer(() -> frameError(status, code, message));
        }

        /** Sends the answer to the request in progress, then serves the next one already buffered. */
        private void answer(Runnable frame) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                try {
                    frame.run();
                    send();
                    pending = false;
                    deadline = System.nanoTime() + IDLE_TIMEOUT_MILLIS * 1_000_000L;
                    if (inbound.position() > 0) {
                        takeRequests(); // a client that sent its next request before this answer
                    }
                    if (!closed && key.interestOps() == 0) {
                        key.interestOps(SelectionKey.OP_READ);
                        selector.wakeup();
                    }
                } catch (IOException e) {
                    LOG.debug("lease endpoint: answering {} failed: {}", source, e.toString());
                    close();
                } catch (RuntimeException e) {
                    LOG.error("lease endpoint: answering {} failed", source, e);
                    close();
                }
            }
        }

        private void error(int status, String code, String message) throws IOException {
            frameError(status, code, message);
            send();
        }

        private void frameError(int status, String code, String message) {
            new LeaseRpc.ErrorAnswer(status, code, message).write(out);
        }

        private void send() throws IOException {
            if (!out.sendNow(channel)) {
                throw new IOException("the client does not read its answers (socket buffer full)");
            }
        }

        private ClusterState state() {
            ClusterState s = states.get();
            if (s == null) {
                throw new ApiException(503, ApiError.UNAVAILABLE, "this resource manager is a standby");
            }
            return s;
        }

        synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (key != null) {
                key.cancel();
            }
            closeQuietly(channel);
            leave(this);
        }
    }

    private static String sourceOf(SocketChannel c) {
        try {
            return ((InetSocketAddress) c.getRemoteAddress()).getAddress().getHostAddress();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Session s : sessions) {
            s.close();
        }
        selector.wakeup();
        try {
            loop.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            selector.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
