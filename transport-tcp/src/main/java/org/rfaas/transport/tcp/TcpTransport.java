package org.rfaas.transport.tcp;

import java.time.Duration;
import java.util.Objects;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.CounterScope;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;

/** The opened tcp transport. Holds no threads or sockets of its own; thread-safe. */
public final class TcpTransport implements Transport {

    private final TcpContext context;
    private volatile boolean closed;

    /** Opens the transport with the given tunables. */
    public TcpTransport(TcpContext context) {
        this.context = context;
    }

    @Override
    public String name() {
        return "tcp";
    }

    @Override
    public Listener listen(String address, ConnectionSpec local) {
        checkOpen();
        return listen(address, local, CounterScope.CONNECTION);
    }

    /** Both scopes are supported; see {@link TcpListener}. */
    @Override
    public Listener listen(String address, ConnectionSpec local, CounterScope scope) {
        checkOpen();
        return new TcpListener(TcpAddress.parse(address), local, context, Objects.requireNonNull(scope, "scope"));
    }

    @Override
    public Connection connect(String address, ConnectionSpec local, Duration timeout) {
        checkOpen();
        return TcpHandshake.connect(address, TcpAddress.parse(address), local, timeout, context);
    }

    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new TransportException("the tcp transport was closed");
        }
    }
}
