package org.rfaas.transport;

/**
 * Whose counters a peer's {@link Connection#fetchAndAdd} lands in on the listening side.
 *
 * <p>In RDMA a counter is just 8 bytes of a registered memory region, and any number of queue
 * pairs may target the same region. rFaaS relies on that for accounting: every executor worker
 * adds the time it used into one buffer of its executor manager. {@link #LISTENER} models this:
 * one memory region behind all the connections a listener accepts.
 */
public enum CounterScope {
    /** Each accepted connection registers its own counters (the default). */
    CONNECTION,
    /**
     * All connections accepted by one listener share one set of counters, read through
     * {@link Listener#localCounter} and through every accepted connection's
     * {@link Connection#localCounter}; fetch-and-adds from all peers are atomic with respect to
     * each other.
     */
    LISTENER
}
