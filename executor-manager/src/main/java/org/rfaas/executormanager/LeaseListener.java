package org.rfaas.executormanager;

import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.LeaseEndReason;

/**
 * Told about lease events, e.g. to forward billing to the resource manager. Called on the
 * manager's threads: return quickly (hand slow work such as HTTP to your own executor), never
 * throw (exceptions are logged and ignored).
 */
public interface LeaseListener {

    /** An executor was spawned for {@code lease} (or a spare was handed to it). */
    default void leaseStarted(LeaseRecord lease) {
    }

    /**
     * {@code lease}'s executor reported ready to serve invocations, {@code coldStartNanos} after its
     * allocation request arrived; {@code spare} when a pre-booted spare executor took the lease.
     */
    default void executorReady(LeaseRecord lease, long coldStartNanos, boolean spare) {
    }

    /** An allocation request was refused (the client was told {@code refusal}). */
    default void allocationRefused(AllocationRefusal refusal) {
    }

    /**
     * {@code lease} ended; {@code accounting} holds its final totals (allocation, compute and
     * hot-polling time, invocations).
     */
    default void leaseEnded(LeaseRecord lease, LeaseEndReason reason, LeaseAccounting accounting) {
    }
}
