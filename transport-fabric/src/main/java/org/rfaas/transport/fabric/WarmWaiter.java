package org.rfaas.transport.fabric;

import org.rfaas.transport.Completion;

/**
 * How a warm {@link FabricConnection#await} sleeps once it found the receive CQ empty. One is
 * chosen per connection after the handshake (see docs/rdma.md, "Warm waiting"):
 * <ul>
 *   <li>{@link CqWaiter}: {@code fi_cq_sread} on the data CQ, which then has {@code FI_WAIT_FD};
 *   <li>{@link EndpointWaiter}: the peer rings a second, wake-up endpoint whose CQ has the wait object;
 *   <li>{@link SocketWaiter}: the peer rings with a frame on the out-of-band socket and the waiter parks;
 *   <li>{@link BackoffWaiter}: the peer does not ring at all (it predates ringing), so the waiter
 *       spins briefly, then parks in growing slices.
 * </ul>
 * Implementations belong to the connection's receiving thread and allocate nothing.
 */
interface WarmWaiter {

    /** A name for logs and tests: {@code fi_cq_sread}, {@code wake endpoint}, {@code wake socket} or {@code back-off}. */
    String kind();

    /** Starts one {@code await}. */
    void begin();

    /**
     * One step of a warm wait whose poll of the receive CQ came back empty: sleep, spin or tell
     * the peer that this side sleeps, for at most {@code remainingNanos}.
     *
     * @return whether {@code into} was filled (only a waiter that sleeps on the data CQ does that)
     */
    boolean step(Completion into, long remainingNanos) throws Throwable;

    /** Ends one {@code await}, however it ended. */
    default void end() {
    }
}
