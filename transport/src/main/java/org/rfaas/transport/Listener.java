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

    /** The counter scope this listener was opened with. */
    default CounterScope counterScope() {
        return CounterScope.CONNECTION;
    }

    /**
     * Reads shared counter {@code index} of a {@link CounterScope#LISTENER} listener: the sum of
     * every peer's fetch-and-adds on it so far. Stays readable after {@link #close}.
     *
     * @throws IllegalStateException when the listener's scope is {@link CounterScope#CONNECTION}
     *     (each connection has its own counters; read them with {@link Connection#localCounter})
     * @throws IllegalArgumentException when {@code index} is outside the listener's spec
     */
    default long localCounter(int index) {
        throw new IllegalStateException("listener " + address() + " has per-connection counters "
                + "(CounterScope.CONNECTION); read Connection.localCounter instead");
    }

    /** Stops listening. Connections already accepted stay open. Idempotent. */
    @Override
    void close();
}
