package org.rfaas.transport.tcp;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.CounterScope;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PendingHandshakes;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening tcp socket. Each accepted peer must complete its handshake within the handshake
 * timeout ({@link TcpContext#handshakeTimeout()}); handshakes proceed side by side, so a silent
 * or slow peer delays no other. {@link #accept} returns at most a handshake's final write later
 * than its own timeout.
 *
 * <p>With {@link CounterScope#LISTENER} the listener allocates the counters once and hands the
 * same memory to every connection it accepts. The memory lives in an automatic arena: accepted
 * connections outlive the listener, and the counters live as long as anything refers to them.
 */
final class TcpListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(TcpListener.class);

    private final ServerSocketChannel server;
    private final Selector selector;
    private final ConnectionSpec local;
    private final TcpContext context;
    private static final VarHandle COUNTER = ValueLayout.JAVA_LONG.varHandle();

    private final String address;
    private final CounterScope scope;
    /** The counters shared by all accepted connections, or {@code null} for per-connection ones. */
    private final MemorySegment sharedCounters;
    private volatile boolean closed;
    /**
     * Most unfinished handshakes kept at once: a flood of silent connections costs at most this
     * many sockets and 32-byte buffers, and pushes out its own oldest, not the listener.
     */
    static final int MAX_PENDING = 256;
    /** Most unfinished handshakes from one address: a flood from one host leaves the others room. */
    static final int MAX_PENDING_PER_SOURCE = 32;
    /** Accepted sockets still sending their handshake, oldest first; guarded by itself (accept and close). */
    private final PendingHandshakes<Pending> pending = new PendingHandshakes<>(MAX_PENDING, MAX_PENDING_PER_SOURCE,
            Pending::source);

    TcpListener(InetSocketAddress bind, ConnectionSpec local, TcpContext context, CounterScope scope) {
        this.local = local;
        this.context = context;
        this.scope = scope;
        this.sharedCounters = scope == CounterScope.LISTENER
                ? Arena.ofAuto().allocate(Math.max(8L, 8L * local.counters()), 64)
                : null;
        try {
            server = ServerSocketChannel.open();
            try {
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                server.bind(bind, 128);
                server.configureBlocking(false);
                selector = Selector.open();
                server.register(selector, SelectionKey.OP_ACCEPT);
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
            address = TcpAddress.format((InetSocketAddress) server.getLocalAddress());
        } catch (IOException e) {
            throw new TransportException("cannot listen on " + TcpAddress.format(bind) + ": " + e.getMessage(), e);
        }
        LOG.debug("listening on {} with {}", address, local);
    }

    @Override
    public String address() {
        return address;
    }

    /**
     * Takes in every waiting socket and every handshake byte that has arrived, and returns the
     * first peer whose handshake is complete. Handshakes proceed side by side: a peer that sends
     * nothing, or one byte at a time, holds up no other peer; it is dropped at its own deadline,
     * and beyond {@link #MAX_PENDING} unfinished handshakes the oldest is dropped.
     */
    @Override
    public Connection accept(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                if (closed) {
                    throw new TransportException("listener " + address + " is closed");
                }
                long now = System.nanoTime();
                long wakeAt;
                synchronized (pending) {
                    takeInSockets();
                    Pending done = progressHandshakes(now);
                    if (done != null) {
                        return TcpHandshake.accept(done.channel, done.header, done.deadline, local, context, sharedCounters);
                    }
                    wakeAt = deadline;
                    for (Pending p : pending) {
                        wakeAt = Math.min(wakeAt, p.deadline);
                    }
                }
                if (deadline - now <= 0) {
                    return null;
                }
                selector.select(Selectors.IGNORE_KEY, Selectors.ceilMillis(Math.max(1, wakeAt - now)));
            }
        } catch (ClosedSelectorException | IOException e) {
            if (closed) {
                throw new TransportException("listener " + address + " was closed while accepting");
            }
            throw new TransportException("listener " + address + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Reads what each pending peer has sent; drops those that closed or ran out of time. Returns
     * (and removes) the first whose handshake header is complete, or null. Lock on pending held.
     */
    private Pending progressHandshakes(long now) {
        for (var it = pending.iterator(); it.hasNext();) {
            Pending p = it.next();
            int n;
            try {
                n = p.channel.read(p.header);
            } catch (IOException e) {
                n = -1;
            }
            if (!p.header.hasRemaining()) {
                it.remove();
                p.key.cancel();
                return p;
            }
            if (n < 0 || now - p.deadline >= 0) {
                it.remove();
                String why = n < 0 ? "closed the connection after " + p.header.position() + " of " + Frame.LENGTH
                        + " handshake bytes" : "sent " + p.header.position() + " of " + Frame.LENGTH
                        + " handshake bytes within " + context.handshakeTimeout().toMillis() + " ms";
                String from = drop(p, why);
                // the caller learns of it as of any rejected peer; the other pending peers stay for its next call
                throw new ProtocolException(n < 0 ? ProtocolError.TRUNCATED : ProtocolError.BAD_HANDSHAKE,
                        "peer " + from + " " + why);
            }
        }
        return null;
    }

    /** Accepts every socket waiting in the backlog into {@link #pending}. */
    private void takeInSockets() throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            InetAddress source = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
            Pending out = pending.add(new Pending(ch, key, source, ByteBuffer.allocate(Frame.LENGTH),
                    System.nanoTime() + context.handshakeTimeout().toNanos()));
            if (out != null) {
                drop(out, "was the oldest of the unfinished handshakes (" + MAX_PENDING + " in all, "
                        + MAX_PENDING_PER_SOURCE + " per address)");
            }
        }
    }

    /** Closes a pending peer's socket; returns the peer's address for the message. */
    private String drop(Pending p, String why) {
        p.key.cancel();
        String from = "unknown peer";
        try {
            from = TcpAddress.format((InetSocketAddress) p.channel.getRemoteAddress());
        } catch (IOException e) {
            LOG.debug("a dropped handshake's peer address: {}", e.toString());
        }
        try {
            p.channel.close();
        } catch (IOException e) {
            LOG.debug("closing a dropped handshake: {}", e.toString());
        }
        LOG.debug("dropped a connection from {} on {}: it {}", from, address, why);
        return from;
    }

    /** An accepted socket whose handshake header is still arriving. */
    private record Pending(SocketChannel channel, SelectionKey key, InetAddress source, ByteBuffer header, long deadline) {
    }

    @Override
    public CounterScope counterScope() {
        return scope;
    }

    @Override
    public long localCounter(int index) {
        if (sharedCounters == null) {
            return Listener.super.localCounter(index);
        }
        if (index < 0 || index >= local.counters()) {
            throw new IllegalArgumentException("counter " + index + " is outside the listener's "
                    + local.counters() + " counters");
        }
        return (long) COUNTER.getVolatile(sharedCounters, 8L * index);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        selector.wakeup();
        synchronized (pending) {
            for (Pending p : pending.clear()) {
                try {
                    p.channel.close();
                } catch (IOException e) {
                    LOG.debug("closing an unfinished handshake: {}", e.toString());
                }
            }
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing listener {}: {}", address, e.toString());
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.warn("closing the selector of listener {}: {}", address, e.toString());
        }
        LOG.debug("listener {} closed", address);
    }

    @Override
    public String toString() {
        return "TcpListener[" + address + "]";
    }
}
