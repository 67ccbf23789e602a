package org.rfaas.transport.tcp;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
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
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening tcp socket. Each accepted peer must complete its handshake within the handshake
 * timeout ({@link TcpContext#handshakeTimeout()}); {@link #accept} therefore returns at
 * most that much later than its own timeout when a peer connects at the last moment.
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

    @Override
    public Connection accept(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                if (closed) {
                    throw new TransportException("listener " + address + " is closed");
                }
                SocketChannel ch = server.accept();
                if (ch != null) {
                    return TcpHandshake.accept(ch, local, context, sharedCounters);
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return null;
                }
                selector.select(Selectors.IGNORE_KEY, Selectors.ceilMillis(remaining));
            }
        } catch (ClosedSelectorException | IOException e) {
            if (closed) {
                throw new TransportException("listener " + address + " was closed while accepting");
            }
            throw new TransportException("listener " + address + " failed: " + e.getMessage(), e);
        }
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
