package org.rfaas.transport.fabric;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;

/**
 * Listens on a plain TCP socket for the out-of-band handshake; each accepted socket becomes one
 * fabric connection with its own endpoint. A malformed handshake closes only that socket.
 */
final class FabricListener implements Listener {
    /** Longest wait for a connector's HELLO once its socket is accepted. */
    private static final long HANDSHAKE_TIMEOUT_MS = 5_000;

    private final FabricTransport transport;
    private final ConnectionSpec local;
    private final ServerSocket server;
    private final String address;

    FabricListener(FabricTransport transport, InetSocketAddress bind, ConnectionSpec local) {
        this.transport = transport;
        this.local = local;
        try {
            this.server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(bind, 128);
        } catch (IOException e) {
            throw new TransportException("cannot listen on " + transport.format(bind) + ": " + e.getMessage(), e);
        }
        this.address = transport.format(new InetSocketAddress(bind.getAddress(), server.getLocalPort()));
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public Connection accept(Duration timeout) {
        Socket s;
        try {
            server.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            s = server.accept();
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            throw new TransportException("listener " + address + " failed: " + e.getMessage(), e);
        }
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) HANDSHAKE_TIMEOUT_MS);
            FabricConnection c = FabricConnection.accept(transport, transport.domainFor(s.getLocalAddress()), local, s);
            transport.accepted(c);
            return c;
        } catch (ProtocolException e) {
            closeQuietly(s);
            throw e;
        } catch (PeerFailedException e) {
            // The peer went away (or stopped answering) mid-handshake: only that connection failed,
            // the listener keeps serving, so it is reported the way the Listener contract says.
            closeQuietly(s);
            throw new ProtocolException(ProtocolError.TRUNCATED, "connection from " + s.getRemoteSocketAddress()
                    + " failed during the handshake: " + e.getMessage());
        } catch (IOException e) {
            closeQuietly(s);
            throw new TransportException("accepting on " + address + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(s);
            throw e;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the handshake error is what matters
        }
    }

    @Override
    public void close() {
        transport.forget(this);
        try {
            server.close();
        } catch (IOException e) {
            throw new TransportException("closing listener " + address + ": " + e.getMessage(), e);
        }
    }
}
