package org.rfaas.transport;

import java.time.Duration;

/**
 * An opened transport: creates listeners and connections. Thread-safe.
 *
 * <p>Addresses are strings whose form belongs to the provider, for example
 * {@code tcp://127.0.0.1:7000}, {@code shm:/tmp/rfaas/node0.sock} or
 * {@code fabric:tcp://127.0.0.1:7000}. {@link Listener#address()} returns the form that
 * {@link #connect} accepts.
 */
public interface Transport extends AutoCloseable {

    /** The full name this transport was opened with, e.g. {@code tcp} or {@code fabric:tcp}. */
    String name();

    /**
     * Starts listening. Port 0 (or an empty path) picks a free one; see {@link Listener#address()}.
     *
     * @param address where to listen
     * @param local the receive slots and counters that each accepted connection registers locally
     */
    Listener listen(String address, ConnectionSpec local);

    /**
     * Starts listening with the given counter scope. With {@link CounterScope#CONNECTION} this is
     * {@link #listen(String, ConnectionSpec)}. With {@link CounterScope#LISTENER} the listener
     * registers {@code local.counters()} counters once, and every connection it accepts exposes
     * them: one memory region behind several queue pairs, as rFaaS accounting needs (all workers
     * add into the manager's one accounting buffer). Connectors are unaffected.
     *
     * @throws UnsupportedOperationException when the provider cannot share counters between
     *     connections; the message says so
     */
    default Listener listen(String address, ConnectionSpec local, CounterScope scope) {
        if (java.util.Objects.requireNonNull(scope, "scope") == CounterScope.CONNECTION) {
            return listen(address, local);
        }
        throw new UnsupportedOperationException("transport " + name() + " does not support counters shared by "
                + "all connections of a listener (CounterScope." + scope + "); use CounterScope.CONNECTION");
    }

    /**
     * Connects to a listener and performs the handshake, in which both sides learn each other's
     * {@link ConnectionSpec}.
     *
     * @throws TransportException when the peer cannot be reached within {@code timeout}, or it
     *     rejected the handshake
     */
    Connection connect(String address, ConnectionSpec local, Duration timeout);

    /**
     * Keeps what {@code count} future connections with a spec like {@code local}, made from the
     * numeric local address {@code localHost}, would open while they connect opened ahead of time,
     * in the background, and again after each connection takes one, until called again with
     * another count (0 stops the refills; what is ready stays for the next connections); a
     * listener keeps one for its next connection by itself. For transports whose connections open costly native
     * objects (libfabric endpoints: tens of milliseconds each); a hint that the others, and this
     * default, ignore.
     */
    default void keepPrepared(String localHost, ConnectionSpec local, int count) {
    }

    /** Releases provider-wide resources (fabric domain, watchdog threads). Idempotent. */
    @Override
    void close();
}
