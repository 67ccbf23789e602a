package org.rfaas.transport;

import java.time.Duration;

/** A listening endpoint. {@link #accept} may be called from one thread at a time. */
public interface Listener extends AutoCloseable {

    /** The address peers pass to {@link Transport#connect}, with a real port or path. */
    String address();

    /**
     * Waits for the next connection and completes its handshake.
     *
     * @return the connection, or {@code null} when {@code timeout} elapsed first
     * @throws ProtocolException when a peer sent a malformed handshake; that connection is already
     *     closed and the listener keeps serving, so the caller logs it and calls accept again
     * @throws TransportException when the listener itself failed or was closed
     */
    Connection accept(Duration timeout);

    /** Stops listening. Connections already accepted stay open. Idempotent. */
    @Override
    void close();
}
