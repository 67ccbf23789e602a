package org.rfaas.client;

/**
 * Told by the resource manager, as it happens, about the leases of a {@link LeaseSource} and the
 * cluster's capacity (see {@link RfaasClient#addLeaseListener}). Called on the event stream's
 * thread, in order; keep the work short.
 */
public interface LeaseEventListener {

    /**
     * A lease held through this source was revoked (node drained, removed, or down). Calls on its
     * executor already fail with {@link LeaseRevokedException} when this runs.
     */
    default void leaseRevoked(long leaseId, String node, String reason) {
    }

    /** Capacity became free on {@code node} (a lease ended there, or the node came up). */
    default void capacityFreed(String node, int freeCores, long freeMemoryMiB) {
    }

    /** A listener's registration; {@link #close()} stops the calls. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
